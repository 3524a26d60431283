"""Walking a protobuf message by a per-message field table into Kubernetes' JSON dict.

Invariants:
- A `Message` lists every field number upstream generated.proto gives the message (as of
  v1.36). Numbers it lists are decoded, or, for the few marked `unsupported`, refused with
  `UnsupportedFieldError`; numbers it does not list are newer than v1.36 and are skipped,
  exactly as Kubernetes' own decoder skips fields it does not know.
- Output mirrors Go's encoding/json of the decoded struct: gogo writes every non-pointer
  scalar, so a zero scalar is dropped unless the field is `keep` (a pointer, or a field
  without omitempty); a message present on the wire is a dict even when empty; maps and
  lists appear once they have an entry; a later singular value replaces an earlier one and
  a repeated embedded message merges into the earlier one, as proto merging does.
- Wire types are checked per field; repeated int32/int64 accept packed encoding too.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from steersman.apiserver.protobuf import values
from steersman.apiserver.protobuf.wire import (
    LEN,
    VARINT,
    ProtobufError,
    UnsupportedFieldError,
    iter_fields,
    packed_varints,
    text,
    to_int32,
    to_int64,
)

STRING, BYTES, INT32, INT64, BOOL = "string", "bytes", "int32", "int64", "bool"
MESSAGE, INLINE, TIME, QUANTITY = "message", "inline", "time", "quantity"
INT_OR_STRING, FIELDS_V1, UNSUPPORTED = "int-or-string", "fieldsV1", "unsupported"
STRING_MAP, BYTES_MAP, QUANTITY_MAP, TIME_MAP = "map", "map-bytes", "map-quantity", "map-time"

_SCALARS = frozenset({STRING, BYTES, INT32, INT64, BOOL})
_VARINTS = frozenset({INT32, INT64, BOOL})
_MAPS = frozenset({STRING_MAP, BYTES_MAP, QUANTITY_MAP, TIME_MAP})


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the JSON name
    kind: str
    message: Message | None = None
    repeated: bool = False
    keep: bool = False  # Go prints the zero value (a pointer, or no omitempty)


@dataclass(frozen=True, slots=True)
class Message:
    name: str  # the Go type, for error messages
    fields: Mapping[int, Field] = field(default_factory=dict)


# --- table constructors (keep the tables short and readable) ----------------------------


def string(name: str, *, keep: bool = False) -> Field:
    return Field(name, STRING, keep=keep)


def strings(name: str) -> Field:
    return Field(name, STRING, repeated=True)


def int32(name: str, *, keep: bool = False) -> Field:
    return Field(name, INT32, keep=keep)


def int32s(name: str) -> Field:
    return Field(name, INT32, repeated=True)


def int64(name: str, *, keep: bool = False) -> Field:
    return Field(name, INT64, keep=keep)


def int64s(name: str) -> Field:
    return Field(name, INT64, repeated=True)


def boolean(name: str, *, keep: bool = False) -> Field:
    return Field(name, BOOL, keep=keep)


def message(name: str, msg: Message) -> Field:
    return Field(name, MESSAGE, msg)


def messages(name: str, msg: Message) -> Field:
    return Field(name, MESSAGE, msg, repeated=True)


def inline(name: str, msg: Message) -> Field:
    """An embedded struct whose JSON fields sit in the parent (`json:",inline"`)."""
    return Field(name, INLINE, msg)


def time(name: str) -> Field:
    return Field(name, TIME)


def quantity(name: str) -> Field:
    return Field(name, QUANTITY)


def int_or_string(name: str) -> Field:
    return Field(name, INT_OR_STRING)


def fields_v1(name: str) -> Field:
    return Field(name, FIELDS_V1)


def string_map(name: str) -> Field:
    return Field(name, STRING_MAP)


def bytes_map(name: str) -> Field:
    return Field(name, BYTES_MAP)


def quantity_map(name: str) -> Field:
    return Field(name, QUANTITY_MAP)


def time_map(name: str) -> Field:
    return Field(name, TIME_MAP)


def unsupported(name: str) -> Field:
    return Field(name, UNSUPPORTED)


# --- walking ------------------------------------------------------------------------------


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _need_bytes(wire: int, value: int | bytes, where: str) -> bytes:
    if wire != LEN or not isinstance(value, bytes):
        raise ProtobufError(f"protobuf: field {where!r} must be length-delimited")
    return value


def _need_varint(wire: int, value: int | bytes, where: str) -> int:
    if wire != VARINT or isinstance(value, bytes):
        raise ProtobufError(f"protobuf: field {where!r} must be a varint")
    return value


def _int(kind: str, value: int) -> int | bool:
    if kind == INT32:
        return to_int32(value)
    if kind == INT64:
        return to_int64(value)
    return value != 0


def decode_message(
    raw: bytes, msg: Message, path: str = "", out: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Decode `raw` as `msg` into a new dict, or into `out` (inline and merged messages)."""
    result: dict[str, Any] = {} if out is None else out
    for number, wire, value in iter_fields(raw):
        spec = msg.fields.get(number)
        if spec is None:
            continue  # newer than v1.36: skipped, as Kubernetes' decoder skips it
        name, kind = spec.name, spec.kind
        where = _where(path, name)
        if kind == UNSUPPORTED:
            raise UnsupportedFieldError(
                f"protobuf: field {where!r} ({msg.name} field {number}) is not supported by"
                " this server in protobuf bodies; send the object as JSON"
            )
        if kind in _MAPS:
            key, item = _map_entry(_need_bytes(wire, value, where), kind, where)
            result.setdefault(name, {})[key] = item
            continue
        if kind == INLINE:
            assert spec.message is not None
            decode_message(_need_bytes(wire, value, where), spec.message, path, result)
            continue
        if spec.repeated:
            items = result.setdefault(name, [])
            if kind in _VARINTS and wire == LEN and isinstance(value, bytes):
                items.extend(_int(kind, v) for v in packed_varints(value))
            else:
                items.append(_value(spec, wire, value, f"{where}[{len(items)}]", None))
            continue
        existing = result.get(name) if kind == MESSAGE else None
        item = _value(spec, wire, value, where, existing if isinstance(existing, dict) else None)
        if item is None or (kind in _SCALARS and not spec.keep and not item):
            result.pop(name, None)
        else:
            result[name] = item
    return result


