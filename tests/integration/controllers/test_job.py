"""JobController against an in-process API server, with a fake kubelet finishing pods."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.job import JobController
from steersman.testing.control_plane import running_apiserver
from tests.integration.controllers.fake_kubelet import FakeKubelet, Outcome, Script

NS = "/api/v1/namespaces/default"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
INDEX = "batch.kubernetes.io/job-completion-index"
FINALIZER = "batch.kubernetes.io/job-tracking"


class Harness:
    def __init__(self, client: RestClient) -> None:
        self.client = client
        self.tasks: list[asyncio.Task[None]] = []

    def kubelet(self, script: Script) -> FakeKubelet:
        kubelet = FakeKubelet(self.client, script)
        self.tasks.append(asyncio.create_task(kubelet.run()))
        return kubelet


@pytest.fixture
async def env() -> AsyncIterator[Harness]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        recorder = EventRecorder(c, "job-controller")
        controller = JobController(
            c,
            factory,
            recorder,
            sync_batch_period=0.05,
            pod_failure_backoff=0.05,
            max_pod_failure_backoff=0.2,
            api_backoff=0.05,
            max_api_backoff=0.5,
        )
        harness = Harness(c)
        harness.tasks += [
            asyncio.create_task(controller.run()),
            asyncio.create_task(recorder.run()),
        ]
        try:
            yield harness
        finally:
            for t in harness.tasks:
                t.cancel()
            for t in harness.tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await factory.stop()
            await c.close()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last: {result!r})")
        await asyncio.sleep(0.05)


def job(name: str, **spec: Any) -> dict[str, Any]:
    template_spec = {
        "restartPolicy": "Never",
        "containers": [{"name": "c", "image": "busybox"}],
    }
    template_spec.update(spec.pop("pod_spec", {}))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": {"spec": template_spec}, **spec},
    }


def conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def finished(kind: str) -> Callable[[RestClient, str], Awaitable[dict[str, Any] | None]]:
    async def check(client: RestClient, name: str) -> dict[str, Any] | None:
        obj = await client.get(f"{JOBS}/{name}")
        cond = conditions(obj).get(kind)
        return obj if cond is not None and cond["status"] == "True" else None

    return check


async def wait_finished(client: RestClient, name: str, kind: str) -> dict[str, Any]:
    result: dict[str, Any] = await until(lambda: finished(kind)(client, name))
    return result


async def events_for(client: RestClient, name: str) -> list[tuple[str, str, str]]:
    items = (await client.get(f"{NS}/events"))["items"]
    return [
        (e["type"], e["reason"], e["message"])
        for e in items
        if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "Job"
    ]


async def pods_of(client: RestClient, name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await client.get(f"{NS}/pods", labelSelector=f"batch.kubernetes.io/job-name={name}")
    )["items"]
    return items


async def test_runs_to_completion_within_parallelism(env: Harness) -> None:
    kubelet = env.kubelet(lambda pod: Outcome(0))
    created = await env.client.create(JOBS, job("pi", completions=4, parallelism=2))
    done = await wait_finished(env.client, "pi", "Complete")
    status = done["status"]
    assert status["succeeded"] == 4
    assert "active" not in status and "failed" not in status
    assert status["ready"] == 0 and status["terminating"] == 0
    assert status["uncountedTerminatedPods"] == {}
    assert status["startTime"] <= status["completionTime"]
    cond = conditions(done)
    assert cond["SuccessCriteriaMet"]["reason"] == "CompletionsReached"
    assert cond["Complete"]["reason"] == "CompletionsReached"
    assert cond["Complete"]["message"] == "Reached expected number of succeeded pods"
    assert cond["Complete"]["lastTransitionTime"] == status["completionTime"]
    assert kubelet.max_running <= 2
    pods = await pods_of(env.client, "pi")
    assert len(pods) == 4
    for pod in pods:
        meta = pod["metadata"]
        assert meta["generateName"] == "pi-"
        assert FINALIZER not in (meta.get("finalizers") or [])  # counted, then released
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": "pi",
                "uid": created["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert meta["labels"]["batch.kubernetes.io/controller-uid"] == created["metadata"]["uid"]
        assert meta["labels"]["job-name"] == "pi"

    async def events() -> list[tuple[str, str, str]]:
        got = await events_for(env.client, "pi")
        return got if ("Normal", "Completed", "Job completed") in got else []

    got = await until(events)
    creates = [m for t, r, m in got if r == "SuccessfulCreate"]
    assert sorted(creates) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)


async def test_backoff_limit_exceeded(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(1))
    await env.client.create(JOBS, job("fails", backoffLimit=1))
    done = await wait_finished(env.client, "fails", "Failed")
    status = done["status"]
    assert status["failed"] == 2 and "succeeded" not in status
    assert "completionTime" not in status
    cond = conditions(done)
    for kind in ("FailureTarget", "Failed"):
        assert cond[kind]["reason"] == "BackoffLimitExceeded"
        assert cond[kind]["message"] == "Job has reached the specified backoff limit"
    assert "Complete" not in cond

    async def warned() -> bool:
        return (
            "Warning",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ) in await events_for(env.client, "fails")

    await until(warned)


async def test_failed_pods_are_replaced_after_a_backoff() -> None:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        recorder = EventRecorder(c, "job-controller")
        controller = JobController(
            c, factory, recorder, sync_batch_period=0.05, pod_failure_backoff=2.0
        )
        tasks = [asyncio.create_task(controller.run())]
        kubelet = FakeKubelet(c, lambda pod: Outcome(1 if len(kubelet.seen) == 1 else 0))
        tasks.append(asyncio.create_task(kubelet.run()))
        try:
            await c.create(JOBS, job("retry", backoffLimit=3))
            done = await wait_finished(c, "retry", "Complete")
            assert done["status"]["failed"] == 1 and done["status"]["succeeded"] == 1
            _, second = sorted(kubelet.seen.values())
            # The replacement waited for the pod-failure back-off (2 s here, 10 s upstream),
            # counted from the container's finishedAt, which has whole-second precision.
            failed_at = min(kubelet.finished.values())
            assert second - failed_at >= 0.95
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await factory.stop()
            await c.close()


async def test_pod_failure_policy_fail_job_and_ignore(env: Harness) -> None:
    disruption = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}

    def script(pod: dict[str, Any]) -> Outcome:
        # The first pod is disrupted (ignored, replaced); the next exits 42 (fails the Job).
        if not first_name or pod["metadata"]["name"] == first_name[0]:
            first_name[:] = [pod["metadata"]["name"]]
            return Outcome(137, [disruption])
        return Outcome(42)

    first_name: list[str] = []
    env.kubelet(script)
    policy = {
        "rules": [
            {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}},
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        ]
    }
    await env.client.create(JOBS, job("pfp", backoffLimit=6, podFailurePolicy=policy))
    done = await wait_finished(env.client, "pfp", "Failed")
    # The disrupted pod does not count; the exit-42 pod does.
    assert done["status"]["failed"] == 1
    cond = conditions(done)["Failed"]
    assert cond["reason"] == "PodFailurePolicy"
    pods = await pods_of(env.client, "pfp")
    failed_pod = next(p for p in pods if p["metadata"]["name"] != first_name[0])
    assert cond["message"] == (
        f"Container c for pod default/{failed_pod['metadata']['name']} failed with exit code 42 "
        "matching FailJob rule at index 0"
    )


async def test_active_deadline_exceeded(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(None))  # runs forever
    await env.client.create(JOBS, job("slow", activeDeadlineSeconds=1, parallelism=2))

    async def two_ready() -> bool:
        st = (await env.client.get(f"{JOBS}/slow")).get("status") or {}
        return st.get("active") == 2 and st.get("ready") == 2

    await until(two_ready)
    done = await wait_finished(env.client, "slow", "Failed")
    cond = conditions(done)["Failed"]
    assert (cond["reason"], cond["message"]) == (
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
    )
    # The running pods were deleted and count as failed.
    assert done["status"]["failed"] == 2 and "active" not in done["status"]
    assert await pods_of(env.client, "slow") == []


async def test_indexed_job(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(0))
    await env.client.create(
        JOBS, job("idx", completions=3, parallelism=3, completionMode="Indexed")
    )
    done = await wait_finished(env.client, "idx", "Complete")
    assert done["status"]["completedIndexes"] == "0-2"
    assert done["status"]["succeeded"] == 3
    by_index = {p["metadata"]["annotations"][INDEX]: p for p in await pods_of(env.client, "idx")}
    assert sorted(by_index) == ["0", "1", "2"]
    for index, pod in by_index.items():
        assert pod["metadata"]["labels"][INDEX] == index
        assert pod["metadata"]["generateName"] == f"idx-{index}-"
        assert pod["spec"]["hostname"] == f"idx-{index}"
        (var,) = pod["spec"]["containers"][0]["env"]
        assert var["name"] == "JOB_COMPLETION_INDEX"
        assert var["valueFrom"]["fieldRef"]["fieldPath"] == f"metadata.labels['{INDEX}']"


async def test_indexed_job_success_policy(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(0 if pod["metadata"]["annotations"][INDEX] == "1" else None))
    await env.client.create(
        JOBS,
        job(
            "leader",
            completions=3,
            parallelism=3,
            completionMode="Indexed",
            successPolicy={"rules": [{"succeededIndexes": "1"}]},
        ),
    )
    done = await wait_finished(env.client, "leader", "Complete")
    cond = conditions(done)
    assert cond["SuccessCriteriaMet"]["reason"] == "SuccessPolicy"
    assert cond["Complete"]["message"] == "Matched rules at index 0"
    assert done["status"]["completedIndexes"] == "1"
    # The other indexes were stopped (and count as failed pods, as upstream).
    assert await until(lambda: _no_active_pods(env.client, "leader"))


async def _no_active_pods(client: RestClient, name: str) -> bool:
    return all(
        p["status"].get("phase") in ("Succeeded", "Failed") for p in await pods_of(client, name)
    )


async def test_backoff_limit_per_index(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(3 if pod["metadata"]["annotations"][INDEX] == "0" else 0))
    await env.client.create(
        JOBS,
        job(
            "perindex",
            completions=2,
            parallelism=2,
            completionMode="Indexed",
            backoffLimitPerIndex=1,
        ),
    )
    done = await wait_finished(env.client, "perindex", "Failed")
    status = done["status"]
    assert status["failedIndexes"] == "0" and status["completedIndexes"] == "1"
    assert status["failed"] == 2  # index 0 ran twice (one retry allowed)
    assert conditions(done)["Failed"]["reason"] == "FailedIndexes"
    assert conditions(done)["Failed"]["message"] == "Job has failed indexes"
    retried = [
        p
        for p in await pods_of(env.client, "perindex")
        if p["metadata"]["annotations"][INDEX] == "0"
    ]
    counts = sorted(
        p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in retried
    )
    assert counts == ["0", "1"]


async def test_suspend_and_resume(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(None))
    await env.client.create(JOBS, job("sleepy", suspend=True, parallelism=2, completions=2))

    async def suspended() -> dict[str, Any] | None:
        obj = await env.client.get(f"{JOBS}/sleepy")
        cond = conditions(obj).get("Suspended")
        return obj if cond and cond["status"] == "True" else None

    obj = await until(suspended)
    cond = conditions(obj)["Suspended"]
    assert (cond["reason"], cond["message"]) == ("JobSuspended", "Job suspended")
    assert "startTime" not in obj["status"]
    assert await pods_of(env.client, "sleepy") == []
    await env.client.patch(f"{JOBS}/sleepy", {"spec": {"suspend": False}})

    async def resumed() -> dict[str, Any] | None:
        obj = await env.client.get(f"{JOBS}/sleepy")
        cond = conditions(obj).get("Suspended")
        running = obj["status"].get("active") == 2
        return obj if cond and cond["status"] == "False" and running else None

    obj = await until(resumed)
    cond = conditions(obj)["Suspended"]
    assert (cond["reason"], cond["message"]) == ("JobResumed", "Job resumed")
    assert obj["status"]["startTime"]
    # Suspending a running Job deletes its pods.
    await env.client.patch(f"{JOBS}/sleepy", {"spec": {"suspend": True}})

    async def stopped() -> bool:
        st = (await env.client.get(f"{JOBS}/sleepy"))["status"]
        return "active" not in st and not await pods_of(env.client, "sleepy")

    await until(stopped)

    async def all_events() -> bool:
        # Events are written asynchronously, after what they report.
        reasons = {r for _, r, _ in await events_for(env.client, "sleepy")}
        return {"Suspended", "Resumed", "SuccessfulDelete"} <= reasons

    await until(all_events)


async def test_orphan_pod_loses_tracking_finalizer(env: Harness) -> None:
    await env.client.create(
        f"{NS}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stray", "finalizers": [FINALIZER]},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
    )

    async def released() -> bool:
        pod = await env.client.get(f"{NS}/pods/stray")
        return FINALIZER not in (pod["metadata"].get("finalizers") or [])

    await until(released)


async def test_deleted_job_releases_its_pods(env: Harness) -> None:
    env.kubelet(lambda pod: Outcome(None))
    await env.client.create(JOBS, job("gone"))
    await until(lambda: pods_of(env.client, "gone"))
    await env.client.delete(f"{JOBS}/gone")

    async def no_finalizer() -> bool:
        pods = await pods_of(env.client, "gone")
        return bool(pods) and all(
            FINALIZER not in (p["metadata"].get("finalizers") or []) for p in pods
        )

    await until(no_finalizer)
    with pytest.raises(ApiStatusError):
        await env.client.get(f"{JOBS}/gone")
