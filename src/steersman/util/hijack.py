"""Take over an aiohttp server connection after answering `101 Switching Protocols`.

Kubernetes' streaming endpoints (exec, attach, port-forward) upgrade the HTTP connection to
SPDY/3.1 or WebSockets and then speak a byte protocol on the bare connection. aiohttp only
knows how to hand a connection to its own WebSocket implementation, so this module does what
Go's `http.Hijacker` does: it installs itself as the connection's payload parser (every byte
that arrives after the request head is delivered here, raw) and writes to the transport
directly.

Invariants:
- `hijack()` installs the byte sink *before* the 101 head is written: a client may start
  speaking the new protocol the moment it reads the 101, and no byte may reach aiohttp's HTTP
  parser after that.
- Reads are bounded: once more than `_HIGH_WATER` bytes are buffered and unread, the transport
  stops reading until the consumer catches up (TCP back-pressure towards the peer).
- Writes wait while the transport's own buffer is over its high-water mark (aiohttp's
  `pause_writing`), so a slow peer slows the writer down instead of growing memory.
- Not thread-safe: one event loop owns the connection. `close()` is idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

_HIGH_WATER = 1 << 20
_LOW_WATER = 1 << 18


class HijackedConnection:
    """The raw byte stream of a server connection that answered 101."""

    def __init__(self, request: web.Request) -> None:
        self._protocol: Any = request.protocol
        transport = request.transport
        if transport is None:
            raise ConnectionResetError("connection lost before the upgrade")
        self._transport: asyncio.Transport = transport  # type: ignore[assignment]
        self._buffer = bytearray()
        self._eof = False
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    # aiohttp's payload-parser interface: called by the connection's data_received.
    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._buffer.extend(data)
        if len(self._buffer) > _HIGH_WATER and not self._paused:
            self._paused = True
            self._protocol.pause_reading()
        self._wake()
        return False, b""

    def feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def at_eof(self) -> bool:
        return self._eof and not self._buffer

    async def read(self, limit: int = 65536) -> bytes:
        """Up to `limit` bytes; b"" once the peer closed and everything was read."""
        while not self._buffer:
            if self._eof or self._transport.is_closing():
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = bytes(self._buffer[:limit])
        del self._buffer[:limit]
        if self._paused and len(self._buffer) < _LOW_WATER:
            self._paused = False
            self._protocol.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        if self._transport.is_closing():
            raise ConnectionResetError("connection closed")
        self._transport.write(data)
        if self._protocol.writing_paused:
            await self._protocol._drain_helper()

    def close(self) -> None:
        self._eof = True
        self._wake()
        if not self._transport.is_closing():
            self._transport.close()

    @property
    def closed(self) -> bool:
        return self._transport.is_closing()


async def hijack(
    request: web.Request, headers: Mapping[str, str]
) -> tuple[web.StreamResponse, HijackedConnection]:
    """Answer `101 Switching Protocols` with `headers` and return the bare connection.

    The caller must return the response object from its handler once it is done with the
    connection (aiohttp then finds nothing left to write); it should `close()` the connection
    first.
    """
    conn = HijackedConnection(request)
    request.protocol.set_parser(conn)  # type: ignore[arg-type]
    request.protocol.keep_alive(False)
    response = web.StreamResponse(status=101, reason="Switching Protocols", headers=headers)
    response.force_close()
    await response.prepare(request)
    return response, conn
