"""Integration fixtures: an in-process API server (memory or sqlite) and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from steersman.testing.control_plane import RunningApiServer, running_apiserver


class Api:
    """A thin JSON client for tests: returns (status, body, headers)."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any, Any]:
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        hdrs = {"Content-Type": content_type} if data is not None else {}
        hdrs.update(headers or {})
        async with self.session.request(
            method, self.base + path, data=data, headers=hdrs, params=params
        ) as resp:
            text = await resp.read()
            try:
                parsed = orjson.loads(text) if text else None
            except orjson.JSONDecodeError:
                parsed = text.decode()
            return resp.status, parsed, resp.headers

    async def get(self, path: str, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("POST", path, body, **kw)

    async def put(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("PUT", path, body, **kw)

    async def patch(
        self, path: str, body: Any, content_type: str, **kw: Any
    ) -> tuple[int, Any, Any]:
        return await self.request("PATCH", path, body, content_type=content_type, **kw)

    async def delete(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("DELETE", path, body, **kw)


@pytest.fixture(params=["memory", "sqlite"])
async def server(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[RunningApiServer]:
    url = "memory://" if request.param == "memory" else f"sqlite://{tmp_path}/state.db"
    async with running_apiserver(url) as srv:
        yield srv


@pytest.fixture
async def api(server: RunningApiServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, server.base_url)
