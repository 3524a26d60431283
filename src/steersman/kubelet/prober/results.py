"""Cached probe results per container (Kubernetes' pkg/kubelet/prober/results), one cache per
probe type, with change notification.

Invariants:
- Results are keyed by the full container id as the pod status shows it
  (`containerd://<id>`); a new container attempt has a new id, so results never leak across
  restarts.
- `set` notifies subscribers only when the cached value changes (or is new), as upstream sends
  on its updates channel only then. Callbacks run synchronously in the setter's task and must
  not block; one callback raising does not stop the others.
- `readiness`/`liveness`/`startup(container_id)` answer True (Success), False (Failure) or None
  (Unknown, or nothing cached) — the `ProbeLookup` shape the pod sync and status code read.
- Single event loop, no locks: every mutation happens on the kubelet's loop.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from steersman.kubelet.prober.probe import ProbeType

log = logging.getLogger("steersman.kubelet.prober")


class Result(enum.Enum):
    """results.Result: what the kubelet acts on (a probe Warning is already a Success here)."""

    UNKNOWN = -1
    SUCCESS = 0
    FAILURE = 1

    def __str__(self) -> str:
        return {"UNKNOWN": "UNKNOWN", "SUCCESS": "Success", "FAILURE": "Failure"}[self.name]

    def to_bool(self) -> bool | None:
        return None if self is Result.UNKNOWN else self is Result.SUCCESS


@dataclass(frozen=True)
class Update:
    probe_type: ProbeType
    container_id: str
    result: Result
    pod_uid: str


Subscriber = Callable[[Update], None]


class ResultsManager:
    def __init__(self) -> None:
        self._cache: dict[ProbeType, dict[str, Result]] = {t: {} for t in ProbeType}
        self._subscribers: list[Subscriber] = []

    def get(self, probe_type: ProbeType, container_id: str) -> Result | None:
        return self._cache[probe_type].get(container_id)

    def set(self, probe_type: ProbeType, container_id: str, result: Result, pod_uid: str) -> None:
        cache = self._cache[probe_type]
        if cache.get(container_id) is result:
            return
        cache[container_id] = result
        update = Update(probe_type, container_id, result, pod_uid)
        for callback in list(self._subscribers):
            try:
                callback(update)
            except Exception:
                log.exception("probe result subscriber failed on %s", update)

    def remove(self, probe_type: ProbeType, container_id: str) -> None:
        self._cache[probe_type].pop(container_id, None)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` on every change; returns a function that unsubscribes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _lookup(self, probe_type: ProbeType, container_id: str) -> bool | None:
        result = self._cache[probe_type].get(container_id)
        return None if result is None else result.to_bool()

    def readiness(self, container_id: str) -> bool | None:
        return self._lookup(ProbeType.READINESS, container_id)

    def liveness(self, container_id: str) -> bool | None:
        return self._lookup(ProbeType.LIVENESS, container_id)

    def startup(self, container_id: str) -> bool | None:
        return self._lookup(ProbeType.STARTUP, container_id)
