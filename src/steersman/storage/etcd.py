"""`EtcdStore`: the `Store` protocol on a real etcd v3 cluster.

Shape (kube-apiserver's etcd3 store plus its watch cache, in one):
- Writes are etcd transactions guarded by compare-and-swap on the key's revisions, as
  kube-apiserver writes them: create = `create_revision == 0`, update/delete = `mod_revision ==
  expected`. etcd's revision is the resourceVersion; keys are stored under `prefix` as given
  (`/registry/<resource>/<namespace>/<name>` with the default empty prefix).
- Reads and watches are answered from a local `MvccIndex` mirror that follows one etcd watch
  on the whole key space from the revision the mirror has reached. Every etcd revision after
  the first (1, an empty store) is at least one event, so following the whole key space lets
  the mirror reach any revision etcd reports; events outside `prefix` only move it forward.
  When its watch breaks (member death, leader change) it re-watches from the next revision on
  whichever member answers, so local watches continue without a gap. If etcd compacted past
  it meanwhile, it reloads a snapshot and ends the local watches (clients re-watch, 410).
- At start the mirror loads etcd's retained history: a snapshot at etcd's compacted revision,
  then a replay of every later event, so reads at old revisions match etcd's.

Consistency (what several API servers on one etcd rely on):
- A write returns only once etcd acknowledged it *and* the mirror applied it: the writer's
  next read, and `current_revision()`, include it.
- A read of the newest state (`revision=0`), a read beyond the mirror, `guaranteed_update` and
  `delete` first fetch etcd's current revision through the leader and wait for the mirror to
  reach it (kube-apiserver's consistent reads from cache): a write acknowledged by any API
  server is visible. Concurrent readers share one revision fetch started after they arrived.
  A read asked with `consistent=False` (admission checks) is answered from the mirror as is.
- A failed compare-and-swap waits for the mirror to reach the revision etcd answered with, so
  the retry reads what made it fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Sequence
from typing import Any

from aetcd.rpc import kv_pb2, rpc_pb2

from steersman.storage.base import IndexedStore
from steersman.storage.etcd_client import ALL_KEYS, EtcdClient, EtcdUnavailableError
from steersman.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    Preconditions,
    StorageError,
    StoreClosedError,
    WatchEvent,
    check_preconditions,
)
from steersman.storage.mvcc import DEFAULT_WATCH_QUEUE_SIZE, MvccIndex

log = logging.getLogger(__name__)

_EQUAL = rpc_pb2.Compare.CompareResult.EQUAL
_GREATER = rpc_pb2.Compare.CompareResult.GREATER
_CREATE = rpc_pb2.Compare.CompareTarget.CREATE
_MOD = rpc_pb2.Compare.CompareTarget.MOD
_VERSION = rpc_pb2.Compare.CompareTarget.VERSION
_DELETE_EVENT = kv_pb2.Event.EventType.DELETE

# etcd's first revision: a new cluster starts there with no key and no event.
_ETCD_FIRST_REVISION = 1
_SNAPSHOT_PAGE = 1000


def _put(key: bytes, value: bytes, *, prev_kv: bool = False) -> Any:
    put = rpc_pb2.PutRequest(key=key, value=value, prev_kv=prev_kv)
    return rpc_pb2.RequestOp(request_put=put)


def _get(key: bytes) -> Any:
    return rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=key))


def _delete(key: bytes) -> Any:
    return rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=key))


def _exists(key: bytes) -> Any:
    return rpc_pb2.Compare(result=_GREATER, target=_VERSION, key=key, version=0)


def _mod_is(key: bytes, revision: int) -> Any:
    return rpc_pb2.Compare(result=_EQUAL, target=_MOD, key=key, mod_revision=revision)


class EtcdStore(IndexedStore):
    def __init__(
        self,
        client: EtcdClient,
        *,
        prefix: str = "",
        watch_queue_size: int = DEFAULT_WATCH_QUEUE_SIZE,
        sync_timeout: float = 30.0,
    ) -> None:
        super().__init__(self._new_index(watch_queue_size))
        self._client = client
        self._prefix = prefix.encode()
        self._watch_queue_size = watch_queue_size
        self._sync_timeout = sync_timeout
        self._follower: asyncio.Task[None] | None = None
        # (revision, tie-breaker, future): callers waiting for the mirror to reach a revision.
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._tie = itertools.count()
        # Callers waiting for a linearizable revision fetch that starts after they arrived.
        self._revision_waiters: list[asyncio.Future[int]] = []
        self._revision_fetcher: asyncio.Task[None] | None = None

    @staticmethod
    def _new_index(watch_queue_size: int) -> MvccIndex:
        index = MvccIndex(watch_queue_size=watch_queue_size, shared_revisions=True)
        index.advance_to(_ETCD_FIRST_REVISION)
        return index

    async def start(self) -> EtcdStore:
        """Follow etcd and return once the mirror has caught up with etcd's current revision."""
        self._follower = asyncio.create_task(self._follow(), name="etcd-mirror")
        try:
            await self._sync()
        except BaseException:
            await self.close()
            raise
        return self

    # -- keys ------------------------------------------------------------------------------------

    def _etcd_key(self, key: str) -> bytes:
        return self._prefix + key.encode()

    # -- following etcd --------------------------------------------------------------------------

    async def _follow(self) -> None:
        delay = 0.05
        while not self._closed:
            start = self._index.current_revision() + 1
            try:
                watch = self._client.watch(ALL_KEYS, ALL_KEYS, start_revision=start)
                async with contextlib.aclosing(watch) as responses:
                    async for response in responses:
                        delay = 0.05
                        if response.canceled:
                            if response.compact_revision:
                                await self._reload(int(response.compact_revision))
                                break
                            raise StorageError(
                                f"etcd cancelled the watch: {response.cancel_reason}"
                            )
                        if response.events:
                            self._apply(response.events)
            except asyncio.CancelledError:
                raise
            except EtcdUnavailableError as exc:
                log.info("etcd watch lost at revision %d (%s); re-watching", start, exc)
            except Exception:
                log.exception("etcd watch failed at revision %d; re-watching", start)
            else:
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _apply(self, events: Any) -> None:
        index = self._index
        prefix, cut = self._prefix, len(self._prefix)
        planned: list[WatchEvent] = []
        latest: dict[str, KeyValue | None] = {}
        newest = index.current_revision()
        for event in events:
            kv = event.kv
            revision = int(kv.mod_revision)
            if revision > newest:
                newest = revision
            raw = bytes(kv.key)
            if not raw.startswith(prefix):
                continue
            key = raw[cut:].decode("utf-8", "surrogateescape")
            prev = latest[key] if key in latest else index.latest(key)
            if event.type == _DELETE_EVENT:
                latest[key] = None
                if prev is not None:
                    gone = KeyValue(key, prev.value, prev.create_revision, revision)
                    planned.append(WatchEvent("DELETED", gone, prev))
                continue
            new = KeyValue(key, bytes(kv.value), int(kv.create_revision), revision)
            latest[key] = new
            planned.append(WatchEvent("ADDED" if prev is None else "MODIFIED", new, prev))
        if planned:
            index.apply(planned)
        index.advance_to(newest)
        self._wake_waiters(index.current_revision())

    async def _reload(self, compacted: int) -> None:
        """etcd compacted past the mirror: start again from a snapshot at `compacted`."""
        items: list[KeyValue] = []
        start, end = self._prefix or ALL_KEYS, prefix_end_bytes(self._prefix)
        cut = len(self._prefix)
        while True:
            response = await self._client.range(
                start, end, revision=compacted, limit=_SNAPSHOT_PAGE
            )
            for kv in response.kvs:
                key = bytes(kv.key)[cut:].decode("utf-8", "surrogateescape")
                items.append(
                    KeyValue(key, bytes(kv.value), int(kv.create_revision), int(kv.mod_revision))
                )
            if not response.more or not response.kvs:
                break
            start = bytes(response.kvs[-1].key) + b"\x00"
        old = self._index
        index = MvccIndex(watch_queue_size=self._watch_queue_size, shared_revisions=True)
        index.load_snapshot(items, compacted)
        self._index = index
        if old.current_revision() > _ETCD_FIRST_REVISION or old.compacted_revision():
            log.warning(
                "etcd compacted past revision %d: reloaded at %d", old.current_revision(), compacted
            )
        old.close()  # local watches end; their clients re-watch (and get 410 if too old)
        self._wake_waiters(index.current_revision())

    # -- waiting for the mirror ------------------------------------------------------------------

    def _wake_waiters(self, revision: int) -> None:
        waiters = self._waiters
        while waiters and waiters[0][0] <= revision:
            _, _, future = heapq.heappop(waiters)
            if not future.done():
                future.set_result(None)

    async def _caught_up(self, revision: int) -> None:
        """Return once the mirror has applied `revision`."""
        if self._index.current_revision() >= revision:
            return
        self._check_open()
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (revision, next(self._tie), future))
        try:
            await asyncio.wait_for(future, self._sync_timeout)
        except TimeoutError:
            raise EtcdUnavailableError(
                f"the watch cache did not reach revision {revision} in {self._sync_timeout:g}s"
                f" (at {self._index.current_revision()})"
            ) from None

    async def _etcd_revision(self) -> int:
        """etcd's current revision, from a fetch that started after this call did."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._revision_waiters.append(future)
        if self._revision_fetcher is None or self._revision_fetcher.done():
            self._revision_fetcher = asyncio.create_task(self._fetch_revisions())
        return await future

    async def _fetch_revisions(self) -> None:
        while self._revision_waiters:
            batch, self._revision_waiters = self._revision_waiters, []
            try:
                revision = await self._client.current_revision()
            except Exception as exc:
                for future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for future in batch:
                    if not future.done():
                        future.set_result(revision)

    async def _sync(self) -> None:
        """Make every write etcd acknowledged before this call visible in the mirror."""
        self._check_open()
        await self._caught_up(await self._etcd_revision())

    async def _fresh(self, revision: int, consistent: bool) -> None:
        if (revision == 0 and consistent) or revision > self._index.current_revision():
            await self._sync()

    # -- reads -----------------------------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0, consistent: bool = True) -> KeyValue | None:
        await self._fresh(revision, consistent)
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
        await self._fresh(revision, consistent)
        return self._index.list(prefix, revision=revision, limit=limit, start_key=start_key)

    async def check_health(self) -> None:
        """Raise unless etcd answers a linearizable read (the API server's `etcd` health check)."""
        self._check_open()
        await self._client.current_revision()

    async def count(self, prefix: str) -> int:
        await self._sync()
        return self._index.count(prefix)

    # -- writes ----------------------------------------------------------------------------------

    async def _txn(
        self, compare: Sequence[Any], success: Sequence[Any], failure: Sequence[Any]
    ) -> Any:
        self._check_open()
        request = rpc_pb2.TxnRequest(compare=compare, success=success, failure=failure)
        return await self._client.txn(request)

    def _current_of(self, key: str, response: Any) -> KeyValue | None:
        """The key's value from a failed transaction's range answer."""
        ranged = response.responses[0].response_range.kvs if response.responses else []
        if not ranged:
            return None
        kv = ranged[0]
        return KeyValue(key, bytes(kv.value), int(kv.create_revision), int(kv.mod_revision))

    async def create(self, key: str, value: bytes) -> KeyValue:
        ekey = self._etcd_key(key)
        absent = rpc_pb2.Compare(result=_EQUAL, target=_CREATE, key=ekey, create_revision=0)
        response = await self._txn([absent], [_put(ekey, value)], [])
        revision = int(response.header.revision)
        await self._caught_up(revision)
        if not response.succeeded:
            raise KeyExistsError(key)
        return KeyValue(key, value, revision, revision)

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        ekey = self._etcd_key(key)
        response = await self._txn(
            [_exists(ekey), _mod_is(ekey, expected_revision)],
            [_put(ekey, value, prev_kv=True)],  # its create_revision
            [_get(ekey)],
        )
        revision = int(response.header.revision)
        await self._caught_up(revision)
        if not response.succeeded:
            current = self._current_of(key, response)
            if current is None:
                raise KeyNotFoundError(key)
            raise ConflictError(key, current)
        prev = response.responses[0].response_put.prev_kv
        return KeyValue(key, value, int(prev.create_revision), revision)

    async def _before_read_modify_write(self) -> None:
        await self._sync()  # then a conflict waits for the mirror (`update`) before the retry

    async def delete(
        self, key: str, *, preconditions: Preconditions | None = None, expected_revision: int = 0
    ) -> KeyValue:
        ekey = self._etcd_key(key)
        await self._sync()
        while True:
            current = self._index.latest(key)
            if current is None:
                raise KeyNotFoundError(key)
            if expected_revision and current.mod_revision != expected_revision:
                raise ConflictError(key, current)
            check_preconditions(current, preconditions)
            response = await self._txn(
                [_mod_is(ekey, current.mod_revision)], [_delete(ekey)], [_get(ekey)]
            )
            revision = int(response.header.revision)
            await self._caught_up(revision)
            if response.succeeded:
                return KeyValue(key, current.value, current.create_revision, revision)
            # Written or deleted since: the mirror has caught up with that; decide again.

    async def compact(self, revision: int) -> None:
        if revision > self._index.current_revision():
            await self._sync()
            if revision > self._index.current_revision():
                raise FutureRevisionError(revision, self._index.current_revision())
        if revision <= self._index.compacted_revision():
            return
        self._check_open()
        # Several API servers compact the same etcd; one that got there first is no error.
        with contextlib.suppress(CompactedError):
            await self._client.compact(revision)
        self._index.compact(revision)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in (self._follower, self._revision_fetcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for _, _, future in self._waiters:
            if not future.done():
                future.set_exception(StoreClosedError("store is closed"))
        self._waiters.clear()
        self._index.close()
        await self._client.close()


def prefix_end_bytes(prefix: bytes) -> bytes:
    """etcd's range end for every key starting with `prefix` (`\\0`: no upper bound)."""
    stem = prefix.rstrip(b"\xff")
    if not stem:
        return ALL_KEYS
    return stem[:-1] + bytes([stem[-1] + 1])


__all__ = ["EtcdStore", "prefix_end_bytes"]