def _value(
    spec: Field, wire: int, value: int | bytes, where: str, merge_into: dict[str, Any] | None
) -> Any:
    kind = spec.kind
    if kind in _VARINTS:
        return _int(kind, _need_varint(wire, value, where))
    raw = _need_bytes(wire, value, where)
    if kind == STRING:
        return text(raw, where)
    if kind == BYTES:
        return base64.b64encode(raw).decode("ascii")
    if kind == MESSAGE:
        assert spec.message is not None
        return decode_message(raw, spec.message, where, merge_into)
    if kind == TIME:
        return values.decode_time(raw, where)
    if kind == QUANTITY:
        return values.decode_quantity(raw, where)
    if kind == INT_OR_STRING:
        return values.decode_int_or_string(raw, where)
    if kind == FIELDS_V1:
        return values.decode_fields_v1(raw, where)
    raise ProtobufError(f"protobuf: internal error, kind {kind!r} for {where!r}")


def _map_entry(raw: bytes, kind: str, where: str) -> tuple[str, Any]:
    """One map entry {1 key, 2 value}; an absent value is the value type's zero."""
    key = ""
    item: Any = {STRING_MAP: "", BYTES_MAP: "", QUANTITY_MAP: "0", TIME_MAP: None}[kind]
    for number, wire, value in iter_fields(raw):
        if number == 1:
            key = text(_need_bytes(wire, value, where), where)
        elif number == 2:
            data = _need_bytes(wire, value, where)
            if kind == STRING_MAP:
                item = text(data, where)
            elif kind == BYTES_MAP:
                item = base64.b64encode(data).decode("ascii")
            elif kind == QUANTITY_MAP:
                item = values.decode_quantity(data, where)
            else:
                item = values.decode_time(data, where)
    return key, item
