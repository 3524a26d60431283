"""The Service strategy's allocation hooks under concurrent updates: the strategy is shared by
every request, so what a failed update gives back is worked out from its own objects (an
update failing beside another must not free the other's new node port), and an update frees
the node ports it drops only once it is written."""

from __future__ import annotations

import copy
from typing import Any

from steersman.api import resources
from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.context import ApiContext
from steersman.storage import MemoryStore


async def _setup() -> tuple[ApiContext, Any]:
    ctx = ApiContext.build(
        MemoryStore(), service_cidr="10.96.0.0/12", node_port_range="30000-32767"
    )
    await bootstrap(ctx, advertise_address="127.0.0.1", secure_port=6443)
    return ctx, ctx.registry(resources.require("", "v1", "services")).strategy


def _service(name: str, *node_ports: int) -> dict[str, Any]:
    ports = [{"name": f"p{p}", "port": p - 30000 + 1, "nodePort": p} for p in node_ports]
    return {"metadata": {"name": name}, "spec": {"type": "NodePort", "ports": ports}}


async def _taken(ctx: ApiContext) -> set[int]:
    return {int(kv.key.rsplit("/", 1)[1]) for kv in await ctx.node_ports.allocated()}


async def test_a_failed_update_frees_only_its_own_new_ports() -> None:
    ctx, strategy = await _setup()
    await ctx.node_ports.ensure([30001, 30002])
    old_a, old_b = _service("a", 30001), _service("b", 30002)
    new_a, new_b = _service("a", 30001, 30101), _service("b", 30002, 30102)
    await strategy.before_update(new_a, copy.deepcopy(old_a), dry_run=False)
    await strategy.before_update(new_b, copy.deepcopy(old_b), dry_run=False)
    assert await _taken(ctx) == {30001, 30002, 30101, 30102}
    await strategy.after_update_failed(new_a, old_a)  # a's write failed, b's is in flight
    assert await _taken(ctx) == {30001, 30002, 30102}


async def test_dropped_ports_are_freed_after_the_write_only() -> None:
    ctx, strategy = await _setup()
    await ctx.node_ports.ensure([30001, 30002])
    old, new = _service("a", 30001, 30002), _service("a", 30001)
    await strategy.before_update(new, copy.deepcopy(old), dry_run=False)
    await strategy.after_update_failed(new, old)
    assert await _taken(ctx) == {30001, 30002}  # the write failed: the Service still has both
    await strategy.before_update(new, copy.deepcopy(old), dry_run=False)
    await strategy.after_update(new, old)
    assert await _taken(ctx) == {30001}
