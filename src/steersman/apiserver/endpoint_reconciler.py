"""The `kubernetes` Service's endpoints: every live API server (kube-apiserver's `lease`
endpoint reconciler, its default).

Invariants:
- Each API server keeps a record of itself, its advertised address and port, at
  `/registry/masterleases/<address>:<port>` in the shared store, written again every `interval`
  seconds (kube: 10 s) so that its revision moves while the server lives.
- A record is live until its revision has stood still for `ttl` seconds (kube: 15 s) of the
  *observing* server's clock: liveness needs no clocks agreeing between machines (etcd leases
  give kube the same). A server seeing a record for the first time trusts it for one `ttl`.
  An expired record is deleted, guarded by the revision found, so a renewal racing the
  deletion wins.
- After each renewal the server rewrites the `default/kubernetes` Endpoints to name every live
  server, addresses sorted, one subset per port (kube-apiserver assumes one port for all; API
  servers sharing one address on several ports, as tests run them, get a subset each), and the
  `kubernetes` EndpointSlice from the first subset (as kube's endpoints adapter does). It
  writes only when the stored objects differ, so idle servers write nothing but their record.
- On a clean stop the server deletes its own record and rewrites the endpoints without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from steersman.api import errors, resources
from steersman.apiserver import codec
from steersman.apiserver.context import ApiContext
from steersman.apiserver.registry import WriteOptions
from steersman.storage import (
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    StorageError,
)

log = logging.getLogger(__name__)

LEASES_PREFIX = "/registry/masterleases/"
RECONCILE_INTERVAL = 10.0
LEASE_TTL = 15.0
_PUT_TRIES = 20


class EndpointReconciler:
    def __init__(
        self,
        ctx: ApiContext,
        address: str,
        port: int,
        *,
        interval: float = RECONCILE_INTERVAL,
        ttl: float = LEASE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx = ctx
        self.address = address
        self.port = port
        self.interval = interval
        self.ttl = ttl
        self._clock = clock
        self._key = f"{LEASES_PREFIX}{address}:{port}"
        # key -> (revision last seen, when it was first seen at that revision)
        self._seen: dict[str, tuple[int, float]] = {}

    # -- records ---------------------------------------------------------------------------------

    async def _renew(self) -> None:
        store = self._ctx.store
        value = orjson.dumps({"address": self.address, "port": self.port})
        current = await store.get(self._key)
        try:
            if current is None:
                await store.create(self._key, value)
            else:
                await store.update(self._key, value, expected_revision=current.mod_revision)
        except (KeyExistsError, ConflictError, KeyNotFoundError):
            pass  # another writer of this very record (a restart of this server): next round

    async def _live(self) -> list[tuple[str, int]]:
        """Every live server's (address, port); expired records are deleted."""
        store = self._ctx.store
        now = self._clock()
        listed = await store.list(LEASES_PREFIX)
        live: list[tuple[str, int]] = []
        seen: dict[str, tuple[int, float]] = {}
        for kv in listed.items:
            last = self._seen.get(kv.key)
            since = last[1] if last is not None and last[0] == kv.mod_revision else now
            seen[kv.key] = (kv.mod_revision, since)
            if kv.key != self._key and now - since > self.ttl:
                await self._expire(kv)
                continue
            record = _record(kv)
            if record is not None:
                live.append(record)
        self._seen = seen
        return live

    async def _expire(self, kv: KeyValue) -> None:
        log.info("API server record %s expired; removing it from the kubernetes endpoints", kv.key)
        with contextlib.suppress(KeyNotFoundError, ConflictError):
            await self._ctx.store.delete(kv.key, expected_revision=kv.mod_revision)

    # -- endpoints -------------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Renew this server's record, then make the endpoints name every live server."""
        await self._renew()
        await self._write_endpoints(leaving=False)

    async def remove(self) -> None:
        """This server stops: take it out of the records and the endpoints."""
        with contextlib.suppress(KeyNotFoundError):
            await self._ctx.store.delete(self._key)
        await self._write_endpoints(leaving=True)

    async def _servers(self, *, leaving: bool) -> list[tuple[str, int]]:
        live = await self._live()
        me = (self.address, self.port)
        if leaving:
            return [server for server in live if server != me]
        return live if me in live else [*live, me]

    async def _write_endpoints(self, *, leaving: bool) -> None:
        async def endpoints() -> dict[str, Any] | None:
            servers = await self._servers(leaving=leaving)
            return endpoints_object(endpoint_subsets(servers)) if servers else None

        async def endpoint_slice() -> dict[str, Any] | None:
            servers = await self._servers(leaving=leaving)
            return endpoint_slice_object(endpoint_subsets(servers)[0]) if servers else None

        await _put_if_changed(self._ctx, "", "endpoints", endpoints)
        await _put_if_changed(self._ctx, "discovery.k8s.io", "endpointslices", endpoint_slice)

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.reconcile()
            except (StorageError, errors.ApiError) as exc:
                log.warning("reconciling the kubernetes endpoints failed: %s", exc)
            except Exception:  # the server must keep serving: try again next interval
                log.exception("reconciling the kubernetes endpoints failed")


