"""CronJobController (with the Job controller and a fake kubelet) against an in-process API
server. A fake clock steps through an every-minute schedule without waiting."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.cronjob import CronJobController
from steersman.controllers.job import JobController
from steersman.testing.control_plane import running_apiserver
from tests.integration.controllers.fake_kubelet import FakeKubelet, Outcome

NS = "/api/v1/namespaces/default"
CRONJOBS = "/apis/batch/v1/namespaces/default/cronjobs"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
UTC = datetime.UTC


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.datetime.now(UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


class Env:
    def __init__(self, client: RestClient, cron: CronJobController, clock: FakeClock) -> None:
        self.client = client
        self.cron = cron
        self.clock = clock
        self.tasks: list[asyncio.Task[None]] = []

    def kubelet(self, outcome: Outcome) -> None:
        self.tasks.append(asyncio.create_task(FakeKubelet(self.client, lambda p: outcome).run()))

    async def create(self, name: str, **spec: Any) -> tuple[dict[str, Any], datetime.datetime]:
        """Create an every-minute CronJob; returns it and its first scheduled time, with the
        clock set just before that time."""
        body = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": name},
            "spec": {
                "schedule": "* * * * *",
                "jobTemplate": {
                    "metadata": {"labels": {"app": name}, "annotations": {"note": "x"}},
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "c", "image": "busybox"}],
                            }
                        }
                    },
                },
                **spec,
            },
        }
        created = await self.client.create(CRONJOBS, body)
        born = datetime.datetime.fromisoformat(
            created["metadata"]["creationTimestamp"].replace("Z", "+00:00")
        )
        first = born.replace(second=0) + datetime.timedelta(minutes=1)
        self.clock.now = first - datetime.timedelta(seconds=5)
        return created, first

    def at(self, when: datetime.datetime, name: str) -> None:
        """Move the clock and wake the controller (the queue's timer runs on real time)."""
        self.clock.now = when
        self.cron.queue.add(f"default/{name}")


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        clock = FakeClock()
        cron_recorder = EventRecorder(c, "cronjob-controller")
        job_recorder = EventRecorder(c, "job-controller")
        cron = CronJobController(c, factory, cron_recorder, clock=clock)
        jobs = JobController(c, factory, job_recorder, sync_batch_period=0.05, api_backoff=0.05)
        harness = Env(c, cron, clock)
        harness.tasks += [
            asyncio.create_task(cron.run()),
            asyncio.create_task(jobs.run()),
            asyncio.create_task(cron_recorder.run()),
            asyncio.create_task(job_recorder.run()),
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


def job_name(cron_job: str, when: datetime.datetime) -> str:
    return f"{cron_job}-{int(when.timestamp()) // 60}"


async def job_names(client: RestClient) -> list[str]:
    return sorted(j["metadata"]["name"] for j in (await client.get(JOBS))["items"])


async def events_for(client: RestClient, name: str) -> list[tuple[str, str, str]]:
    items = (await client.get(f"{NS}/events"))["items"]
    return [
        (e["type"], e["reason"], e["message"])
        for e in items
        if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "CronJob"
    ]


def has_event(client: RestClient, name: str, event: tuple[str, str, str]) -> Callable[[], Any]:
    async def check() -> bool:
        return event in await events_for(client, name)

    return check


async def test_creates_a_job_per_scheduled_time(env: Env) -> None:
    env.kubelet(Outcome(0))
    cron_job, first = await env.create("tick")
    env.at(first - datetime.timedelta(seconds=2), "tick")
    await asyncio.sleep(0.3)
    assert await job_names(env.client) == []  # not yet due
    env.at(first + datetime.timedelta(seconds=1), "tick")
    name = job_name("tick", first)

    async def created() -> dict[str, Any] | None:
        items = (await env.client.get(JOBS))["items"]
        return items[0] if items else None

    job = await until(created)
    meta = job["metadata"]
    assert meta["name"] == name
    assert meta["labels"]["app"] == "tick"
    assert meta["annotations"] == {
        "note": "x",
        SCHEDULED: first.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "tick",
            "uid": cron_job["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    await until(
        has_event(env.client, "tick", ("Normal", "SuccessfulCreate", f"Created job {name}"))
    )
    # The Job completes: it leaves status.active and sets lastSuccessfulTime.
    await until(
        has_event(
            env.client,
            "tick",
            ("Normal", "SawCompletedJob", f"Saw completed job: {name}, status: Complete"),
        )
    )

    async def recorded() -> dict[str, Any] | None:
        status = (await env.client.get(f"{CRONJOBS}/tick")).get("status") or {}
        return status if "lastSuccessfulTime" in status and not status.get("active") else None

    status = await until(recorded)
    assert status["lastScheduleTime"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The same scheduled time is never started twice.
    env.at(first + datetime.timedelta(seconds=30), "tick")
    await asyncio.sleep(0.3)
    assert await job_names(env.client) == [name]


async def test_active_job_is_listed_in_status(env: Env) -> None:
    env.kubelet(Outcome(None))
    _, first = await env.create("busy")
    env.at(first + datetime.timedelta(seconds=1), "busy")

    async def active() -> list[dict[str, Any]]:
        status = (await env.client.get(f"{CRONJOBS}/busy")).get("status") or {}
        return list(status.get("active") or [])

    (ref,) = await until(active)
    job = await env.client.get(f"{JOBS}/{job_name('busy', first)}")
    assert ref == {
        "kind": "Job",
        "namespace": "default",
        "name": job["metadata"]["name"],
        "uid": job["metadata"]["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": ref["resourceVersion"],
    }


async def test_forbid_skips_while_a_job_runs(env: Env) -> None:
    env.kubelet(Outcome(None))
    _, first = await env.create("solo", concurrencyPolicy="Forbid")
    env.at(first + datetime.timedelta(seconds=1), "solo")
    await until(lambda: job_names(env.client))
    await until(lambda: _active_count(env.client, "solo"))
    env.at(first + datetime.timedelta(minutes=1, seconds=1), "solo")
    await until(
        has_event(
            env.client,
            "solo",
            (
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is "
                "Forbid",
            ),
        )
    )
    assert await job_names(env.client) == [job_name("solo", first)]


async def _active_count(client: RestClient, name: str) -> int:
    status = (await client.get(f"{CRONJOBS}/{name}")).get("status") or {}
    return len(status.get("active") or [])


async def test_replace_deletes_the_running_job(env: Env) -> None:
    env.kubelet(Outcome(None))
    _, first = await env.create("swap", concurrencyPolicy="Replace")
    env.at(first + datetime.timedelta(seconds=1), "swap")
    await until(lambda: _active_count(env.client, "swap"))
    second = first + datetime.timedelta(minutes=1)
    env.at(second + datetime.timedelta(seconds=1), "swap")

    async def replaced() -> bool:
        return await job_names(env.client) == [job_name("swap", second)]

    await until(replaced)
    await until(
        has_event(
            env.client,
            "swap",
            ("Normal", "SuccessfulDelete", f"Deleted job {job_name('swap', first)}"),
        )
    )


async def test_history_limit_deletes_oldest_finished_jobs(env: Env) -> None:
    env.kubelet(Outcome(0))
    _, first = await env.create("hist", successfulJobsHistoryLimit=1)
    names = []
    for minute in range(3):
        when = first + datetime.timedelta(minutes=minute)
        names.append(job_name("hist", when))
        env.at(when + datetime.timedelta(seconds=1), "hist")

        async def finished(expected: str = names[-1]) -> bool:
            jobs = (await env.client.get(JOBS))["items"]
            return any(
                j["metadata"]["name"] == expected
                and any(c["type"] == "Complete" for c in j["status"].get("conditions") or [])
                for j in jobs
            )

        await until(finished)
    env.at(first + datetime.timedelta(minutes=2, seconds=5), "hist")

    async def only_newest() -> bool:
        return await job_names(env.client) == [names[-1]]

    await until(only_newest)


async def test_suspend_and_starting_deadline(env: Env) -> None:
    _, first = await env.create("late", suspend=True, startingDeadlineSeconds=10)
    env.at(first + datetime.timedelta(seconds=1), "late")
    await asyncio.sleep(0.3)
    assert await job_names(env.client) == []  # suspended
    await env.client.patch(f"{CRONJOBS}/late", {"spec": {"suspend": False}})
    # Resumed 30 s after the scheduled time: past the 10 s deadline, so it is skipped.
    env.at(first + datetime.timedelta(seconds=30), "late")
    await asyncio.sleep(0.3)
    assert await job_names(env.client) == []
    nxt = first + datetime.timedelta(minutes=1)
    env.at(nxt + datetime.timedelta(seconds=2), "late")

    async def started() -> bool:
        return await job_names(env.client) == [job_name("late", nxt)]

    await until(started)


async def test_time_zone_in_scheduled_timestamp(env: Env) -> None:
    _, first = await env.create("tokyo", timeZone="Asia/Tokyo")
    env.at(first + datetime.timedelta(seconds=1), "tokyo")
    job = await until(lambda: _get_or_none(env.client, f"{JOBS}/{job_name('tokyo', first)}"))
    local = first.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    assert job["metadata"]["annotations"][SCHEDULED] == local.strftime("%Y-%m-%dT%H:%M:%S+09:00")


async def _get_or_none(client: RestClient, path: str) -> dict[str, Any] | None:
    try:
        obj: dict[str, Any] = await client.get(path)
    except ApiStatusError:
        return None
    return obj
