"""The `Store` protocol: what the API server needs from a storage backend.

Model (etcd's, which kine copies): a flat, ordered key space of byte values; every write
gets the next global revision; a key's `mod_revision` is the revision of its last write and
is what clients see as `metadata.resourceVersion`.

Invariants every backend keeps (tests/conformance checks them):
- Revisions are positive, strictly increasing, one per successful write (create/update/delete).
- A write returns only after it is durable (for persistent backends).
- `update`/`delete` with an expected revision are compare-and-swap: they fail with
  `ConflictError` if the key changed since.
- `list` and `get` at `revision=0` read the newest state; at `revision=R>0` they read the
  state as of R, or raise `CompactedError` if R was compacted, or `FutureRevisionError` if R
  is beyond the current revision.
- `watch(prefix, revision=R)` yields, in revision order and without gaps, every event on keys
  under `prefix` with revision > R (R=0: from now). R older than the compacted revision raises
  `CompactedError` when the watch starts.
- Values are opaque bytes; preconditions on `uid` decode `metadata.uid` from JSON values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import orjson


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int


EventType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    # For DELETED: the last value of the key, with mod_revision = the deletion's revision.
    kv: KeyValue
    prev_kv: KeyValue | None = None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


@dataclass(frozen=True, slots=True)
class ListResult:
    items: list[KeyValue]
    revision: int  # the revision the list was read at
    # When `limit` cut the list: the key the next page starts at (inclusive), else None.
    continue_key: str | None = None
    remaining: int = 0  # how many more items match after this page (0 when complete)


@dataclass(frozen=True, slots=True)
class Preconditions:
    uid: str | None = None
    resource_version: int | None = None


class StorageError(Exception):
    """Base of all storage errors."""


class KeyExistsError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key


class KeyNotFoundError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class ConflictError(StorageError):
    """A compare-and-swap failed: the key was written since the expected revision."""

    def __init__(self, key: str, current: KeyValue | None = None) -> None:
        super().__init__(f"conflict on key: {key}")
        self.key = key
        self.current = current


class PreconditionError(StorageError):
    """A uid or resourceVersion precondition did not hold."""

    def __init__(self, key: str, field: str, expected: str, actual: str) -> None:
        super().__init__(f"precondition failed on {key}: {field} expected {expected}, got {actual}")
        self.key = key
        self.field = field  # "uid" | "resourceVersion"
        self.expected = expected
        self.actual = actual


class CompactedError(StorageError):
    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(
            f"revision {requested} has been compacted (compacted revision {compacted})"
        )
        self.requested = requested
        self.compacted = compacted


class FutureRevisionError(StorageError):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"revision {requested} is in the future (current revision {current})")
        self.requested = requested
        self.current = current


def check_preconditions(kv: KeyValue, preconditions: Preconditions | None) -> None:
    """Raise `PreconditionError` unless `kv` satisfies `preconditions`."""
    if preconditions is None:
        return
    if (
        preconditions.resource_version is not None
        and preconditions.resource_version != kv.mod_revision
    ):
        raise PreconditionError(
            kv.key, "resourceVersion", str(preconditions.resource_version), str(kv.mod_revision)
        )
    if preconditions.uid is not None:
        uid = orjson.loads(kv.value).get("metadata", {}).get("uid", "")
        if uid != preconditions.uid:
            raise PreconditionError(kv.key, "uid", preconditions.uid, uid)


class Watcher(Protocol):
    """An open watch. Iterate for events; `close()` ends the iteration."""

    def __aiter__(self) -> AsyncIterator[WatchEvent]: ...

    async def __anext__(self) -> WatchEvent: ...

    def progress_revision(self) -> int:
        """A revision R such that every event with revision <= R for this watch has already
        been yielded (when the consumer has drained all pending events). Used for bookmarks."""
        ...

    def close(self) -> None: ...


# try_update receives the current value and returns the new value, or None to leave the key
# unchanged. It may raise to abort. It may be called more than once (after a conflict).
UpdateFunc = Callable[[KeyValue], Awaitable[bytes | None]]


class Store(Protocol):
    async def create(self, key: str, value: bytes) -> KeyValue:
        """Create `key`; `KeyExistsError` if it exists."""
        ...

    async def get(self, key: str, *, revision: int = 0, consistent: bool = True) -> KeyValue | None:
        """`consistent=False` (with `revision=0`) lets a backend answer from a local copy that
        may lag writes acknowledged elsewhere (another API server), never this process's own:
        for admission checks Kubernetes answers from informer caches."""
        ...

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        start_key: str | None = None,
        consistent: bool = True,
    ) -> ListResult:
        """Keys under `prefix` in key order, starting at `start_key` (inclusive) if given.
        `limit` 0 means all. `consistent` as for `get`."""
        ...

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        """Compare-and-swap: write only if the key's mod_revision is `expected_revision`.
        `KeyNotFoundError` if absent, `ConflictError` if changed."""
        ...

    async def guaranteed_update(
        self, key: str, try_update: UpdateFunc, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        """Read-modify-write, retried on conflict. Preconditions are checked against each
        value read. `KeyNotFoundError` if absent. Returns the stored (possibly unchanged) value."""
        ...

    async def delete(
        self, key: str, *, preconditions: Preconditions | None = None, expected_revision: int = 0
    ) -> KeyValue:
        """Delete `key`, returning its last value with mod_revision = the deletion revision.
        `KeyNotFoundError` if absent; `ConflictError` if `expected_revision` is set and stale."""
        ...

    def watch(self, prefix: str, *, revision: int = 0) -> Watcher: ...

    async def count(self, prefix: str) -> int: ...

    async def compact(self, revision: int) -> None:
        """Forget history at and below `revision` (the newest value of each live key stays)."""
        ...

    def current_revision(self) -> int: ...

    def compacted_revision(self) -> int: ...

    async def close(self) -> None: ...


class WatchOverflowError(StorageError):
    """A watcher fell too far behind (its buffer filled up) and was terminated; the client
    re-watches from the last revision it saw."""

    def __init__(self, prefix: str, buffered: int) -> None:
        super().__init__(f"watch on {prefix!r} fell behind by more than {buffered} events")
        self.prefix = prefix
        self.buffered = buffered


class StoreClosedError(StorageError):
    """The store was closed (or failed and stopped writing)."""


class StoreUnavailableError(StorageError):
    """The backend could not be reached or did not answer in time; the write may or may not
    have been applied. The API server answers 500 ServerTimeout with Retry-After, as
    kube-apiserver does for an unreachable etcd, so clients retry."""
