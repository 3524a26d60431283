"""The gRPC probe against in-process grpc.aio health servers on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from steersman.kubelet.prober.grpc_probe import probe_grpc
from steersman.kubelet.prober.probe import ProbeOutcome, ProbeResult

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
async def health_port() -> AsyncIterator[int]:
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await servicer.set("", SERVING)
    await servicer.set("db", NOT_SERVING)
    yield port
    await server.stop(None)


async def test_serving_is_success(health_port: int) -> None:
    outcome = await probe_grpc("127.0.0.1", "", health_port, 1)
    assert outcome == ProbeOutcome(ProbeResult.SUCCESS, "service healthy")


async def test_not_serving_is_failure(health_port: int) -> None:
    outcome = await probe_grpc("127.0.0.1", "db", health_port, 1)
    assert outcome == ProbeOutcome(
        ProbeResult.FAILURE, 'service unhealthy (responded with "NOT_SERVING")'
    )


async def test_unknown_service_is_an_rpc_error(health_port: int) -> None:
    outcome = await probe_grpc("127.0.0.1", "cache", health_port, 1)
    assert outcome.result is ProbeResult.FAILURE
    assert outcome.message.startswith("error: health rpc probe failed: rpc error: code = NotFound")


async def test_server_without_health_service() -> None:
    server = grpc.aio.server()
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        outcome = await probe_grpc("127.0.0.1", "", port, 1)
    finally:
        await server.stop(None)
    assert outcome.result is ProbeResult.FAILURE
    assert outcome.message.startswith(
        "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): "
    )


async def test_nothing_listening_times_out_connecting() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    outcome = await probe_grpc("127.0.0.1", "", port, 0.2)
    assert outcome == ProbeOutcome(
        ProbeResult.FAILURE,
        f'timeout: failed to connect service "127.0.0.1:{port}" within 200ms: '
        "context deadline exceeded",
    )


class SlowHealth(health_pb2_grpc.HealthServicer):
    async def Check(self, request: Any, context: Any) -> Any:  # the RPC is named Check
        await asyncio.sleep(2)
        return health_pb2.HealthCheckResponse(status=SERVING)


async def test_slow_health_rpc_times_out() -> None:
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(SlowHealth(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        outcome = await probe_grpc("127.0.0.1", "", port, 0.3)
    finally:
        await server.stop(None)
    assert outcome == ProbeOutcome(
        ProbeResult.FAILURE, "timeout: health rpc did not complete within 300ms"
    )
