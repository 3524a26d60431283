"""Keeping the shared Service address and node-port allocations true to the stored Services
(kube-apiserver's ClusterIP and NodePort repair controllers).

Invariants:
- Each round reads the allocated addresses and ports first, then lists the Services: a member
  allocated that no listed Service uses was either leaked (a create that died between
  allocating and writing its Service) or belongs to a create still in flight; the allocators'
  `repair` frees such a member only after several rounds in a row (kube: 3 rounds of
  3 minutes), by which time any create has finished or failed.
- Members Services use that are not allocated (state restored from an old backup) are
  allocated in the same round. A round that fails (store unavailable) is tried again at the
  next; it never stops the API server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from steersman.api import resources
from steersman.apiserver import codec
from steersman.apiserver.context import ApiContext
from steersman.storage import KeyValue

log = logging.getLogger(__name__)

REPAIR_INTERVAL = 180.0  # kube's repairLoopInterval


def service_allocations(services: Iterable[KeyValue]) -> tuple[list[str], list[int]]:
    """The cluster IPs and node ports the stored Services use."""
    ips: list[str] = []
    ports: list[int] = []
    for kv in services:
        spec: dict[str, Any] = codec.decode(kv).get("spec") or {}
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            if ip and ip != "None":
                ips.append(ip)
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                ports.append(int(port["nodePort"]))
    return ips, ports


async def list_services(ctx: ApiContext) -> list[KeyValue]:
    services = ctx.registry(resources.require("", "v1", "services"))
    return (await ctx.store.list(services.strategy.list_prefix(""))).items


class AllocationRepair:
    def __init__(self, ctx: ApiContext, *, interval: float = REPAIR_INTERVAL) -> None:
        self._ctx = ctx
        self.interval = interval

    async def run_once(self) -> None:
        ctx = self._ctx
        allocated_ips = await ctx.service_ips.allocated()
        allocated_ports = await ctx.node_ports.allocated()
        ips, ports = service_allocations(await list_services(ctx))
        for ip in await ctx.service_ips.repair(allocated_ips, ips):
            log.warning("released leaked cluster IP %s: no Service uses it", ip)
        for port in await ctx.node_ports.repair(allocated_ports, ports):
            log.warning("released leaked node port %d: no Service uses it", port)

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:  # repair must never take the server down: next round
                log.exception("repairing the Service allocation records failed")


__all__ = ["REPAIR_INTERVAL", "AllocationRepair", "list_services", "service_allocations"]
