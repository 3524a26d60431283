"""GarbageCollector against an in-process API server: background, orphan and foreground
propagation, dangling references, absent owners."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.garbagecollector import GarbageCollector
from steersman.testing.control_plane import running_apiserver

CM = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        gc = GarbageCollector(c, factory, workers=2)
        task = asyncio.create_task(gc.run())
        try:
            yield c
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await factory.stop()
            await c.close()


def ref(owner: dict[str, Any], *, block: bool = False) -> dict[str, Any]:
    out = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block:
        out["blockOwnerDeletion"] = True
    return out


async def make_cm(client: RestClient, name: str, *owners: dict[str, Any], **meta: Any) -> Any:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}}
    if owners:
        body["metadata"]["ownerReferences"] = list(owners)
    obj = await client.create(CM, body)
    obj.setdefault("apiVersion", "v1")
    obj.setdefault("kind", "ConfigMap")
    return obj


async def get_cm(client: RestClient, name: str) -> Any:
    try:
        return await client.get(f"{CM}/{name}")
    except ApiStatusError as exc:
        if exc.code == 404:
            return None
        raise


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 8.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def gone(client: RestClient, name: str) -> bool:
    return await get_cm(client, name) is None


def delete_options(policy: str) -> dict[str, Any]:
    return {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy}


async def test_background_deletes_dependents_of_a_deleted_owner(client: RestClient) -> None:
    owner = await make_cm(client, "owner")
    await make_cm(client, "dep-1", ref(owner))
    await make_cm(client, "dep-2", ref(owner, block=True))
    await client.delete(f"{CM}/owner", delete_options("Background"))
    assert await gone(client, "owner")
    await until(lambda: gone(client, "dep-1"))
    await until(lambda: gone(client, "dep-2"))


async def test_dependent_with_a_remaining_owner_only_loses_the_dangling_reference(
    client: RestClient,
) -> None:
    first = await make_cm(client, "first")
    second = await make_cm(client, "second")
    await make_cm(client, "shared", ref(first), ref(second))
    await client.delete(f"{CM}/first")

    async def reference_dropped() -> bool:
        dep = await get_cm(client, "shared")
        return [r["name"] for r in dep["metadata"]["ownerReferences"]] == ["second"]

    await until(reference_dropped)
    await asyncio.sleep(0.3)
    assert await get_cm(client, "shared") is not None


async def test_orphan_removes_the_owner_reference_and_keeps_the_dependent(
    client: RestClient,
) -> None:
    owner = await make_cm(client, "owner")
    other = await make_cm(client, "other")
    await make_cm(client, "dep", ref(owner), ref(other))
    await make_cm(client, "only", ref(owner, block=True))
    await client.delete(f"{CM}/owner", delete_options("Orphan"))
    await until(lambda: gone(client, "owner"))
    dep = await get_cm(client, "dep")
    assert [r["name"] for r in dep["metadata"]["ownerReferences"]] == ["other"]
    only = await get_cm(client, "only")
    assert "ownerReferences" not in only["metadata"]


async def test_foreground_deletes_the_chain_bottom_up(client: RestClient) -> None:
    top = await make_cm(client, "top")
    middle = await make_cm(client, "middle", ref(top, block=True))
    await make_cm(client, "bottom", ref(middle, block=True))
    await make_cm(client, "loose", ref(top))  # not blocking: deleted, but need not go first
    order: list[str] = []

    async def watch() -> None:
        listed = await client.get(CM)
        async for event in client.watch(CM, resourceVersion=listed["metadata"]["resourceVersion"]):
            if event["type"] == "DELETED":
                order.append(event["object"]["metadata"]["name"])

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.1)
    try:
        await client.delete(f"{CM}/top", delete_options("Foreground"))
        held = await get_cm(client, "top")
        assert held["metadata"]["deletionTimestamp"]
        assert "foregroundDeletion" in held["metadata"]["finalizers"]
        for name in ("top", "middle", "bottom", "loose"):
            await until(lambda name=name: gone(client, name))
        await until(lambda: _true(len(order) == 4))
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    assert order.index("bottom") < order.index("middle") < order.index("top")


async def _true(value: bool) -> bool:
    return value


async def test_foreground_owner_waits_for_a_blocking_dependent_with_finalizers(
    client: RestClient,
) -> None:
    owner = await make_cm(client, "owner")
    await make_cm(client, "held", ref(owner, block=True), finalizers=["example.com/hold"])
    await client.delete(f"{CM}/owner", delete_options("Foreground"))

    async def dependent_deleting() -> bool:
        held = await get_cm(client, "held")
        return bool(held["metadata"].get("deletionTimestamp"))

    await until(dependent_deleting)
    await asyncio.sleep(0.3)
    assert await get_cm(client, "owner") is not None
    await client.patch(f"{CM}/held", {"metadata": {"finalizers": None}})
    await until(lambda: gone(client, "owner"))


async def test_foreground_owner_without_dependents_is_deleted(client: RestClient) -> None:
    await make_cm(client, "lonely")
    await client.delete(f"{CM}/lonely", delete_options("Foreground"))
    await until(lambda: gone(client, "lonely"))


async def test_dependents_of_absent_or_replaced_owners_are_collected(client: RestClient) -> None:
    never = {"apiVersion": "v1", "kind": "ConfigMap", "name": "never", "uid": "no-such-uid"}
    await make_cm(client, "orphaned", never)
    await until(lambda: gone(client, "orphaned"))
    # Same name, different uid: the reference names an owner that no longer exists.
    old = await make_cm(client, "reborn")
    await client.delete(f"{CM}/reborn")
    await make_cm(client, "reborn")
    await make_cm(client, "stale", ref(old))
    await until(lambda: gone(client, "stale"))
    assert await get_cm(client, "reborn") is not None


async def test_unknown_owner_kinds_are_left_alone(client: RestClient) -> None:
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "u-1"}
    await make_cm(client, "kept", unknown)
    await asyncio.sleep(0.5)
    assert await get_cm(client, "kept") is not None


async def test_cluster_scoped_dependent_of_a_cluster_scoped_owner(client: RestClient) -> None:
    role = await client.create(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "gc-owner"},
        },
    )
    role.setdefault("apiVersion", "rbac.authorization.k8s.io/v1")
    role.setdefault("kind", "ClusterRole")
    await client.create(
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "gc-dependent", "ownerReferences": [ref(role)]},
            "value": 10,
        },
    )
    await client.delete("/apis/rbac.authorization.k8s.io/v1/clusterroles/gc-owner")

    async def collected() -> bool:
        try:
            await client.get("/apis/scheduling.k8s.io/v1/priorityclasses/gc-dependent")
        except ApiStatusError as exc:
            return exc.code == 404
        return False

    await until(collected)
