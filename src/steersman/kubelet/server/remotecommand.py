"""exec and attach sessions: the remote-command protocols over WebSockets and SPDY.

WebSocket subprotocols (apimachinery wsstream): every message is one channel byte followed by
data — 0 stdin, 1 stdout, 2 stderr, 3 error (status), 4 resize (`{"Width":w,"Height":h}`);
`base64.` variants send text messages with the channel as an ASCII digit and base64 data.
`v5.channel.k8s.io` adds channel 255, the CLOSE signal: `[255, 0]` means "stdin ended".
`v4.*`/`v5.*` report the result as a JSON metav1.Status on the error channel; older
protocols write only failures, as text.

SPDY (`X-Stream-Protocol-Version` v4/v3/v2/channel.k8s.io): the client opens one stream per
channel with header `streamtype` = error|stdin|stdout|stderr|resize; the session starts once
all expected streams exist; a DATA frame with FIN ends stdin.

Invariants:
- The session ends when the process exits (after its output is drained, up to a grace
  period for descendants still holding the pipes) or when the client goes away — then the
  process is abandoned (exec: killed; attach: detached).
- Exit status as the kubelet reports it: 0 → Success; n → Failure, reason NonZeroExitCode,
  one cause `{type: ExitCode, message: "n"}`; an error starting the process → 500
  InternalError `error executing command in container: ...` (attach: `error attaching to
  container: ...`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from steersman.kubelet.server.host import ContainerProcess
from steersman.kubelet.server.spdy_session import SpdySession, SpdyStream

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE_SIGNAL = 255

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
V3 = "v3.channel.k8s.io"
V2 = "v2.channel.k8s.io"
V1 = "channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
V1_BASE64 = "base64.channel.k8s.io"

WEBSOCKET_PROTOCOLS = (V5, V4, V4_BASE64, V1, V1_BASE64)
SPDY_PROTOCOLS = (V4, V3, V2, V1)

_OUTPUT_GRACE = 2.0
_STREAM_CREATION_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class StreamOptions:
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


def options_from_query(query: Mapping[str, str]) -> StreamOptions:
    def flag(name: str) -> bool:
        return query.get(name, "") in ("1", "true", "True")

    tty = flag("tty")
    stdin, stdout, stderr = (
        flag("input") or flag("stdin"),
        flag("output") or flag("stdout"),
        (flag("error") or flag("stderr")),
    )
    if tty and stderr:
        stderr = False  # a terminal has one output; upstream drops stderr the same way
    if not (stdin or stdout or stderr):
        raise ValueError("you must specify at least 1 of stdin, stdout, stderr")
    return StreamOptions(stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)


def success_status() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def exit_status(code: int, command: Sequence[str]) -> dict[str, Any]:
    shown = "[" + " ".join(command) + "]"
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            "command terminated with non-zero exit code: "
            f"error executing command {shown}, exit code {code}"
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def internal_status(message: str) -> dict[str, Any]:
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {message}",
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


def _encode_status(status: dict[str, Any], protocol: str) -> bytes | None:
    if protocol.startswith(("v4.", "v5.")):
        return json.dumps(status, separators=(",", ":")).encode()
    if status.get("status") == "Success":
        return None
    return str(status.get("message", "")).encode()


class RemoteIO(Protocol):
    closed: asyncio.Event

    async def read_stdin(self) -> bytes: ...

    async def next_resize(self) -> tuple[int, int] | None: ...

    async def write_stdout(self, data: bytes) -> None: ...

    async def write_stderr(self, data: bytes) -> None: ...

    async def write_status(self, status: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class _ResizeDecoder:
    """Terminal sizes from a byte stream of concatenated JSON objects."""

    def __init__(self) -> None:
        self._buffer = ""
        self._decoder = json.JSONDecoder()

    def feed(self, data: bytes) -> list[tuple[int, int]]:
        self._buffer += data.decode(errors="replace")
        sizes: list[tuple[int, int]] = []
        while True:
            text = self._buffer.lstrip()
            if not text:
                self._buffer = ""
                return sizes
            try:
                obj, end = self._decoder.raw_decode(text)
            except json.JSONDecodeError:
                self._buffer = text
                return sizes
            self._buffer = text[end:]
            if isinstance(obj, dict):
                sizes.append((int(obj.get("Width", 0)), int(obj.get("Height", 0))))


class WebSocketIO:
    """Channels over one WebSocket (any of `WEBSOCKET_PROTOCOLS`)."""

    def __init__(self, ws: web.WebSocketResponse, protocol: str, opts: StreamOptions) -> None:
        self._ws = ws
        self.protocol = protocol
        self._base64 = "base64" in protocol
        self._opts = opts
        self._stdin: asyncio.Queue[bytes] = asyncio.Queue()
        self._resize: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        self._resize_decoder = _ResizeDecoder()
        self._stdin_done = False
        self.closed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read_loop())

    def _end_stdin(self) -> None:
        if not self._stdin_done:
            self._stdin_done = True
            self._stdin.put_nowait(b"")

    async def _read_loop(self) -> None:
        try:
            async for msg in self._ws:
                if msg.type == WSMsgType.BINARY and not self._base64:
                    raw: bytes = msg.data
                    if not raw:
                        continue
                    channel, data = raw[0], raw[1:]
                elif msg.type == WSMsgType.TEXT and self._base64:
                    text: str = msg.data
                    if not text:
                        continue
                    channel = ord(text[0]) - ord("0")
                    data = base64.b64decode(text[1:])
                else:
                    continue
                self._dispatch(channel, data)
        finally:
            self._end_stdin()
            self._resize.put_nowait(None)
            self.closed.set()

    def _dispatch(self, channel: int, data: bytes) -> None:
        if channel == STDIN:
            if self._opts.stdin and data and not self._stdin_done:
                self._stdin.put_nowait(data)
        elif channel == RESIZE:
            for size in self._resize_decoder.feed(data):
                self._resize.put_nowait(size)
        elif channel == CLOSE_SIGNAL and self.protocol == V5 and data[:1] == bytes([STDIN]):
            self._end_stdin()

    async def read_stdin(self) -> bytes:
        data = await self._stdin.get()
        if not data:
            self._stdin.put_nowait(b"")
        return data

    async def next_resize(self) -> tuple[int, int] | None:
        size = await self._resize.get()
        if size is None:
            self._resize.put_nowait(None)
        return size

    async def _send(self, channel: int, data: bytes) -> None:
        if self._ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            if self._base64:
                await self._ws.send_str(chr(ord("0") + channel) + base64.b64encode(data).decode())
            else:
                await self._ws.send_bytes(bytes([channel]) + data)

    async def announce(self) -> None:
        # Upstream writes an empty message on the lowest writable channel once the
        # connection is set up, so clients know the server is there.
        if self._opts.stdout:
            await self._send(STDOUT, b"")
        elif self._opts.stderr:
            await self._send(STDERR, b"")
        else:
            await self._send(ERROR, b"")

    async def write_stdout(self, data: bytes) -> None:
        if self._opts.stdout:
            await self._send(STDOUT, data)

    async def write_stderr(self, data: bytes) -> None:
        if self._opts.stderr:
            await self._send(STDERR, data)

    async def write_status(self, status: dict[str, Any]) -> None:
        encoded = _encode_status(status, self.protocol)
        if encoded is not None:
            await self._send(ERROR, encoded)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


class SpdyIO:
    """Channels as SPDY streams of one session (any of `SPDY_PROTOCOLS`)."""

    def __init__(self, session: SpdySession, protocol: str, streams: dict[str, SpdyStream]) -> None:
        self._session = session
        self.protocol = protocol
        self._streams = streams
        self._resize_decoder = _ResizeDecoder()
        self._sizes: list[tuple[int, int]] = []
        self.closed = session.closed

    async def read_stdin(self) -> bytes:
        stream = self._streams.get("stdin")
        if stream is None:
            await self.closed.wait()
            return b""
        return await stream.read()

    async def next_resize(self) -> tuple[int, int] | None:
        stream = self._streams.get("resize")
        if stream is None:
            return None
        while not self._sizes:
            data = await stream.read()
            if not data:
                return None
            self._sizes.extend(self._resize_decoder.feed(data))
        return self._sizes.pop(0)

    async def write_stdout(self, data: bytes) -> None:
        stream = self._streams.get("stdout")
        if stream is not None:
            await stream.write(data)

    async def write_stderr(self, data: bytes) -> None:
        stream = self._streams.get("stderr")
        if stream is not None:
            await stream.write(data)

    async def write_status(self, status: dict[str, Any]) -> None:
        encoded = _encode_status(status, self.protocol)
        stream = self._streams.get("error")
        if encoded is not None and stream is not None:
            await stream.write(encoded)

    async def close(self) -> None:
        for name in ("stdout", "stderr", "error"):
            stream = self._streams.get(name)
            if stream is not None:
                await stream.close()
        await self._session.close()


def expected_spdy_streams(opts: StreamOptions, protocol: str) -> set[str]:
    names = {"error"}
    if opts.stdin:
        names.add("stdin")
    if opts.stdout:
        names.add("stdout")
    if opts.stderr:
        names.add("stderr")
    if opts.tty and protocol in (V4, V3):
        names.add("resize")
    return names


async def wait_for_spdy_streams(
    session: SpdySession, expected: set[str]
) -> dict[str, SpdyStream] | None:
    """The client's streams by type, or None if it did not open them all in time."""
    streams: dict[str, SpdyStream] = {}

    async def collect() -> bool:
        while not expected <= streams.keys():
            stream = await session.new_streams.get()
            if stream is None:
                return False
            streams[stream.header("streamtype")] = stream
        return True

    try:
        complete = await asyncio.wait_for(collect(), _STREAM_CREATION_TIMEOUT)
    except TimeoutError:
        return None
    return streams if complete else None


