"""`IndexedStore`: the read side and read-modify-write loop shared by every MVCC-indexed backend.

Reads (get/list/count/watch) are answered from the in-memory `MvccIndex`, which holds exactly
the acknowledged writes: a backend applies a write to the index only once it is durable, so a
reader never sees a write that could still be lost. Subclasses supply the writes (`create`,
`update`, `delete`, `compact`, `close`).

`guaranteed_update` follows kube-apiserver's GuaranteedUpdate: read the newest value, check the
preconditions, let the caller compute the new value, compare-and-swap it in, and start over
with a fresh read on conflict. A new value byte-identical to the stored one is not written (no
new revision), as Kubernetes does for no-op updates.
"""

from __future__ import annotations

from steersman.storage.interface import (
    ConflictError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    Preconditions,
    StoreClosedError,
    UpdateFunc,
    check_preconditions,
)
from steersman.storage.mvcc import MvccIndex, MvccWatcher


class IndexedStore:
    def __init__(self, index: MvccIndex) -> None:
        self._index = index
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("store is closed")

    # -- writes every backend implements --------------------------------------------------------

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        raise NotImplementedError

    # -- reads ---------------------------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0, consistent: bool = True) -> KeyValue | None:
        return self._index.get(key, revision)

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        start_key: str | None = None,
        consistent: bool = True,
    ) -> ListResult:
        return self._index.list(prefix, revision=revision, limit=limit, start_key=start_key)

    async def count(self, prefix: str) -> int:
        return self._index.count(prefix)

    def watch(self, prefix: str, *, revision: int = 0) -> MvccWatcher:
        return self._index.watch(prefix, revision)

    def current_revision(self) -> int:
        return self._index.current_revision()

    def compacted_revision(self) -> int:
        return self._index.compacted_revision()

    async def _before_read_modify_write(self) -> None:
        """Make the index current enough to start a read-modify-write (a hook: a backend whose
        index can lag the truth catches up here)."""

    async def guaranteed_update(
        self, key: str, try_update: UpdateFunc, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        await self._before_read_modify_write()
        while True:
            self._check_open()
            kv = self._index.latest(key)
            if kv is None:
                raise KeyNotFoundError(key)
            check_preconditions(kv, preconditions)
            new_value = await try_update(kv)
            if new_value is None or new_value == kv.value:
                return kv
            try:
                return await self.update(key, new_value, expected_revision=kv.mod_revision)
            except ConflictError:
                continue  # someone wrote in between: re-read and try again
