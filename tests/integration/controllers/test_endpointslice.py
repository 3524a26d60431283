"""EndpointSliceController against an in-process API server (pods get their IPs and readiness
written directly to their status, as a kubelet would)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.controllers.endpointslice import MAX_ENDPOINTS_PER_SLICE, EndpointSliceController
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., Awaitable[RestClient]]]:
    """Starts the API server and the controller (with the given options) on demand."""
    async with contextlib.AsyncExitStack() as stack:
        srv = await stack.enter_async_context(running_apiserver())
        c = RestClient(srv.base_url)
        stack.push_async_callback(c.close)
        tasks: list[asyncio.Task[None]] = []
        factory = InformerFactory(c)

        async def starter(**options: Any) -> RestClient:
            recorder = EventRecorder(c, "endpoint-slice-controller")
            controller = EndpointSliceController(c, factory, recorder, **options)
            tasks.append(asyncio.create_task(controller.run()))
            tasks.append(asyncio.create_task(recorder.run()))
            return c

        try:
            yield starter
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await factory.stop()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 8.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while True:
        last = await check()
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last: {last!r})")
        await asyncio.sleep(0.05)


async def node(c: RestClient, name: str, zone: str | None) -> None:
    labels = {"topology.kubernetes.io/zone": zone} if zone else {}
    await c.create(
        "/api/v1/nodes",
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}},
    )


async def make_pod(
    c: RestClient, name: str, ip: str, *, ready: bool = True, node_name: str = "node-a"
) -> dict:
    pod = await c.create(
        f"{NS}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {
                "nodeName": node_name,
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "ports": [{"name": "http", "containerPort": 8080}],
                    }
                ],
            },
        },
    )
    return await set_ready(c, pod, ip, ready)


async def set_ready(c: RestClient, pod: dict, ip: str, ready: bool) -> dict:
    pod["status"] = {
        "phase": "Running",
        "qosClass": pod["status"].get("qosClass", "BestEffort"),
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    return await c.update(f"{NS}/pods/{pod['metadata']['name']}/status", pod)  # type: ignore[no-any-return]


async def web_service(c: RestClient) -> dict:
    return await c.create(  # type: ignore[no-any-return]
        f"{NS}/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "labels": {"tier": "front"}},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"name": "web", "port": 80, "targetPort": "http"}],
            },
        },
    )


async def slices_of(c: RestClient, service: str = "web") -> list[dict]:
    items = (await c.get(SLICES, labelSelector=f"kubernetes.io/service-name={service}"))["items"]
    return sorted(items, key=lambda s: s["metadata"]["name"])


def endpoint_count(slices: list[dict]) -> int:
    return sum(len(s.get("endpoints") or []) for s in slices)


async def test_slice_content_labels_and_owner(start: Callable[..., Awaitable[RestClient]]) -> None:
    c = await start()
    await node(c, "node-a", "zone-1")
    await node(c, "node-b", None)
    a = await make_pod(c, "a", "10.244.0.1")
    await make_pod(c, "b", "10.244.0.2", ready=False, node_name="node-b")
    svc = await web_service(c)

    async def two() -> list[dict]:
        slices = await slices_of(c)
        return slices if endpoint_count(slices) == 2 else []

    (slice_,) = await until(two)
    meta = slice_["metadata"]
    assert meta["generateName"] == "web-"
    assert meta["name"].startswith("web-")
    assert meta["labels"] == {
        "tier": "front",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "name": "web",
            "uid": svc["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert (
        meta["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
        == (svc["metadata"]["creationTimestamp"])
    )
    assert slice_["addressType"] == "IPv4"
    assert slice_["ports"] == [{"name": "web", "protocol": "TCP", "port": 8080}]
    by_ip = {e["addresses"][0]: e for e in slice_["endpoints"]}
    assert by_ip["10.244.0.1"] == {
        "addresses": ["10.244.0.1"],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "targetRef": {
            "kind": "Pod",
            "namespace": "default",
            "name": "a",
            "uid": a["metadata"]["uid"],
        },
        "nodeName": "node-a",
        "zone": "zone-1",
    }
    assert by_ip["10.244.0.2"]["conditions"] == {
        "ready": False,
        "serving": False,
        "terminating": False,
    }
    assert "zone" not in by_ip["10.244.0.2"]


async def test_changes_update_the_slice_in_place(
    start: Callable[..., Awaitable[RestClient]],
) -> None:
    c = await start()
    await node(c, "node-a", None)
    await web_service(c)

    # No pods yet: one empty placeholder slice.
    async def placeholder() -> list[dict]:
        return await slices_of(c)

    (empty,) = await until(placeholder)
    assert not empty.get("endpoints")
    name = empty["metadata"]["name"]

    pod = await make_pod(c, "a", "10.244.0.1", ready=False)

    async def filled() -> dict | None:
        slices = await slices_of(c)
        return slices[0] if endpoint_count(slices) == 1 else None

    first = await until(filled)
    assert first["metadata"]["name"] == name  # the placeholder became the real slice
    assert first["endpoints"][0]["conditions"]["ready"] is False

    await set_ready(c, await c.get(f"{NS}/pods/a"), "10.244.0.1", True)

    async def ready() -> dict | None:
        (slice_,) = await slices_of(c)
        return slice_ if slice_["endpoints"][0]["conditions"]["ready"] else None

    now_ready = await until(ready)
    assert now_ready["metadata"]["name"] == name
    # An unrelated pod change writes nothing.
    await c.patch(f"{NS}/pods/a", {"metadata": {"annotations": {"x": "y"}}})
    await asyncio.sleep(0.3)
    (same,) = await slices_of(c)
    assert same["metadata"]["resourceVersion"] == now_ready["metadata"]["resourceVersion"]

    # A terminating pod stays listed, not ready, still serving.
    await c.delete(f"{NS}/pods/{pod['metadata']['name']}")

    async def terminating() -> dict | None:
        (slice_,) = await slices_of(c)
        eps = slice_.get("endpoints") or []
        return eps[0]["conditions"] if eps and eps[0]["conditions"]["terminating"] else None

    assert await until(terminating) == {"ready": False, "serving": True, "terminating": True}


async def test_slices_hold_at_most_the_maximum(
    start: Callable[..., Awaitable[RestClient]],
) -> None:
    assert MAX_ENDPOINTS_PER_SLICE == 100
    c = await start(max_endpoints_per_slice=2)
    await node(c, "node-a", None)
    await web_service(c)
    for i in range(5):
        await make_pod(c, f"p{i}", f"10.244.0.{i + 1}")

    async def five() -> list[dict]:
        slices = await slices_of(c)
        return slices if endpoint_count(slices) == 5 else []

    slices = await until(five)
    assert sorted(len(s["endpoints"]) for s in slices) == [1, 2, 2]
    ips = sorted(e["addresses"][0] for s in slices for e in s["endpoints"])
    assert ips == [f"10.244.0.{i}" for i in range(1, 6)]

    # Losing pods shrinks slices; a slice left empty goes away.
    for i in range(4):
        await c.delete(f"{NS}/pods/p{i}", {"gracePeriodSeconds": 0})

    async def one() -> list[dict]:
        slices = await slices_of(c)
        return slices if endpoint_count(slices) == 1 and len(slices) == 1 else []

    await until(one)


async def test_deleted_slice_is_recreated(start: Callable[..., Awaitable[RestClient]]) -> None:
    c = await start()
    await node(c, "node-a", None)
    await web_service(c)
    await make_pod(c, "a", "10.244.0.1")

    async def one() -> dict | None:
        slices = await slices_of(c)
        return slices[0] if endpoint_count(slices) == 1 else None

    first = await until(one)
    await c.delete(f"{SLICES}/{first['metadata']['name']}")

    async def replaced() -> dict | None:
        slice_ = await one()
        return slice_ if slice_ and slice_["metadata"]["uid"] != first["metadata"]["uid"] else None

    await until(replaced)
