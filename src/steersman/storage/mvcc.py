"""The in-memory MVCC index every backend is built on (etcd's model, kine's shape).

State kept:
- `_current`: key -> KeyValue of every live key at `current_revision()`, sorted by key so a
  prefix is one contiguous range (lists and counts are range scans / bisections).
- `_history`: key -> that key's versions `(revision, KeyValue | None)` in revision order; `None`
  is a tombstone. For every R in [compacted, current] the newest version with revision <= R is
  the key's state at R. Compaction to C keeps, per key, only the newest version <= C (and only
  if it is live) plus everything newer, so reads at R >= C stay exact.
- `_log`: every event with compacted < revision <= current, in revision order (watch replay).

Invariants:
- Revisions only grow; `apply` takes events in strictly increasing revision order.
- A `Batch` plans writes against the index plus its own earlier writes, so a group of writes
  is checked (compare-and-swap) exactly as if applied one by one; nothing is visible until
  `apply`, which changes the state and fans events out in one synchronous step.
- A watcher sees, in revision order and without gaps or duplicates, every event under its
  prefix after its start revision: its replay snapshot is taken and it is registered for live
  events in the same synchronous call, so no event can fall between the two.
- A watcher buffers at most `queue_size` live events; past that it stops receiving, yields
  what it buffered and then raises `WatchOverflowError` so its client re-watches from the last
  revision it saw (etcd/kube-apiserver likewise drop slow watchers).

Concurrency: not thread-safe; used from one asyncio event loop. Every method is synchronous
except watcher iteration, so readers never observe a half-applied batch.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from sortedcontainers import SortedDict

from steersman.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    Preconditions,
    WatchEvent,
    WatchOverflowError,
    check_preconditions,
)

DEFAULT_WATCH_QUEUE_SIZE = 10_000

Version = tuple[int, KeyValue | None]
_version_revision = itemgetter(0)


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: unbounded)."""
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


def _version_at(versions: list[Version], revision: int) -> KeyValue | None:
    i = bisect_right(versions, revision, key=_version_revision)
    return versions[i - 1][1] if i else None


class PlannedWrite(NamedTuple):
    event: WatchEvent
    # The revision of the key's previous version (a tombstone for a re-create), 0 if none is
    # kept: kine's `prev_revision`, which UNIQUE(name, prev_revision) turns into a CAS guard.
    prev_revision: int


class Batch:
    """Plans writes in revision order against the index plus the batch's own earlier writes."""

    def __init__(self, index: MvccIndex) -> None:
        self._index = index
        self._overlay: dict[str, Version] = {}
        self.next_revision = index.current_revision() + 1
        self.writes: list[PlannedWrite] = []

    def latest(self, key: str) -> KeyValue | None:
        hit = self._overlay.get(key)
        return hit[1] if hit is not None else self._index.latest(key)

    def events(self) -> list[WatchEvent]:
        return [w.event for w in self.writes]

    def create(self, key: str, value: bytes) -> WatchEvent:
        if self.latest(key) is not None:
            raise KeyExistsError(key)
        rev = self.next_revision
        kv = KeyValue(key, value, rev, rev)
        return self._add(WatchEvent("ADDED", kv), self._last_revision(key))

    def update(self, key: str, value: bytes, *, expected_revision: int) -> WatchEvent:
        cur = self.latest(key)
        if cur is None:
            raise KeyNotFoundError(key)
        if cur.mod_revision != expected_revision:
            raise ConflictError(key, cur)
        kv = KeyValue(key, value, cur.create_revision, self.next_revision)
        return self._add(WatchEvent("MODIFIED", kv, cur), cur.mod_revision)

    def delete(
        self, key: str, *, preconditions: Preconditions | None = None, expected_revision: int = 0
    ) -> WatchEvent:
        cur = self.latest(key)
        if cur is None:
            raise KeyNotFoundError(key)
        if expected_revision and cur.mod_revision != expected_revision:
            raise ConflictError(key, cur)
        check_preconditions(cur, preconditions)
        kv = KeyValue(key, cur.value, cur.create_revision, self.next_revision)
        return self._add(WatchEvent("DELETED", kv, cur), cur.mod_revision)

    def _last_revision(self, key: str) -> int:
        hit = self._overlay.get(key)
        return hit[0] if hit is not None else self._index.last_revision(key)

    def _add(self, event: WatchEvent, prev_revision: int) -> WatchEvent:
        kv = event.kv
        self._overlay[kv.key] = (kv.mod_revision, None if event.type == "DELETED" else kv)
        self.writes.append(PlannedWrite(event, prev_revision))
        self.next_revision += 1
        return event


@dataclass(frozen=True, slots=True)
class CompactionPlan:
    revision: int
    # Revisions of the versions (rows) compaction drops, ascending.
    dropped: list[int]
    # key -> how many of its leading versions to drop (all of them: the key is forgotten).
    trim: dict[str, int]


