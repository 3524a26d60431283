"""Node lifecycle, taint eviction and pod GC against an in-process API server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.nodelifecycle import NodeLifecycleController, reconcile_taints
from steersman.controllers.podgc import PodGCController
from steersman.controllers.taint_eviction import TaintEvictionController
from steersman.testing.control_plane import running_apiserver

PODS = "/api/v1/namespaces/default/pods"


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        rec = EventRecorder(c, "node-controller")
        tasks = [
            asyncio.create_task(
                NodeLifecycleController(c, factory, grace_period=0.6, monitor_period=0.1).run()
            ),
            asyncio.create_task(TaintEvictionController(c, factory, rec).run()),
            asyncio.create_task(PodGCController(c, factory, interval=0.1, quarantine=0.3).run()),
            asyncio.create_task(rec.run()),
        ]
        try:
            yield c
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await factory.stop()
            await c.close()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last {result!r})")
        await asyncio.sleep(0.05)


async def ready_node(client: RestClient, name: str) -> None:
    await client.create(
        "/api/v1/nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name},
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                    }
                ]
            },
        },
    )


async def bound_pod(client: RestClient, name: str, node: str, **spec: Any) -> dict:
    pod = await client.create(
        PODS,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}], **spec},
        },
    )
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    return await client.update(f"{PODS}/{name}/status", pod)


async def gone_or_deleting(client: RestClient, name: str) -> bool:
    try:
        pod = await client.get(f"{PODS}/{name}")
    except ApiStatusError as exc:
        return exc.code == 404
    return bool(pod["metadata"].get("deletionTimestamp"))


async def test_silent_node_goes_unknown_gets_tainted_and_evicts_by_toleration(
    client: RestClient,
) -> None:
    await ready_node(client, "n1")
    # Default tolerations (300 s) keep this one; a 1 s toleration goes soon; none: at once.
    await bound_pod(client, "patient", "n1")
    await bound_pod(
        client,
        "brief",
        "n1",
        tolerations=[
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 1,
            },
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 1,
            },
        ],
    )

    async def unknown() -> dict | None:
        node = await client.get("/api/v1/nodes/n1")
        conds = {c["type"]: c for c in node["status"]["conditions"]}
        ok = conds["Ready"]["status"] == "Unknown" and {
            t["key"] for t in node["spec"].get("taints", [])
        } == {"node.kubernetes.io/unreachable"}
        return node if ok else None

    node = await until(unknown)
    ready = {c["type"]: c for c in node["status"]["conditions"]}["Ready"]
    assert ready["reason"] == "NodeStatusUnknown"
    assert ready["message"] == "Kubelet stopped posting node status."
    assert {c["type"]: c["status"] for c in node["status"]["conditions"]}[
        "MemoryPressure"
    ] == "Unknown"
    effects = sorted(t["effect"] for t in node["spec"]["taints"])
    assert effects == ["NoExecute", "NoSchedule"]
    assert all("timeAdded" in t for t in node["spec"]["taints"] if t["effect"] == "NoExecute")

    async def patient_not_ready() -> bool:
        pod = await client.get(f"{PODS}/patient")
        return {c["type"]: c["status"] for c in pod["status"]["conditions"]}.get("Ready") == "False"

    await until(patient_not_ready)
    await until(lambda: gone_or_deleting(client, "brief"), timeout=15)
    assert not await gone_or_deleting(client, "patient")
    # A NoExecute taint the pod does not tolerate (as `kubectl taint`): evicted at once, while
    # the controller keeps the taint beside its own.
    await bound_pod(client, "bare", "n1")
    node = await client.get("/api/v1/nodes/n1")
    node["spec"]["taints"].append({"key": "dedicated", "value": "x", "effect": "NoExecute"})
    await client.update("/api/v1/nodes/n1", node)
    await until(lambda: gone_or_deleting(client, "bare"), timeout=10)
    await asyncio.sleep(0.3)
    node = await client.get("/api/v1/nodes/n1")
    assert "dedicated" in {t["key"] for t in node["spec"]["taints"]}


def test_taints_follow_ready_and_pressure() -> None:
    node = {
        "metadata": {"name": "n"},
        "spec": {"taints": [{"key": "custom", "effect": "NoSchedule"}], "unschedulable": True},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False"},
                {"type": "DiskPressure", "status": "True"},
            ]
        },
    }
    taints = reconcile_taints(node, "T")
    assert taints is not None
    assert {(t["key"], t["effect"]) for t in taints} == {
        ("custom", "NoSchedule"),
        ("node.kubernetes.io/not-ready", "NoSchedule"),
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    }
    node["spec"]["taints"] = taints
    assert reconcile_taints(node, "T2") is None


async def test_pods_of_deleted_nodes_are_collected(client: RestClient) -> None:
    await ready_node(client, "doomed")
    await bound_pod(client, "stranded", "doomed")
    await client.delete("/api/v1/nodes/doomed")
    await until(lambda: gone_or_deleting(client, "stranded"))
