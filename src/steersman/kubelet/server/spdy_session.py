"""The server side of a SPDY/3.1 connection, as Kubernetes' streaming protocols use it.

The client opens streams (odd ids, SYN_STREAM with headers such as `streamtype`); the
server accepts each with an empty SYN_REPLY, or refuses it with RST_STREAM. Data flows as
DATA frames; a frame with FIN half-closes its direction. PINGs are echoed. The connection
runs over any byte channel: a hijacked TCP/TLS connection, or WebSocket messages that
tunnel SPDY (port-forward's `SPDY/3.1+portforward.k8s.io`).

Invariants:
- One writer at a time: frames are compressed and written under one lock, so the header
  compression context advances in exactly the order the peer decodes.
- Back-pressure: the read loop stops reading while any stream holds more than
  `_STREAM_BUFFER` unread bytes (spdystream itself blocks the same way); there is no
  SPDY-level flow control (WINDOW_UPDATE is ignored, as spdystream does).
- When the connection ends (EOF, GOAWAY or error), every stream reads b"" and further writes
  are silently dropped; `closed` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from steersman.kubelet.server import spdy

log = logging.getLogger("steersman.kubelet.server.spdy")

_STREAM_BUFFER = 4 << 20
_MAX_FRAME_DATA = 32 * 1024


class ByteChannel(Protocol):
    async def read(self) -> bytes:
        """The next bytes; b"" at end of stream."""
        ...

    async def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class SpdyStream:
    def __init__(self, session: SpdySession, stream_id: int, headers: spdy.Headers) -> None:
        self._session = session
        self.stream_id = stream_id
        self.headers = headers
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._buffered = 0
        self._drained = asyncio.Event()
        self._drained.set()
        self.remote_closed = False
        self.local_closed = False

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def _feed(self, data: bytes) -> None:
        if self.remote_closed:
            return
        if data:
            self._buffered += len(data)
            if self._buffered > _STREAM_BUFFER:
                self._drained.clear()
            self._chunks.put_nowait(data)

    def _finish(self) -> None:
        if not self.remote_closed:
            self.remote_closed = True
            self._chunks.put_nowait(b"")

    async def read(self) -> bytes:
        """The next chunk from the client; b"" once it half-closed or the stream was reset."""
        data = await self._chunks.get()
        if not data:
            self._chunks.put_nowait(b"")  # every later read sees the end too
            return b""
        self._buffered -= len(data)
        if self._buffered <= _STREAM_BUFFER:
            self._drained.set()
        return data

    async def write(self, data: bytes) -> None:
        if self.local_closed:
            return
        view = memoryview(data)
        for i in range(0, len(view), _MAX_FRAME_DATA):
            await self._session.send(
                spdy.Data(self.stream_id, bytes(view[i : i + _MAX_FRAME_DATA]))
            )

    async def close(self) -> None:
        """Half-close our direction (DATA with FIN)."""
        if not self.local_closed:
            self.local_closed = True
            await self._session.send(spdy.Data(self.stream_id, b"", spdy.FLAG_FIN))

    async def reset(self, status: int = spdy.CANCEL) -> None:
        self.local_closed = True
        self._finish()
        await self._session.send(spdy.RstStream(self.stream_id, status))


Acceptor = Callable[[SpdyStream], str | None]


class SpdySession:
    """Serve one connection: `accept(stream)` returns None to accept or an error to refuse."""

    def __init__(self, channel: ByteChannel, accept: Acceptor) -> None:
        self._channel = channel
        self._accept = accept
        self._codec = spdy.HeaderCodec()
        self._decoder = spdy.FrameDecoder(spdy.HeaderCodec())
        self._write_lock = asyncio.Lock()
        self._streams: dict[int, SpdyStream] = {}
        self._last_stream_id = 0
        self.new_streams: asyncio.Queue[SpdyStream | None] = asyncio.Queue()
        self.closed = asyncio.Event()
        self._done = False
        self._gone_away = False

    async def send(self, frame: spdy.Frame) -> None:
        if self.closed.is_set():
            return
        async with self._write_lock:
            data = spdy.encode_frame(frame, self._codec)
            try:
                await self._channel.write(data)
            except (ConnectionError, OSError, RuntimeError):
                self._shutdown()

    async def run(self) -> None:
        """Read and dispatch frames until the connection ends."""
        try:
            while not self.closed.is_set():
                data = await self._channel.read()
                if not data:
                    break
                for frame in self._decoder.feed(data):
                    await self._dispatch(frame)
        except spdy.SpdyError as exc:
            log.info("closing SPDY connection on protocol error: %s", exc)
            await self.send(spdy.GoAway(self._last_stream_id, 1))
        except (ConnectionError, OSError):
            pass
        finally:
            self._shutdown()

    async def _dispatch(self, frame: spdy.Frame) -> None:
        if isinstance(frame, spdy.Data):
            stream = self._streams.get(frame.stream_id)
            if stream is None:
                return
            stream._feed(frame.data)
            if frame.fin:
                stream._finish()
            await stream._drained.wait()
        elif isinstance(frame, spdy.SynStream):
            await self._on_syn_stream(frame)
        elif isinstance(frame, spdy.RstStream):
            stream = self._streams.pop(frame.stream_id, None)
            if stream is not None:
                stream.local_closed = True
                stream._finish()
        elif isinstance(frame, spdy.Ping):
            if frame.ping_id % 2 == 1:  # the client's ping: echo it
                await self.send(frame)
        elif isinstance(frame, spdy.GoAway):
            self._gone_away = True  # no new streams; the ones open finish normally
        elif isinstance(frame, spdy.HeadersFrame) and frame.flags & spdy.FLAG_FIN:
            stream = self._streams.get(frame.stream_id)
            if stream is not None:
                stream._finish()

    async def _on_syn_stream(self, frame: spdy.SynStream) -> None:
        if self._gone_away:
            await self.send(spdy.RstStream(frame.stream_id, spdy.REFUSED_STREAM))
            return
        if frame.stream_id % 2 == 0 or frame.stream_id <= self._last_stream_id:
            await self.send(spdy.RstStream(frame.stream_id, spdy.PROTOCOL_ERROR))
            return
        self._last_stream_id = frame.stream_id
        stream = SpdyStream(self, frame.stream_id, frame.headers)
        if frame.flags & spdy.FLAG_FIN:
            stream._finish()
        error = self._accept(stream)
        if error is not None:
            log.info("refusing SPDY stream %d: %s", frame.stream_id, error)
            await self.send(spdy.RstStream(frame.stream_id, spdy.PROTOCOL_ERROR))
            return
        self._streams[frame.stream_id] = stream
        await self.send(spdy.SynReply(frame.stream_id, {}))
        self.new_streams.put_nowait(stream)

    def _shutdown(self) -> None:
        if self._done:
            return
        self._done = True
        self.closed.set()
        for stream in self._streams.values():
            stream.local_closed = True
            stream._finish()
        self._streams.clear()
        self.new_streams.put_nowait(None)

    async def close(self) -> None:
        """GOAWAY, then close the channel."""
        if not self.closed.is_set():
            await self.send(spdy.GoAway(self._last_stream_id, 0))
        self._shutdown()
        with contextlib.suppress(Exception):
            self._channel.close()
