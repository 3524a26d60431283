"""RestClient with several API server addresses: which requests fail over, and when."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from steersman.client.rest import RestClient


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def live() -> AsyncIterator[tuple[str, list[str]]]:
    """A server answering every request with the method it got (and recording it)."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.method)
        return web.json_response({"method": request.method})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.fixture
async def dropper() -> AsyncIterator[str]:
    """A server that reads a request and hangs up without answering (it died mid-request)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_unreachable_server_is_skipped_for_reads_and_writes(
    live: tuple[str, list[str]],
) -> None:
    url, seen = live
    dead = f"http://127.0.0.1:{_free_port()}"
    client = RestClient([dead, url])
    try:
        assert await client.get("/api") == {"method": "GET"}
        assert client.server == url
        assert await client.create("/api/v1/x", {}) == {"method": "POST"}
        assert seen == ["GET", "POST"]
    finally:
        await client.close()


async def test_write_lost_in_flight_is_not_retried(
    live: tuple[str, list[str]], dropper: str
) -> None:
    url, seen = live
    client = RestClient([dropper, url])
    try:
        with pytest.raises(Exception):  # noqa: B017 - any transport error
            await client.create("/api/v1/x", {})
        assert seen == []  # not sent again: it may have been applied
        assert client.server == url  # but the next request goes to the other server
        assert await client.create("/api/v1/x", {}) == {"method": "POST"}
    finally:
        await client.close()


async def test_read_lost_in_flight_is_retried_elsewhere(
    live: tuple[str, list[str]], dropper: str
) -> None:
    url, seen = live
    client = RestClient([dropper, url])
    try:
        assert await client.get("/api") == {"method": "GET"}
        assert seen == ["GET"]
    finally:
        await client.close()


async def test_watch_fails_over_when_unreachable(live: tuple[str, list[str]]) -> None:
    url, seen = live
    client = RestClient([f"http://127.0.0.1:{_free_port()}", url])
    try:
        events = [event async for event in client.watch("/api/v1/pods")]
        assert events == [{"method": "GET"}]
        assert seen == ["GET"]
    finally:
        await client.close()
