"""Restart and image-pull back-off, as the kubelet does it: client-go's flowcontrol.Backoff
with the kubelet's parameters (10 s doubling to 300 s, no jitter), the CrashLoopBackOff check
of kuberuntime's doBackOff and the image manager's ImagePullBackOff.

Invariants:
- Times are Unix seconds (floats) from an injectable `clock`; `Backoff` never sleeps, it only
  answers whether an event time still lies inside the current window.
- CrashLoopBackOff: the window starts at the exited container's `finishedAt`; a container that
  ran 10 minutes (600 s between the last restart decision and its exit) starts over at 10 s.
  The key is the pod's name, namespace, uid, the container's name and its spec hash, so a
  changed container spec starts over too (upstream's GetStableKey).
- ImagePullBackOff: the window starts at the failed pull; an entry untouched for twice the
  maximum (600 s) starts over. The Waiting message carries the previous pull error.
- Single event loop, no locks.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steersman.kubelet.pod_actions import container_hash
from steersman.kubelet.prober.goformat import go_duration

Obj = dict[str, Any]
Clock = Callable[[], float]
HasExpired = Callable[[float, float, float], bool]

CONTAINER_BACK_OFF_PERIOD = 10.0  # kubelet's containerBackOffPeriod
MAX_CONTAINER_BACK_OFF = 300.0  # kubelet's MaxContainerBackOff
CONTAINER_BACK_OFF_RESET = 600.0  # a container that ran this long has "recovered"
IMAGE_BACK_OFF_PERIOD = 10.0
MAX_IMAGE_BACK_OFF = 300.0

CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
BACK_OFF_EVENT_REASON = "BackOff"


def default_has_expired(event_time: float, last_update: float, max_duration: float) -> bool:
    """flowcontrol's hasExpired: stable once nothing happened for twice the maximum."""
    return event_time - last_update > max_duration * 2


@dataclass
class _Entry:
    backoff: float
    last_update: float


class Backoff:
    """flowcontrol.Backoff: a per-id exponential window (without jitter, as the kubelet's)."""

    def __init__(
        self,
        initial: float,
        max_duration: float,
        *,
        clock: Clock = time.time,
        has_expired: HasExpired = default_has_expired,
    ) -> None:
        self.initial = initial
        self.max_duration = max_duration
        self.clock = clock
        self.has_expired = has_expired
        self._entries: dict[str, _Entry] = {}

    def get(self, id_: str) -> float:
        """The current window in seconds (0 when the id has none)."""
        entry = self._entries.get(id_)
        return entry.backoff if entry else 0.0

    def next(self, id_: str, event_time: float) -> None:
        """Move the id's window to its next size: start at `initial`, then double up to max."""
        entry = self._entries.get(id_)
        if entry is None or self.has_expired(event_time, entry.last_update, self.max_duration):
            entry = _Entry(self.initial, 0.0)
            self._entries[id_] = entry
        else:
            entry.backoff = min(entry.backoff * 2, self.max_duration)
        entry.last_update = self.clock()

    def reset(self, id_: str) -> None:
        self._entries.pop(id_, None)

    def is_in_back_off_since(self, id_: str, event_time: float) -> bool:
        """True while less than the window has passed since `event_time`."""
        entry = self._entries.get(id_)
        if entry is None or self.has_expired(event_time, entry.last_update, self.max_duration):
            return False
        return self.clock() - event_time < entry.backoff

    def is_in_back_off_since_update(self, id_: str, event_time: float) -> bool:
        """True while `event_time` is less than the window after the last `next`."""
        entry = self._entries.get(id_)
        if entry is None or self.has_expired(event_time, entry.last_update, self.max_duration):
            return False
        return event_time - entry.last_update < entry.backoff

    def gc(self) -> None:
        """Forget ids not updated for twice the maximum (upstream's GC)."""
        now = self.clock()
        for id_ in [
            i for i, e in self._entries.items() if now - e.last_update > self.max_duration * 2
        ]:
            del self._entries[id_]

    def __len__(self) -> int:
        return len(self._entries)


