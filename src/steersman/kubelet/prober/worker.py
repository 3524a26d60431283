"""A probe worker: probes one container of one pod for one probe type, periodically, as
Kubernetes' pkg/kubelet/prober/worker.go (the default, non-"mutable" worker).

Invariants:
- The worker reads the container's id, state and `started` flag from the pod status the
  kubelet last computed (`get_pod_status(pod uid)`); it probes only a running container, only
  after `initialDelaySeconds` since its `startedAt`, startup probes only until the container
  has started and liveness/readiness probes only after.
- A new container id drops the old id's result and caches the type's initial value for the
  new one: readiness Failure, liveness Success, startup Unknown; probing resumes.
- A result is cached only after `successThreshold`/`failureThreshold` equal results in a row.
  After a liveness Failure, or any cached startup result, the worker holds until a new
  container id appears (the old container is about to be killed or has started).
- A non-running container is cached as Failure; the worker exits when that container will not
  be restarted (terminated under restartPolicy Never), when the pod reaches Succeeded/Failed,
  when stopped, or (liveness/startup) when the pod is being deleted, after caching Success.
- Ticks follow Go's Ticker: every `periodSeconds` from the start, a missed tick fires once at
  once; a manual trigger probes now and restarts the period. When the kubelet started less
  than one period ago the first probe waits a random part of the period (no thundering herd).
- On exit the worker removes its container's cached result and unregisters itself.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import datetime
import logging
from collections.abc import Callable
from typing import Protocol

from steersman.kubelet.prober.clock import Clock
from steersman.kubelet.prober.probe import Obj, ProbeType
from steersman.kubelet.prober.prober import ContainerProber
from steersman.kubelet.prober.results import Result, ResultsManager

log = logging.getLogger("steersman.kubelet.prober")

INITIAL_VALUES = {
    ProbeType.READINESS: Result.FAILURE,
    ProbeType.LIVENESS: Result.SUCCESS,
    ProbeType.STARTUP: Result.UNKNOWN,
}


class WorkerHost(Protocol):
    """What a worker needs from its manager."""

    results: ResultsManager
    prober: ContainerProber
    clock: Clock
    rand: Callable[[], float]
    start: float  # clock.monotonic() when the manager (the kubelet) started
    get_pod_status: Callable[[str], Obj | None]

    def remove_worker(self, worker: Worker) -> None: ...


def parse_time(value: object) -> float | None:
    """RFC 3339 (`2024-01-02T03:04:05Z`) to Unix seconds; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return calendar.timegm(when.utctimetuple()) + when.microsecond / 1e6


def find_container_status(status: Obj, name: str) -> Obj | None:
    """The named container's status that has a container id (regular, then init)."""
    for key in ("containerStatuses", "initContainerStatuses"):
        for entry in status.get(key) or []:
            if entry.get("name") == name and entry.get("containerID"):
                return dict(entry)
    return None


