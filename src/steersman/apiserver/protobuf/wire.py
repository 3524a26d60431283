"""The protocol-buffer wire format, read the way gogo-generated Kubernetes code reads it.

Invariants:
- A message is split into (field number, wire type, value) triples in wire order; varints
  are at most ten bytes, lengths never run past the enclosing message, and field number 0,
  wire types 3/4 (groups) and 6/7 are malformed input. Every failure is a `ProtobufError`
  (a ValueError) naming what was wrong, never another exception type.
- Integers convert as Go's generated code converts them: int32 keeps the low 32 bits of the
  varint and int64 the low 64 bits, both as two's complement; a bool is "varint != 0".
- Repeated scalars are accepted both unpacked (what proto2 writers send) and packed, as
  gogo's readers accept both.
Pure functions over bytes; no state.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

_MAX_VARINT_BYTES = 10


class ProtobufError(ValueError):
    """A body that is not a well-formed Kubernetes protobuf object."""


class UnsupportedFieldError(ProtobufError):
    """A field Kubernetes defines that this server does not decode from protobuf.

    Raised instead of dropping the field, so a client never gets an object that silently
    lost part of what it sent; the same object sent as JSON is accepted.
    """


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it."""
    result = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos >= len(data):
            raise ProtobufError("protobuf: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos
    raise ProtobufError("protobuf: varint longer than ten bytes")


def iter_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Split one message into (field number, wire type, value) triples, in wire order."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("protobuf: invalid field number 0")
        value: int | bytes
        if wire == VARINT:
            value, pos = read_varint(data, pos)
        elif wire == LEN:
            size, pos = read_varint(data, pos)
            if size > end - pos:
                raise ProtobufError(f"protobuf: field {number} length {size} exceeds message")
            value = data[pos : pos + size]
            pos += size
        elif wire == FIXED64:
            if end - pos < 8:
                raise ProtobufError("protobuf: truncated fixed64")
            value = struct.unpack_from("<Q", data, pos)[0]
            pos += 8
        elif wire == FIXED32:
            if end - pos < 4:
                raise ProtobufError("protobuf: truncated fixed32")
            value = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        else:
            raise ProtobufError(f"protobuf: unsupported wire type {wire} for field {number}")
        yield number, wire, value


def packed_varints(data: bytes) -> list[int]:
    """The varints of a packed repeated scalar field."""
    out: list[int] = []
    pos = 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        out.append(value)
    return out


def to_int32(value: int) -> int:
    """Go's int32(v): the low 32 bits as two's complement."""
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def to_int64(value: int) -> int:
    """Go's int64(v): the low 64 bits as two's complement."""
    value &= 0xFFFF_FFFF_FFFF_FFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def text(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtobufError(f"protobuf: field {where!r} is not valid UTF-8") from exc
