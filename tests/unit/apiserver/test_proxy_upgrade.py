"""The upgrade-aware proxy (steersman.util.upgrade_proxy): 101 splices raw bytes both ways,
anything else is relayed as it is, credentials are not forwarded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from steersman.util.upgrade_proxy import proxy_upgrade


class Backend:
    """A raw TCP server: records the request head, then answers as told."""

    def __init__(self, answer_101: bool) -> None:
        self.answer_101 = answer_101
        self.head = b""
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.head = await reader.readuntil(b"\r\n\r\n")
        if not self.answer_101:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nnope")
            await writer.drain()
            writer.close()
            return
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            b"X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nhello-from-backend;"
        )
        await writer.drain()
        while data := await reader.read(1024):
            writer.write(data.upper())
            await writer.drain()
        writer.close()


@pytest.fixture
async def front() -> AsyncIterator[tuple[int, dict[str, Backend]]]:
    backends: dict[str, Backend] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        backend = backends["current"]
        assert backend.server is not None
        port = backend.server.sockets[0].getsockname()[1]
        return await proxy_upgrade(
            request, host="127.0.0.1", port=port, path_qs="/exec/ns/p/c?x=1", ssl_context=None
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1], backends
    finally:
        await runner.cleanup()


async def _start(backend: Backend) -> None:
    backend.server = await asyncio.start_server(backend.handle, "127.0.0.1", 0)


async def test_splices_after_101(front: tuple[int, dict[str, Backend]]) -> None:
    port, backends = front
    backend = backends["current"] = Backend(answer_101=True)
    await _start(backend)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/v1/namespaces/ns/pods/p/exec HTTP/1.1\r\nHost: x\r\n"
        b"Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nAuthorization: Bearer secret\r\n"
        b"X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n"
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"X-Stream-Protocol-Version: v4.channel.k8s.io" in head
    assert await reader.readexactly(len(b"hello-from-backend;")) == b"hello-from-backend;"
    writer.write(b"raw bytes \x00\xff")
    assert await reader.readexactly(len(b"raw bytes \x00\xff")) == b"RAW BYTES \x00\xff"
    writer.close()
    assert backend.head.startswith(b"POST /exec/ns/p/c?x=1 HTTP/1.1\r\n")
    assert b"Upgrade: SPDY/3.1" in backend.head
    assert b"Authorization" not in backend.head
    assert b"Host: 127.0.0.1:" in backend.head


async def test_relays_a_refused_upgrade(front: tuple[int, dict[str, Backend]]) -> None:
    port, backends = front
    backend = backends["current"] = Backend(answer_101=False)
    await _start(backend)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Protocol: v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.abc\r\n\r\n"
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert await reader.readexactly(4) == b"nope"
    writer.close()
    assert b"Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n" in backend.head
    assert b"bearer" not in backend.head
