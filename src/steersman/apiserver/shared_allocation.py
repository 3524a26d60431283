"""Service ClusterIP and NodePort allocations shared by every API server on one store.

Kubernetes keeps each range's allocations in one object in storage (a RangeAllocation under
`/registry/ranges/serviceips` and `/registry/ranges/servicenodeports`) and changes it only by
compare-and-swap; steersman does the same (the record lists the allocated members rather than
holding a bitmap), so API servers sharing an etcd never hand out one address or port twice.

Invariants:
- The record under `key` is the truth. Every allocation and release is one `guaranteed_update`
  of it: the in-memory allocator is loaded from the record just read, decides, and the result
  is written back only if nobody wrote in between (else it is decided again on the new record).
- A failed allocation (full range, a requested member taken, out of range) writes nothing and
  raises `AllocationError`; allocating several members is all-or-nothing.
- A dry run decides against the current record and writes nothing.
- `ensure(used)` (at start) creates a missing record and adds members stored Services use that
  it lacks; it never frees one (a member allocated for a create still in flight on another API
  server must stay allocated). A crash between the record's write and the Service's can thus
  only leak a member, never hand one out twice.
- `repair` (kube's repair controllers, run periodically) rebuilds the record from the stored
  Services: members in use but missing are added at once; a member no Service uses is freed
  only after it was found unused by `LEAK_ROUNDS` repairs in a row (a create still in flight
  between its allocation and its Service's write is never robbed). The rebuilt record is
  written by compare-and-swap on the record that was read before the Services were listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

import orjson

from steersman.apiserver.allocators import AllocationError, IPAllocator, PortAllocator
from steersman.storage.interface import (
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
)

T = TypeVar("T", str, int)

# kube's numRepairsBeforeLeakCleanup: unused in this many repairs in a row, a member is freed.
LEAK_ROUNDS = 3

SERVICE_IPS_KEY = "/registry/ranges/serviceips"
NODE_PORTS_KEY = "/registry/ranges/servicenodeports"


class IndexedAllocationError(AllocationError):
    """An allocation of several members failed at `index` (the request's position)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class SharedAllocator(Generic[T]):
    def __init__(
        self, store: Store, key: str, allocator: Any, range_text: str, *, name: str
    ) -> None:
        self.store = store
        self.key = key
        self.local = allocator  # IPAllocator | PortAllocator: the decision logic
        self.range_text = range_text
        self.name = name
        self._leaks: dict[Any, int] = {}  # member -> repairs in a row that found it unused

    def _record(self) -> bytes:
        return orjson.dumps(
            {
                "kind": "RangeAllocation",
                "apiVersion": "v1",
                "metadata": {"name": self.name},
                "range": self.range_text,
                "allocated": self.local.members(),
            }
        )

    def _load(self, kv: KeyValue) -> None:
        self.local.load(orjson.loads(kv.value).get("allocated") or [])

    async def _change(self, decide: Any, *, dry_run: bool) -> Any:
        """Run `decide()` on the record's members and store the outcome (unless dry run)."""
        result: Any = None
        if dry_run:
            kv = await self.store.get(self.key)
            if kv is None:
                self.local.load([])
            else:
                self._load(kv)
            return decide()

        async def update(kv: KeyValue) -> bytes:
            nonlocal result
            self._load(kv)
            result = decide()
            return self._record()

        while True:
            try:
                await self.store.guaranteed_update(self.key, update)
                return result
            except KeyNotFoundError:
                await self.ensure(())

    async def allocate_many(
        self, requests: Sequence[T | None], *, dry_run: bool = False
    ) -> list[T]:
        """One member per request (a requested value, or any free one for None)."""

        def decide() -> list[T]:
            got: list[T] = []
            for i, requested in enumerate(requests):
                try:
                    got.append(self.local.allocate(requested or None))
                except AllocationError as exc:
                    raise IndexedAllocationError(i, str(exc)) from None
            return got

        if not requests:
            return []
        result: list[T] = await self._change(decide, dry_run=dry_run)
        return result

    async def allocate(self, requested: T | None = None, *, dry_run: bool = False) -> T:
        try:
            return (await self.allocate_many([requested], dry_run=dry_run))[0]
        except IndexedAllocationError as exc:
            raise AllocationError(str(exc)) from None

    async def release(self, values: Iterable[T]) -> None:
        values = list(values)
        if not values:
            return

        def decide() -> None:
            for value in values:
                self.local.release(value)

        await self._change(decide, dry_run=False)

    async def ensure(self, used: Iterable[T]) -> None:
        """Create the record if missing; make sure it holds every member in `used`."""
        used = list(used)

        def decide() -> None:
            for value in used:
                self.local.mark(value)

        try:
            self.local.load(used)
            await self.store.create(self.key, self._record())
            return
        except KeyExistsError:
            pass
        if used:
            await self._change(decide, dry_run=False)

    async def repair(self, recorded: KeyValue | None, used: Iterable[T]) -> list[T]:
        """Rebuild the record read as `recorded` (read *before* listing the Services that gave
        `used`): returns the members freed as leaked. A record changed since is left for the
        next repair."""
        local = self.local
        local.load(orjson.loads(recorded.value).get("allocated") or [] if recorded else [])
        before = local.members()
        local.load(used)
        in_use = set(local.members())
        freed: list[T] = []
        for member in before:
            if member in in_use:
                self._leaks.pop(member, None)
                continue
            rounds = self._leaks.get(member, 0) + 1
            if rounds >= LEAK_ROUNDS:
                self._leaks.pop(member, None)
                freed.append(member)
            else:
                self._leaks[member] = rounds
                local.mark(member)
        for member in [m for m in self._leaks if m not in before]:
            del self._leaks[member]  # released meanwhile
        record = self._record()
        if recorded is not None and local.members() == before:
            return []
        try:
            if recorded is None:
                await self.store.create(self.key, record)
            else:
                await self.store.update(self.key, record, expected_revision=recorded.mod_revision)
        except (ConflictError, KeyExistsError, KeyNotFoundError):
            return []  # written meanwhile: the next repair decides on the new record
        return freed


def service_ip_allocator(store: Store, cidr: str) -> SharedAllocator[str]:
    local = IPAllocator(cidr)
    return SharedAllocator(store, SERVICE_IPS_KEY, local, local.cidr, name="serviceips")


def node_port_allocator(store: Store, port_range: str) -> SharedAllocator[int]:
    local = PortAllocator(port_range)
    return SharedAllocator(store, NODE_PORTS_KEY, local, local.range_text, name="servicenodeports")
