"""port-forward sessions: SPDY stream pairs (direct, or tunnelled in a WebSocket) and the
WebSocket channel protocol.

SPDY (`portforward.k8s.io`): for every forwarded connection the client opens two streams
with headers `streamtype` (error|data), `port` and `requestid`; once both of a request id
exist, the server connects to localhost:port in the pod's network namespace and copies
bytes between the data stream and that connection. A failure is written, as text, on the
error stream. kubectl 1.30+ first tries the same SPDY session tunnelled in binary WebSocket
messages (subprotocol `SPDY/3.1+portforward.k8s.io`).

WebSocket channels (`v4.channel.k8s.io`/`portforward.k8s.io`, used by other clients, e.g.
the Python client): the `ports` query parameter lists ports; port i uses channel 2i for
data and 2i+1 for errors; the first message the server sends on each channel is the port
number, two bytes little-endian.

Invariants:
- Stream headers are validated as the kubelet does (`"port" header is required`, ...); a bad
  stream is refused with RST_STREAM.
- A data/error pair whose partner does not arrive within the stream creation timeout gets
  `timed out waiting for streams` on its error stream.
- A forwarded connection ends when either direction ends (as containerd does); then both
  streams are closed (FIN), which tells the client the connection is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType, web

from steersman.kubelet.server.spdy_session import SpdySession, SpdyStream

log = logging.getLogger("steersman.kubelet.server.portforward")

PROTOCOL = "portforward.k8s.io"
TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
WEBSOCKET_PROTOCOLS = ("v4.channel.k8s.io", PROTOCOL)

_STREAM_CREATION_TIMEOUT = 30.0

Dial = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def validate_stream(stream: SpdyStream) -> str | None:
    port = stream.header("port")
    if not port:
        return '"port" header is required'
    try:
        number = int(port)
    except ValueError:
        return f'unable to parse "{port}" as a port'
    if not 0 < number < 65536:
        return f'port "{port}" must be > 0'
    kind = stream.header("streamtype")
    if not kind:
        return '"streamType" header is required'
    if kind not in ("error", "data"):
        return f'invalid stream type "{kind}"'
    return None


class _Pair:
    def __init__(self) -> None:
        self.data: SpdyStream | None = None
        self.error: SpdyStream | None = None
        self.complete = asyncio.Event()


def _request_id(stream: SpdyStream) -> str:
    request_id = stream.header("requestid")
    if request_id:
        return request_id
    # Old clients send no request id: pair consecutive streams, as the kubelet does.
    if stream.header("streamtype") == "error":
        return str(stream.stream_id)
    return str(stream.stream_id - 2)


async def serve_spdy(session: SpdySession, dial: Dial, pod: str) -> None:
    """Handle stream pairs until the session ends."""
    pairs: dict[str, _Pair] = {}
    tasks: set[asyncio.Future[None]] = set()

    async def monitor(request_id: str, pair: _Pair) -> None:
        try:
            await asyncio.wait_for(pair.complete.wait(), _STREAM_CREATION_TIMEOUT)
        except TimeoutError:
            if pair.error is not None:
                await pair.error.write(
                    f"(request={request_id}) timed out waiting for streams".encode()
                )
                await pair.error.close()
        finally:
            pairs.pop(request_id, None)

    def spawn(coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    run = asyncio.ensure_future(session.run())
    try:
        while True:
            stream = await session.new_streams.get()
            if stream is None:
                break
            request_id = _request_id(stream)
            pair = pairs.get(request_id)
            if pair is None:
                pair = pairs[request_id] = _Pair()
                spawn(monitor(request_id, pair))
            kind = stream.header("streamtype")
            if (kind == "data" and pair.data is not None) or (
                kind == "error" and pair.error is not None
            ):
                message = f"error processing stream for request {request_id}: {kind} stream already assigned"
                if pair.error is not None:
                    await pair.error.write(message.encode())
                continue
            if kind == "data":
                pair.data = stream
            else:
                pair.error = stream
            if pair.data is not None and pair.error is not None:
                pair.complete.set()
                spawn(_forward(pair.data, pair.error, dial, pod))
    finally:
        for task in list(tasks):
            task.cancel()
        await session.close()
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await run


async def _forward(data: SpdyStream, error: SpdyStream, dial: Dial, pod: str) -> None:
    port = int(data.header("port"))
    try:
        try:
            reader, writer = await dial(port)
        except (OSError, RuntimeError) as exc:
            message = f"error forwarding port {port} to pod {pod}, uid : {exc}"
            log.info("%s", message)
            await error.write(message.encode())
            return
        try:
            await _splice(data.read, data.write, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    finally:
        await data.close()
        await error.close()


async def _splice(
    read_client: Callable[[], Awaitable[bytes]],
    write_client: Callable[[bytes], Awaitable[None]],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    async def to_pod() -> None:
        while True:
            chunk = await read_client()
            if not chunk:
                return
            writer.write(chunk)
            await writer.drain()

    async def to_client() -> None:
        while True:
            chunk = await reader.read(32 * 1024)
            if not chunk:
                return
            await write_client(chunk)

    tasks = [asyncio.ensure_future(to_pod()), asyncio.ensure_future(to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task


class WebSocketTunnel:
    """A byte channel carried in binary WebSocket messages (SPDY tunnelled by kubectl)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws
        self._closing: asyncio.Future[bool] | None = None

    async def read(self) -> bytes:
        while True:
            msg = await self._ws.receive()
            if msg.type == WSMsgType.BINARY:
                if msg.data:
                    return bytes(msg.data)
                continue
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return b""

    async def write(self, data: bytes) -> None:
        if self._ws.closed:
            raise ConnectionResetError("websocket closed")
        await self._ws.send_bytes(data)

    def close(self) -> None:
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._ws.close())


async def serve_websocket_channels(
    ws: web.WebSocketResponse, ports: list[int], dial: Dial, pod: str
) -> None:
    """The channel protocol: one connection per requested port for the socket's lifetime."""
    send_lock = asyncio.Lock()

    async def send(channel: int, data: bytes) -> None:
        async with send_lock:
            if not ws.closed:
                await ws.send_bytes(bytes([channel]) + data)

    inbound: list[asyncio.Queue[bytes]] = [asyncio.Queue() for _ in ports]
    for i, port in enumerate(ports):
        await send(2 * i, port.to_bytes(2, "little"))
        await send(2 * i + 1, port.to_bytes(2, "little"))

    async def forward(i: int, port: int) -> None:
        try:
            reader, writer = await dial(port)
        except (OSError, RuntimeError) as exc:
            await send(
                2 * i + 1, f"error forwarding port {port} to pod {pod}, uid : {exc}".encode()
            )
            return

        async def read_client() -> bytes:
            return await inbound[i].get()

        async def write_client(chunk: bytes) -> None:
            await send(2 * i, chunk)

        try:
            await _splice(read_client, write_client, reader, writer)
        finally:
            writer.close()

    workers = [asyncio.ensure_future(forward(i, port)) for i, port in enumerate(ports)]
    try:
        async for msg in ws:
            if msg.type != WSMsgType.BINARY or not msg.data:
                continue
            channel, chunk = msg.data[0], bytes(msg.data[1:])
            if channel % 2 == 0 and channel // 2 < len(ports) and chunk:
                inbound[channel // 2].put_nowait(chunk)
    finally:
        for q in inbound:
            q.put_nowait(b"")
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(BaseException):
                await task
        await ws.close()
