"""SPDY/3.1 framing, as Kubernetes uses it (moby/spdystream over an upgraded connection).

Only the parts Kubernetes' streaming protocols use: SYN_STREAM, SYN_REPLY, RST_STREAM,
SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE and DATA frames. No flow control: spdystream
neither sends nor honours WINDOW_UPDATE, so neither do we (they are decoded and ignored).

Invariants:
- Header blocks are compressed with one zlib stream per direction for the whole connection,
  primed with SPDY/3's fixed dictionary; every block is flushed with Z_SYNC_FLUSH so the peer
  can decode it on its own. A `HeaderCodec` therefore belongs to exactly one connection.
- Header names are lower-case on the wire; several values of one header travel joined by NUL.
- `FrameDecoder.feed` accepts arbitrary byte chunks (a frame may span chunks or a chunk hold
  many frames) and returns only complete frames, in order.
Pure: no I/O.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3

SYN_STREAM = 1
SYN_REPLY = 2
RST_STREAM = 3
SETTINGS = 4
PING = 6
GOAWAY = 7
HEADERS = 8
WINDOW_UPDATE = 9

FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02

# RST_STREAM status codes.
PROTOCOL_ERROR = 1
INVALID_STREAM = 2
REFUSED_STREAM = 3
CANCEL = 5
INTERNAL_ERROR = 6

MAX_DATA_LENGTH = (1 << 24) - 1

# SPDY/3's header-compression dictionary (draft 3, section 2.6.10.1): length-prefixed words
# followed by a block of common text. Written out structurally rather than as bytes.
_DICTIONARY_WORDS = (
    (
        "options head post put delete trace accept accept-charset accept-encoding "
        "accept-language accept-ranges age allow authorization cache-control connection "
        "content-base content-encoding content-language content-length content-location "
        "content-md5 content-range content-type date etag expect expires from host if-match "
        "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
        "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
        "server te trailer transfer-encoding upgrade user-agent vary via warning "
        "www-authenticate method get status|200 OK|version|HTTP/1.1|url|public|set-cookie|"
        "keep-alive|origin"
    )
    .replace(" ", "|")
    .replace("200|OK", "200 OK")
    .split("|")
)
_DICTIONARY_TEXT = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417"
    "502504505"
    "203 Non-Authoritative Information"
    "204 No Content"
    "301 Moved Permanently"
    "400 Bad Request"
    "401 Unauthorized"
    "403 Forbidden"
    "404 Not Found"
    "500 Internal Server Error"
    "501 Not Implemented"
    "503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec"
    " 00:00:00"
    " Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,"
    "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch"
    "charset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = (
    b"".join(struct.pack(">I", len(w)) + w.encode() for w in _DICTIONARY_WORDS)
    + _DICTIONARY_TEXT.encode()
)

Headers = dict[str, list[str]]


class SpdyError(ValueError):
    """The peer sent something that is not valid SPDY/3."""


@dataclass(frozen=True, slots=True)
class SynStream:
    stream_id: int
    associated_to: int
    priority: int
    headers: Headers
    flags: int = 0


@dataclass(frozen=True, slots=True)
class SynReply:
    stream_id: int
    headers: Headers
    flags: int = 0


@dataclass(frozen=True, slots=True)
class RstStream:
    stream_id: int
    status: int


@dataclass(frozen=True, slots=True)
class Settings:
    values: dict[int, int]
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Ping:
    ping_id: int


@dataclass(frozen=True, slots=True)
class GoAway:
    last_good_stream_id: int
    status: int


@dataclass(frozen=True, slots=True)
class HeadersFrame:
    stream_id: int
    headers: Headers
    flags: int = 0


@dataclass(frozen=True, slots=True)
class WindowUpdate:
    stream_id: int
    delta: int


@dataclass(frozen=True, slots=True)
class Data:
    stream_id: int
    data: bytes
    flags: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


Frame = (
    SynStream | SynReply | RstStream | Settings | Ping | GoAway | HeadersFrame | WindowUpdate | Data
)


@dataclass
class HeaderCodec:
    """The two zlib streams of one connection's header blocks (one per direction)."""

    _compress: zlib._Compress = field(init=False, repr=False)
    _decompress: zlib._Decompress = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._compress = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zdict=DICTIONARY)
        self._decompress = zlib.decompressobj(zdict=DICTIONARY)

    def encode(self, headers: Headers) -> bytes:
        block = bytearray(struct.pack(">I", len(headers)))
        for name, values in headers.items():
            raw_name = name.lower().encode()
            raw_value = b"\x00".join(v.encode() for v in values)
            block += struct.pack(">I", len(raw_name)) + raw_name
            block += struct.pack(">I", len(raw_value)) + raw_value
        return self._compress.compress(bytes(block)) + self._compress.flush(zlib.Z_SYNC_FLUSH)

    def decode(self, compressed: bytes) -> Headers:
        try:
            block = self._decompress.decompress(compressed)
        except zlib.error as exc:
            raise SpdyError(f"header block does not decompress: {exc}") from exc
        return parse_header_block(block)


def parse_header_block(block: bytes) -> Headers:
    try:
        (count,) = struct.unpack_from(">I", block, 0)
        offset = 4
        headers: Headers = {}
        for _ in range(count):
            (n,) = struct.unpack_from(">I", block, offset)
            name = block[offset + 4 : offset + 4 + n].decode()
            offset += 4 + n
            (n,) = struct.unpack_from(">I", block, offset)
            value = block[offset + 4 : offset + 4 + n].decode()
            offset += 4 + n
            if offset > len(block):
                raise SpdyError("truncated header block")
            headers.setdefault(name.lower(), []).extend(value.split("\x00"))
    except struct.error as exc:
        raise SpdyError("truncated header block") from exc
    return headers


