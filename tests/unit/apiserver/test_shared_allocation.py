"""SharedAllocator: allocations two API servers (two allocators on one store) agree on."""

from __future__ import annotations

import asyncio

import pytest

from steersman.apiserver.allocators import AllocationError
from steersman.apiserver.shared_allocation import (
    IndexedAllocationError,
    node_port_allocator,
    service_ip_allocator,
)
from steersman.storage import MemoryStore


async def test_two_servers_never_hand_out_one_member_twice() -> None:
    store = MemoryStore()
    a = service_ip_allocator(store, "10.96.0.0/26")
    b = service_ip_allocator(store, "10.96.0.0/26")
    await a.ensure(["10.96.0.1"])
    await b.ensure([])
    assert await a.allocate("10.96.0.10") == "10.96.0.10"
    with pytest.raises(AllocationError, match="provided IP is already allocated"):
        await b.allocate("10.96.0.10")
    got = await asyncio.gather(*(x.allocate() for x in (a, b) * 30))
    assert len(set(got)) == 60 and "10.96.0.1" not in got and "10.96.0.10" not in got
    with pytest.raises(AllocationError, match="range is full"):
        await b.allocate()
    await a.release(["10.96.0.10"])
    assert await b.allocate("10.96.0.10") == "10.96.0.10"


async def test_many_is_all_or_nothing_and_dry_run_writes_nothing() -> None:
    store = MemoryStore()
    ports = node_port_allocator(store, "30000-30010")
    await ports.ensure([30005])
    before = store.current_revision()
    with pytest.raises(IndexedAllocationError) as err:
        await ports.allocate_many([30001, None, 30005])
    assert err.value.index == 2 and "provided port is already allocated" in str(err.value)
    assert store.current_revision() == before
    assert await ports.allocate_many([30001], dry_run=True) == [30001]
    assert store.current_revision() == before
    assert await ports.allocate_many([30001, 30002]) == [30001, 30002]
    other = node_port_allocator(store, "30000-30010")
    with pytest.raises(AllocationError):
        await other.allocate(30002)


async def test_ensure_adds_but_never_frees() -> None:
    store = MemoryStore()
    a = service_ip_allocator(store, "10.96.0.0/24")
    await a.ensure(["10.96.0.5"])
    await a.allocate("10.96.0.6")
    await service_ip_allocator(store, "10.96.0.0/24").ensure(["10.96.0.7"])
    for taken in ("10.96.0.5", "10.96.0.6", "10.96.0.7"):
        with pytest.raises(AllocationError):
            await a.allocate(taken, dry_run=True)


async def test_one_key_per_member() -> None:
    store = MemoryStore()
    assert await node_port_allocator(store, "30000-30001").allocate(30000) == 30000
    with pytest.raises(AllocationError):
        await node_port_allocator(store, "30000-30001").allocate(30000)
    ips = service_ip_allocator(store, "10.96.0.0/24")
    await ips.allocate("10.96.0.20")
    kv = await store.get("/registry/ipaddresses/10.96.0.20")
    assert kv is not None and b'"kind":"IPAddress"' in kv.value
    assert await store.get("/registry/ranges/servicenodeports/30000") is not None
    await ips.release(["10.96.0.20"])
    assert await store.get("/registry/ipaddresses/10.96.0.20") is None


async def test_a_create_costs_the_same_however_many_services() -> None:
    store = MemoryStore()
    ips = service_ip_allocator(store, "10.96.0.0/16")
    for _ in range(2000):
        await ips.allocate()
    before = store.current_revision()
    await ips.allocate()
    assert store.current_revision() == before + 1  # one small key, not a record of 2000
    kv = await store.get(
        f"/registry/ipaddresses/{(await ips.allocated())[-1].key.rsplit('/', 1)[1]}"
    )
    assert kv is not None and len(kv.value) < 300
