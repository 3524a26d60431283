"""KubeRuntimeManager: carries out `compute_pod_actions` through the CRI runtime and reads the
node's sandboxes and containers back (Kubernetes' kuberuntime_manager.go SyncPod/KillPod and
the generic PLEG relist).

Invariants:
- `sync_pod` does one round of actions and returns; the pod worker calls it again on the next
  change, so every decision is made from fresh runtime state.
- A container that may not start yet (CrashLoopBackOff, ImagePullBackOff, a config error) is
  reported in `SyncResult.reasons` with Kubernetes' reason and message, for the pod status.
- Events use Kubernetes' reasons and wording (Pulling, Pulled, Created, Started, Killing,
  BackOff, Failed ...).
- Killing a container runs its preStop hook first, inside the grace period, then stops it with
  what is left of the grace period (at least 2 s, as upstream's minimumGracePeriodInSeconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.kubelet.backoff import ContainerBackOff, ImagePullBackOff
from steersman.kubelet.container import EXITED, RUNNING, ContainerRecord, PodRuntimeStatus
from steersman.kubelet.kuberuntime import labels as lbl
from steersman.kubelet.kuberuntime.container_config import container_config
from steersman.kubelet.kuberuntime.sandbox import pod_log_dir, sandbox_config
from steersman.kubelet.lifecycle import run_hook
from steersman.kubelet.pod_actions import compute_pod_actions, container_hash
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.interface import NotFound, Runtime, RuntimeApiError

log = logging.getLogger("steersman.kubelet.runtime")

Obj = dict[str, Any]
MIN_GRACE_SECONDS = 2
MAX_TERMINATION_MESSAGE = 4096


class ContainerStartError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class PreparedContainer:
    command: list[str]
    args: list[str]
    envs: list[tuple[str, str]]
    mounts: list[api.Mount]


class ContainerPreparer(Protocol):
    """What a container gets from the pod: expanded command/args, environment, mounts.
    Raises ContainerStartError("CreateContainerConfigError", ...) on bad references."""

    async def prepare(self, pod: Obj, container: Obj, pod_ips: list[str]) -> PreparedContainer: ...


@dataclass
class SyncResult:
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)
    sandbox_ready: bool = False
    requeue_after: float | None = None


def _container_ref(pod: Obj, container: Obj, init: bool) -> str:
    spec = pod.get("spec") or {}
    group = "initContainers" if init else "containers"
    for i, c in enumerate(spec.get(group) or []):
        if c.get("name") == container.get("name"):
            return f"spec.{group}{{{container['name']}}}" if i >= 0 else ""
    return ""


def _default_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


class KubeRuntimeManager:
    def __init__(
        self,
        runtime: Runtime,
        preparer: ContainerPreparer,
        recorder: EventRecorder,
        *,
        pods_root: Path,
        logs_root: Path,
        node_hostname: str,
        memory_capacity: int,
        liveness: Callable[[str], bool | None] = lambda _cid: None,
        startup: Callable[[str], bool | None] = lambda _cid: None,
    ) -> None:
        self.runtime = runtime
        self.preparer = preparer
        self.recorder = recorder
        self.pods_root = pods_root
        self.logs_root = logs_root
        self.node_hostname = node_hostname
        self.memory_capacity = memory_capacity
        self.liveness = liveness
        self.startup = startup
        self.container_backoff = ContainerBackOff()
        self.image_backoff = ImagePullBackOff()
        self._status_cache: dict[tuple[str, int], api.ContainerStatus] = {}
        self._sandbox_ips: dict[str, list[str]] = {}

    # -- reading the node's state (PLEG relist) -----------------------------------
    async def relist(self) -> dict[str, PodRuntimeStatus]:
        sandboxes = await self.runtime.list_pod_sandbox()
        containers = await self.runtime.list_containers()
        by_uid: dict[str, tuple[list[Any], list[Any], str, str]] = {}
        live_ids: set[str] = set()
        for sb in sandboxes:
            uid = sb.labels.get(lbl.POD_UID) or sb.metadata.uid
            entry = by_uid.setdefault(uid, ([], [], sb.metadata.name, sb.metadata.namespace))
            ips = await self._sandbox_ips_of(sb)
            entry[0].append(lbl.sandbox_record(sb, ips))
        for c in containers:
            uid = c.labels.get(lbl.POD_UID, "")
            if not uid:
                continue
            live_ids.add(c.id)
            status = await self._container_status(c.id, c.state)
            if status is None:
                continue
            entry = by_uid.setdefault(
                uid, ([], [], c.labels.get(lbl.POD_NAME, ""), c.labels.get(lbl.POD_NAMESPACE, ""))
            )
            record = lbl.container_record(status)
            if record.state == EXITED and not record.message:
                record.message = self._termination_message(status)
            entry[1].append(record)
        self._status_cache = {k: v for k, v in self._status_cache.items() if k[0] in live_ids}
        live_sandboxes = {sb.id for sb in sandboxes}
        self._sandbox_ips = {k: v for k, v in self._sandbox_ips.items() if k in live_sandboxes}
        return {
            uid: lbl.pod_runtime_status(uid, sbs, cs, name=name, namespace=ns)
            for uid, (sbs, cs, name, ns) in by_uid.items()
        }

    async def pod_status(self, uid: str) -> PodRuntimeStatus:
        """One pod's sandboxes and containers, read now."""
        selector = {lbl.POD_UID: uid}
        sandboxes = await self.runtime.list_pod_sandbox(
            api.PodSandboxFilter(label_selector=selector)
        )
        containers = await self.runtime.list_containers(
            api.ContainerFilter(label_selector=selector)
        )
        sandbox_records = [
            lbl.sandbox_record(sb, await self._sandbox_ips_of(sb)) for sb in sandboxes
        ]
        records = []
        for c in containers:
            status = await self._container_status(c.id, c.state)
            if status is None:
                continue
            record = lbl.container_record(status)
            if record.state == EXITED and not record.message:
                record.message = self._termination_message(status)
            records.append(record)
        return lbl.pod_runtime_status(uid, sandbox_records, records)

    async def _sandbox_ips_of(self, sandbox: api.PodSandbox) -> list[str]:
        if sandbox.state != api.SANDBOX_READY:
            return []
        cached = self._sandbox_ips.get(sandbox.id)
        if cached is not None:
            return cached
        try:
            status = (await self.runtime.pod_sandbox_status(sandbox.id)).status
        except NotFound:
            return []
        ips = [status.network.ip] if status.network.ip else []
        ips += [ip.ip for ip in status.network.additional_ips]
        self._sandbox_ips[sandbox.id] = ips
        return ips

    async def _container_status(self, container_id: str, state: int) -> api.ContainerStatus | None:
        key = (container_id, state)
        cached = self._status_cache.get(key)
        if cached is not None:
            return cached
        try:
            status = (await self.runtime.container_status(container_id)).status
        except NotFound:
            return None
        self._status_cache[key] = status
        return status

    def _termination_message(self, status: api.ContainerStatus) -> str:
        path = status.annotations.get(lbl.TERMINATION_MESSAGE_PATH, "/dev/termination-log")
        for mount in status.mounts:
            if mount.container_path == path:
                try:
                    with open(mount.host_path, "rb") as f:
                        return f.read(MAX_TERMINATION_MESSAGE).decode(errors="replace")
                except OSError:
                    return ""
        return ""

    # -- sync ------------------------------------------------------------------------
    async def sync_pod(self, pod: Obj, status: PodRuntimeStatus) -> SyncResult:
        result = SyncResult()
        actions = compute_pod_actions(pod, status, liveness=self.liveness, startup=self.startup)
        if actions.kill_pod:
            if status.sandboxes and actions.create_sandbox and actions.attempt > 0:
                self.recorder.event(
                    pod,
                    NORMAL,
                    "SandboxChanged",
                    "Pod sandbox changed, it will be killed and re-created.",
                )
            await self.kill_pod(pod, status)
            if not actions.create_sandbox:
                return result
        else:
            for cid, info in actions.containers_to_kill.items():
                record = next((r for r in status.containers if r.id == cid), None)
                if record is not None:
                    await self.kill_container(pod, record, message=info.message)

        sandbox_id = actions.sandbox_id
        sb_config = sandbox_config(
            pod, attempt=actions.attempt, logs_root=self.logs_root, node_hostname=self.node_hostname
        )
        pod_ips = status.ips
        if actions.create_sandbox:
            pod_log_dir(self.logs_root, pod).mkdir(parents=True, exist_ok=True)
            try:
                sandbox_id = await self.runtime.run_pod_sandbox(sb_config)
            except RuntimeApiError as exc:
                message = f"Failed to create pod sandbox: {exc}"
                self.recorder.event(pod, WARNING, "FailedCreatePodSandBox", message)
                result.requeue_after = 5.0
                return result
            sb_status = (await self.runtime.pod_sandbox_status(sandbox_id)).status
            pod_ips = [sb_status.network.ip] if sb_status.network.ip else []
        result.sandbox_ready = True
        spec = pod.get("spec") or {}
        for index in actions.init_containers_to_start:
            container = (spec.get("initContainers") or [])[index]
            kind = "sidecar" if container.get("restartPolicy") == "Always" else "init"
            await self._start_one(
                pod, container, status, sandbox_id, sb_config, pod_ips, result, kind
            )
        for index in actions.containers_to_start:
            container = (spec.get("containers") or [])[index]
            await self._start_one(
                pod, container, status, sandbox_id, sb_config, pod_ips, result, ""
            )
        return result

    async def _start_one(
        self,
        pod: Obj,
        container: Obj,
        status: PodRuntimeStatus,
        sandbox_id: str,
        sb_config: api.PodSandboxConfig,
        pod_ips: list[str],
        result: SyncResult,
        kind: str,
    ) -> None:
        name = container["name"]
        latest = status.latest(name)
        if latest is not None and latest.state == EXITED:
            decision = self.container_backoff.do_back_off(pod, container, latest.finished_at)
            if decision.in_back_off:
                result.reasons[name] = ("CrashLoopBackOff", decision.message)
                self.recorder.event(
                    pod,
                    WARNING,
                    "BackOff",
                    decision.event_message,
                    field_path=_container_ref(pod, container, kind != ""),
                )
                result.requeue_after = min(result.requeue_after or 10.0, 10.0)
                return
        attempt = latest.restart_count + 1 if latest is not None else 0
        try:
            await self.start_container(
                pod, container, sandbox_id, sb_config, pod_ips, attempt, kind
            )
        except ContainerStartError as exc:
            result.reasons[name] = (exc.reason, exc.message)
            result.requeue_after = min(result.requeue_after or 5.0, 5.0)

    async def ensure_image(self, pod: Obj, container: Obj) -> str:
        image = container.get("image", "")
        ref_path = _container_ref(pod, container, False) or _container_ref(pod, container, True)
        policy = container.get("imagePullPolicy") or _default_pull_policy(image)
        present = await self.runtime.image_status(api.ImageSpec(image=image))
        have = present.HasField("image")
        if policy == "Never" or (policy == "IfNotPresent" and have):
            if not have:
                message = f'Container image "{image}" is not present with pull policy of Never'
                self.recorder.event(pod, WARNING, "ErrImageNeverPull", message, field_path=ref_path)
                raise ContainerStartError("ErrImageNeverPull", message)
            self.recorder.event(
                pod,
                NORMAL,
                "Pulled",
                f'Container image "{image}" already present on machine',
                field_path=ref_path,
            )
            return present.image.id or image
        uid = pod["metadata"]["uid"]
        waiting = self.image_backoff.check(uid, image)
        if waiting is not None:
            self.recorder.event(
                pod, NORMAL, "BackOff", f'Back-off pulling image "{image}"', field_path=ref_path
            )
            self.recorder.event(
                pod, WARNING, "Failed", "Error: ImagePullBackOff", field_path=ref_path
            )
            raise ContainerStartError("ImagePullBackOff", waiting)
        self.recorder.event(pod, NORMAL, "Pulling", f'Pulling image "{image}"', field_path=ref_path)
        begin = time.monotonic()
        try:
            ref = await self.runtime.pull_image(api.ImageSpec(image=image))
        except RuntimeApiError as exc:
            message = f'Failed to pull image "{image}": {exc}'
            self.image_backoff.pull_failed(uid, image, "ErrImagePull", message)
            self.recorder.event(pod, WARNING, "Failed", message, field_path=ref_path)
            self.recorder.event(pod, WARNING, "Failed", "Error: ErrImagePull", field_path=ref_path)
            raise ContainerStartError("ErrImagePull", message) from None
        took = time.monotonic() - begin
        self.recorder.event(
            pod,
            NORMAL,
            "Pulled",
            f'Successfully pulled image "{image}" in {took:.3f}s',
            field_path=ref_path,
        )
        return ref

    async def start_container(
        self,
        pod: Obj,
        container: Obj,
        sandbox_id: str,
        sb_config: api.PodSandboxConfig,
        pod_ips: list[str],
        attempt: int,
        kind: str = "",
    ) -> str:
        ref_path = _container_ref(pod, container, kind != "")
        image_ref = await self.ensure_image(pod, container)
        try:
            prepared = await self.preparer.prepare(pod, container, pod_ips)
        except ContainerStartError as exc:
            self.recorder.event(
                pod, WARNING, "Failed", f"Error: {exc.message}", field_path=ref_path
            )
            raise
        mounts = list(prepared.mounts)
        mounts.append(self._termination_log_mount(pod, container))
        config = container_config(
            pod,
            container,
            image_ref=image_ref,
            attempt=attempt,
            spec_hash=container_hash(container),
            command=prepared.command,
            args=prepared.args,
            envs=prepared.envs,
            mounts=mounts,
            memory_capacity=self.memory_capacity,
            container_type=kind,
        )
        (pod_log_dir(self.logs_root, pod) / container["name"]).mkdir(parents=True, exist_ok=True)
        try:
            container_id = await self.runtime.create_container(sandbox_id, config, sb_config)
        except RuntimeApiError as exc:
            self.recorder.event(pod, WARNING, "Failed", f"Error: {exc}", field_path=ref_path)
            raise ContainerStartError("CreateContainerError", str(exc)) from None
        self.recorder.event(
            pod, NORMAL, "Created", f"Created container: {container['name']}", field_path=ref_path
        )
        try:
            await self.runtime.start_container(container_id)
        except RuntimeApiError as exc:
            self.recorder.event(pod, WARNING, "Failed", f"Error: {exc}", field_path=ref_path)
            raise ContainerStartError("RunContainerError", str(exc)) from None
        self.recorder.event(
            pod, NORMAL, "Started", f"Started container {container['name']}", field_path=ref_path
        )
        post_start = (container.get("lifecycle") or {}).get("postStart")
        if post_start:
            error = await run_hook(
                self.runtime,
                post_start,
                container=container,
                container_id=container_id,
                pod_ip=pod_ips[0] if pod_ips else "",
                timeout=30,
            )
            if error is not None:
                self.recorder.event(pod, WARNING, "FailedPostStartHook", error, field_path=ref_path)
                await self._stop(container_id, MIN_GRACE_SECONDS)
                raise ContainerStartError("PostStartHookError", error)
        return container_id

    def _termination_log_mount(self, pod: Obj, container: Obj) -> api.Mount:
        directory = self.pods_root / pod["metadata"]["uid"] / "containers" / container["name"]
        directory.mkdir(parents=True, exist_ok=True)
        host_file = directory / secrets.token_hex(4)
        host_file.touch(mode=0o666)
        return api.Mount(
            container_path=container.get("terminationMessagePath", "/dev/termination-log"),
            host_path=str(host_file),
        )

    # -- killing -------------------------------------------------------------------
    def grace_seconds(self, pod: Obj | None, override: int | None = None) -> int:
        if override is not None:
            return max(override, 0)
        if pod is None:
            return 30
        meta_grace = pod["metadata"].get("deletionGracePeriodSeconds")
        if meta_grace is not None:
            return int(meta_grace)
        return int((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))

    async def kill_container(
        self,
        pod: Obj | None,
        record: ContainerRecord,
        *,
        message: str = "",
        grace_override: int | None = None,
    ) -> None:
        if record.state != RUNNING:
            return
        grace = float(self.grace_seconds(pod, grace_override))
        container = None
        if pod is not None:
            spec = pod.get("spec") or {}
            container = next(
                (
                    c
                    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
                    if c.get("name") == record.name
                ),
                None,
            )
        if pod is not None and container is not None:
            ref_path = _container_ref(pod, container, False) or _container_ref(pod, container, True)
            self.recorder.event(
                pod,
                NORMAL,
                "Killing",
                message or f"Stopping container {record.name}",
                field_path=ref_path,
            )
            pre_stop = (container.get("lifecycle") or {}).get("preStop")
            if pre_stop and grace > 0:
                begin = time.monotonic()
                error = await run_hook(
                    self.runtime,
                    pre_stop,
                    container=container,
                    container_id=record.runtime_id,
                    pod_ip=(pod.get("status") or {}).get("podIP", ""),
                    timeout=grace,
                )
                if error is not None:
                    self.recorder.event(
                        pod, WARNING, "FailedPreStopHook", error, field_path=ref_path
                    )
                grace -= time.monotonic() - begin
        await self._stop(record.runtime_id, max(int(grace), MIN_GRACE_SECONDS if grace > 0 else 0))

    async def _stop(self, container_id: str, timeout: int) -> None:
        with contextlib.suppress(NotFound):
            await self.runtime.stop_container(container_id, timeout)

    async def kill_pod(
        self, pod: Obj | None, status: PodRuntimeStatus, *, grace_override: int | None = None
    ) -> None:
        running = [r for r in status.containers if r.state == RUNNING]
        await asyncio.gather(
            *(self.kill_container(pod, r, grace_override=grace_override) for r in running)
        )
        for sandbox in status.sandboxes:
            with contextlib.suppress(NotFound):
                await self.runtime.stop_pod_sandbox(sandbox.id)

    async def remove_pod(self, status: PodRuntimeStatus) -> None:
        """Remove every container and sandbox of a pod that is gone for good."""
        for record in status.containers:
            with contextlib.suppress(NotFound):
                await self.runtime.remove_container(record.runtime_id)
        for sandbox in status.sandboxes:
            try:
                await self.runtime.stop_pod_sandbox(sandbox.id)
                await self.runtime.remove_pod_sandbox(sandbox.id)
            except NotFound:
                pass

    async def prune_dead_containers(
        self, pod: Obj, status: PodRuntimeStatus, keep: int = 1
    ) -> None:
        """Keep only the newest `keep` exited attempts per container (plus the running one)."""
        seen: dict[str, int] = {}
        for record in status.containers:  # newest first
            if record.state != EXITED:
                continue
            seen[record.name] = seen.get(record.name, 0) + 1
            if seen[record.name] > keep + 1:
                with contextlib.suppress(NotFound):
                    await self.runtime.remove_container(record.runtime_id)


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
