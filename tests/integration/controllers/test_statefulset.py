"""StatefulSetController (with the garbage collector) against an in-process API server.

A stand-in kubelet binds pods to one node (pods/binding) and marks them Running and Ready when
the test allows it; it finishes graceful deletions only when the test allows that too, so the
ordering guarantees can be observed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.garbagecollector import GarbageCollector
from steersman.controllers.statefulset import StatefulSetController
from steersman.testing.control_plane import running_apiserver

NS = "/api/v1/namespaces/default"
STS = "/apis/apps/v1/namespaces/default/statefulsets"
CRS = "/apis/apps/v1/namespaces/default/controllerrevisions"


class Kubelet:
    """Decides which pods turn Running/Ready and whether graceful deletions complete."""

    def __init__(self) -> None:
        self.ready: Callable[[dict], bool] = lambda pod: True
        self.finish_deletes = True


async def kubelet_loop(client: RestClient, kubelet: Kubelet) -> None:
    while True:
        try:
            for pod in (await client.get(f"{NS}/pods"))["items"]:
                name = pod["metadata"]["name"]
                if pod["metadata"].get("deletionTimestamp"):
                    if kubelet.finish_deletes:
                        with contextlib.suppress(ApiStatusError):
                            await client.delete(f"{NS}/pods/{name}", {"gracePeriodSeconds": 0})
                    continue
                if not pod["spec"].get("nodeName"):
                    with contextlib.suppress(ApiStatusError):
                        await client.create(
                            f"{NS}/pods/{name}/binding",
                            {
                                "apiVersion": "v1",
                                "kind": "Binding",
                                "metadata": {"name": name},
                                "target": {"kind": "Node", "name": "node-1"},
                            },
                        )
                    continue
                if pod["status"].get("phase") != "Pending" or not kubelet.ready(pod):
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


@pytest.fixture
async def env() -> AsyncIterator[tuple[RestClient, Kubelet]]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        await c.create(
            "/api/v1/nodes",
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}},
        )
        factory = InformerFactory(c)
        recorder = EventRecorder(c, "statefulset-controller")
        kubelet = Kubelet()
        tasks = [
            asyncio.create_task(StatefulSetController(c, factory, recorder).run()),
            asyncio.create_task(GarbageCollector(c, factory).run()),
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


async def stays(check: Callable[[], Awaitable[bool]], seconds: float = 0.6) -> None:
    """`check` holds throughout a short window (used to show something does NOT happen)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        assert await check()
        await asyncio.sleep(0.05)


def stateful_set(name: str, replicas: int, image: str = "busybox:1", **spec: Any) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": "svc",
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            **spec,
        },
    }


async def pods_of(client: RestClient, app: str) -> dict[str, dict]:
    items = (await client.get(f"{NS}/pods", labelSelector=f"app={app}"))["items"]
    return {p["metadata"]["name"]: p for p in items}


async def live_pods(client: RestClient, app: str) -> dict[str, dict]:
    return {
        n: p
        for n, p in (await pods_of(client, app)).items()
        if not p["metadata"].get("deletionTimestamp")
    }


async def status_of(client: RestClient, name: str) -> dict:
    return (await client.get(f"{STS}/{name}")).get("status") or {}


async def events_for(client: RestClient, name: str) -> list[dict]:
    items = (await client.get(f"{NS}/events"))["items"]
    return [e for e in items if e["involvedObject"]["name"] == name]


