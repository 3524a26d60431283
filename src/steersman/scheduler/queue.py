"""SchedulingQueue: the active queue (ordered by the profile's QueueSort plugin), the backoff
queue (1 s doubling to 10 s per failed attempt) and the unschedulable pods, which cluster
events move back (Kubernetes' internal/queue).

Invariants:
- A pod (by uid) is in at most one of the three places; `add` of a pod already queued just
  refreshes its object.
- Unschedulable pods go back to the active queue on `move_all_to_active_or_backoff` (a node
  appeared or changed, a pod went away) or after 5 minutes at the latest.
- `pop` waits until a pod is active; single consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_UNSCHEDULABLE_SECONDS = 300.0


@dataclass
class QueuedPodInfo:
    pod: Obj
    attempts: int = 0
    queued_at: float = field(default_factory=time.monotonic)
    unschedulable_since: float = 0.0
    backoff_until: float = 0.0


class _Entry:
    __slots__ = ("info", "less", "seq")

    def __init__(self, info: QueuedPodInfo, seq: int, less: Callable[[Obj, Obj], bool]) -> None:
        self.info = info
        self.seq = seq
        self.less = less

    def __lt__(self, other: _Entry) -> bool:
        a, b = self.info.pod, other.info.pod
        if self.less(a, b):
            return True
        if self.less(b, a):
            return False
        return self.seq < other.seq


def uid_of(pod: Obj) -> str:
    return str(pod["metadata"].get("uid", ""))


class SchedulingQueue:
    def __init__(self, less: Callable[[Obj, Obj], bool]) -> None:
        self.less = less
        self._active: list[_Entry] = []
        self._active_uids: dict[str, _Entry] = {}
        self._backoff: dict[str, QueuedPodInfo] = {}
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: set[str] = set()
        self._seq = itertools.count()
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._active_uids) + len(self._backoff) + len(self._unschedulable)

    def _push_active(self, info: QueuedPodInfo) -> None:
        info.pod["_queued_at"] = info.queued_at
        entry = _Entry(info, next(self._seq), self.less)
        self._active_uids[uid_of(info.pod)] = entry
        heapq.heappush(self._active, entry)
        self._wake.set()

    def add(self, pod: Obj) -> None:
        uid = uid_of(pod)
        if uid in self._active_uids:
            self._active_uids[uid].info.pod = pod
            return
        for place in (self._backoff, self._unschedulable):
            if uid in place:
                place[uid].pod = pod
                return
        if uid in self._in_flight:
            return
        self._push_active(QueuedPodInfo(pod))

    def update(self, pod: Obj) -> None:
        """A queued pod changed: an unschedulable pod gets another try."""
        uid = uid_of(pod)
        info = self._unschedulable.pop(uid, None)
        if info is not None:
            info.pod = pod
            self._to_active_or_backoff(info)
            return
        self.add(pod)

    def delete(self, pod: Obj) -> None:
        uid = uid_of(pod)
        entry = self._active_uids.pop(uid, None)
        if entry is not None:
            self._active.remove(entry)
            heapq.heapify(self._active)
        self._backoff.pop(uid, None)
        self._unschedulable.pop(uid, None)

    def done(self, uid: str) -> None:
        self._in_flight.discard(uid)

    def add_unschedulable(self, info: QueuedPodInfo) -> None:
        """After a failed attempt: wait for a cluster event (or back off on errors)."""
        uid = uid_of(info.pod)
        self._in_flight.discard(uid)
        info.attempts += 1
        info.unschedulable_since = time.monotonic()
        info.backoff_until = time.monotonic() + min(
            INITIAL_BACKOFF * 2 ** (info.attempts - 1), MAX_BACKOFF
        )
        self._unschedulable[uid] = info

    def add_backoff(self, info: QueuedPodInfo) -> None:
        uid = uid_of(info.pod)
        self._in_flight.discard(uid)
        info.attempts += 1
        info.backoff_until = time.monotonic() + min(
            INITIAL_BACKOFF * 2 ** (info.attempts - 1), MAX_BACKOFF
        )
        self._backoff[uid] = info
        self._wake.set()

    def _to_active_or_backoff(self, info: QueuedPodInfo) -> None:
        if info.backoff_until > time.monotonic():
            self._backoff[uid_of(info.pod)] = info
            self._wake.set()
        else:
            self._push_active(info)

    def move_all_to_active_or_backoff(self) -> None:
        moving = list(self._unschedulable.values())
        self._unschedulable.clear()
        for info in moving:
            self._to_active_or_backoff(info)

    def _flush(self) -> float | None:
        """Move due pods; returns seconds until the next one is due."""
        now = time.monotonic()
        for uid, info in list(self._backoff.items()):
            if info.backoff_until <= now:
                del self._backoff[uid]
                self._push_active(info)
        for uid, info in list(self._unschedulable.items()):
            if now - info.unschedulable_since >= MAX_UNSCHEDULABLE_SECONDS:
                del self._unschedulable[uid]
                self._to_active_or_backoff(info)
        due = [i.backoff_until - now for i in self._backoff.values()]
        due += [
            MAX_UNSCHEDULABLE_SECONDS - (now - i.unschedulable_since)
            for i in self._unschedulable.values()
        ]
        return max(min(due), 0.01) if due else None

    async def pop(self) -> QueuedPodInfo:
        while True:
            wait = self._flush()
            if self._active:
                entry = heapq.heappop(self._active)
                uid = uid_of(entry.info.pod)
                self._active_uids.pop(uid, None)
                self._in_flight.add(uid)
                return entry.info
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
