"""The scheduler against an in-process API server with Node objects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.rest import RestClient
from steersman.scheduler.profile import ProfileSpec, default_profile
from steersman.scheduler.scheduler import Scheduler
from steersman.testing.control_plane import running_apiserver

PODS = "/api/v1/namespaces/default/pods"


@contextlib.asynccontextmanager
async def scheduler(client: RestClient, *names: str) -> AsyncIterator[None]:
    profiles: list[ProfileSpec] = [default_profile(n) for n in names] or [default_profile()]
    task = asyncio.create_task(Scheduler(client, profiles=profiles).run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        yield c
        await c.close()


async def node(
    client: RestClient, name: str, cpu: str = "2", taints: list | None = None, **labels: str
) -> None:
    await client.create(
        "/api/v1/nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
            "spec": {"taints": taints} if taints else {},
            "status": {
                "allocatable": {"cpu": cpu, "memory": "4Gi", "pods": "110"},
                "capacity": {"cpu": cpu, "memory": "4Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
    )


async def pod(client: RestClient, name: str, cpu: str = "100m", **spec: Any) -> dict:
    return await client.create(
        PODS,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "containers": [
                    {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": cpu}}}
                ],
                **spec,
            },
        },
    )


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 8.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last {result!r})")
        await asyncio.sleep(0.05)


async def node_of(client: RestClient, name: str) -> str:
    return (await client.get(f"{PODS}/{name}"))["spec"].get("nodeName", "")


async def scheduled_condition(client: RestClient, name: str) -> dict | None:
    p = await client.get(f"{PODS}/{name}")
    for c in p.get("status", {}).get("conditions") or []:
        if c["type"] == "PodScheduled":
            return c
    return None


async def test_binds_to_a_fitting_node_and_records_the_event(client: RestClient) -> None:
    await node(client, "small", cpu="1")
    await node(client, "big", cpu="4")
    async with scheduler(client):
        await pod(client, "web", cpu="2")
        assert await until(lambda: node_of(client, "web")) == "big"
        cond = await until(lambda: scheduled_condition(client, "web"))
        assert cond["status"] == "True"

        async def scheduled_event() -> list:
            events = (await client.get("/api/v1/namespaces/default/events"))["items"]
            return [e for e in events if e["reason"] == "Scheduled"]

        (event,) = await until(scheduled_event)
        assert event["message"] == "Successfully assigned default/web to big"
        assert event["source"]["component"] == "default-scheduler"


async def test_unschedulable_message_as_kubernetes_words_it(client: RestClient) -> None:
    await node(client, "a", cpu="1")
    await node(client, "b", cpu="1")
    await node(
        client, "c", cpu="8", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    )
    async with scheduler(client):
        await pod(client, "huge", cpu="4")

        async def failed() -> dict | None:
            c = await scheduled_condition(client, "huge")
            return c if c and c["status"] == "False" else None

        cond = await until(failed)
        assert cond["reason"] == "Unschedulable"
        assert cond["message"] == (
            "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
            "2 Insufficient cpu. preemption: 0/3 nodes are available: "
            "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        )
        # A toleration makes the tainted node fit.
        await pod(
            client,
            "tolerant",
            cpu="4",
            tolerations=[
                {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
            ],
        )
        assert await until(lambda: node_of(client, "tolerant")) == "c"
        # A node that appears makes the waiting pod schedulable.
        await node(client, "d", cpu="8")
        assert await until(lambda: node_of(client, "huge")) == "d"


async def test_node_selector_affinity_and_node_name(client: RestClient) -> None:
    await node(client, "x", zone="a")
    await node(client, "y", zone="b")
    async with scheduler(client):
        await pod(client, "sel", nodeSelector={"zone": "b"})
        await pod(
            client,
            "aff",
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "zone", "operator": "In", "values": ["a"]}
                                ]
                            }
                        ]
                    }
                }
            },
        )
        assert await until(lambda: node_of(client, "sel")) == "y"
        assert await until(lambda: node_of(client, "aff")) == "x"
        await pod(client, "nowhere", nodeSelector={"zone": "c"})

        async def failed() -> dict | None:
            c = await scheduled_condition(client, "nowhere")
            return c if c and c["status"] == "False" else None

        cond = await until(failed)
        assert cond["message"].startswith(
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
        )


async def test_second_scheduler_binds_only_its_own_pods(client: RestClient) -> None:
    await node(client, "n1")
    async with scheduler(client, "my-scheduler"):
        await pod(client, "mine", schedulerName="my-scheduler")
        await pod(client, "default-one")
        assert await until(lambda: node_of(client, "mine")) == "n1"
        await asyncio.sleep(0.5)
        assert await node_of(client, "default-one") == ""


async def test_higher_priority_pod_preempts_a_lower_one(client: RestClient) -> None:
    await node(client, "only", cpu="1")
    async with scheduler(client):
        await pod(client, "low", cpu="800m", priority=0)
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
        await pod(client, "high", cpu="800m", priorityClassName="high")
        high = await client.get(f"{PODS}/high")
        assert high["spec"]["priority"] == 1000
        assert high["spec"]["preemptionPolicy"] == "PreemptLowerPriority"

        async def low_deleting() -> bool:
            p = await client.get(f"{PODS}/low")
            return bool(p["metadata"].get("deletionTimestamp"))

        await until(low_deleting)
        low = await client.get(f"{PODS}/low")
        conds = {c["type"]: c for c in low["status"].get("conditions") or []}
        assert conds["DisruptionTarget"]["reason"] == "PreemptionByScheduler"
        high = await client.get(f"{PODS}/high")
        assert high["status"].get("nominatedNodeName") == "only"
        # Once the victim is gone (a kubelet would finish it), the preemptor lands.
        await client.delete(f"{PODS}/low", {"gracePeriodSeconds": 0})
        assert await until(lambda: node_of(client, "high")) == "only"
