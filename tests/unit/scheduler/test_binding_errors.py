"""A binding that fails below HTTP (or a bind plugin that raises) must not leave the pod
assumed forever: the scheduler forgets it, says why in an event and retries after backoff."""

from __future__ import annotations

from typing import Any

import aiohttp

from steersman.client.rest import RestClient
from steersman.scheduler.framework import CycleState
from steersman.scheduler.plugins.default_binder import DefaultBinder
from steersman.scheduler.queue import QueuedPodInfo
from steersman.scheduler.scheduler import Scheduler

POD: dict[str, Any] = {
    "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
    "spec": {"containers": [{"name": "c", "image": "x"}]},
}


class _ResettingClient:
    async def create(self, path: str, body: Any) -> Any:
        raise aiohttp.ClientConnectionResetError("Cannot write to closing transport")


async def test_default_binder_turns_transport_errors_into_an_error_status() -> None:
    status = await DefaultBinder(_ResettingClient()).bind(CycleState(), POD, "n1")  # type: ignore[arg-type]
    assert not status.ok
    assert "binding request failed" in status.message


async def test_failed_binding_forgets_the_pod_and_retries_it() -> None:
    client = RestClient("http://127.0.0.1:9")
    scheduler = Scheduler(client)
    framework = scheduler.frameworks["default-scheduler"]
    scheduler.cache.add_node({"metadata": {"name": "n1"}, "status": {"allocatable": {}}})

    async def raising_bind(state: CycleState, pod: Any, node_name: str) -> Any:
        raise RuntimeError("plugin blew up")

    framework.bind = raising_bind  # type: ignore[method-assign]
    info = QueuedPodInfo(POD)
    scheduler.cache.assume(POD, "n1")
    await scheduler._bind(framework, CycleState(), info, "n1")
    assert "u1" not in scheduler.cache.assumed
    assert scheduler.cache.nodes["n1"].pods == []
    assert len(scheduler.queue) == 1  # back in the queue (backoff), not lost
    recorder = scheduler.recorders["default-scheduler"]
    queued = recorder._queue.get_nowait()
    assert queued["reason"] == "FailedScheduling"
    assert queued["message"].startswith("Binding rejected: running Bind plugin: plugin blew up")
    await client.close()