class Worker:
    def __init__(self, host: WorkerHost, probe_type: ProbeType, pod: Obj, container: Obj) -> None:
        self.host = host
        self.probe_type = probe_type
        self.pod = pod
        self.container = container
        spec: Obj = container.get(probe_type.spec_field) or {}
        self.spec = spec
        self.period = float(spec.get("periodSeconds") or 10)
        self.initial_delay = int(spec.get("initialDelaySeconds") or 0)
        self.success_threshold = int(spec.get("successThreshold") or 1)
        self.failure_threshold = int(spec.get("failureThreshold") or 3)
        self.initial_value = INITIAL_VALUES[probe_type]
        meta = pod.get("metadata") or {}
        self.pod_uid = str(meta.get("uid") or "")
        self.container_name = str(container.get("name") or "")
        self.container_id = ""
        self.last_result: Result | None = None
        self.result_run = 0
        self.on_hold = False
        self._stopped = False
        self._triggered = False
        self._wake = asyncio.Event()

    @property
    def key(self) -> tuple[str, str, ProbeType]:
        return (self.pod_uid, self.container_name, self.probe_type)

    def stop(self) -> None:
        """Ask the worker to exit; safe to call many times. A probe in flight completes."""
        self._stopped = True
        self._wake.set()

    def trigger(self) -> None:
        """Probe now (a manual run), unless a trigger is already pending."""
        self._triggered = True
        self._wake.set()

    async def run(self) -> None:
        clock = self.host.clock
        try:
            recently_started = self.period > clock.monotonic() - self.host.start
            if recently_started:
                jitter = self.host.rand() * self.period
                if await self._wait(clock.monotonic() + jitter) == "stop":
                    return
            next_tick = clock.monotonic() + self.period
            while await self.do_probe():
                woke = await self._wait(next_tick)
                if woke == "stop":
                    break
                now = clock.monotonic()
                if woke == "trigger":
                    next_tick = now + self.period
                    continue
                # Go's ticker buffers one tick and drops the others a slow probe missed: the
                # next tick is the first one of the original grid still to come.
                next_tick += self.period
                while next_tick <= now:
                    next_tick += self.period
        finally:
            if self.container_id:
                self.host.results.remove(self.probe_type, self.container_id)
            self.host.remove_worker(self)

    async def _wait(self, deadline: float) -> str:
        """Sleep until `deadline` (monotonic) unless stopped or triggered first."""
        while True:
            if self._stopped:
                return "stop"
            if self._triggered:
                self._triggered = False
                self._wake.clear()
                return "trigger"
            delay = deadline - self.host.clock.monotonic()
            if delay <= 0:
                return "tick"
            self._wake.clear()
            sleeper = asyncio.ensure_future(self.host.clock.sleep(delay))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, waker):
                    if not task.done():
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task

    async def do_probe(self) -> bool:
        """Probe once and record the result; False when the worker should exit."""
        try:
            return await self._do_probe()
        except Exception:
            # Upstream's HandleCrash: a broken probe must not end the worker.
            log.exception("probe worker %s/%s %s", self.pod_uid, self.container_name, self.key)
            return True

    async def _do_probe(self) -> bool:
        results, ptype = self.host.results, self.probe_type
        status = self.host.get_pod_status(self.pod_uid)
        if status is None:
            return True  # not created yet, or already gone
        if status.get("phase") in ("Failed", "Succeeded"):
            return False
        c = find_container_status(status, self.container_name)
        if c is None:
            return True  # the container has not been created yet
        if c["containerID"] != self.container_id:
            if self.container_id:
                results.remove(ptype, self.container_id)
            self.container_id = c["containerID"]
            results.set(ptype, self.container_id, self.initial_value, self.pod_uid)
            self.on_hold = False
        if self.on_hold:
            return True
        state: Obj = c.get("state") or {}
        running = state.get("running")
        if running is None:
            results.set(ptype, self.container_id, Result.FAILURE, self.pod_uid)
            restart_policy = (self.pod.get("spec") or {}).get("restartPolicy", "Always")
            return state.get("terminated") is None or restart_policy != "Never"
        if (self.pod.get("metadata") or {}).get("deletionTimestamp") and ptype in (
            ProbeType.LIVENESS,
            ProbeType.STARTUP,
        ):
            # A quiet shutdown: the container is going away anyway.
            results.set(ptype, self.container_id, Result.SUCCESS, self.pod_uid)
            return False
        started_at = parse_time(running.get("startedAt"))
        if started_at is not None and int(self.host.clock.now() - started_at) < self.initial_delay:
            return True
        if c.get("started"):
            if ptype is ProbeType.STARTUP:
                return True
        elif ptype is not ProbeType.STARTUP:
            return True
        result = await self.host.prober.probe(
            ptype, self.pod, status, self.container, self.container_id
        )
        if result is None:
            return True  # the probe could not run: throw the result away
        if result is self.last_result:
            self.result_run += 1
        else:
            self.last_result = result
            self.result_run = 1
        if (result is Result.FAILURE and self.result_run < self.failure_threshold) or (
            result is Result.SUCCESS and self.result_run < self.success_threshold
        ):
            return True
        results.set(ptype, self.container_id, result, self.pod_uid)
        if (ptype is ProbeType.LIVENESS and result is Result.FAILURE) or ptype is ProbeType.STARTUP:
            self.on_hold = True
            self.result_run = 0
        return True
