"""StatusManager against an in-process API server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from steersman.client.rest import ApiStatusError, RestClient
from steersman.kubelet.status_manager import StatusManager
from steersman.testing.control_plane import running_apiserver

PODS = "/api/v1/namespaces/default/pods"


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        yield c
        await c.close()


async def make_pod(client: RestClient, name: str) -> dict:
    return await client.create(
        PODS,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]},
        },
    )


def status(ready: str, when: str = "2026-11-25T10:00:00Z") -> dict:
    return {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": ready, "lastProbeTime": None, "lastTransitionTime": when}
        ],
        "podIP": "10.244.0.7",
    }


async def test_writes_latest_status_keeps_foreign_conditions_and_skips_repeats(
    client: RestClient,
) -> None:
    pod = await make_pod(client, "p")
    uid = pod["metadata"]["uid"]
    # Someone else's condition (e.g. a readiness gate) must survive the kubelet's writes.
    pod["status"]["conditions"] = [{"type": "example.com/gate", "status": "True"}]
    await client.update(f"{PODS}/p/status", pod)
    manager = StatusManager(client, retry_interval=0.05)
    task = asyncio.create_task(manager.run())
    try:
        manager.set_pod_status(uid, "default", "p", uid, status("False"))
        manager.set_pod_status(uid, "default", "p", uid, status("True"))
        for _ in range(100):
            if manager.is_synced(uid):
                break
            await asyncio.sleep(0.02)
        written = await client.get(f"{PODS}/p")
        types = {c["type"]: c["status"] for c in written["status"]["conditions"]}
        assert types == {"example.com/gate": "True", "Ready": "True"}
        assert written["status"]["podIP"] == "10.244.0.7"
        rv = written["metadata"]["resourceVersion"]
        manager.set_pod_status(uid, "default", "p", uid, status("True"))
        await asyncio.sleep(0.2)
        assert (await client.get(f"{PODS}/p"))["metadata"]["resourceVersion"] == rv
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_never_writes_to_another_pod_of_the_same_name(client: RestClient) -> None:
    old = await make_pod(client, "p")
    await client.delete(f"{PODS}/p", {"gracePeriodSeconds": 0})
    new = await make_pod(client, "p")
    manager = StatusManager(client)
    manager.set_pod_status("k", "default", "p", old["metadata"]["uid"], status("True"))
    assert await manager.sync_pod("k")
    after = await client.get(f"{PODS}/p")
    assert after["metadata"]["resourceVersion"] == new["metadata"]["resourceVersion"]


async def test_final_delete_uses_the_uid_precondition(client: RestClient) -> None:
    pod = await make_pod(client, "p")
    await client.delete(f"{PODS}/p", {"gracePeriodSeconds": 30})
    assert (await client.get(f"{PODS}/p"))["metadata"]["deletionTimestamp"]
    manager = StatusManager(client)
    await manager.delete_pod("default", "p", "not-the-uid")
    assert await client.get(f"{PODS}/p")
    await manager.delete_pod("default", "p", pod["metadata"]["uid"])
    with pytest.raises(ApiStatusError) as err:
        await client.get(f"{PODS}/p")
    assert err.value.code == 404
