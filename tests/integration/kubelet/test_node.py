"""The kubelet's node side against an in-process API server: registration, status,
conditions, the node Lease, adoption of an existing Node, re-registration."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from steersman.client.rest import ApiStatusError, RestClient
from steersman.kubelet.kubelet import Kubelet, KubeletConfig
from steersman.testing.control_plane import RunningApiServer, running_apiserver


@pytest.fixture
async def server() -> AsyncIterator[RunningApiServer]:
    async with running_apiserver() as srv:
        yield srv


@contextlib.asynccontextmanager
async def kubelet(server: RunningApiServer, root: Path, **extra: Any) -> AsyncIterator[Kubelet]:
    config = KubeletConfig(
        kubeconfig=root / "unused",
        node_name="node-a",
        root_dir=root,
        node_ip="10.0.0.5",
        pod_cidr="10.244.0.0/24",
        node_status_update_frequency=0.2,
        node_lease_renew_interval=0.2,
        **extra,
    )
    k = Kubelet(config, client=RestClient(server.base_url))
    task = asyncio.create_task(k.run())
    try:
        await asyncio.wait_for(k.node_sync.registered.wait(), 5)
        yield k
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            result = await check()
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
            result = None
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_registers_a_ready_node_with_host_capacity(
    server: RunningApiServer, tmp_path: Path
) -> None:
    api = RestClient(server.base_url)
    try:
        async with kubelet(server, tmp_path, node_labels={"team": "a"}):
            node = await api.get("/api/v1/nodes/node-a")
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/hostname"] == "node-a"
        assert labels["kubernetes.io/os"] == "linux" and labels["team"] == "a"
        assert node["spec"]["podCIDR"] == "10.244.0.0/24"
        status = node["status"]
        assert status["capacity"]["pods"] == "110"
        assert int(status["capacity"]["cpu"]) >= 1
        assert status["capacity"]["memory"].endswith("Ki")
        conditions = {c["type"]: c for c in status["conditions"]}
        assert [c["type"] for c in status["conditions"]] == [
            "MemoryPressure",
            "DiskPressure",
            "PIDPressure",
            "Ready",
        ]
        assert conditions["Ready"]["status"] == "True"
        assert conditions["Ready"]["reason"] == "KubeletReady"
        assert conditions["Ready"]["message"] == "kubelet is posting ready status"
        assert conditions["MemoryPressure"]["reason"] == "KubeletHasSufficientMemory"
        assert {"type": "InternalIP", "address": "10.0.0.5"} in status["addresses"]
        assert status["nodeInfo"]["kubeletVersion"].startswith("v1.36")
        assert status["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
    finally:
        await api.close()


async def test_lease_is_owned_by_the_node_and_renewed(
    server: RunningApiServer, tmp_path: Path
) -> None:
    api = RestClient(server.base_url)
    path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a"
    try:
        async with kubelet(server, tmp_path):
            lease = await until(lambda: api.get(path))
            node = await api.get("/api/v1/nodes/node-a")
            assert lease["spec"]["holderIdentity"] == "node-a"
            assert lease["spec"]["leaseDurationSeconds"] == 40
            assert lease["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]
            first = lease["spec"]["renewTime"]

            async def renewed() -> bool:
                return (await api.get(path))["spec"]["renewTime"] != first

            await until(renewed)
            # Deleted under the kubelet: re-created.
            await api.delete(path)
            await until(lambda: api.get(path))
    finally:
        await api.close()


async def test_adopts_an_existing_node_and_reregisters_a_deleted_one(
    server: RunningApiServer, tmp_path: Path
) -> None:
    api = RestClient(server.base_url)
    try:
        await api.create(
            "/api/v1/nodes",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "node-a", "labels": {"keep": "me"}},
            },
        )
        async with kubelet(server, tmp_path):
            node = await api.get("/api/v1/nodes/node-a")
            assert node["metadata"]["labels"]["keep"] == "me"
            assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "node-a"

            async def ready() -> bool:
                n = await api.get("/api/v1/nodes/node-a")
                return any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in (n.get("status") or {}).get("conditions") or []
                )

            await until(ready)
            old_uid = node["metadata"]["uid"]
            await api.delete("/api/v1/nodes/node-a")

            async def back() -> bool:
                n = await api.get("/api/v1/nodes/node-a")
                return n["metadata"]["uid"] != old_uid

            await until(back)
    finally:
        await api.close()


async def test_status_keeps_transition_times_and_skips_unchanged_writes(
    server: RunningApiServer, tmp_path: Path
) -> None:
    api = RestClient(server.base_url)
    try:
        async with kubelet(server, tmp_path) as k:
            # The first status post after registration is always written: wait for it.
            for _ in range(100):
                if k.node_sync._last_reported is not None:
                    break
                await asyncio.sleep(0.02)
            first = await api.get("/api/v1/nodes/node-a")
            await asyncio.sleep(0.7)
            later = await api.get("/api/v1/nodes/node-a")
            # Nothing changed but heartbeats: no status write within the report interval.
            assert later["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
            k.node_sync.report_interval = 0.0
            await until(lambda: _rv_changed(api, later["metadata"]["resourceVersion"]))
            now = await api.get("/api/v1/nodes/node-a")
            before = {c["type"]: c for c in first["status"]["conditions"]}
            for c in now["status"]["conditions"]:
                assert c["lastTransitionTime"] == before[c["type"]]["lastTransitionTime"]
    finally:
        await api.close()


async def _rv_changed(api: RestClient, rv: str) -> bool:
    node = await api.get("/api/v1/nodes/node-a")
    return bool(node["metadata"]["resourceVersion"] != rv)
