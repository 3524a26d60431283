"""Everything the handlers share: the store, one registry per resource, the allocators.

Invariants: there is exactly one Registry per (group, resource), for the version it is stored
in (requests in other versions convert at the handlers); a group serving another group's
objects (events.k8s.io) has its own Registry over the same keys, holding objects in the
storing group's shape. Registries are created up front, so handlers never race to create them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steersman.api.resources import RESOURCES, STORED_RESOURCES, ResourceInfo
from steersman.apiserver.registry import NamespaceLifecycle, Registry
from steersman.apiserver.shared_allocation import (
    SharedAllocator,
    node_port_allocator,
    service_ip_allocator,
)
from steersman.apiserver.strategies import strategy_for
from steersman.storage.interface import Store


@dataclass
class ApiContext:
    store: Store
    service_ips: SharedAllocator[str]
    node_ports: SharedAllocator[int]
    registries: dict[tuple[str, str], Registry] = field(default_factory=dict)

    @classmethod
    def build(cls, store: Store, *, service_cidr: str, node_port_range: str) -> ApiContext:
        ctx = cls(
            store,
            service_ip_allocator(store, service_cidr),
            node_port_allocator(store, node_port_range),
        )
        namespaces = NamespaceLifecycle(store)
        # Each stored resource, and each group serving another group's objects (its registry
        # reads and writes the same keys, with its own validation and names in errors).
        for info in (*STORED_RESOURCES, *(r for r in RESOURCES if r.storage_group is not None)):
            strategy = strategy_for(info)
            strategy.bind(ctx)
            ctx.registries[(info.group, info.resource)] = Registry(
                info, strategy, store, namespaces
            )
        return ctx

    def registry(self, info: ResourceInfo) -> Registry:
        return self.registries[(info.group, info.resource)]
