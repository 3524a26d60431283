"""Service ClusterIP and NodePort allocations shared by every API server on one store.

One key per allocated member: `/registry/ipaddresses/<ip>` (where Kubernetes keeps its
IPAddress objects since its ServiceCIDR allocator) and `/registry/ranges/servicenodeports/<port>`.
Allocating a member is creating its key, which the store does atomically (it fails if any API
server holds it); releasing is deleting it. So API servers sharing an etcd never hand out one
address or port twice, and an allocation costs the same however many Services exist (an
earlier single record listing every member cost O(Services) per create).

Invariants:
- A member is allocated exactly while its key exists.
- A requested member that is out of range or taken raises `AllocationError` (Kubernetes'
  wording) and writes nothing. Allocating several is all-or-nothing: requested members are
  checked before any is created, and keys created before a failure (a race lost to another
  server) are deleted again (`IndexedAllocationError` names the failing request).
- A random member: candidates (random probes, then the whole range in order) are checked
  against the local copy of the store and the first free one is created; one lost to another
  server's create meanwhile is skipped. No free candidate: the range is full.
- A dry run checks against the store and writes nothing.
- `ensure(used)` (at start) creates the keys of members stored Services use; it never deletes.
  A crash between a key's create and the Service's can only leak a member, never hand one
  out twice; `repair` (kube's repair controllers) frees a member only after `LEAK_ROUNDS`
  repairs in a row found no Service using it, so a create still in flight keeps its member.
"""

from __future__ import annotations

import contextlib
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

SERVICE_IPS_PREFIX = "/registry/ipaddresses/"
NODE_PORTS_PREFIX = "/registry/ranges/servicenodeports/"
# The single records an earlier version kept; bootstrap removes them (`remove_legacy_records`).
LEGACY_RECORDS = ("/registry/ranges/serviceips", "/registry/ranges/servicenodeports")

# kube's numRepairsBeforeLeakCleanup: unused in this many repairs in a row, a member is freed.
LEAK_ROUNDS = 3