async def _pump_output(read: Any, write: Any) -> None:
    while True:
        data = await read()
        if not data:
            return
        await write(data)


async def _pump_stdin(io: RemoteIO, process: ContainerProcess) -> None:
    while True:
        data = await io.read_stdin()
        if not data:
            await process.close_stdin()
            return
        await process.write_stdin(data)


async def _pump_resize(io: RemoteIO, process: ContainerProcess) -> None:
    while True:
        size = await io.next_resize()
        if size is None:
            return
        await process.resize(*size)


async def serve_session(
    io: RemoteIO,
    process: ContainerProcess,
    opts: StreamOptions,
    *,
    command: Sequence[str] | None,
) -> None:
    """Drive `process` for the client behind `io`; `command` None means attach."""
    helpers: list[asyncio.Future[Any]] = []
    if opts.stdin:
        helpers.append(asyncio.ensure_future(_pump_stdin(io, process)))
    if opts.tty:
        helpers.append(asyncio.ensure_future(_pump_resize(io, process)))
    outputs: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(_pump_output(process.read_stdout, io.write_stdout))
    ]
    if not opts.tty:
        outputs.append(asyncio.ensure_future(_pump_output(process.read_stderr, io.write_stderr)))
    exited = asyncio.ensure_future(process.wait())
    gone = asyncio.ensure_future(io.closed.wait())
    try:
        await asyncio.wait([exited, gone], return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            await process.abandon()
            return
        code = exited.result()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*outputs, return_exceptions=True), _OUTPUT_GRACE)
        if command is None or code == 0:
            status = success_status()
        else:
            status = exit_status(code, command)
        await io.write_status(status)
    finally:
        every: list[asyncio.Future[Any]] = [*helpers, *outputs, exited, gone]
        for task in every:
            task.cancel()
        for task in every:
            with contextlib.suppress(BaseException):
                await task
        await io.close()