class MvccIndex:
    def __init__(
        self, *, watch_queue_size: int = DEFAULT_WATCH_QUEUE_SIZE, shared_revisions: bool = False
    ) -> None:
        self._current: Any = SortedDict()  # str -> KeyValue
        self._history: Any = SortedDict()  # str -> list[Version]
        self._log: list[WatchEvent] = []
        self._log_revisions: list[int] = []
        self._revision = 0
        self._compacted = 0
        self._watchers: dict[str, set[MvccWatcher]] = {}
        self._watch_queue_size = watch_queue_size
        self._closed = False
        # An etcd transaction may write several keys at one revision; our own backends never do.
        self._shared_revisions = shared_revisions

    # -- reads ---------------------------------------------------------------------------------

    def current_revision(self) -> int:
        return self._revision

    def compacted_revision(self) -> int:
        return self._compacted

    def latest(self, key: str) -> KeyValue | None:
        kv: KeyValue | None = self._current.get(key)
        return kv

    def last_revision(self, key: str) -> int:
        """Revision of the key's newest kept version (live or tombstone), 0 if none is kept."""
        versions = self._history.get(key)
        return int(versions[-1][0]) if versions else 0

    def check_revision(self, revision: int) -> None:
        if revision > self._revision:
            raise FutureRevisionError(revision, self._revision)
        if 0 < revision < self._compacted:
            raise CompactedError(revision, self._compacted)

    def get(self, key: str, revision: int = 0) -> KeyValue | None:
        self.check_revision(revision)
        if revision == 0 or revision == self._revision:
            return self.latest(key)
        versions = self._history.get(key)
        return _version_at(versions, revision) if versions else None

    def count(self, prefix: str) -> int:
        lo, hi = self._bounds(self._current, prefix, None)
        return hi - lo

    def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_key: str | None = None
    ) -> ListResult:
        self.check_revision(revision)
        if revision == 0 or revision == self._revision:
            return self._list_current(prefix, limit, start_key)
        return self._list_at(prefix, revision, limit, start_key)

    @staticmethod
    def _range(prefix: str, start_key: str | None) -> tuple[str, str | None]:
        lo = start_key if start_key is not None and start_key > prefix else prefix
        return lo, prefix_end(prefix)

    def _bounds(self, mapping: Any, prefix: str, start_key: str | None) -> tuple[int, int]:
        lo_key, hi_key = self._range(prefix, start_key)
        lo = mapping.bisect_left(lo_key)
        hi = len(mapping) if hi_key is None else mapping.bisect_left(hi_key)
        return lo, max(lo, hi)

    def _list_current(self, prefix: str, limit: int, start_key: str | None) -> ListResult:
        lo, hi = self._bounds(self._current, prefix, start_key)
        if limit <= 0 or hi - lo <= limit:
            return ListResult(self._current.values()[lo:hi], self._revision)
        end = lo + limit
        items = self._current.values()[lo:end]
        return ListResult(items, self._revision, self._current.keys()[end], hi - end)

    def _list_at(self, prefix: str, revision: int, limit: int, start_key: str | None) -> ListResult:
        lo_key, hi_key = self._range(prefix, start_key)
        items: list[KeyValue] = []
        continue_key: str | None = None
        remaining = 0
        history = self._history
        for key in history.irange(lo_key, hi_key, inclusive=(True, False)):
            kv = _version_at(history[key], revision)
            if kv is None:
                continue
            if continue_key is not None:
                remaining += 1
            elif limit > 0 and len(items) == limit:
                continue_key = key
                remaining = 1
            else:
                items.append(kv)
        return ListResult(items, revision, continue_key, remaining)

    # -- writes --------------------------------------------------------------------------------

    def apply(self, events: Sequence[WatchEvent]) -> None:
        """Make planned events visible, in revision order, and fan them out to watchers."""
        for event in events:
            kv = event.kv
            rev = kv.mod_revision
            if rev < self._revision or (rev == self._revision and not self._shared_revisions):
                raise ValueError(f"revision {rev} does not follow {self._revision}")
            versions = self._history.get(kv.key)
            if versions is None:
                versions = self._history[kv.key] = []
            if event.type == "DELETED":
                versions.append((rev, None))
                del self._current[kv.key]
            else:
                versions.append((rev, kv))
                self._current[kv.key] = kv
            self._log.append(event)
            self._log_revisions.append(rev)
            self._revision = rev
        if self._watchers:
            self._fan_out(events)

    def load_snapshot(self, kvs: Iterable[KeyValue], revision: int) -> None:
        """Start an empty index from the state as of `revision`, with history compacted at it
        (a mirror of a store whose older history is gone)."""
        if self._revision or self._current:
            raise ValueError("load_snapshot needs an empty index")
        for kv in kvs:
            self._current[kv.key] = kv
            self._history[kv.key] = [(kv.mod_revision, kv)]
        self._revision = self._compacted = revision

    def advance_to(self, revision: int) -> None:
        """Move the current revision forward without an event (a reopened log whose newest rows
        were compacted away still remembers the revision it reached)."""
        self._revision = max(self._revision, revision)

    def plan_compaction(self, revision: int) -> CompactionPlan:
        """What `compact(revision)` would drop; nothing changes until `apply_compaction`."""
        if revision > self._revision:
            raise FutureRevisionError(revision, self._revision)
        if revision <= self._compacted:
            return CompactionPlan(revision, [], {})
        dropped: list[int] = []
        trim: dict[str, int] = {}
        end = bisect_right(self._log_revisions, revision)
        touched = {event.kv.key for event in self._log[:end]}
        for key in touched:
            versions = self._history[key]
            keep_from = bisect_right(versions, revision, key=_version_revision) - 1
            if keep_from >= 0 and versions[keep_from][1] is None:
                keep_from += 1  # a tombstone at/below the compaction point is forgotten too
            if keep_from > 0:
                trim[key] = keep_from
                dropped.extend(rev for rev, _ in versions[:keep_from])
        dropped.sort()
        return CompactionPlan(revision, dropped, trim)

    def apply_compaction(self, plan: CompactionPlan) -> None:
        if plan.revision <= self._compacted:
            return
        for key, n in plan.trim.items():
            versions = self._history[key]
            del versions[:n]
            if not versions:
                del self._history[key]
        end = bisect_right(self._log_revisions, plan.revision)
        del self._log[:end]
        del self._log_revisions[:end]
        self._compacted = plan.revision

    def compact(self, revision: int) -> CompactionPlan:
        plan = self.plan_compaction(revision)
        self.apply_compaction(plan)
        return plan

    # -- watches -------------------------------------------------------------------------------

    def watch(self, prefix: str, revision: int = 0) -> MvccWatcher:
        if 0 < revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        if revision <= 0:
            revision = self._revision
        replay: list[WatchEvent] = []
        if revision < self._revision:
            replay = self._log[bisect_right(self._log_revisions, revision) :]
        watcher = MvccWatcher(self, prefix, revision, replay, self._watch_queue_size)
        if self._closed:
            watcher.close()
        else:
            self._watchers.setdefault(prefix, set()).add(watcher)
        return watcher

    def _fan_out(self, events: Iterable[WatchEvent]) -> None:
        overflowed: list[MvccWatcher] = []
        for event in events:
            key = event.kv.key
            for prefix, watchers in self._watchers.items():
                if key.startswith(prefix):
                    for watcher in watchers:
                        if not watcher._deliver(event):
                            overflowed.append(watcher)
        for watcher in overflowed:
            self._unregister(watcher)

    def _unregister(self, watcher: MvccWatcher) -> None:
        watchers = self._watchers.get(watcher.prefix)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[watcher.prefix]

    def close(self) -> None:
        """End every watch; later watches end at once."""
        self._closed = True
        for watchers in list(self._watchers.values()):
            for watcher in list(watchers):
                watcher.close()
        self._watchers.clear()