async def test_ordered_ready_creation_identity_and_status(
    env: tuple[RestClient, Kubelet],
) -> None:
    client, kubelet = env
    kubelet.ready = lambda pod: pod["metadata"]["name"] == "web-0"
    sts = await client.create(STS, stateful_set("web", 3))

    async def two_pods() -> bool:
        return set(await pods_of(client, "web")) == {"web-0", "web-1"}

    await until(two_pods)
    # web-1 is never Ready, so web-2 is never created.
    await stays(two_pods)

    kubelet.ready = lambda pod: True

    async def all_ready() -> dict:
        st = await status_of(client, "web")
        return st if st.get("readyReplicas") == 3 and st.get("currentReplicas") == 3 else {}

    status = await until(all_ready)
    (revision,) = (await client.get(CRS))["items"]
    assert revision["revision"] == 1
    assert revision["metadata"]["name"].startswith("web-")
    assert revision["metadata"]["labels"]["app"] == "web"
    assert "controller.kubernetes.io/hash" in revision["metadata"]["labels"]
    assert revision["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    assert status == {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "availableReplicas": 3,
        "currentRevision": revision["metadata"]["name"],
        "updateRevision": revision["metadata"]["name"],
        "collisionCount": 0,
    }
    pod = (await pods_of(client, "web"))["web-1"]
    assert pod["metadata"]["generateName"] == "web-"
    assert pod["metadata"]["labels"] == {
        "app": "web",
        "statefulset.kubernetes.io/pod-name": "web-1",
        "apps.kubernetes.io/pod-index": "1",
        "controller-revision-hash": revision["metadata"]["name"],
    }
    assert pod["spec"]["hostname"] == "web-1"
    assert pod["spec"]["subdomain"] == "svc"
    assert pod["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "name": "web",
            "uid": sts["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    await asyncio.sleep(1.0)  # let the recorder write (events are asynchronous)
    messages = {(e["reason"], e["message"]) for e in await events_for(client, "web")}
    assert ("SuccessfulCreate", "create Pod web-0 in StatefulSet web successful") in messages
    assert ("SuccessfulCreate", "create Pod web-2 in StatefulSet web successful") in messages


async def test_scale_down_deletes_in_reverse_order(env: tuple[RestClient, Kubelet]) -> None:
    client, kubelet = env
    await client.create(STS, stateful_set("db", 3))

    async def ready3() -> bool:
        return (await status_of(client, "db")).get("readyReplicas") == 3

    await until(ready3)
    kubelet.finish_deletes = False
    await client.patch(f"{STS}/db", {"spec": {"replicas": 1}})

    async def terminating(name: str) -> bool:
        pod = (await pods_of(client, "db")).get(name)
        return pod is not None and bool(pod["metadata"].get("deletionTimestamp"))

    await until(lambda: terminating("db-2"))

    async def db1_untouched() -> bool:
        return not await terminating("db-1")

    # OrderedReady: db-1 waits while db-2 is still terminating.
    await stays(db1_untouched)
    kubelet.finish_deletes = True

    async def one_left() -> bool:
        return set(await pods_of(client, "db")) == {"db-0"}

    await until(one_left)
    st = await until(
        lambda: _status_if(
            client, "db", lambda s: s.get("replicas") == 1 and s.get("readyReplicas") == 1
        )
    )
    assert st["currentReplicas"] == 1
    await asyncio.sleep(1.0)  # events are written asynchronously
    deletes = [
        e["message"] for e in await events_for(client, "db") if e["reason"] == "SuccessfulDelete"
    ]
    assert "delete Pod db-2 in StatefulSet db successful" in deletes
    assert "delete Pod db-1 in StatefulSet db successful" in deletes


async def _status_if(client: RestClient, name: str, test: Callable[[dict], bool]) -> dict:
    st = await status_of(client, name)
    return st if test(st) else {}


async def test_parallel_creates_without_waiting(env: tuple[RestClient, Kubelet]) -> None:
    client, kubelet = env
    kubelet.ready = lambda pod: False
    await client.create(STS, stateful_set("par", 3, podManagementPolicy="Parallel"))

    async def three() -> bool:
        return set(await pods_of(client, "par")) == {"par-0", "par-1", "par-2"}

    await until(three)
    st = await until(lambda: _status_if(client, "par", lambda s: s.get("replicas") == 3))
    assert "readyReplicas" not in st  # omitempty zero, as Go writes it
    assert st["availableReplicas"] == 0


async def test_rolling_update_with_partition_then_rollback(
    env: tuple[RestClient, Kubelet],
) -> None:
    client, _ = env
    await client.create(STS, stateful_set("roll", 3))
    first = await until(lambda: _status_if(client, "roll", lambda s: s.get("readyReplicas") == 3))
    rev1 = first["currentRevision"]
    await client.patch(
        f"{STS}/roll",
        {
            "spec": {
                "updateStrategy": {"rollingUpdate": {"partition": 2}},
                "template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}},
            }
        },
    )

    async def partitioned() -> dict:
        st = await status_of(client, "roll")
        ok = (
            st.get("updatedReplicas") == 1
            and st.get("readyReplicas") == 3
            and st.get("updateRevision") != rev1
        )
        return st if ok else {}

    st = await until(partitioned)
    rev2 = st["updateRevision"]
    assert st["currentRevision"] == rev1 and st["currentReplicas"] == 2
    pods = await live_pods(client, "roll")
    assert pods["roll-2"]["metadata"]["labels"]["controller-revision-hash"] == rev2
    assert pods["roll-2"]["spec"]["containers"][0]["image"] == "busybox:2"
    assert pods["roll-0"]["metadata"]["labels"]["controller-revision-hash"] == rev1
    numbers = {r["metadata"]["name"]: r["revision"] for r in (await client.get(CRS))["items"]}
    assert numbers == {rev1: 1, rev2: 2}

    await client.patch(
        f"{STS}/roll", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}
    )
    done = await until(
        lambda: _status_if(
            client,
            "roll",
            lambda s: (
                s.get("currentRevision") == rev2
                and s.get("updatedReplicas") == 3
                and s.get("readyReplicas") == 3
            ),
        )
    )
    assert done["currentReplicas"] == 3
    images = {
        p["spec"]["containers"][0]["image"] for p in (await live_pods(client, "roll")).values()
    }
    assert images == {"busybox:2"}

    # Rolling back to the first template reuses its revision under a new number.
    await client.patch(
        f"{STS}/roll",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}},
    )
    await until(
        lambda: _status_if(
            client,
            "roll",
            lambda s: (
                s.get("currentRevision") == rev1
                and s.get("updatedReplicas") == 3
                and s.get("readyReplicas") == 3
            ),
        )
    )
    numbers = {r["metadata"]["name"]: r["revision"] for r in (await client.get(CRS))["items"]}
    assert numbers == {rev1: 3, rev2: 2}


