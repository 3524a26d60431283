"""`SqliteStore`: a kine-style durable log in SQLite plus the in-memory MVCC index (`sqlite://`).

Reads never touch SQLite: the index, loaded from the log at open, answers them. Writes go
through one writer task that group-commits:
1. it drains every queued write request (up to `max_batch`);
2. plans them in order on a `Batch` (CAS checks against the index plus the batch's earlier
   writes), which assigns consecutive revisions;
3. runs the whole batch as ONE transaction in a dedicated worker thread (the event loop never
   blocks on SQLite or fsync);
4. only after COMMIT returned (durable) applies the batch to the index in revision order, which
   notifies watchers, and resolves the callers' futures.

Invariants:
- A write is acknowledged (its future resolved) only after its transaction committed durably;
  readers and watchers see exactly the acknowledged writes.
- The writer is the only mutator of log and index; compaction takes the same lock, so it runs
  between batches and sees a quiescent index.
- If a commit fails, the index may no longer match the file, so the store stops accepting
  writes (`StoreClosedError`) instead of guessing; reopening reloads the truth from the file.
- `close()` lets queued writes finish, ends every watch and closes the file.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from steersman.storage.base import IndexedStore
from steersman.storage.interface import KeyValue, Preconditions, StoreClosedError, WatchEvent
from steersman.storage.mvcc import (
    DEFAULT_WATCH_QUEUE_SIZE,
    Batch,
    MvccIndex,
    PlannedWrite,
)
from steersman.storage.sqlite_log import Row, SqliteLog

Plan = Callable[[Batch], WatchEvent]
_Request = tuple[Plan, "asyncio.Future[KeyValue]"]

DEFAULT_MAX_BATCH = 1024


def _row(write: PlannedWrite) -> Row:
    event, kv = write.event, write.event.kv
    created = 1 if event.type == "ADDED" else 0
    deleted = 1 if event.type == "DELETED" else 0
    return (
        kv.mod_revision,
        kv.key,
        created,
        deleted,
        kv.create_revision,
        write.prev_revision,
        kv.value,
    )


def _load(log: SqliteLog, index: MvccIndex) -> None:
    """Replay the log into an empty index, then restore the compaction point."""
    for rev, name, created, deleted, create_revision, _prev, value in log.rows():
        prev = index.latest(name)
        if deleted:
            event = WatchEvent("DELETED", KeyValue(name, value, create_revision, rev), prev)
        elif created:
            event = WatchEvent("ADDED", KeyValue(name, value, rev, rev))
        else:
            event = WatchEvent("MODIFIED", KeyValue(name, value, create_revision, rev), prev)
        index.apply((event,))
    index.advance_to(log.current_revision())
    compacted = log.compacted_revision()
    if compacted:
        plan = index.plan_compaction(compacted)
        if plan.dropped:  # rows an older compaction left behind: drop them now
            log.compact(compacted, plan.dropped)
        index.apply_compaction(plan)


class SqliteStore(IndexedStore):
    def __init__(
        self,
        path: str | Path,
        *,
        watch_queue_size: int = DEFAULT_WATCH_QUEUE_SIZE,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        """Open (or create) the database and load it; blocking, meant for startup."""
        super().__init__(MvccIndex(watch_queue_size=watch_queue_size))
        self._log = SqliteLog(path)
        try:
            _load(self._log, self._index)
        except BaseException:
            self._log.close()
            raise
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="steersman-sqlite")
        self._max_batch = max_batch
        self._queue: deque[_Request] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # held by a batch commit or a compaction
        self._failed: BaseException | None = None

    # -- public writes -------------------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        return await self._submit(lambda batch: batch.create(key, value))

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        return await self._submit(
            lambda batch: batch.update(key, value, expected_revision=expected_revision)
        )

    async def delete(
        self, key: str, *, preconditions: Preconditions | None = None, expected_revision: int = 0
    ) -> KeyValue:
        return await self._submit(
            lambda batch: batch.delete(
                key, preconditions=preconditions, expected_revision=expected_revision
            )
        )

    async def compact(self, revision: int) -> None:
        self._check_writable()
        loop = asyncio.get_running_loop()
        async with self._lock:
            plan = self._index.plan_compaction(revision)
            if plan.revision <= self._index.compacted_revision():
                return
            await loop.run_in_executor(
                self._executor, self._log.compact, plan.revision, plan.dropped
            )
            self._index.apply_compaction(plan)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake_writer()
        if self._writer is not None:
            # Finishes the writes queued before close; a writer that died already failed them.
            await asyncio.gather(self._writer, return_exceptions=True)
        async with self._lock:  # waits for a running compaction
            self._index.close()
            await asyncio.get_running_loop().run_in_executor(self._executor, self._log.close)
        self._executor.shutdown(wait=True)

    # -- the writer ----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        self._check_open()
        if self._failed is not None:
            raise StoreClosedError(f"store stopped after a failed write: {self._failed}")

    async def _submit(self, plan: Plan) -> KeyValue:
        self._check_writable()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[KeyValue] = loop.create_future()
        self._queue.append((plan, future))
        if self._writer is None:
            self._writer = loop.create_task(self._run_writer(), name="steersman-sqlite-writer")
        self._wake_writer()
        return await future

    def _wake_writer(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _run_writer(self) -> None:
        loop = asyncio.get_running_loop()
        queue = self._queue
        while True:
            if not queue:
                if self._closed or self._failed is not None:
                    return
                self._wakeup = loop.create_future()
                await self._wakeup
                self._wakeup = None
                continue
            requests = [queue.popleft() for _ in range(min(len(queue), self._max_batch))]
            async with self._lock:
                try:
                    await self._commit(requests)
                except BaseException as exc:
                    self._fail(exc, requests)
                    if not isinstance(exc, Exception):
                        raise  # cancellation / interpreter exit

    async def _commit(self, requests: list[_Request]) -> None:
        batch = Batch(self._index)
        outcomes: list[tuple[asyncio.Future[KeyValue], WatchEvent | Exception]] = []
        for plan, future in requests:
            if future.done():
                continue  # the caller gave up before its write was planned: skip it
            try:
                outcomes.append((future, plan(batch)))
            except Exception as exc:  # a failed check (exists, conflict, precondition, ...)
                outcomes.append((future, exc))
        if batch.writes:
            rows = [_row(write) for write in batch.writes]
            await asyncio.get_running_loop().run_in_executor(self._executor, self._log.append, rows)
            self._index.apply(batch.events())
        for future, outcome in outcomes:
            if future.done():
                continue
            if isinstance(outcome, WatchEvent):
                future.set_result(outcome.kv)
            else:
                future.set_exception(outcome)

    def _fail(self, exc: BaseException, requests: list[_Request]) -> None:
        """A commit failed (or the writer was torn down): refuse every later write."""
        self._failed = exc
        error = StoreClosedError(f"write failed: {exc!r}")
        error.__cause__ = exc
        pending = [*requests, *self._queue]
        self._queue.clear()
        for _, future in pending:
            if not future.done():
                future.set_exception(error)
