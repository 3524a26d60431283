"""Prober: mechanism dispatch, retries of probes that cannot run, result mapping, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from steersman.kubelet.prober.probe import ProbeType
from steersman.kubelet.prober.prober import Prober, container_field_path, format_pod
from steersman.kubelet.prober.results import Result

POD = {"metadata": {"uid": "u1", "name": "web", "namespace": "default"}, "spec": {}}
STATUS = {"podIP": "127.0.0.1"}


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str]] = []

    def event(
        self, obj: dict[str, Any], type_: str, reason: str, message: str, *, field_path: str = ""
    ) -> None:
        self.events.append((type_, reason, message, field_path))


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="body")

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{request.url.port}/200", text="gone")

    app = web.Application()
    app.router.add_get("/away", away)
    app.router.add_get("/{code}", status)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server: Any = site._server
    yield server.sockets[0].getsockname()[1]
    await runner.cleanup()


def container(**probes: Any) -> dict[str, Any]:
    return {"name": "app", "ports": [{"name": "http", "containerPort": 0}], **probes}


async def test_http_failure_records_unhealthy_event(port: int) -> None:
    recorder = Recorder()
    ctr = container(livenessProbe={"httpGet": {"path": "/500", "port": port}})
    result = await Prober(recorder=recorder).probe(ProbeType.LIVENESS, POD, STATUS, ctr, "c1")
    assert result is Result.FAILURE
    assert recorder.events == [
        (
            "Warning",
            "Unhealthy",
            "Liveness probe failed: HTTP probe failed with statuscode: 500",
            "spec.containers{app}",
        )
    ]


async def test_http_success_and_named_port(port: int) -> None:
    ctr = container(readinessProbe={"httpGet": {"path": "/204", "port": "http"}})
    ctr["ports"][0]["containerPort"] = port
    recorder = Recorder()
    result = await Prober(recorder=recorder).probe(ProbeType.READINESS, POD, STATUS, ctr, "c1")
    assert result is Result.SUCCESS
    assert recorder.events == []


async def test_warning_counts_as_success_with_event(port: int) -> None:
    recorder = Recorder()
    ctr = container(readinessProbe={"httpGet": {"path": "/away", "port": port}})
    result = await Prober(recorder=recorder).probe(ProbeType.READINESS, POD, STATUS, ctr, "c1")
    assert result is Result.SUCCESS
    assert recorder.events[0][1:3] == (
        "ProbeWarning",
        "Readiness probe warning: Probe terminated redirects, Response body: gone",
    )


async def test_probe_that_cannot_run_is_retried_then_dropped() -> None:
    calls: list[list[str]] = []

    async def broken(container_id: str, cmd: list[str], timeout: float) -> tuple[int, bytes]:
        calls.append(cmd)
        raise RuntimeError("exec failed: container is stopping")

    recorder = Recorder()
    ctr = container(startupProbe={"exec": {"command": ["true"]}})
    prober = Prober(broken, recorder)
    assert await prober.probe(ProbeType.STARTUP, POD, STATUS, ctr, "c1") is None
    assert len(calls) == 3
    assert recorder.events == [
        (
            "Warning",
            "Unhealthy",
            "Startup probe errored and resulted in unknown state: "
            "exec failed: container is stopping",
            "spec.containers{app}",
        )
    ]


async def test_missing_named_port_is_an_error() -> None:
    recorder = Recorder()
    ctr = container(livenessProbe={"tcpSocket": {"port": "metrics"}})
    assert await Prober(recorder=recorder).probe(ProbeType.LIVENESS, POD, STATUS, ctr, "c") is None
    assert recorder.events[0][2].endswith('state: port "metrics" not found')


async def test_exec_command_is_expanded_and_timeout_passed() -> None:
    seen: list[tuple[str, list[str], float]] = []

    async def ok(container_id: str, cmd: list[str], timeout: float) -> tuple[int, bytes]:
        seen.append((container_id, cmd, timeout))
        return 0, b""

    ctr = container(
        env=[{"name": "FILE", "value": "/tmp/ready"}],
        readinessProbe={"exec": {"command": ["test", "-e", "$(FILE)"]}, "timeoutSeconds": 4},
    )
    result = await Prober(ok).probe(ProbeType.READINESS, POD, STATUS, ctr, "containerd://c1")
    assert result is Result.SUCCESS
    assert seen == [("containerd://c1", ["test", "-e", "/tmp/ready"], 4.0)]


async def test_tcp_dispatch_uses_pod_ip() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        ctr = container(livenessProbe={"tcpSocket": {"port": port}})
        assert await Prober().probe(ProbeType.LIVENESS, POD, STATUS, ctr, "c") is Result.SUCCESS


async def test_no_spec_is_success_and_no_handler_is_error() -> None:
    prober = Prober()
    assert await prober.probe(ProbeType.LIVENESS, POD, STATUS, container(), "c") is Result.SUCCESS
    recorder = Recorder()
    empty = container(livenessProbe={"periodSeconds": 10})
    assert (
        await Prober(recorder=recorder).probe(ProbeType.LIVENESS, POD, STATUS, empty, "c") is None
    )
    assert recorder.events[0][2].endswith("missing probe handler for web_default(u1):app")


def test_names() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "ns", "uid": "x"},
        "spec": {"initContainers": [{"name": "side"}]},
    }
    assert format_pod(pod) == "p_ns(x)"
    assert container_field_path(pod, "side") == "spec.initContainers{side}"
    assert container_field_path(pod, "app") == "spec.containers{app}"
