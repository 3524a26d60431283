"""Repair of the shared Service allocations: a leaked address or port (allocated by a create
that died before writing its Service) is freed after three repairs in a row find it unused;
one a Service uses but that is not allocated is allocated at once; one a create is about to
use is never freed early."""

from __future__ import annotations

from steersman.apiserver.allocation_repair import AllocationRepair
from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.context import ApiContext
from steersman.apiserver.shared_allocation import LEAK_ROUNDS
from steersman.storage import MemoryStore


async def _cluster() -> ApiContext:
    ctx = ApiContext.build(
        MemoryStore(), service_cidr="10.96.0.0/12", node_port_range="30000-32767"
    )
    await bootstrap(ctx, advertise_address="127.0.0.1", secure_port=6443)
    return ctx


async def _members(ctx: ApiContext) -> tuple[set[str], set[int]]:
    ips = {kv.key.rsplit("/", 1)[1] for kv in await ctx.service_ips.allocated()}
    ports = {int(kv.key.rsplit("/", 1)[1]) for kv in await ctx.node_ports.allocated()}
    return ips, ports


async def test_leaked_members_are_freed_after_three_repairs_in_a_row() -> None:
    ctx = await _cluster()
    leaked_ip = await ctx.service_ips.allocate("10.96.5.5")
    leaked_port = await ctx.node_ports.allocate(30500)
    repair = AllocationRepair(ctx)
    for _ in range(LEAK_ROUNDS - 1):
        await repair.run_once()
        ips, ports = await _members(ctx)
        assert leaked_ip in ips and leaked_port in ports
    await repair.run_once()
    ips, ports = await _members(ctx)
    assert leaked_ip not in ips and leaked_port not in ports
    assert "10.96.0.1" in ips  # the kubernetes Service's address is in use: kept


async def test_a_member_that_comes_into_use_restarts_the_count() -> None:
    ctx = await _cluster()
    ip = await ctx.service_ips.allocate("10.96.7.7")
    repair = AllocationRepair(ctx)
    await repair.run_once()
    await repair.run_once()
    # The create that allocated it lands now: its Service uses the address.
    kv = await ctx.store.get("/registry/services/specs/default/kubernetes")
    assert kv is not None
    body = kv.value.replace(b'"kubernetes"', b'"late"', 1).replace(b"10.96.0.1", ip.encode())
    await ctx.store.create("/registry/services/specs/default/late", body)
    for _ in range(LEAK_ROUNDS + 1):
        await repair.run_once()
    ips, _ = await _members(ctx)
    assert ip in ips


async def test_members_in_use_but_missing_are_added_at_once() -> None:
    ctx = await _cluster()
    await ctx.service_ips.release(["10.96.0.1"])  # lost: state restored from an old backup
    assert "10.96.0.1" not in (await _members(ctx))[0]
    await AllocationRepair(ctx).run_once()
    assert "10.96.0.1" in (await _members(ctx))[0]


async def test_a_member_released_and_taken_again_meanwhile_is_kept() -> None:
    ctx = await _cluster()
    ip = await ctx.service_ips.allocate("10.96.9.9")
    for _ in range(LEAK_ROUNDS - 1):
        await ctx.service_ips.repair(await ctx.service_ips.allocated(), ["10.96.0.1"])
    stale = await ctx.service_ips.allocated()
    await ctx.service_ips.release([ip])
    await ctx.service_ips.allocate(ip)  # another create's, written after `stale` was read
    assert await ctx.service_ips.repair(stale, ["10.96.0.1"]) == []
    assert ip in (await _members(ctx))[0]
