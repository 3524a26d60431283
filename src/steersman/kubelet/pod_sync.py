"""PodSyncer: what one sync of one pod means for the kubelet (Kubernetes' kubelet.go SyncPod,
SyncTerminatingPod, SyncTerminatedPod, folded into one level-based function).

Invariants:
- The desired pod comes from the PodManager, the actual state from the runtime (read fresh
  for the pod at every sync); nothing else is trusted.
- A pod that is gone from every source has its containers killed and removed, its volumes
  torn down and its probes and status forgotten; the sync reports DONE.
- A pod with a deletionTimestamp is terminated (preStop, SIGTERM, grace, SIGKILL); once nothing
  of it runs, its containers and sandbox are removed and its API object is deleted (grace 0,
  uid precondition), which ends the graceful deletion the user started.
- A pod whose phase turned Succeeded/Failed keeps its stopped containers (for logs) and has its
  sandbox stopped; nothing of it restarts.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from steersman.client.events import WARNING, EventRecorder
from steersman.kubelet.container import RUNNING, PodRuntimeStatus
from steersman.kubelet.kuberuntime.manager import KubeRuntimeManager
from steersman.kubelet.pod_manager import MirrorClient, PodManager
from steersman.kubelet.pod_status import ProbeView, StatusInputs, generate_pod_status
from steersman.kubelet.pod_workers import DONE, _Done
from steersman.kubelet.prober.manager import ProbeManager
from steersman.kubelet.sources.static import is_static_pod
from steersman.kubelet.status_manager import StatusManager
from steersman.kubelet.volumes.interface import VolumeError
from steersman.kubelet.volumes.manager import setup_pod_volumes, teardown_pod_volumes

log = logging.getLogger("steersman.kubelet.sync")

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


class PodSyncer:
    def __init__(
        self,
        *,
        pods: PodManager,
        runtime: KubeRuntimeManager,
        statuses: StatusManager,
        probes: ProbeManager,
        mirrors: MirrorClient,
        recorder: EventRecorder,
        lookup: Any,
        root_dir: Path,
        node_ip: str,
    ) -> None:
        self.pods = pods
        self.runtime = runtime
        self.statuses = statuses
        self.probes = probes
        self.mirrors = mirrors
        self.recorder = recorder
        self.lookup = lookup
        self.root_dir = root_dir
        self.node_ip = node_ip
        self.last_known: dict[str, Obj] = {}

    def _api_uid(self, pod: Obj) -> str | None:
        if is_static_pod(pod):
            mirror = self.pods.mirror_for(pod)
            return mirror["metadata"]["uid"] if mirror is not None else None
        return str(pod["metadata"]["uid"])

    def _status(self, pod: Obj, runtime: PodRuntimeStatus, **kw: Any) -> Obj:
        results = self.probes.results
        inputs = StatusInputs(
            pod,
            runtime,
            probes=ProbeView(readiness=results.readiness, startup=results.startup),
            host_ip=self.node_ip,
            previous=self.statuses.get_pod_status(pod["metadata"]["uid"]),
            **kw,
        )
        status = generate_pod_status(inputs)
        self.probes.update_pod_status(pod, status)
        return status

    def _publish(self, pod: Obj, status: Obj) -> None:
        api_uid = self._api_uid(pod)
        if api_uid is None:
            return
        meta = pod["metadata"]
        self.statuses.set_pod_status(meta["uid"], meta["namespace"], meta["name"], api_uid, status)

    async def sync(self, uid: str) -> float | _Done | None:
        pod = self.pods.get(uid)
        runtime = await self.runtime.pod_status(uid)
        if pod is None:
            return await self._forget(uid, runtime)
        self.last_known[uid] = pod
        meta = pod["metadata"]
        if is_static_pod(pod):
            await self.mirrors.ensure_mirror(pod, self.pods.mirror_for(pod))
        if meta.get("deletionTimestamp"):
            return await self._terminate(pod, runtime)
        api_phase = (pod.get("status") or {}).get("phase")
        previous = self.statuses.get_pod_status(uid) or {}
        if api_phase in TERMINAL or previous.get("phase") in TERMINAL:
            return await self._terminated(pod, runtime)

        self.probes.add_pod(pod)
        try:
            await setup_pod_volumes(self.root_dir, pod, self.lookup)
        except VolumeError as exc:
            self.recorder.event(pod, WARNING, "FailedMount", str(exc))
            self._publish(pod, self._status(pod, runtime, sandbox_ready=bool(runtime.ips)))
            return 5.0
        result = await self.runtime.sync_pod(pod, runtime)
        runtime = await self.runtime.pod_status(uid)
        status = self._status(
            pod, runtime, reasons=result.reasons, sandbox_ready=result.sandbox_ready
        )
        self._publish(pod, status)
        if status.get("phase") in TERMINAL:
            return await self._terminated(pod, runtime)
        await self.runtime.prune_dead_containers(pod, runtime)
        return result.requeue_after

    async def _terminate(self, pod: Obj, runtime: PodRuntimeStatus) -> float | _Done | None:
        uid = pod["metadata"]["uid"]
        self.probes.stop_liveness_and_startup(pod)
        if any(r.state == RUNNING for r in runtime.containers) or any(
            s.ready for s in runtime.sandboxes
        ):
            await self.runtime.kill_pod(pod, runtime)
            runtime = await self.runtime.pod_status(uid)
        status = self._status(pod, runtime, pod_is_terminal=True, sandbox_ready=False)
        self._publish(pod, status)
        if any(r.state == RUNNING for r in runtime.containers):
            return 1.0
        await self.runtime.remove_pod(runtime)
        await teardown_pod_volumes(self.root_dir, uid)
        self.probes.remove_pod(pod)
        if not is_static_pod(pod):
            await self.statuses.sync_pod(uid)  # the final status, before the object goes
            await self.statuses.delete_pod(
                pod["metadata"]["namespace"], pod["metadata"]["name"], uid
            )
        return DONE

    async def _terminated(self, pod: Obj, runtime: PodRuntimeStatus) -> float | _Done | None:
        self.probes.remove_pod(pod)
        if any(r.state == RUNNING for r in runtime.containers) or any(
            s.ready for s in runtime.sandboxes
        ):
            await self.runtime.kill_pod(pod, runtime)
            runtime = await self.runtime.pod_status(pod["metadata"]["uid"])
        status = self._status(pod, runtime, pod_is_terminal=True, sandbox_ready=False)
        self._publish(pod, status)
        return None

    async def _forget(self, uid: str, runtime: PodRuntimeStatus) -> _Done:
        last = self.last_known.pop(uid, None)
        if last is not None and is_static_pod(last):
            # Its manifest is gone: so is the mirror pod that showed it in the API.
            mirror = self.pods.mirror_for(last)
            if mirror is not None:
                await self.mirrors.delete_mirror(mirror)
        if runtime.containers or runtime.sandboxes:
            await self.runtime.kill_pod(last, runtime, grace_override=None if last else 2)
            runtime = await self.runtime.pod_status(uid)
            await self.runtime.remove_pod(runtime)
        await teardown_pod_volumes(self.root_dir, uid)
        self.probes.cleanup_pods({u for u in self.pods_uids() if u != uid})
        self.statuses.forget(uid)
        return DONE

    def pods_uids(self) -> set[str]:
        return {p["metadata"]["uid"] for p in self.pods.pods()}
