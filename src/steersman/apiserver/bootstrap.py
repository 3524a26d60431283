"""What a fresh cluster has before anyone asks: the system namespaces, the system
PriorityClasses and the `kubernetes` Service; then this server joins the `kubernetes` endpoints
(`endpoint_reconciler`).

Invariants: idempotent — run at every start; existing objects are left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from typing import Any

from steersman.api import errors, resources
from steersman.api.conversion.events import events_v1_to_core
from steersman.apiserver import codec
from steersman.apiserver.allocation_repair import list_services, service_allocations
from steersman.apiserver.context import ApiContext
from steersman.apiserver.endpoint_reconciler import EndpointReconciler
from steersman.apiserver.registry import WriteOptions
from steersman.apiserver.shared_allocation import remove_legacy_records
from steersman.storage.interface import ConflictError, KeyExistsError, KeyNotFoundError, Store

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Kubernetes' built-in PriorityClasses (scheduling/v1 SystemPriorityClasses).
SYSTEM_PRIORITY_CLASSES = (
    (
        "system-node-critical",
        2000001000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2000000000,
        "Used for system critical pods that must run in the cluster, but can be moved to "
        "another node if necessary.",
    ),
)


def _info(group: str, resource: str) -> resources.ResourceInfo:
    return resources.require(group, "v1", resource)


_OLD_EVENTS_V1_PREFIX = "/registry/events.k8s.io/events/"


async def move_events_k8s_io_events(store: Store) -> None:
    """Move events.k8s.io Events an earlier version kept apart to where core Events are: both
    APIs serve the same Events now, stored as core Events (as Kubernetes does)."""
    listed = await store.list(_OLD_EVENTS_V1_PREFIX)
    for kv in listed.items:
        rest = kv.key[len(_OLD_EVENTS_V1_PREFIX) :]
        obj = codec.decode(kv)
        obj["metadata"].pop("resourceVersion", None)
        with contextlib.suppress(KeyExistsError):
            await store.create(
                f"/registry/events/{rest}", codec.encode_for_storage(events_v1_to_core(obj))
            )
        with contextlib.suppress(KeyNotFoundError, ConflictError):
            await store.delete(kv.key, expected_revision=kv.mod_revision)
    if listed.items:
        log.info("moved %d events.k8s.io Events to the core Event keys", len(listed.items))


async def rebuild_allocations(ctx: ApiContext) -> None:
    """Allocate every address and port a stored Service uses."""
    await remove_legacy_records(ctx.store)
    ips, ports = service_allocations(await list_services(ctx))
    await ctx.service_ips.ensure(ips)
    await ctx.node_ports.ensure(ports)


_ENSURE_TRIES = 50  # x 0.1 s: how long to wait for another API server's create to land


async def _ensure(
    ctx: ApiContext,
    group: str,
    resource: str,
    namespace: str,
    obj: dict[str, Any],
    *,
    reserved_ip: str = "",
) -> None:
    """Create `obj` unless it exists. Several API servers bootstrap one store at once: a create
    that loses to another server's (409), or finds the address it asks for taken by that
    server's create in flight (422), waits for that write to land. `reserved_ip` (the
    `kubernetes` Service's) is released if no Service holds it after that wait: it can only
    have leaked from a create that died between allocating it and writing the Service."""
    registry = ctx.registry(_info(group, resource))
    key = registry.strategy.key(namespace, obj["metadata"]["name"])
    for attempt in range(_ENSURE_TRIES + 1):
        if await ctx.store.get(key) is not None:
            return
        try:
            await registry.create(namespace, copy.deepcopy(obj), WriteOptions())
            return
        except errors.ApiError as exc:
            if exc.code not in (409, 422) or attempt == _ENSURE_TRIES:
                raise
            last_wait = attempt == _ENSURE_TRIES - 1
            if exc.code == 422 and reserved_ip and last_wait and not await _holds(ctx, reserved_ip):
                log.warning("releasing leaked address %s of %s", reserved_ip, key)
                await ctx.service_ips.release([reserved_ip])
        await asyncio.sleep(0.1)


async def _holds(ctx: ApiContext, ip: str) -> bool:
    """Whether a stored Service has the cluster IP `ip`."""
    ips, _ = service_allocations(await list_services(ctx))
    return ip in ips


async def bootstrap(
    ctx: ApiContext, *, advertise_address: str, secure_port: int
) -> EndpointReconciler:
    """Ensure the cluster's built-in objects, then put this server in the `kubernetes`
    endpoints; returns the reconciler that keeps it there."""
    await rebuild_allocations(ctx)
    await move_events_k8s_io_events(ctx.store)
    for name in SYSTEM_NAMESPACES:
        await _ensure(
            ctx,
            "",
            "namespaces",
            "",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        )
    for name, value, description in SYSTEM_PRIORITY_CLASSES:
        await _ensure(
            ctx,
            "scheduling.k8s.io",
            "priorityclasses",
            "",
            {
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": name},
                "value": value,
                "description": description,
                "preemptionPolicy": "PreemptLowerPriority",
            },
        )
    service_ip = ctx.service_ips.local.nth(1)
    await _ensure(
        ctx,
        "",
        "services",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": service_ip,
                "ports": [
                    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": secure_port}
                ],
                "sessionAffinity": "None",
            },
        },
        reserved_ip=service_ip,
    )
    reconciler = EndpointReconciler(ctx, advertise_address, secure_port)
    await reconciler.reconcile()
    return reconciler
