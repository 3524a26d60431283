"""GET /stats/summary and GET /metrics/resource on the kubelet server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from steersman.kubelet.server.server import KubeletServer
from steersman.kubelet.stats import StatsError


class _Host:
    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.fail = False

    async def summary(self, *, only_cpu_and_memory: bool = False) -> dict[str, Any]:
        self.calls.append(only_cpu_and_memory)
        if self.fail:
            raise StatsError("failed to list pod stats: boom")
        return {"node": {"nodeName": "n"}, "pods": []}

    async def resource_metrics(self) -> str:
        return "scrape_error 0\n"


@pytest.fixture
async def client() -> AsyncIterator[tuple[TestClient[Any, Any], _Host]]:
    host = _Host()
    server = KubeletServer(host, ssl_context=None)  # type: ignore[arg-type]
    async with TestClient(TestServer(server.build_app())) as c:
        yield c, host


async def test_summary(client: tuple[TestClient[Any, Any], _Host]) -> None:
    c, host = client
    resp = await c.get("/stats/summary")
    assert resp.status == 200 and resp.content_type == "application/json"
    assert await resp.json() == {"node": {"nodeName": "n"}, "pods": []}
    await c.get("/stats/summary?only_cpu_and_memory=true")
    await c.get("/stats/summary?only_cpu_and_memory=True")  # only "true" counts, as upstream
    assert host.calls == [False, True, False]


async def test_summary_failure_is_a_500(client: tuple[TestClient[Any, Any], _Host]) -> None:
    c, host = client
    host.fail = True
    resp = await c.get("/stats/summary")
    assert resp.status == 500
    assert await resp.text() == "Internal Error: failed to list pod stats: boom\n"


async def test_resource_metrics(client: tuple[TestClient[Any, Any], _Host]) -> None:
    c, _ = client
    resp = await c.get("/metrics/resource")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert await resp.text() == "scrape_error 0\n"