def _control(frame_type: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, frame_type, (flags << 24) | len(payload)) + payload


def encode_frame(frame: Frame, codec: HeaderCodec) -> bytes:
    """The wire bytes of `frame`; header blocks go through `codec`'s compressor."""
    if isinstance(frame, Data):
        if len(frame.data) > MAX_DATA_LENGTH:
            raise SpdyError("data frame too large")
        header = struct.pack(
            ">II", frame.stream_id & 0x7FFFFFFF, (frame.flags << 24) | len(frame.data)
        )
        return header + frame.data
    if isinstance(frame, SynStream):
        fixed = struct.pack(
            ">IIBB",
            frame.stream_id & 0x7FFFFFFF,
            frame.associated_to & 0x7FFFFFFF,
            (frame.priority & 0x7) << 5,
            0,
        )
        return _control(SYN_STREAM, frame.flags, fixed + codec.encode(frame.headers))
    if isinstance(frame, SynReply):
        fixed = struct.pack(">I", frame.stream_id & 0x7FFFFFFF)
        return _control(SYN_REPLY, frame.flags, fixed + codec.encode(frame.headers))
    if isinstance(frame, HeadersFrame):
        fixed = struct.pack(">I", frame.stream_id & 0x7FFFFFFF)
        return _control(HEADERS, frame.flags, fixed + codec.encode(frame.headers))
    if isinstance(frame, RstStream):
        return _control(RST_STREAM, 0, struct.pack(">II", frame.stream_id, frame.status))
    if isinstance(frame, Settings):
        body = struct.pack(">I", len(frame.values))
        for key, value in frame.values.items():
            body += struct.pack(">II", key & 0xFFFFFF, value)
        return _control(SETTINGS, frame.flags, body)
    if isinstance(frame, Ping):
        return _control(PING, 0, struct.pack(">I", frame.ping_id))
    if isinstance(frame, GoAway):
        return _control(
            GOAWAY, 0, struct.pack(">II", frame.last_good_stream_id & 0x7FFFFFFF, frame.status)
        )
    if isinstance(frame, WindowUpdate):
        return _control(
            WINDOW_UPDATE, 0, struct.pack(">II", frame.stream_id & 0x7FFFFFFF, frame.delta)
        )
    raise TypeError(f"not a SPDY frame: {frame!r}")


class FrameDecoder:
    """Incremental decoder for one direction of a connection."""

    def __init__(self, codec: HeaderCodec) -> None:
        self._codec = codec
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= 8:
            (length_word,) = struct.unpack_from(">I", self._buffer, 4)
            length = length_word & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                break
            head = bytes(self._buffer[:8])
            payload = bytes(self._buffer[8 : 8 + length])
            del self._buffer[: 8 + length]
            frame = self._parse(head, length_word >> 24, payload)
            if frame is not None:
                frames.append(frame)
        return frames

    def _parse(self, head: bytes, flags: int, payload: bytes) -> Frame | None:
        (first,) = struct.unpack_from(">I", head, 0)
        if not first & 0x80000000:
            stream_id = first & 0x7FFFFFFF
            if stream_id == 0:
                raise SpdyError("stream id zero is disallowed")
            return Data(stream_id, payload, flags)
        version = (first >> 16) & 0x7FFF
        frame_type = first & 0xFFFF
        if version != VERSION:
            raise SpdyError(f"unsupported SPDY version {version}")
        try:
            return self._control(frame_type, flags, payload)
        except struct.error as exc:
            raise SpdyError(f"truncated control frame of type {frame_type}") from exc

    def _control(self, frame_type: int, flags: int, payload: bytes) -> Frame | None:
        if frame_type == SYN_STREAM:
            stream_id, associated, priority, _slot = struct.unpack_from(">IIBB", payload, 0)
            headers = self._codec.decode(payload[10:])
            if stream_id == 0:
                raise SpdyError("stream id zero is disallowed")
            return SynStream(
                stream_id & 0x7FFFFFFF, associated & 0x7FFFFFFF, priority >> 5, headers, flags
            )
        if frame_type in (SYN_REPLY, HEADERS):
            (stream_id,) = struct.unpack_from(">I", payload, 0)
            headers = self._codec.decode(payload[4:])
            if frame_type == SYN_REPLY:
                return SynReply(stream_id & 0x7FFFFFFF, headers, flags)
            return HeadersFrame(stream_id & 0x7FFFFFFF, headers, flags)
        if frame_type == RST_STREAM:
            stream_id, status = struct.unpack_from(">II", payload, 0)
            return RstStream(stream_id & 0x7FFFFFFF, status)
        if frame_type == SETTINGS:
            (count,) = struct.unpack_from(">I", payload, 0)
            values = {}
            for i in range(count):
                key, value = struct.unpack_from(">II", payload, 4 + 8 * i)
                values[key & 0xFFFFFF] = value
            return Settings(values, flags)
        if frame_type == PING:
            (ping_id,) = struct.unpack_from(">I", payload, 0)
            return Ping(ping_id)
        if frame_type == GOAWAY:
            last, status = struct.unpack_from(">II", payload, 0)
            return GoAway(last & 0x7FFFFFFF, status)
        if frame_type == WINDOW_UPDATE:
            stream_id, delta = struct.unpack_from(">II", payload, 0)
            return WindowUpdate(stream_id & 0x7FFFFFFF, delta & 0x7FFFFFFF)
        return None  # unknown control frames are ignored, as the spec requires
