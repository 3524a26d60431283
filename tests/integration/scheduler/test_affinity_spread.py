"""InterPodAffinity and PodTopologySpread in the running scheduler, against an in-process API
server: placements and the FailedScheduling messages, worded as Kubernetes words them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.scheduler import scheduler as scheduler_module
from steersman.scheduler.profile import PluginFactory, registry
from steersman.scheduler.scheduler import Scheduler
from steersman.testing.control_plane import running_apiserver
from tests.integration.scheduler.test_scheduler import until

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        yield c
        await c.close()


@contextlib.asynccontextmanager
async def scheduler(client: RestClient, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """The default scheduler, with its informer factory handed to the plugins as
    `ctx["informers"]` (the wiring these plugins ask scheduler.py for)."""
    factory = InformerFactory(client)
    base = registry()

    def wired() -> dict[str, PluginFactory]:
        out = dict(base)
        for name in ("InterPodAffinity", "PodTopologySpread"):
            make = base[name]
            out[name] = functools.partial(_with_informers, make, factory)
        return out

    monkeypatch.setattr(scheduler_module, "registry", wired)
    task = asyncio.create_task(Scheduler(client, factory=factory).run())
    try:
        await asyncio.sleep(0)
        await asyncio.wait_for(factory.wait_for_cache_sync(), 10)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def node(client: RestClient, name: str, zone: str | None = None) -> None:
    labels = {HOST: name, **({ZONE: zone} if zone else {})}
    status = {"cpu": "2", "memory": "4Gi", "pods": "110"}
    await client.create(
        "/api/v1/nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "status": {
                "allocatable": status,
                "capacity": status,
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
    )


def _with_informers(
    make: PluginFactory, factory: InformerFactory, args: dict[str, Any], ctx: dict[str, Any]
) -> Any:
    return make(args, {**ctx, "informers": factory})


async def pod(
    client: RestClient,
    name: str,
    labels: dict[str, str],
    namespace: str = "default",
    **spec: Any,
) -> None:
    await client.create(
        f"/api/v1/namespaces/{namespace}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "containers": [
                    {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}}
                ],
                **spec,
            },
        },
    )


async def node_of(client: RestClient, name: str, namespace: str = "default") -> str:
    p = await client.get(f"/api/v1/namespaces/{namespace}/pods/{name}")
    return str(p["spec"].get("nodeName", ""))


async def failure(client: RestClient, name: str) -> str:
    async def check() -> str | None:
        p = await client.get(f"/api/v1/namespaces/default/pods/{name}")
        for c in (p.get("status") or {}).get("conditions") or []:
            if c["type"] == "PodScheduled" and c["status"] == "False":
                return str(c["message"])
        return None

    return str(await until(check))


def required(kind: str, app: str, topology: str, **extra: Any) -> dict:
    term = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": topology, **extra}
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}


async def test_anti_affinity_spreads_replicas_then_reports(
    client: RestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await node(client, "n1")
    await node(client, "n2")
    async with scheduler(client, monkeypatch):
        anti = required("podAntiAffinity", "web", HOST)
        await pod(client, "web-0", {"app": "web"}, affinity=anti)
        first = await until(lambda: node_of(client, "web-0"))
        await pod(client, "web-1", {"app": "web"}, affinity=anti)
        second = await until(lambda: node_of(client, "web-1"))
        assert {first, second} == {"n1", "n2"}
        await pod(client, "web-2", {"app": "web"}, affinity=anti)
        assert await failure(client, "web-2") == (
            "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. "
            "preemption: 0/2 nodes are available: "
            "2 No preemption victims found for incoming pod."
        )
        # A pod without rules may not join either: the replicas' rules keep it out.
        await pod(client, "intruder", {"app": "web"})
        assert await failure(client, "intruder") == (
            "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity "
            "rules. preemption: 0/2 nodes are available: "
            "2 No preemption victims found for incoming pod."
        )


async def test_affinity_follows_its_target_zone(
    client: RestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await node(client, "n1", zone="z1")
    await node(client, "n2", zone="z2")
    await node(client, "n3", zone="z2")
    async with scheduler(client, monkeypatch):
        await pod(client, "db", {"app": "db"}, nodeSelector={HOST: "n3"})
        assert await until(lambda: node_of(client, "db")) == "n3"
        for i in range(3):
            await pod(
                client, f"web-{i}", {"app": "web"}, affinity=required("podAffinity", "db", ZONE)
            )
            assert await until(functools.partial(node_of, client, f"web-{i}")) in ("n2", "n3")
        await pod(client, "orphan", {"app": "x"}, affinity=required("podAffinity", "cache", ZONE))
        assert await failure(client, "orphan") == (
            "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        )


async def test_namespace_selector_finds_pods_in_labelled_namespaces(
    client: RestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.create(
        "/api/v1/namespaces",
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "data", "labels": {"team": "db"}},
        },
    )
    await node(client, "n1")
    await node(client, "n2")
    async with scheduler(client, monkeypatch):
        await pod(client, "db", {"app": "db"}, namespace="data", nodeSelector={HOST: "n2"})
        assert await until(lambda: node_of(client, "db", "data")) == "n2"
        near = required(
            "podAffinity", "db", HOST, namespaceSelector={"matchLabels": {"team": "db"}}
        )
        await pod(client, "near", {"app": "web"}, affinity=near)
        assert await until(lambda: node_of(client, "near")) == "n2"
        # Without the selector the term looks in the pod's own namespace only.
        await pod(client, "blind", {"app": "web"}, affinity=required("podAffinity", "db", HOST))
        assert "didn't match pod affinity rules" in await failure(client, "blind")


async def test_topology_spread_balances_zones_then_reports(
    client: RestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await node(client, "a", zone="z1")
    await node(client, "b", zone="z2")
    await node(client, "c")  # no zone label
    spread = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "foo"}},
    }
    async with scheduler(client, monkeypatch):
        placed = []
        for i in range(4):
            await pod(client, f"foo-{i}", {"app": "foo"}, topologySpreadConstraints=[spread])
            placed.append(await until(functools.partial(node_of, client, f"foo-{i}")))
        assert sorted(placed) == ["a", "a", "b", "b"]
        strict = {**spread, "minDomains": 3}
        await pod(client, "foo-x", {"app": "foo"}, topologySpreadConstraints=[strict])
        assert await failure(client, "foo-x") == (
            "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints "
            "(missing required label), 2 node(s) didn't match pod topology spread constraints. "
            "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
            "2 No preemption victims found for incoming pod."
        )


async def test_anti_affinity_can_be_resolved_by_preemption(
    client: RestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await node(client, "only")
    async with scheduler(client, monkeypatch):
        await pod(client, "low", {"app": "web"}, priority=0)
        assert await until(lambda: node_of(client, "low")) == "only"
        await client.create(
            "/apis/scheduling.k8s.io/v1/priorityclasses",
            {
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": "high"},
                "value": 1000,
            },
        )
        anti = required("podAntiAffinity", "web", HOST)
        await pod(client, "high", {"app": "other"}, priorityClassName="high", affinity=anti)

        async def low_deleting() -> bool:
            p = await client.get("/api/v1/namespaces/default/pods/low")
            return bool(p["metadata"].get("deletionTimestamp"))

        await until(low_deleting)
        await client.delete("/api/v1/namespaces/default/pods/low", {"gracePeriodSeconds": 0})
        assert await until(lambda: node_of(client, "high")) == "only"
