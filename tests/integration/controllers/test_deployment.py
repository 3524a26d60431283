"""DeploymentController with the ReplicaSet controller against an in-process API server.
A tiny stand-in kubelet marks every pod Running and Ready so rollouts can progress."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.deployment import DeploymentController
from steersman.controllers.garbagecollector import GarbageCollector
from steersman.controllers.replicaset import ReplicaSetController
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"
DEP = "/apis/apps/v1/namespaces/default/deployments"
RS = "/apis/apps/v1/namespaces/default/replicasets"


async def ready_all_pods(client: RestClient, *, ready: Callable[[dict], bool]) -> None:
    """Marks pods Running/Ready as a kubelet would (those `ready` accepts)."""
    while True:
        try:
            pods = (await client.get(f"{NS}/pods"))["items"]
            for pod in pods:
                if pod["metadata"].get("deletionTimestamp"):
                    with contextlib.suppress(ApiStatusError):
                        await client.delete(
                            f"{NS}/pods/{pod['metadata']['name']}", {"gracePeriodSeconds": 0}
                        )
                    continue
                if pod.get("status", {}).get("phase") == "Running" or not ready(pod):
                    continue
                pod["status"] = {
                    "phase": "Running",
                    "qosClass": pod["status"].get("qosClass", "BestEffort"),
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "lastTransitionTime": "2026-01-01T00:00:00Z",
                        }
                    ],
                }
                with contextlib.suppress(ApiStatusError):
                    await client.update(f"{NS}/pods/{pod['metadata']['name']}/status", pod)
        except ApiStatusError:
            pass
        await asyncio.sleep(0.05)


@pytest.fixture
async def env() -> AsyncIterator[dict[str, Any]]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        rec = EventRecorder(c, "deployment-controller")
        state: dict[str, Any] = {"client": c, "ready": lambda pod: True}
        tasks = [
            asyncio.create_task(DeploymentController(c, factory, rec).run()),
            asyncio.create_task(ReplicaSetController(c, factory, EventRecorder(c, "rs")).run()),
            asyncio.create_task(GarbageCollector(c, factory).run()),
            asyncio.create_task(rec.run()),
            asyncio.create_task(ready_all_pods(c, ready=lambda pod: state["ready"](pod))),
        ]
        try:
            yield state
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await factory.stop()
            await c.close()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while True:
        last = await check()
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last: {last!r})")
        await asyncio.sleep(0.05)


def deployment(name: str, replicas: int, image: str, **spec: Any) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            **spec,
        },
    }


def conditions(d: dict) -> dict[str, dict]:
    return {c["type"]: c for c in (d.get("status") or {}).get("conditions") or []}


async def complete(client: RestClient, name: str, replicas: int) -> dict | None:
    d = await client.get(f"{DEP}/{name}")
    st = d.get("status") or {}
    ok = (
        st.get("observedGeneration") == d["metadata"]["generation"]
        and st.get("updatedReplicas") == replicas
        and st.get("availableReplicas") == replicas
        and st.get("replicas") == replicas
        and conditions(d).get("Progressing", {}).get("reason") == "NewReplicaSetAvailable"
    )
    return d if ok else None


async def test_rollout_then_rolling_update_then_history(env: dict[str, Any]) -> None:
    client: RestClient = env["client"]
    await client.create(DEP, deployment("web", 3, "busybox:1"))
    d = await until(lambda: complete(client, "web", 3))
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    conds = conditions(d)
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Available"]["message"] == "Deployment has minimum availability."
    (rs,) = (await client.get(RS))["items"]
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert (
        conds["Progressing"]["message"]
        == f'ReplicaSet "web-{pod_hash}" has successfully progressed.'
    )

    await client.patch(
        f"{DEP}/web",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
        patch_type="application/strategic-merge-patch+json",
    )

    async def rolled() -> dict | None:
        d = await complete(client, "web", 3)
        return (
            d
            if d and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
            else None
        )

    await until(rolled)
    sets = {
        r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: r
        for r in (await client.get(RS))["items"]
    }
    assert sets["1"]["spec"]["replicas"] == 0 and sets["2"]["spec"]["replicas"] == 3
    pods = (await client.get(f"{NS}/pods", labelSelector="app=web"))["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert {p["spec"]["containers"][0]["image"] for p in live} == {"busybox:2"}
    events = (await client.get(f"{NS}/events"))["items"]
    messages = [e["message"] for e in events if e["reason"] == "ScalingReplicaSet"]
    assert f"Scaled up replica set web-{pod_hash} from 0 to 3" in messages

    # Roll back to the first template: its ReplicaSet becomes revision 3.
    await client.patch(
        f"{DEP}/web",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}},
        patch_type="application/strategic-merge-patch+json",
    )

    async def rolled_back() -> bool:
        rs1 = await client.get(f"{RS}/web-{pod_hash}")
        ann = rs1["metadata"]["annotations"]
        return ann.get("deployment.kubernetes.io/revision") == "3" and rs1["spec"]["replicas"] == 3

    await until(rolled_back)
    rs1 = await client.get(f"{RS}/web-{pod_hash}")
    assert rs1["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"


async def test_rolling_update_respects_max_unavailable_and_surge(env: dict[str, Any]) -> None:
    client: RestClient = env["client"]
    await client.create(
        DEP,
        deployment(
            "api",
            4,
            "busybox:1",
            strategy={
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
        ),
    )
    await until(lambda: complete(client, "api", 4))
    env["ready"] = lambda pod: (
        pod["spec"]["containers"][0]["image"] != "busybox:2"
    )  # new pods never ready
    await client.patch(
        f"{DEP}/api",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
        patch_type="application/strategic-merge-patch+json",
    )
    await asyncio.sleep(1.0)
    sets = (await client.get(RS))["items"]
    total = sum(r["spec"]["replicas"] for r in sets)
    assert total == 5  # replicas + maxSurge, and no old pod removed (maxUnavailable 0)
    old = next(
        r for r in sets if r["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1"
    )
    assert old["spec"]["replicas"] == 4
    d = await client.get(f"{DEP}/api")
    assert conditions(d)["Progressing"]["reason"] in ("ReplicaSetUpdated", "NewReplicaSetCreated")


async def test_paused_deployment_only_scales(env: dict[str, Any]) -> None:
    client: RestClient = env["client"]
    await client.create(DEP, deployment("paused", 1, "busybox:1"))
    await until(lambda: complete(client, "paused", 1))
    await client.patch(f"{DEP}/paused", {"spec": {"paused": True}})

    async def paused_condition() -> bool:
        d = await client.get(f"{DEP}/paused")
        p = conditions(d).get("Progressing", {})
        return p.get("reason") == "DeploymentPaused" and p.get("status") == "Unknown"

    await until(paused_condition)
    await client.patch(
        f"{DEP}/paused",
        {
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [{"name": "c", "image": "busybox:9"}]}},
            }
        },
        patch_type="application/strategic-merge-patch+json",
    )

    async def scaled() -> bool:
        sets = (await client.get(RS))["items"]
        return len(sets) == 1 and sets[0]["spec"]["replicas"] == 2

    await until(scaled)
    await client.patch(f"{DEP}/paused", {"spec": {"paused": False}})

    async def resumed() -> bool:
        return len((await client.get(RS))["items"]) == 2

    await until(resumed)


async def test_recreate_scales_old_to_zero_before_new(env: dict[str, Any]) -> None:
    client: RestClient = env["client"]
    await client.create(DEP, deployment("rc", 2, "busybox:1", strategy={"type": "Recreate"}))
    await until(lambda: complete(client, "rc", 2))
    await client.patch(
        f"{DEP}/rc",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
        patch_type="application/strategic-merge-patch+json",
    )

    async def done() -> dict | None:
        d = await complete(client, "rc", 2)
        return (
            d
            if d and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
            else None
        )

    await until(done)
    sets = {
        r["spec"]["template"]["spec"]["containers"][0]["image"]: r
        for r in (await client.get(RS))["items"]
    }
    assert sets["busybox:1"]["spec"]["replicas"] == 0 and sets["busybox:2"]["spec"]["replicas"] == 2
