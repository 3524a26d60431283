"""ReplicaSetController (and ReplicationController) against an in-process API server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.controllers.replicaset import ReplicaSetController
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"
RS = "/apis/apps/v1/namespaces/default/replicasets"


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        recorder = EventRecorder(c, "replicaset-controller")
        controllers = [
            ReplicaSetController(c, factory, recorder),
            ReplicaSetController(c, factory, recorder, kind="ReplicationController"),
        ]
        tasks = [asyncio.create_task(x.run()) for x in controllers]
        tasks.append(asyncio.create_task(recorder.run()))
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


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 8.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last: {result!r})")
        await asyncio.sleep(0.05)


def replica_set(name: str, replicas: int, app: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }


async def pods_of(client: RestClient, app: str) -> list[dict]:
    items = (await client.get(f"{NS}/pods", labelSelector=f"app={app}"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


async def test_creates_scales_and_reports_status(client: RestClient) -> None:
    rs = await client.create(RS, replica_set("web", 3, "web"))

    async def three() -> bool:
        return len(await pods_of(client, "web")) == 3

    await until(three)
    pods = await pods_of(client, "web")
    for pod in pods:
        assert pod["metadata"]["generateName"] == "web-"
        (ref,) = pod["metadata"]["ownerReferences"]
        assert ref == {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web",
            "uid": rs["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }

    async def status_replicas() -> bool:
        st = (await client.get(f"{RS}/web"))["status"]
        return st.get("replicas") == 3 and st.get("observedGeneration") == 1

    await until(status_replicas)
    # Mark one pod Ready: readyReplicas and availableReplicas follow.
    pod = pods[0]
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    await client.update(f"{NS}/pods/{pod['metadata']['name']}/status", pod)

    async def one_ready() -> bool:
        st = (await client.get(f"{RS}/web"))["status"]
        return st.get("readyReplicas") == 1 and st.get("availableReplicas") == 1

    await until(one_ready)
    await client.patch(f"{RS}/web", {"spec": {"replicas": 1}})

    async def one_left() -> list[dict]:
        left = await pods_of(client, "web")
        return left if len(left) == 1 else []

    (survivor,) = await until(one_left)
    # Ranking deletes not-ready pods before the ready one.
    assert survivor["metadata"]["name"] == pod["metadata"]["name"]
    events = (await client.get(f"{NS}/events"))["items"]
    reasons = {e["reason"] for e in events if e["involvedObject"]["name"] == "web"}
    assert {"SuccessfulCreate", "SuccessfulDelete"} <= reasons


async def test_adopts_orphans_and_releases_pods_that_stop_matching(client: RestClient) -> None:
    await client.create(
        f"{NS}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stray", "labels": {"app": "db"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
    )
    rs = await client.create(RS, replica_set("db", 2, "db"))

    async def adopted() -> bool:
        pod = await client.get(f"{NS}/pods/stray")
        refs = pod["metadata"].get("ownerReferences") or []
        return bool(refs) and refs[0]["uid"] == rs["metadata"]["uid"]

    await until(adopted)

    async def two() -> bool:
        return len(await pods_of(client, "db")) == 2

    await until(two)
    # Relabel the adopted pod: released, and replaced.
    await client.patch(f"{NS}/pods/stray", {"metadata": {"labels": {"app": "other"}}})

    async def released() -> bool:
        pod = await client.get(f"{NS}/pods/stray")
        return not pod["metadata"].get("ownerReferences")

    await until(released)
    await until(two)


async def test_replication_controller(client: RestClient) -> None:
    await client.create(
        f"{NS}/replicationcontrollers",
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {"name": "rc"},
            "spec": {
                "replicas": 2,
                "selector": {"app": "rc"},
                "template": {
                    "metadata": {"labels": {"app": "rc"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
    )

    async def two() -> bool:
        pods = await pods_of(client, "rc")
        return len(pods) == 2 and all(
            p["metadata"]["ownerReferences"][0]["kind"] == "ReplicationController" for p in pods
        )

    await until(two)
