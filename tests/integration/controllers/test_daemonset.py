"""DaemonSetController against an in-process API server with Node objects.

The real scheduler (steersman.scheduler) binds the daemon pods, which the controller pins with a
`matchFields metadata.name` node affinity; a stand-in kubelet marks bound pods Running and Ready
and finishes graceful deletions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.daemonset import DaemonSetController
from steersman.scheduler.scheduler import Scheduler
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"
DS = "/apis/apps/v1/namespaces/default/daemonsets"
CRS = "/apis/apps/v1/namespaces/default/controllerrevisions"


class Kubelet:
    def __init__(self) -> None:
        self.ready: Callable[[dict], bool] = lambda pod: True


async def kubelet_loop(client: RestClient, kubelet: Kubelet) -> None:
    while True:
        try:
            for pod in (await client.get(f"{NS}/pods"))["items"]:
                name = pod["metadata"]["name"]
                if pod["metadata"].get("deletionTimestamp"):
                    with contextlib.suppress(ApiStatusError):
                        await client.delete(f"{NS}/pods/{name}", {"gracePeriodSeconds": 0})
                    continue
                if not pod["spec"].get("nodeName") or pod["status"].get("phase") != "Pending":
                    continue
                if not kubelet.ready(pod):
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
                    await client.update(f"{NS}/pods/{name}/status", pod)
        except ApiStatusError:
            pass
        await asyncio.sleep(0.05)


async def node(
    client: RestClient, name: str, *, taints: list[dict] | None = None, **labels: str
) -> None:
    await client.create(
        "/api/v1/nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
            "spec": {"taints": taints} if taints else {},
            "status": {
                "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
    )


@pytest.fixture
async def env() -> AsyncIterator[tuple[RestClient, Kubelet]]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        recorder = EventRecorder(c, "daemonset-controller")
        kubelet = Kubelet()
        tasks = [
            asyncio.create_task(DaemonSetController(c, factory, recorder).run()),
            asyncio.create_task(Scheduler(c).run()),
            asyncio.create_task(recorder.run()),
            asyncio.create_task(kubelet_loop(c, kubelet)),
        ]
        try:
            yield c, kubelet
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


def daemon_set(
    name: str, image: str = "busybox:1", pod_spec: dict | None = None, **spec: Any
) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}], **(pod_spec or {})},
            },
            **spec,
        },
    }


async def pods_by_node(client: RestClient, app: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for pod in (await client.get(f"{NS}/pods", labelSelector=f"app={app}"))["items"]:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        out.setdefault(pod["spec"].get("nodeName") or "", []).append(pod)
    return out


async def status_if(client: RestClient, name: str, test: Callable[[dict], bool]) -> dict:
    st = (await client.get(f"{DS}/{name}")).get("status") or {}
    return st if test(st) else {}


def ready(pod: dict) -> bool:
    return pod["status"].get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")


DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


async def test_places_one_pod_per_eligible_node(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    await node(client, "n1", role="worker")
    await node(
        client,
        "n2",
        role="worker",
        taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}],
    )
    await node(client, "n3", role="infra")
    ds = await client.create(DS, daemon_set("agent", pod_spec={"nodeSelector": {"role": "worker"}}))

    async def on_n1() -> dict:
        st = await status_if(client, "agent", lambda s: s.get("numberAvailable") == 1)
        placed = await pods_by_node(client, "agent")
        return st if st and set(placed) == {"n1"} else {}

    status = await until(on_n1)
    (revision,) = (await client.get(CRS))["items"]
    hash_ = revision["metadata"]["labels"]["controller-revision-hash"]
    assert revision["metadata"]["name"] == f"agent-{hash_}"
    assert revision["revision"] == 1
    assert status == {
        "currentNumberScheduled": 1,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 1,
        "numberReady": 1,
        "observedGeneration": 1,
        "updatedNumberScheduled": 1,
        "numberAvailable": 1,
    }
    (pod,) = (await pods_by_node(client, "agent"))["n1"]
    assert pod["metadata"]["generateName"] == "agent-"
    assert pod["metadata"]["labels"] == {
        "app": "agent",
        "controller-revision-hash": hash_,
        "pod-template-generation": "1",
    }
    assert pod["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
    assert pod["spec"]["affinity"] == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
                ]
            }
        }
    }
    # The API server appends its default tolerationSeconds ones after the DaemonSet's.
    assert pod["spec"]["tolerations"][:6] == DEFAULT_TOLERATIONS

    # Tolerating the taint brings n2 in.
    await client.patch(
        f"{DS}/agent",
        {
            "spec": {
                "template": {
                    "spec": {
                        "tolerations": [{"key": "dedicated", "operator": "Exists"}],
                    }
                }
            }
        },
    )

    async def on_n1_n2() -> bool:
        placed = await pods_by_node(client, "agent")
        return set(placed) == {"n1", "n2"} and all(
            p["metadata"]["labels"]["controller-revision-hash"] != hash_
            for pods in placed.values()
            for p in pods
        )

    await until(on_n1_n2)
    # Relabelling nodes moves the daemon: n3 joins, n1 leaves.
    await client.patch("/api/v1/nodes/n3", {"metadata": {"labels": {"role": "worker"}}})
    await client.patch("/api/v1/nodes/n1", {"metadata": {"labels": {"role": "infra"}}})

    async def on_n2_n3() -> bool:
        return set(await pods_by_node(client, "agent")) == {"n2", "n3"}

    await until(on_n2_n3)
    final = await until(
        lambda: status_if(
            client,
            "agent",
            lambda s: (
                s.get("desiredNumberScheduled") == 2
                and s.get("numberAvailable") == 2
                and s.get("updatedNumberScheduled") == 2
                # The pod leaving n1 counts as misscheduled until it is gone.
                and s.get("numberMisscheduled") == 0
            ),
        )
    )
    assert final["numberMisscheduled"] == 0
    await asyncio.sleep(0.2)
    events = [
        e
        for e in (await client.get(f"{NS}/events"))["items"]
        if e["involvedObject"]["name"] == "agent"
    ]
    reasons = {e["reason"] for e in events}
    assert {"SuccessfulCreate", "SuccessfulDelete"} <= reasons
    assert any(e["message"].startswith("Created pod: agent-") for e in events)
    assert any(e["message"].startswith("Deleted pod: agent-") for e in events)


async def _watch_min_ready(client: RestClient, app: str, samples: list[int]) -> None:
    while True:
        with contextlib.suppress(ApiStatusError):
            placed = await pods_by_node(client, app)
            samples.append(sum(1 for pods in placed.values() if any(ready(p) for p in pods)))
        await asyncio.sleep(0.02)


async def _rollout(client: RestClient, name: str, nodes: int) -> list[int]:
    await until(lambda: status_if(client, name, lambda s: s.get("numberAvailable") == nodes))
    samples: list[int] = []
    watcher = asyncio.create_task(_watch_min_ready(client, name, samples))
    try:
        await client.patch(
            f"{DS}/{name}",
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
        )

        async def rolled() -> bool:
            placed = await pods_by_node(client, name)
            pods = [p for ps in placed.values() for p in ps]
            st = await status_if(
                client,
                name,
                lambda s: (
                    s.get("updatedNumberScheduled") == nodes
                    and s.get("numberAvailable") == nodes
                    and s.get("observedGeneration") == 2
                ),
            )
            return (
                bool(st)
                and len(pods) == nodes
                and all(
                    p["spec"]["containers"][0]["image"] == "busybox:2" and ready(p) for p in pods
                )
            )

        await until(rolled)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    return samples


async def test_rolling_update_keeps_max_unavailable(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    for name in ("n1", "n2", "n3"):
        await node(client, name)
    await client.create(DS, daemon_set("roll"))
    samples = await _rollout(client, "roll", 3)
    assert min(samples) >= 2  # maxUnavailable 1: at most one node without a ready pod
    revisions = sorted(r["revision"] for r in (await client.get(CRS))["items"])
    assert revisions == [1, 2]


async def test_rolling_update_with_surge_keeps_all_available(
    env: tuple[RestClient, Kubelet],
) -> None:
    client, _ = env
    for name in ("n1", "n2"):
        await node(client, name)
    await client.create(
        DS,
        daemon_set(
            "surge",
            updateStrategy={
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
        ),
    )
    samples = await _rollout(client, "surge", 2)
    assert min(samples) == 2  # the old pod goes only after its replacement is available


async def test_on_delete_and_failed_pods(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    await node(client, "n1")
    await client.create(DS, daemon_set("od", updateStrategy={"type": "OnDelete"}))
    await until(lambda: status_if(client, "od", lambda s: s.get("numberAvailable") == 1))
    await client.patch(
        f"{DS}/od",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
    )
    await until(lambda: status_if(client, "od", lambda s: s.get("observedGeneration") == 2))
    (old,) = (await pods_by_node(client, "od"))["n1"]
    assert old["spec"]["containers"][0]["image"] == "busybox:1"
    st = await status_if(client, "od", lambda s: True)
    assert "updatedNumberScheduled" not in st  # the pod is out of date: 0, omitted

    # A failed daemon pod is deleted (with an event) and replaced at the new revision.
    old["status"]["phase"] = "Failed"
    await client.update(f"{NS}/pods/{old['metadata']['name']}/status", old)

    async def replaced() -> bool:
        pods = (await pods_by_node(client, "od")).get("n1") or []
        return (
            len(pods) == 1
            and pods[0]["metadata"]["uid"] != old["metadata"]["uid"]
            and (pods[0]["spec"]["containers"][0]["image"] == "busybox:2")
        )

    await until(replaced)
    await asyncio.sleep(0.2)
    events = (await client.get(f"{NS}/events"))["items"]
    assert any(
        e["reason"] == "FailedDaemonPod"
        and e["message"]
        == f"Found failed daemon pod default/{old['metadata']['name']} on node n1, "
        "will try to kill it"
        for e in events
    )