class MvccWatcher:
    """One watch: replays its snapshot of the log, then follows live events."""

    def __init__(
        self,
        index: MvccIndex,
        prefix: str,
        start_revision: int,
        replay: list[WatchEvent],
        queue_size: int,
    ) -> None:
        self.prefix = prefix
        self._index = index
        self._start = start_revision
        self._replay = replay
        self._replay_pos = 0
        self._pending: deque[WatchEvent] = deque()
        self._queue_size = queue_size
        self._last = start_revision  # revision of the newest event yielded (or the start)
        self._waiter: asyncio.Future[None] | None = None
        self._error: WatchOverflowError | None = None
        self._closed = False

    def _deliver(self, event: WatchEvent) -> bool:
        """Queue a live event; False when the watcher overflowed and must be unregistered."""
        if event.kv.mod_revision <= self._start:
            return True  # a watch started at a future revision skips what it did not ask for
        if len(self._pending) >= self._queue_size:
            self._error = WatchOverflowError(self.prefix, self._queue_size)
            self._wake()
            return False
        self._pending.append(event)
        self._wake()
        return True

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> MvccWatcher:
        return self

    async def __anext__(self) -> WatchEvent:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._replay:
                event = self._next_replayed()
                if event is not None:
                    self._last = event.kv.mod_revision
                    return event
            if self._pending:
                event = self._pending.popleft()
                self._last = event.kv.mod_revision
                return event
            if self._error is not None:
                self.close()
                raise self._error
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _next_replayed(self) -> WatchEvent | None:
        replay, prefix = self._replay, self.prefix
        while self._replay_pos < len(replay):
            event = replay[self._replay_pos]
            self._replay_pos += 1
            if event.kv.key.startswith(prefix):
                return event
        self._replay = []  # replay done: let the snapshot go
        return None

    def progress_revision(self) -> int:
        if self._replay or self._pending or self._error is not None:
            return self._last
        # Nothing buffered: every event up to the index's revision has been yielded.
        return max(self._last, self._index.current_revision())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        self._replay = []
        self._index._unregister(self)
        self._wake()