async def test_on_delete_replaces_only_deleted_pods(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    await client.create(STS, stateful_set("od", 2, updateStrategy={"type": "OnDelete"}))
    first = await until(lambda: _status_if(client, "od", lambda s: s.get("readyReplicas") == 2))
    await client.patch(
        f"{STS}/od",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}},
    )
    st = await until(
        lambda: _status_if(
            client, "od", lambda s: s.get("updateRevision") != first["currentRevision"]
        )
    )

    async def untouched() -> bool:
        pods = await live_pods(client, "od")
        return len(pods) == 2 and all(
            p["spec"]["containers"][0]["image"] == "busybox:1" for p in pods.values()
        )

    await stays(untouched)
    await client.delete(f"{NS}/pods/od-1")

    async def replaced() -> dict:
        pod = (await live_pods(client, "od")).get("od-1")
        return pod if pod and pod["spec"]["containers"][0]["image"] == "busybox:2" else {}

    pod = await until(replaced)
    assert pod["metadata"]["labels"]["controller-revision-hash"] == st["updateRevision"]
    assert (await live_pods(client, "od"))["od-0"]["spec"]["containers"][0]["image"] == "busybox:1"


def _claim_template() -> dict:
    return {
        "metadata": {"name": "www"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


async def test_claims_start_ordinal_and_scale_retention(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    await client.create(
        STS,
        stateful_set(
            "vol",
            2,
            ordinals={"start": 5},
            volumeClaimTemplates=[_claim_template()],
            persistentVolumeClaimRetentionPolicy={"whenDeleted": "Retain", "whenScaled": "Delete"},
        ),
    )
    await until(lambda: _status_if(client, "vol", lambda s: s.get("readyReplicas") == 2))
    pods = await pods_of(client, "vol")
    assert set(pods) == {"vol-5", "vol-6"}
    assert pods["vol-6"]["spec"]["volumes"][0] == {
        "name": "www",
        "persistentVolumeClaim": {"claimName": "www-vol-6"},
    }
    claims = {
        c["metadata"]["name"]: c
        for c in (await client.get(f"{NS}/persistentvolumeclaims"))["items"]
    }
    assert set(claims) == {"www-vol-5", "www-vol-6"}
    assert claims["www-vol-5"]["metadata"]["labels"] == {"app": "vol"}
    assert not claims["www-vol-5"]["metadata"].get("ownerReferences")
    await asyncio.sleep(1.0)  # events are written asynchronously
    messages = {e["message"] for e in await events_for(client, "vol")}
    assert "create Claim www-vol-5 Pod vol-5 in StatefulSet vol success" in messages

    await client.patch(f"{STS}/vol", {"spec": {"replicas": 1}})

    async def claim_gone() -> bool:
        names = {
            c["metadata"]["name"]
            for c in (await client.get(f"{NS}/persistentvolumeclaims"))["items"]
        }
        return names == {"www-vol-5"}

    # whenScaled=Delete: the claim of the removed pod is owned by that pod, so the GC removes it.
    await until(claim_gone)
    assert set(await pods_of(client, "vol")) == {"vol-5"}


async def test_when_deleted_delete_owns_claims_by_the_set(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    sts = await client.create(
        STS,
        stateful_set(
            "keep",
            1,
            volumeClaimTemplates=[_claim_template()],
            persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete", "whenScaled": "Retain"},
        ),
    )

    async def owned_claim() -> dict:
        try:
            claim = await client.get(f"{NS}/persistentvolumeclaims/www-keep-0")
        except ApiStatusError:
            return {}
        refs = claim["metadata"].get("ownerReferences") or []
        return claim if refs else {}

    claim = await until(owned_claim)
    (ref,) = claim["metadata"]["ownerReferences"]
    assert ref["kind"] == "StatefulSet" and ref["uid"] == sts["metadata"]["uid"]
    assert ref["controller"] is True


async def test_failed_pod_is_recreated(env: tuple[RestClient, Kubelet]) -> None:
    client, _ = env
    await client.create(STS, stateful_set("fail", 1))
    await until(lambda: _status_if(client, "fail", lambda s: s.get("readyReplicas") == 1))
    pod = (await pods_of(client, "fail"))["fail-0"]
    pod["status"]["phase"] = "Failed"
    await client.update(f"{NS}/pods/fail-0/status", pod)

    async def recreated() -> bool:
        new = (await live_pods(client, "fail")).get("fail-0")
        return new is not None and new["metadata"]["uid"] != pod["metadata"]["uid"]

    await until(recreated)