def format_pod(pod: Obj) -> str:
    """format.Pod: `name_namespace(uid)`."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name', '')}_{meta.get('namespace', '')}({meta.get('uid', '')})"


def stable_key(pod: Obj, container: Obj) -> str:
    """GetStableKey: one back-off per container spec of one pod."""
    meta = pod.get("metadata") or {}
    return (
        f"{meta.get('name', '')}_{meta.get('namespace', '')}_{meta.get('uid', '')}_"
        f"{container.get('name', '')}_{container_hash(container)}"
    )


def _seconds(when: datetime.datetime | float) -> float:
    return when.timestamp() if isinstance(when, datetime.datetime) else float(when)


@dataclass(frozen=True)
class BackOffDecision:
    in_back_off: bool
    message: str = ""  # the container's Waiting message (reason CrashLoopBackOff)
    event_message: str = ""  # the Warning event, reason BackOff


class ContainerBackOff:
    """CrashLoopBackOff for restarting containers (kuberuntime's doBackOff)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.backoff = Backoff(
            CONTAINER_BACK_OFF_PERIOD,
            MAX_CONTAINER_BACK_OFF,
            clock=clock,
            # The kubelet's HasExpiredFunc: 10 minutes of running resets the back-off.
            has_expired=lambda event, last, _max: event - last > CONTAINER_BACK_OFF_RESET,
        )

    def do_back_off(
        self, pod: Obj, container: Obj, finished_at: datetime.datetime | float | None
    ) -> BackOffDecision:
        """Decide whether the container may be started again now. `finished_at` is when its
        latest exited attempt finished (None: it never exited, so no back-off). When it may
        start, the window grows for next time, as upstream's doBackOff does."""
        if finished_at is None:
            return BackOffDecision(False)
        key = stable_key(pod, container)
        event_time = _seconds(finished_at)
        name = container.get("name", "")
        if self.backoff.is_in_back_off_since(key, event_time):
            window = go_duration(self.backoff.get(key))
            return BackOffDecision(
                True,
                f"back-off {window} restarting failed container={name} pod={format_pod(pod)}",
                f"Back-off restarting failed container {name} in pod {format_pod(pod)}",
            )
        self.backoff.next(key, event_time)
        return BackOffDecision(False)

    def gc(self) -> None:
        self.backoff.gc()


class ImagePullBackOff:
    """ImagePullBackOff for pulls of one image for one pod (the image manager's back-off)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.backoff = Backoff(IMAGE_BACK_OFF_PERIOD, MAX_IMAGE_BACK_OFF, clock=clock)
        self._previous_errors: dict[str, str] = {}

    @staticmethod
    def key(pod_uid: str, image: str) -> str:
        return f"{pod_uid}_{image}"

    def check(self, pod_uid: str, image: str) -> str | None:
        """The Waiting message (`Back-off pulling image "x": ErrImagePull: ...`) while the pull
        is backing off; None when a pull may be tried now."""
        key = self.key(pod_uid, image)
        if self.backoff.is_in_back_off_since_update(key, self.backoff.clock()):
            message = f'Back-off pulling image "{image}"'
            previous = self._previous_errors.get(key)
            return f"{message}: {previous}" if previous else message
        self._previous_errors.pop(key, None)  # keep the map from growing without bound
        return None

    def pull_failed(self, pod_uid: str, image: str, reason: str, message: str) -> None:
        """Record a failed pull (`reason` is ErrImagePull, ErrImageNeverPull ...)."""
        key = self.key(pod_uid, image)
        self.backoff.next(key, self.backoff.clock())
        self._previous_errors[key] = f"{reason}: {message}"

    def pull_succeeded(self) -> None:
        self.backoff.gc()
