"""`MemoryStore`: the MVCC index alone, for tests and throwaway clusters (`memory://`).

Invariants: every write is planned and applied in one synchronous step on the event loop, so
writes are atomic and totally ordered; nothing survives `close()` or the process.
"""

from __future__ import annotations

from steersman.storage.base import IndexedStore
from steersman.storage.interface import KeyValue, Preconditions, WatchEvent
from steersman.storage.mvcc import DEFAULT_WATCH_QUEUE_SIZE, Batch, MvccIndex


class MemoryStore(IndexedStore):
    def __init__(self, *, watch_queue_size: int = DEFAULT_WATCH_QUEUE_SIZE) -> None:
        super().__init__(MvccIndex(watch_queue_size=watch_queue_size))

    def _commit(self, batch: Batch, event: WatchEvent) -> KeyValue:
        self._index.apply(batch.events())
        return event.kv

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        batch = Batch(self._index)
        return self._commit(batch, batch.create(key, value))

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        self._check_open()
        batch = Batch(self._index)
        return self._commit(batch, batch.update(key, value, expected_revision=expected_revision))

    async def delete(
        self, key: str, *, preconditions: Preconditions | None = None, expected_revision: int = 0
    ) -> KeyValue:
        self._check_open()
        batch = Batch(self._index)
        event = batch.delete(key, preconditions=preconditions, expected_revision=expected_revision)
        return self._commit(batch, event)

    async def compact(self, revision: int) -> None:
        self._check_open()
        self._index.compact(revision)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._index.close()
