"""ProbeManager: one probe worker per (pod uid, container name, probe type), as Kubernetes'
pkg/kubelet/prober/prober_manager.go, and the readiness/started bits of container statuses.

Invariants:
- `add_pod` starts workers for every regular container and every restartable ("sidecar") init
  container that has a probe; if a worker for the pod already exists it does nothing more
  (upstream's AddPod returns there), so calling it on every sync is harmless.
- `remove_pod`, `stop_liveness_and_startup` and `cleanup_pods` only ask workers to stop; a
  worker unregisters itself (and drops its cached result) when it exits.
- Results live in one `ResultsManager` (`self.results`): the pod sync reads
  `results.liveness/startup(container_id)`, status code reads `results.readiness/startup`,
  and `results.subscribe(callback)` reports every change (liveness Failure -> kill the
  container; readiness or startup change -> recompute the pod's status).
- Workers are tasks on the running loop; `close()` (or cancelling `run()`) cancels them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Collection

from steersman.kubelet.prober.clock import REAL_CLOCK, Clock
from steersman.kubelet.prober.exec_probe import ExecSync
from steersman.kubelet.prober.probe import Obj, ProbeType
from steersman.kubelet.prober.prober import ContainerProber, EventSink, Prober
from steersman.kubelet.prober.results import Result, ResultsManager
from steersman.kubelet.prober.worker import Worker

WorkerKey = tuple[str, str, ProbeType]


def _probed_containers(pod: Obj) -> list[Obj]:
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    return list(spec.get("containers") or []) + sidecars


class ProbeManager:
    def __init__(
        self,
        *,
        get_pod_status: Callable[[str], Obj | None],
        exec_sync: ExecSync | None = None,
        recorder: EventSink | None = None,
        prober: ContainerProber | None = None,
        results: ResultsManager | None = None,
        clock: Clock = REAL_CLOCK,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.get_pod_status = get_pod_status
        self.prober: ContainerProber = prober or Prober(exec_sync, recorder)
        self.results = results or ResultsManager()
        self.clock = clock
        self.rand = rand
        self.start = clock.monotonic()
        self._workers: dict[WorkerKey, Worker] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- workers -----------------------------------------------------------------------------

    def add_pod(self, pod: Obj) -> None:
        """Start probe workers for the pod's containers (call from the loop)."""
        uid = str((pod.get("metadata") or {}).get("uid") or "")
        for container in _probed_containers(pod):
            for probe_type in (ProbeType.STARTUP, ProbeType.READINESS, ProbeType.LIVENESS):
                if container.get(probe_type.spec_field) is None:
                    continue
                key = (uid, str(container.get("name") or ""), probe_type)
                if key in self._workers:
                    return
                worker = Worker(self, probe_type, pod, container)
                self._workers[key] = worker
                task = asyncio.get_running_loop().create_task(
                    worker.run(), name=f"probe {probe_type.value} {key[1]} {uid}"
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def remove_pod(self, pod: Obj) -> None:
        """Stop every worker of the pod; their cached results go when they exit."""
        uid = str((pod.get("metadata") or {}).get("uid") or "")
        for key, worker in list(self._workers.items()):
            if key[0] == uid:
                worker.stop()

    def stop_liveness_and_startup(self, pod: Obj) -> None:
        """Stop the pod's liveness and startup workers (the pod is terminating)."""
        uid = str((pod.get("metadata") or {}).get("uid") or "")
        for key, worker in list(self._workers.items()):
            if key[0] == uid and key[2] in (ProbeType.LIVENESS, ProbeType.STARTUP):
                worker.stop()

    def cleanup_pods(self, desired_pod_uids: Collection[str]) -> None:
        """Stop the workers of every pod not in `desired_pod_uids`."""
        for key, worker in list(self._workers.items()):
            if key[0] not in desired_pod_uids:
                worker.stop()

    def get_worker(self, pod_uid: str, container_name: str, probe_type: ProbeType) -> Worker | None:
        return self._workers.get((pod_uid, container_name, probe_type))

    def remove_worker(self, worker: Worker) -> None:
        """Called by a worker as it exits."""
        if self._workers.get(worker.key) is worker:
            del self._workers[worker.key]

    def worker_count(self) -> int:
        return len(self._workers)

    async def run(self) -> None:
        """Hold the workers for the component's lifetime; cancelling this stops them all."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- status ------------------------------------------------------------------------------

    def is_container_started(self, pod_uid: str, container_status: Obj) -> bool:
        if (container_status.get("state") or {}).get("running") is None:
            return False
        result = self.results.get(ProbeType.STARTUP, str(container_status.get("containerID")))
        if result is not None:
            return result is Result.SUCCESS
        # A startup probe that has not run yet: not started. No startup probe: started.
        name = str(container_status.get("name") or "")
        return self.get_worker(pod_uid, name, ProbeType.STARTUP) is None

    def _is_ready(self, pod_uid: str, container_status: Obj) -> bool:
        if (container_status.get("state") or {}).get("running") is None:
            return False
        cid = str(container_status.get("containerID") or "")
        if self.results.get(ProbeType.READINESS, cid) is Result.SUCCESS:
            return True
        worker = self.get_worker(pod_uid, str(container_status.get("name")), ProbeType.READINESS)
        if worker is None:
            return True  # no readiness probe: ready once running and started
        worker.trigger()  # probe now so readiness does not wait a whole period
        return False

    def update_pod_status(self, pod: Obj, status: Obj) -> None:
        """Set `started` and `ready` on the status' container statuses in place
        (UpdatePodStatus): init containers that are not sidecars are ready once exited 0."""
        uid = str((pod.get("metadata") or {}).get("uid") or "")
        for entry in status.get("containerStatuses") or []:
            started = self.is_container_started(uid, entry)
            entry["started"] = started
            if started:
                entry["ready"] = self._is_ready(uid, entry)
        sidecars = {
            c.get("name")
            for c in (pod.get("spec") or {}).get("initContainers") or []
            if c.get("restartPolicy") == "Always"
        }
        for entry in status.get("initContainerStatuses") or []:
            started = self.is_container_started(uid, entry)
            entry["started"] = started
            if entry.get("name") not in sidecars:
                terminated = (entry.get("state") or {}).get("terminated")
                if terminated is not None and terminated.get("exitCode") == 0:
                    entry["ready"] = True
                continue
            if started:
                entry["ready"] = self._is_ready(uid, entry)