class IndexedAllocationError(AllocationError):
    """An allocation of several members failed at `index` (the request's position)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class SharedAllocator(Generic[T]):
    def __init__(self, store: Store, prefix: str, local: Any, *, member: type[T]) -> None:
        self.store = store
        self.prefix = prefix
        self.local = local  # IPAllocator | PortAllocator: validation and candidates
        self._member: type[T] = member
        self._leaks: dict[T, int] = {}  # member -> repairs in a row that found it unused

    def key(self, member: T) -> str:
        return f"{self.prefix}{member}"

    def _value(self, member: T) -> bytes:
        if self._member is str:
            return orjson.dumps(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IPAddress",
                    "metadata": {
                        "name": member,
                        "labels": {
                            "ipaddress.kubernetes.io/ip-family": "IPv6"
                            if ":" in str(member)
                            else "IPv4",
                            "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
                        },
                    },
                }
            )
        return orjson.dumps({"port": member})

    async def _taken(self, member: T) -> bool:
        return await self.store.get(self.key(member), consistent=False) is not None

    async def _create(self, member: T) -> bool:
        try:
            await self.store.create(self.key(member), self._value(member))
        except KeyExistsError:
            return False
        return True

    async def _pick(self, avoid: set[T], *, dry_run: bool) -> T:
        for candidate in self.local.candidates():
            if candidate in avoid or await self._taken(candidate):
                continue
            if dry_run or await self._create(candidate):
                return candidate  # type: ignore[no-any-return]
        raise self.local.full_error()

    async def allocate_many(
        self, requests: Sequence[T | None], *, dry_run: bool = False
    ) -> list[T]:
        """One member per request (a requested value, or any free one for None)."""
        requested_members = await self._check_requested(requests)
        got: list[T] = []
        try:
            for i, requested in enumerate(requests):
                try:
                    if requested:
                        member: T = self.local.validate(requested)
                        taken = member in got or (
                            await self._taken(member) if dry_run else not await self._create(member)
                        )
                        if taken:
                            raise self.local.taken_error(requested)
                    else:
                        avoid = requested_members.union(got)
                        member = await self._pick(avoid, dry_run=dry_run)
                except AllocationError as exc:
                    raise IndexedAllocationError(i, str(exc)) from None
                got.append(member)
        except BaseException:
            if not dry_run:
                await self.release(got)
            raise
        return got

    async def _check_requested(self, requests: Sequence[T | None]) -> set[T]:
        """Fail before writing anything when a requested member is invalid or visibly taken
        (a create racing another server's can still fail later, and undoes its writes)."""
        wanted: set[T] = set()
        for i, requested in enumerate(requests):
            if not requested:
                continue
            try:
                member: T = self.local.validate(requested)
                if member in wanted or await self._taken(member):
                    raise self.local.taken_error(requested)
            except AllocationError as exc:
                raise IndexedAllocationError(i, str(exc)) from None
            wanted.add(member)
        return wanted

    async def allocate(self, requested: T | None = None, *, dry_run: bool = False) -> T:
        try:
            return (await self.allocate_many([requested], dry_run=dry_run))[0]
        except IndexedAllocationError as exc:
            raise AllocationError(str(exc)) from None

    async def release(self, values: Iterable[T]) -> None:
        for value in values:
            with contextlib.suppress(KeyNotFoundError):
                await self.store.delete(self.key(value))

    def _members(self, used: Iterable[T]) -> set[T]:
        """The members of `used` this range holds, in canonical form."""
        members: set[T] = set()
        for value in used:
            with contextlib.suppress(AllocationError, ValueError):
                members.add(self.local.validate(value))
        return members

    async def ensure(self, used: Iterable[T]) -> None:
        """Make sure every member in `used` is allocated."""
        for member in sorted(self._members(used)):
            await self._create(member)

    async def allocated(self) -> list[KeyValue]:
        """Every allocated member's key (read before listing the Services, for `repair`)."""
        return (await self.store.list(self.prefix)).items

    def _member_of(self, kv: KeyValue) -> T:
        return self._member(kv.key[len(self.prefix) :])

    async def repair(self, allocated: list[KeyValue], used: Iterable[T]) -> list[T]:
        """Given `allocated` (read *before* listing the Services that gave `used`): allocate
        members in use that lack a key; free those found unused `LEAK_ROUNDS` times in a row.
        Returns the members freed as leaked."""
        in_use = self._members(used)
        seen: set[T] = set()
        freed: list[T] = []
        for kv in allocated:
            member = self._member_of(kv)
            seen.add(member)
            if member in in_use:
                self._leaks.pop(member, None)
                continue
            rounds = self._leaks.get(member, 0) + 1
            if rounds < LEAK_ROUNDS:
                self._leaks[member] = rounds
                continue
            self._leaks.pop(member, None)
            # Only the key as it was read: one released and allocated again meanwhile stays.
            with contextlib.suppress(KeyNotFoundError, ConflictError):
                await self.store.delete(kv.key, expected_revision=kv.mod_revision)
                freed.append(member)
        for member in [m for m in self._leaks if m not in seen]:
            del self._leaks[member]  # released meanwhile
        for member in sorted(in_use - seen):
            await self._create(member)
        return freed


def service_ip_allocator(store: Store, cidr: str) -> SharedAllocator[str]:
    return SharedAllocator(store, SERVICE_IPS_PREFIX, IPAllocator(cidr), member=str)


def node_port_allocator(store: Store, port_range: str) -> SharedAllocator[int]:
    return SharedAllocator(store, NODE_PORTS_PREFIX, PortAllocator(port_range), member=int)


async def remove_legacy_records(store: Store) -> None:
    """Delete the single allocation records an earlier version kept (the keys above replace
    them; bootstrap's `ensure` rebuilds the keys from the stored Services)."""
    for key in LEGACY_RECORDS:
        with contextlib.suppress(KeyNotFoundError):
            await store.delete(key)
