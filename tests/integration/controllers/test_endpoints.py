"""EndpointsController against an in-process API server (pods get their IPs and readiness
written directly to their status, as a kubelet would)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.endpoints import EndpointsController
from steersman.controllers.endpoints_subsets import repack_subsets, truncate_subsets
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"


@contextlib.asynccontextmanager
async def controller_running(c: RestClient) -> AsyncIterator[None]:
    factory = InformerFactory(c)
    recorder = EventRecorder(c, "endpoint-controller")
    tasks = [
        asyncio.create_task(EndpointsController(c, factory, recorder).run()),
        asyncio.create_task(recorder.run()),
    ]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await factory.stop()


@pytest.fixture
async def server_client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        try:
            yield c
        finally:
            await c.close()


@pytest.fixture
async def client(server_client: RestClient) -> AsyncIterator[RestClient]:
    async with controller_running(server_client):
        yield server_client


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


async def make_pod(
    c: RestClient,
    name: str,
    ip: str | None,
    *,
    ready: bool = True,
    labels: dict[str, str] | None = None,
    phase: str = "Running",
    **spec: Any,
) -> dict:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": "web"}},
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "c",
                    "image": "busybox",
                    "ports": [{"name": "http", "containerPort": 8080}],
                }
            ],
            **spec,
        },
    }
    pod = await c.create(f"{NS}/pods", body)
    return await set_status(c, pod, ip, ready=ready, phase=phase)


async def set_status(
    c: RestClient, pod: dict, ip: str | None, *, ready: bool, phase: str = "Running"
) -> dict:
    status: dict[str, Any] = {
        "phase": phase,
        "qosClass": (pod.get("status") or {}).get("qosClass", "BestEffort"),
        "conditions": [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    pod["status"] = status
    return await c.update(f"{NS}/pods/{pod['metadata']['name']}/status", pod)  # type: ignore[no-any-return]


def service(name: str, selector: dict[str, str] | None, **spec: Any) -> dict:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"tier": "front"}},
        "spec": {"ports": [{"name": "web", "port": 80, "targetPort": "http"}], **spec},
    }
    if selector is not None:
        body["spec"]["selector"] = selector
    return body


async def endpoints_of(c: RestClient, name: str) -> dict | None:
    try:
        return await c.get(f"{NS}/endpoints/{name}")  # type: ignore[no-any-return]
    except ApiStatusError as exc:
        if exc.code == 404:
            return None
        raise


def ips(subsets: list[dict], field: str) -> list[str]:
    return [a["ip"] for s in subsets for a in s.get(field) or []]


async def test_ready_and_not_ready_pods_with_named_ports(client: RestClient) -> None:
    web = await make_pod(client, "web-1", "10.244.0.11")
    await make_pod(client, "web-2", "10.244.0.12", ready=False)
    await make_pod(client, "web-3", None)  # no IP yet: left out
    await make_pod(client, "done", "10.244.0.14", phase="Succeeded")  # terminal: left out
    await make_pod(client, "other", "10.244.0.15", labels={"app": "db"})
    svc = await client.create(f"{NS}/services", service("web", {"app": "web"}))

    async def listed() -> dict | None:
        ep = await endpoints_of(client, "web")
        return ep if ep and ep.get("subsets") else None

    ep = await until(listed)
    assert ep["metadata"]["labels"] == {
        "tier": "front",
        "endpoints.kubernetes.io/managed-by": "endpoint-controller",
    }
    assert (
        ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
        == (svc["metadata"]["creationTimestamp"])
    )
    assert ep["subsets"] == [
        {
            "addresses": [
                {
                    "ip": "10.244.0.11",
                    "nodeName": "node-1",
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": "default",
                        "name": "web-1",
                        "uid": web["metadata"]["uid"],
                    },
                }
            ],
            "notReadyAddresses": [
                {
                    "ip": "10.244.0.12",
                    "nodeName": "node-1",
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": "default",
                        "name": "web-2",
                        "uid": ep["subsets"][0]["notReadyAddresses"][0]["targetRef"]["uid"],
                    },
                }
            ],
            "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}],
        }
    ]

    # Readiness moves the address; an unrelated pod change writes nothing.
    pod2 = await client.get(f"{NS}/pods/web-2")
    await set_status(client, pod2, "10.244.0.12", ready=True)

    async def both_ready() -> dict | None:
        ep = await endpoints_of(client, "web")
        got = ips(ep["subsets"], "addresses") if ep else []
        return ep if got == ["10.244.0.11", "10.244.0.12"] else None

    ep = await until(both_ready)
    version = ep["metadata"]["resourceVersion"]
    await client.patch(f"{NS}/pods/web-1", {"metadata": {"annotations": {"x": "y"}}})
    await asyncio.sleep(0.3)
    assert (await endpoints_of(client, "web"))["metadata"]["resourceVersion"] == version  # type: ignore[index]

    # Deleting a pod removes its address.
    await client.delete(f"{NS}/pods/web-1", {"gracePeriodSeconds": 0})

    async def one_left() -> bool:
        ep = await endpoints_of(client, "web")
        return bool(ep) and ips(ep["subsets"], "addresses") == ["10.244.0.12"]  # type: ignore[index]

    await until(one_left)


async def test_publish_not_ready_addresses_and_unresolvable_ports(client: RestClient) -> None:
    await make_pod(client, "a", "10.244.1.1", ready=False)
    await make_pod(
        client,
        "b",
        "10.244.1.2",
        containers=[{"name": "c", "image": "busybox"}],  # no "http" port
    )
    body = service("pub", {"app": "web"}, publishNotReadyAddresses=True)
    body["spec"]["ports"].append({"name": "raw", "port": 9000, "targetPort": 9090})
    await client.create(f"{NS}/services", body)

    async def packed() -> list | None:
        ep = await endpoints_of(client, "pub")
        return ep.get("subsets") if ep else None

    subsets = await until(packed)
    # Both pods offer the numeric port, only "a" the named one: one subset per port set.
    by_ips = {tuple(ips([s], "addresses")): s["ports"] for s in subsets}
    assert by_ips == {
        ("10.244.1.1", "10.244.1.2"): [{"name": "raw", "port": 9090, "protocol": "TCP"}],
        ("10.244.1.1",): [{"name": "web", "port": 8080, "protocol": "TCP"}],
    }
    assert not any(s.get("notReadyAddresses") for s in subsets)


async def test_headless_service_hostnames(client: RestClient) -> None:
    await make_pod(client, "db-0", "10.244.2.1", hostname="db-0", subdomain="db")
    await make_pod(client, "db-x", "10.244.2.2", hostname="x", subdomain="elsewhere")
    body = service("db", {"app": "web"}, clusterIP="None")
    body["spec"].pop("ports")
    await client.create(f"{NS}/services", body)

    async def listed() -> dict | None:
        ep = await endpoints_of(client, "db")
        return ep if ep and ep.get("subsets") else None

    ep = await until(listed)
    assert ep["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    (subset,) = ep["subsets"]
    assert "ports" not in subset
    hosts = {a["ip"]: a.get("hostname") for a in subset["addresses"]}
    assert hosts == {"10.244.2.1": "db-0", "10.244.2.2": None}


async def test_selectorless_endpoints_are_left_alone_and_deleted_services_clean_up(
    client: RestClient,
) -> None:
    await client.create(f"{NS}/services", service("manual", None))
    manual = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "manual"},
        "subsets": [{"addresses": [{"ip": "192.168.5.5"}], "ports": [{"port": 7}]}],
    }
    created = await client.create(f"{NS}/endpoints", manual)
    await client.create(f"{NS}/services", service("gone", {"app": "web"}))
    await until(lambda: endpoints_of(client, "gone"))
    await client.delete(f"{NS}/services/gone")

    async def removed() -> bool:
        return await endpoints_of(client, "gone") is None

    await until(removed)
    still = await endpoints_of(client, "manual")
    assert still is not None
    assert still["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_leftover_endpoints_are_removed_at_start(server_client: RestClient) -> None:
    c = server_client
    orphan = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "orphan"},
        "subsets": [{"addresses": [{"ip": "192.168.5.6"}], "ports": [{"port": 7}]}],
    }
    leader = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "leader",
            "annotations": {"control-plane.alpha.kubernetes.io/leader": "{}"},
        },
    }
    await c.create(f"{NS}/endpoints", orphan)
    await c.create(f"{NS}/endpoints", leader)
    async with controller_running(c):

        async def orphan_gone() -> bool:
            return await endpoints_of(c, "orphan") is None

        await until(orphan_gone)
        assert await endpoints_of(c, "leader") is not None


def address(ip: str) -> dict:
    return {"ip": ip, "targetRef": {"kind": "Pod", "name": ip, "uid": ip}}


def test_repack_groups_addresses_by_port_set() -> None:
    p80 = {"name": "a", "port": 80, "protocol": "TCP"}
    p81 = {"name": "b", "port": 81, "protocol": "TCP"}
    subsets = [
        {"addresses": [address("10.0.0.2")], "ports": [p80]},
        {"addresses": [address("10.0.0.1")], "ports": [p80]},
        {"addresses": [address("10.0.0.1")], "ports": [p81]},
        {"notReadyAddresses": [address("10.0.0.3")], "ports": [p81]},
    ]
    packed = repack_subsets(subsets)
    assert sorted(
        (tuple(ips([s], "addresses")), tuple(ips([s], "notReadyAddresses")), len(s["ports"]))
        for s in packed
    ) == [
        (("10.0.0.1",), ("10.0.0.3",), 1),  # port b
        (("10.0.0.1", "10.0.0.2"), (), 1),  # port a
    ]


def test_truncation_keeps_ready_addresses_first() -> None:
    ready = [address(f"10.0.{i // 250}.{i % 250}") for i in range(900)]
    not_ready = [address(f"10.1.{i // 250}.{i % 250}") for i in range(300)]
    subsets = [
        {"addresses": ready[:600], "notReadyAddresses": not_ready[:200]},
        {"addresses": ready[600:], "notReadyAddresses": not_ready[200:]},
    ]
    assert truncate_subsets(subsets)
    assert [len(s["addresses"]) for s in subsets] == [600, 300]
    # The 100 places left go to not-ready addresses, in proportion (rounded up).
    assert [len(s["notReadyAddresses"]) for s in subsets] == [67, 33]
    assert not truncate_subsets([{"addresses": ready[:10]}])