def _record(kv: KeyValue) -> tuple[str, int] | None:
    try:
        data = orjson.loads(kv.value)
        return str(data["address"]), int(data["port"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def endpoint_subsets(servers: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """One subset per port, each with its servers' addresses sorted (Endpoints' canonical form)."""
    by_port: dict[int, set[str]] = {}
    for address, port in servers:
        by_port.setdefault(port, set()).add(address)
    return [
        {
            "addresses": [{"ip": address} for address in sorted(by_port[port])],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        }
        for port in sorted(by_port)
    ]


def endpoints_object(subsets: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": subsets,
    }


def endpoint_slice_object(subset: dict[str, Any]) -> dict[str, Any]:
    addresses = [address["ip"] for address in subset["addresses"]]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {
                "kubernetes.io/service-name": "kubernetes",
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
        },
        "addressType": "IPv6" if ":" in addresses[0] else "IPv4",
        "endpoints": [
            {"addresses": [address], "conditions": {"ready": True}} for address in addresses
        ],
        "ports": subset["ports"],
    }


_COMPARED = {
    "endpoints": ("subsets",),
    "endpointslices": ("addressType", "endpoints", "ports"),
}


async def _put_if_changed(
    ctx: ApiContext,
    group: str,
    resource: str,
    wanted: Callable[[], Awaitable[dict[str, Any] | None]],
) -> None:
    """Create or update `default/kubernetes` of `resource` unless it already says what
    `wanted()` says (None: leave it). `wanted()` lists the servers *after* the stored object was
    read, and the write is conditional on that read: of several API servers writing at once,
    the last write is from one that saw every record written before the previous write (each
    server writes its record before reading), so no live server is left out. A write losing to
    another's (409) reads and decides again."""
    registry = ctx.registry(resources.require(group, "v1", resource))
    key = registry.strategy.key("default", "kubernetes")
    for attempt in range(_PUT_TRIES):
        kv = await ctx.store.get(key)
        obj = await wanted()
        if obj is None:
            return
        try:
            if kv is None:
                await registry.create("default", obj, WriteOptions(internal=True))
                return
            stored = codec.decode(kv)
            if _same(stored, obj, resource):
                return
            new = copy.deepcopy(stored)
            for field in _COMPARED[resource]:
                new[field] = obj[field]
            new["metadata"].setdefault("labels", {}).update(obj["metadata"]["labels"])
            await registry.update_from(kv, new, WriteOptions(internal=True))
            return
        except ConflictError:
            pass
        except errors.ApiError as exc:
            if exc.code != 409 or attempt == _PUT_TRIES - 1:
                raise
        await asyncio.sleep(0.01)


def _same(stored: dict[str, Any], wanted: dict[str, Any], resource: str) -> bool:
    labels = stored["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in wanted["metadata"]["labels"].items()):
        return False
    return all(stored.get(field) == wanted[field] for field in _COMPARED[resource])


__all__ = [
    "LEASES_PREFIX",
    "LEASE_TTL",
    "RECONCILE_INTERVAL",
    "EndpointReconciler",
    "endpoint_subsets",
]
