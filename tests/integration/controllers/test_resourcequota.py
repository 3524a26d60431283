"""ResourceQuotaController against an in-process API server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.controllers.resourcequota import ResourceQuotaController
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/quota"


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        await c.create(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "quota"}},
        )
        factory = InformerFactory(c)
        controller = ResourceQuotaController(
            c, factory, EventRecorder(c, "resourcequota-controller"), resync_period=0.5
        )
        task = asyncio.create_task(controller.run())
        try:
            yield c
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await factory.stop()
            await c.close()


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


def pod(
    name: str, *, requests: dict | None = None, limits: dict | None = None, **spec: Any
) -> dict:
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}], **spec},
    }


def quota(name: str, hard: dict[str, str], **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name},
        "spec": {"hard": hard, **spec},
    }


async def used_of(c: RestClient, name: str) -> dict[str, str]:
    status = (await c.get(f"{NS}/resourcequotas/{name}")).get("status") or {}
    return dict(status.get("used") or {})


async def wait_used(c: RestClient, name: str, expected: dict[str, str]) -> None:
    async def matches() -> bool:
        return await used_of(c, name) == expected

    try:
        await until(matches)
    except AssertionError:
        raise AssertionError(f"used is {await used_of(c, name)}, want {expected}") from None


async def test_counts_every_kind_of_resource(client: RestClient) -> None:
    c = client
    hard = {
        "pods": "5",
        "count/pods": "5",
        "requests.cpu": "2",
        "requests.memory": "1Gi",
        "limits.memory": "2Gi",
        "configmaps": "3",
        "secrets": "4",
        "services": "3",
        "services.nodeports": "4",
        "persistentvolumeclaims": "2",
        "requests.storage": "10Gi",
        "count/deployments.apps": "2",
    }
    await c.create(f"{NS}/pods", pod("a", requests={"cpu": "250m", "memory": "64Mi"}))
    await c.create(f"{NS}/configmaps", {"metadata": {"name": "cm"}, "data": {"k": "v"}})
    created = await c.create(f"{NS}/resourcequotas", quota("q", hard))
    assert "used" not in (created.get("status") or {})

    await wait_used(
        c,
        "q",
        {
            "pods": "1",
            "count/pods": "1",
            "requests.cpu": "250m",
            "requests.memory": "64Mi",
            "limits.memory": "0",
            "configmaps": "1",
            "secrets": "0",
            "services": "0",
            "services.nodeports": "0",
            "persistentvolumeclaims": "0",
            "requests.storage": "0",
            "count/deployments.apps": "0",
        },
    )
    status = (await c.get(f"{NS}/resourcequotas/q"))["status"]
    assert status["hard"] == hard

    await c.create(
        f"{NS}/pods",
        pod("b", requests={"cpu": "500m", "memory": "64Mi"}, limits={"memory": "128Mi"}),
    )
    await c.create(f"{NS}/secrets", {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    await c.create(
        f"{NS}/services",
        {
            "metadata": {"name": "np"},
            "spec": {
                "type": "NodePort",
                "ports": [{"port": 80, "name": "a"}, {"port": 81, "name": "b"}],
            },
        },
    )
    await c.create(
        f"{NS}/persistentvolumeclaims",
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "3Gi"}},
            },
        },
    )
    await c.create(
        "/apis/apps/v1/namespaces/quota/deployments",
        {
            "metadata": {"name": "d"},
            "spec": {
                "selector": {"matchLabels": {"app": "d"}},
                "template": {
                    "metadata": {"labels": {"app": "d"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
    )
    await wait_used(
        c,
        "q",
        {
            "pods": "2",
            "count/pods": "2",
            "requests.cpu": "750m",
            "requests.memory": "128Mi",
            "limits.memory": "128Mi",
            "configmaps": "1",
            "secrets": "1",
            "services": "1",
            "services.nodeports": "2",
            "persistentvolumeclaims": "1",
            "requests.storage": "3Gi",
            "count/deployments.apps": "1",
        },
    )

    # A finished pod stops costing compute but still exists; a deleted one is gone entirely.
    finished = await c.get(f"{NS}/pods/a")
    finished["status"]["phase"] = "Succeeded"
    await c.update(f"{NS}/pods/a/status", finished)
    await c.delete(f"{NS}/configmaps/cm")

    async def replenished() -> bool:
        used = await used_of(c, "q")
        return (
            used.get("pods") == "1"
            and used.get("count/pods") == "2"
            and used.get("requests.cpu") == "500m"
            and used.get("configmaps") == "0"
        )

    await until(replenished)


async def test_scopes_and_scope_selectors(client: RestClient) -> None:
    c = client
    await c.create(
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        {"metadata": {"name": "high"}, "value": 1000},
    )
    await c.create(f"{NS}/pods", pod("be"))
    await c.create(f"{NS}/pods", pod("burst", requests={"cpu": "100m"}))
    await c.create(f"{NS}/pods", pod("job", activeDeadlineSeconds=60))
    await c.create(f"{NS}/pods", pod("vip", priorityClassName="high"))
    await c.create(
        f"{NS}/resourcequotas", quota("best-effort", {"pods": "10"}, scopes=["BestEffort"])
    )
    await c.create(
        f"{NS}/resourcequotas",
        quota("not-best-effort", {"pods": "10", "requests.cpu": "1"}, scopes=["NotBestEffort"]),
    )
    await c.create(
        f"{NS}/resourcequotas", quota("terminating", {"pods": "10"}, scopes=["Terminating"])
    )
    await c.create(
        f"{NS}/resourcequotas",
        quota(
            "high",
            {"pods": "10"},
            scopeSelector={
                "matchExpressions": [
                    {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
                ]
            },
        ),
    )
    await wait_used(c, "best-effort", {"pods": "3"})
    await wait_used(c, "not-best-effort", {"pods": "1", "requests.cpu": "100m"})
    await wait_used(c, "terminating", {"pods": "1"})
    await wait_used(c, "high", {"pods": "1"})


async def test_spec_changes_and_periodic_resync_correct_usage(client: RestClient) -> None:
    c = client
    await c.create(f"{NS}/configmaps", {"metadata": {"name": "one"}})
    await c.create(f"{NS}/resourcequotas", quota("q", {"configmaps": "5"}))
    await wait_used(c, "q", {"configmaps": "1"})

    # A new hard limit is counted at once, and status.hard follows the spec.
    current = await c.get(f"{NS}/resourcequotas/q")
    current["spec"]["hard"]["secrets"] = "2"
    await c.update(f"{NS}/resourcequotas/q", current)
    await wait_used(c, "q", {"configmaps": "1", "secrets": "0"})
    assert (await c.get(f"{NS}/resourcequotas/q"))["status"]["hard"] == {
        "configmaps": "5",
        "secrets": "2",
    }

    # Usage written wrong (as a failed admission could leave it) is repaired by the resync.
    wrong = await c.get(f"{NS}/resourcequotas/q")
    wrong["status"]["used"] = {"configmaps": "4", "secrets": "1"}
    await c.update(f"{NS}/resourcequotas/q/status", wrong)
    await wait_used(c, "q", {"configmaps": "1", "secrets": "0"})
