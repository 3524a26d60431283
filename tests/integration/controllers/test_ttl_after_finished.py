"""TTLAfterFinishedController (with the Job controller, the garbage collector and a fake
kubelet) against an in-process API server; a fake clock moves past the TTL."""

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
from steersman.controllers.garbagecollector import GarbageCollector
from steersman.controllers.job import JobController
from steersman.controllers.ttl_after_finished import TTLAfterFinishedController
from steersman.testing.control_plane import running_apiserver
from tests.integration.controllers.fake_kubelet import FakeKubelet, Outcome

NS = "/api/v1/namespaces/default"
JOBS = "/apis/batch/v1/namespaces/default/jobs"


class FakeClock:
    def __init__(self) -> None:
        self.offset = datetime.timedelta(0)

    def __call__(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + self.offset


class Env:
    def __init__(self, client: RestClient, ttl: TTLAfterFinishedController, clock: FakeClock):
        self.client = client
        self.ttl = ttl
        self.clock = clock

    def advance(self, seconds: float, name: str) -> None:
        self.clock.offset += datetime.timedelta(seconds=seconds)
        self.ttl.queue.add(f"default/{name}")


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        factory = InformerFactory(c)
        clock = FakeClock()
        recorder = EventRecorder(c, "job-controller")
        ttl = TTLAfterFinishedController(
            c, factory, EventRecorder(c, "ttl-after-finished-controller"), clock=clock
        )
        tasks = [
            asyncio.create_task(ttl.run()),
            asyncio.create_task(
                JobController(c, factory, recorder, sync_batch_period=0.05, api_backoff=0.05).run()
            ),
            asyncio.create_task(GarbageCollector(c, factory, workers=2).run()),
            asyncio.create_task(FakeKubelet(c, lambda pod: Outcome(0)).run()),
        ]
        try:
            yield Env(c, ttl, clock)
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
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time (last: {result!r})")
        await asyncio.sleep(0.05)


def job(name: str, ttl: int | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
        }
    }
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


async def complete(client: RestClient, name: str) -> bool:
    obj = await client.get(f"{JOBS}/{name}")
    return any(
        c["type"] == "Complete" and c["status"] == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


async def gone(client: RestClient, name: str) -> bool:
    try:
        await client.get(f"{JOBS}/{name}")
    except ApiStatusError as exc:
        return exc.code == 404
    return False


async def pods_of(client: RestClient, name: str) -> list[Any]:
    items: list[Any] = (
        await client.get(f"{NS}/pods", labelSelector=f"batch.kubernetes.io/job-name={name}")
    )["items"]
    return items


async def test_finished_job_is_deleted_with_its_pods_after_the_ttl(env: Env) -> None:
    await env.client.create(JOBS, job("short", 100))
    await until(lambda: complete(env.client, "short"))
    assert len(await pods_of(env.client, "short")) == 1
    env.advance(50, "short")
    await asyncio.sleep(0.3)
    assert not await gone(env.client, "short")  # 50 s of 100 s
    env.advance(51, "short")
    await until(lambda: gone(env.client, "short"))
    assert await pods_of(env.client, "short") == []  # foreground: the pods went too


async def test_zero_ttl_deletes_at_once_and_no_ttl_never(env: Env) -> None:
    await env.client.create(JOBS, job("keep", None))
    await env.client.create(JOBS, job("now", 0))
    await until(lambda: gone(env.client, "now"))
    await until(lambda: complete(env.client, "keep"))
    env.advance(10**6, "keep")
    await asyncio.sleep(0.3)
    assert not await gone(env.client, "keep")


async def test_ttl_is_rechecked_on_the_live_job(env: Env) -> None:
    await env.client.create(JOBS, job("moving", 100))
    await until(lambda: complete(env.client, "moving"))
    # Raise the TTL; even when the cache still shows the old one, the live Job decides.
    await env.client.patch(f"{JOBS}/moving", {"spec": {"ttlSecondsAfterFinished": 1000}})
    env.advance(200, "moving")
    await asyncio.sleep(0.3)
    assert not await gone(env.client, "moving")
    env.advance(1000, "moving")
    await until(lambda: gone(env.client, "moving"))
