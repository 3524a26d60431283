"""The real kubelet behind the kubelet API server (logs, exec, attach, port-forward): the
`KubeletHost` protocol over the pod manager, the runtime manager and runc.

Invariants:
- Pods are found by namespace/name among the pods this kubelet runs (static pods by their
  mirror name); containers by name in the pod's spec (init containers included).
- Log paths are the CRI log files the kubelet asked for: `<pod log dir>/<container>/<restart
  count>.log`; the previous attempt's file is the one with the next lower count that exists.
- exec runs `runc exec` against containerd's runc state for the k8s.io namespace (so kubectl's
  v5 channel protocol, stdin close included, is served by the kubelet itself); attach uses the
  CRI Attach URL (containerd's streaming server), proxied as is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from steersman.kubelet.container import RUNNING, PodRuntimeStatus
from steersman.kubelet.kuberuntime.manager import KubeRuntimeManager
from steersman.kubelet.kuberuntime.sandbox import pod_log_dir
from steersman.kubelet.pod_manager import PodManager
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.interface import NotFound, Runtime
from steersman.kubelet.server.host import (
    ContainerProcess,
    ContainerTarget,
    HostError,
    container_not_found,
    pod_not_found,
)
from steersman.kubelet.server.runc_exec import RuncExec
from steersman.kubelet.stats import StatsProvider

Obj = dict[str, Any]


class RealKubeletHost:
    def __init__(
        self,
        *,
        pods: PodManager,
        runtime: Runtime,
        manager: KubeRuntimeManager,
        logs_root: Path,
        runc_root: Path,
        pod_status: Callable[[str], Obj | None],
        stats: StatsProvider | None = None,
    ) -> None:
        self.pods = pods
        self.runtime = runtime
        self.manager = manager
        self.logs_root = logs_root
        self.runc = RuncExec(runc_root)
        self.pod_status = pod_status
        # The kubelet should pass the StatsProvider its eviction manager uses (one CPU cache);
        # this fallback serves the same data under the host's name until it does.
        self.stats = stats or StatsProvider(
            runtime=runtime,
            pods=pods.pods,
            root_dir=logs_root.parent.parent,
            node_name=os.uname().nodename,
            logs_root=logs_root,
        )

    async def list_pods(self) -> list[Obj]:
        out = []
        for pod in self.pods.pods():
            status = self.pod_status(pod["metadata"]["uid"])
            out.append(dict(pod, status=status) if status else pod)
        return out

    def _pod(self, namespace: str, name: str) -> Obj:
        pod = self.pods.get_by_full_name(f"{namespace}/{name}")
        if pod is None:
            raise pod_not_found(namespace, name)
        return pod

    async def container_for(self, namespace: str, pod_name: str, container: str) -> ContainerTarget:
        pod = self._pod(namespace, pod_name)
        spec = pod.get("spec") or {}
        containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        found = next((c for c in containers if c.get("name") == container), None)
        if found is None:
            raise container_not_found(container, pod_name)
        uid = pod["metadata"]["uid"]
        status: PodRuntimeStatus = await self.manager.pod_status(uid)
        latest = status.latest(container)
        directory = pod_log_dir(self.logs_root, pod) / container
        log_path = previous = None
        container_id = ""
        if latest is not None:
            container_id = latest.runtime_id
            log_path = directory / f"{latest.restart_count}.log"
            for attempt in range(latest.restart_count - 1, -1, -1):
                candidate = directory / f"{attempt}.log"
                if candidate.exists():
                    previous = candidate
                    break
        return ContainerTarget(
            namespace=namespace,
            pod_name=pod_name,
            pod_uid=uid,
            container_name=container,
            container_id=container_id,
            log_path=log_path,
            previous_log_path=previous,
            tty=bool(found.get("tty")),
            stdin=bool(found.get("stdin")),
            sandbox_id=status.sandboxes[0].id if status.sandboxes else "",
        )

    async def is_running(self, target: ContainerTarget) -> bool:
        if not target.container_id:
            return False
        try:
            status = (await self.runtime.container_status(target.container_id)).status
        except NotFound:
            return False
        return bool(status.state == api.CONTAINER_RUNNING)

    def _require_running(self, target: ContainerTarget, status: PodRuntimeStatus) -> None:
        latest = status.latest(target.container_name)
        if latest is None or latest.state != RUNNING:
            raise HostError(
                400,
                f'container "{target.container_name}" in pod "{target.pod_name}" is not running',
            )

    async def exec(
        self, target: ContainerTarget, command: Sequence[str], *, tty: bool, stdin: bool
    ) -> ContainerProcess | str:
        self._require_running(target, await self.manager.pod_status(target.pod_uid))
        process: ContainerProcess = await self.runc.exec(
            target.container_id, command, tty=tty, stdin=stdin
        )
        return process

    async def attach(
        self, target: ContainerTarget, *, tty: bool, stdin: bool
    ) -> ContainerProcess | str:
        self._require_running(target, await self.manager.pod_status(target.pod_uid))
        return await self.runtime.attach(
            api.AttachRequest(
                container_id=target.container_id,
                stdin=stdin,
                tty=tty,
                stdout=True,
                stderr=not tty,
            )
        )

    async def pod_netns(self, namespace: str, pod_name: str) -> str | None:
        pod = self._pod(namespace, pod_name)
        status = await self.manager.pod_status(pod["metadata"]["uid"])
        if not status.sandboxes:
            raise HostError(400, f'pod "{pod_name}" has no running sandbox')
        if (pod.get("spec") or {}).get("hostNetwork"):
            return None
        info = await self.runtime.pod_sandbox_status(status.sandboxes[0].id, verbose=True)
        try:
            details = json.loads(info.info.get("info", "{}"))
        except ValueError:
            details = {}
        for ns in ((details.get("runtimeSpec") or {}).get("linux") or {}).get("namespaces") or []:
            if ns.get("type") == "network" and ns.get("path"):
                return str(ns["path"])
        raise HostError(500, f'cannot find the network namespace of pod "{pod_name}"')

    async def summary(self, *, only_cpu_and_memory: bool = False) -> Obj:
        return await self.stats.summary(only_cpu_and_memory=only_cpu_and_memory)

    async def resource_metrics(self) -> str:
        return await self.stats.resource_metrics()
