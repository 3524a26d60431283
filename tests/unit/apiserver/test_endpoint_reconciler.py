"""The `kubernetes` endpoints name every live API server: servers join, expire when their record
stops moving for a TTL (on the observer's clock), leave on a clean stop, and idle servers do not
rewrite the endpoints."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson

from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.context import ApiContext
from steersman.apiserver.endpoint_reconciler import LEASES_PREFIX, EndpointReconciler
from steersman.storage import MemoryStore

ENDPOINTS = "/registry/services/endpoints/default/kubernetes"
SLICE = "/registry/endpointslices/default/kubernetes"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _ctx(store: MemoryStore) -> ApiContext:
    return ApiContext.build(store, service_cidr="10.96.0.0/12", node_port_range="30000-32767")


async def _read(store: MemoryStore, key: str) -> dict[str, Any]:
    kv = await store.get(key)
    assert kv is not None, key
    obj: dict[str, Any] = orjson.loads(kv.value)
    return obj


async def _servers(store: MemoryStore) -> list[tuple[str, int]]:
    endpoints = await _read(store, ENDPOINTS)
    return [
        (address["ip"], port["port"])
        for subset in endpoints["subsets"]
        for address in subset["addresses"]
        for port in subset["ports"]
    ]


async def _three(store: MemoryStore, clock: Clock) -> list[EndpointReconciler]:
    await bootstrap(_ctx(store), advertise_address="127.0.0.9", secure_port=6443)
    await store.delete(f"{LEASES_PREFIX}127.0.0.9:6443")  # only the three below
    servers = [
        EndpointReconciler(_ctx(store), f"127.0.0.{2 + i}", 6443, ttl=15, clock=clock)
        for i in range(3)
    ]
    for _ in range(2):  # the second round: every server has seen every record at `clock.now`
        for server in servers:
            await server.reconcile()
    return servers


async def test_every_live_server_is_listed_once_sorted() -> None:
    store, clock = MemoryStore(), Clock()
    servers = await _three(store, clock)
    await servers[0].reconcile()
    assert await _servers(store) == [("127.0.0.2", 6443), ("127.0.0.3", 6443), ("127.0.0.4", 6443)]
    endpoints = await _read(store, ENDPOINTS)
    assert len(endpoints["subsets"]) == 1
    assert endpoints["subsets"][0]["ports"] == [{"name": "https", "port": 6443, "protocol": "TCP"}]
    assert endpoints["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] == "true"
    endpoint_slice = await _read(store, SLICE)
    assert [e["addresses"] for e in endpoint_slice["endpoints"]] == [
        ["127.0.0.2"],
        ["127.0.0.3"],
        ["127.0.0.4"],
    ]
    assert endpoint_slice["ports"] == [{"name": "https", "port": 6443, "protocol": "TCP"}]


async def test_idle_servers_rewrite_only_their_records() -> None:
    store, clock = MemoryStore(), Clock()
    servers = await _three(store, clock)
    before = [(await store.get(key)) for key in (ENDPOINTS, SLICE)]
    for _ in range(3):
        clock.now += 10
        for server in servers:
            await server.reconcile()
    after = [(await store.get(key)) for key in (ENDPOINTS, SLICE)]
    assert [kv.mod_revision for kv in after if kv] == [kv.mod_revision for kv in before if kv]


async def test_a_server_that_stops_renewing_expires_after_the_ttl() -> None:
    store, clock = MemoryStore(), Clock()
    first, second, dead = await _three(store, clock)
    # The survivors saw its last renewal by now: it stays listed for one TTL after that, and
    # is gone once the TTL has passed (observed at a survivor's next round, every 5 s here).
    listed_until = 0.0
    for step in range(1, 6):
        clock.now += 5
        await first.reconcile()
        await second.reconcile()
        if ("127.0.0.4", 6443) in await _servers(store):
            listed_until = step * 5
    assert 15 <= listed_until <= 20  # TTL, plus up to one round before a survivor saw the renewal
    assert await _servers(store) == [("127.0.0.2", 6443), ("127.0.0.3", 6443)]
    assert await store.get(f"{LEASES_PREFIX}127.0.0.4:6443") is None
    # It comes back: listed again at its next round.
    await dead.reconcile()
    assert ("127.0.0.4", 6443) in await _servers(store)


async def test_a_clean_stop_leaves_at_once() -> None:
    store, clock = MemoryStore(), Clock()
    first, _, _ = await _three(store, clock)
    await first.remove()
    assert await _servers(store) == [("127.0.0.3", 6443), ("127.0.0.4", 6443)]
    assert await store.get(f"{LEASES_PREFIX}127.0.0.2:6443") is None


async def test_servers_sharing_an_address_get_a_subset_per_port() -> None:
    store, clock = MemoryStore(), Clock()
    await bootstrap(_ctx(store), advertise_address="127.0.0.1", secure_port=6443)
    other = EndpointReconciler(_ctx(store), "127.0.0.1", 7443, clock=clock)
    await other.reconcile()
    endpoints = await _read(store, ENDPOINTS)
    assert [s["ports"][0]["port"] for s in endpoints["subsets"]] == [6443, 7443]
    assert await _servers(store) == [("127.0.0.1", 6443), ("127.0.0.1", 7443)]
    endpoint_slice = await _read(store, SLICE)
    assert endpoint_slice["ports"][0]["port"] == 6443


class ShufflingStore(MemoryStore):
    """Reads and writes yield a random number of times first, so that concurrent
    reconcilers interleave as API servers on one etcd do."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self._random = random.Random(seed)

    async def _yield(self) -> None:
        for _ in range(self._random.randint(0, 6)):
            await asyncio.sleep(0)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        await self._yield()
        return await super().get(*args, **kwargs)

    async def list(self, *args: Any, **kwargs: Any) -> Any:
        await self._yield()
        return await super().list(*args, **kwargs)

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        await self._yield()
        return await super().create(*args, **kwargs)

    async def update(self, *args: Any, **kwargs: Any) -> Any:
        await self._yield()
        return await super().update(*args, **kwargs)


async def test_servers_starting_together_all_end_up_listed() -> None:
    for seed in range(40):
        store, clock = ShufflingStore(seed), Clock()
        await bootstrap(_ctx(store), advertise_address="127.0.0.9", secure_port=6443)
        await EndpointReconciler(_ctx(store), "127.0.0.9", 6443, clock=clock).remove()
        servers = [
            EndpointReconciler(_ctx(store), f"127.0.0.{2 + i}", 6443, clock=clock) for i in range(3)
        ]
        await asyncio.gather(*(server.reconcile() for server in servers))
        expected = [(f"127.0.0.{2 + i}", 6443) for i in range(3)]
        assert await _servers(store) == expected, f"seed {seed}"
