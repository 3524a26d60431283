"""Kubernetes' special protobuf value types, turned into the JSON Go would print for them.

Invariants (each mirrors the type's Go Unmarshal + MarshalJSON pair):
- metav1.Time is a Timestamp {1 seconds int64, 2 nanos int32}. An empty message is the zero
  time, which Go prints as null (returned as None, so the field is left out); anything else
  is an RFC 3339 UTC timestamp at second precision, even the Unix epoch itself.
- resource.Quantity is {1 string}; its text is kept as sent (an absent one is Go's zero, "0").
- intstr.IntOrString is {1 type int64, 2 intVal int32, 3 strVal}: type 0 prints the int,
  type 1 the string; any other type is an error, as Go refuses to print it.
- metav1.FieldsV1 is {1 Raw}: JSON text, printed verbatim (so it is parsed here).
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson

from steersman.apiserver.protobuf.wire import (
    LEN,
    VARINT,
    ProtobufError,
    iter_fields,
    text,
    to_int32,
    to_int64,
)

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# Go's zero time.Time, 0001-01-01T00:00:00Z, as Unix seconds.
_GO_ZERO_SECONDS = -62135596800


def _varint(wire: int, value: int | bytes, where: str) -> int:
    if wire != VARINT or isinstance(value, bytes):
        raise ProtobufError(f"protobuf: field {where!r} must be a varint")
    return value


def _bytes(wire: int, value: int | bytes, where: str) -> bytes:
    if wire != LEN or not isinstance(value, bytes):
        raise ProtobufError(f"protobuf: field {where!r} must be length-delimited")
    return value


def decode_time(raw: bytes, where: str) -> str | None:
    if not raw:
        return None
    seconds = nanos = 0
    for number, wire, value in iter_fields(raw):
        if number == 1:
            seconds = to_int64(_varint(wire, value, where + ".seconds"))
        elif number == 2:
            nanos = to_int32(_varint(wire, value, where + ".nanos"))
    # time.Unix normalises nanos outside [0, 1e9) into the seconds.
    carry, nanos = divmod(nanos, 1_000_000_000)
    seconds += carry
    if seconds == _GO_ZERO_SECONDS and nanos == 0:
        return None
    try:
        moment = _EPOCH + datetime.timedelta(seconds=seconds)
    except OverflowError:
        moment = None
    if moment is None or not 1 <= moment.year <= 9999:
        raise ProtobufError(f"protobuf: field {where!r} holds a time outside years 1-9999")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_quantity(raw: bytes, where: str) -> str:
    value = "0"
    for number, wire, item in iter_fields(raw):
        if number == 1:
            value = text(_bytes(wire, item, where), where)
    return value


def decode_int_or_string(raw: bytes, where: str) -> int | str:
    kind = int_val = 0
    str_val = ""
    for number, wire, value in iter_fields(raw):
        if number == 1:
            kind = to_int64(_varint(wire, value, where + ".type"))
        elif number == 2:
            int_val = to_int32(_varint(wire, value, where + ".intVal"))
        elif number == 3:
            str_val = text(_bytes(wire, value, where + ".strVal"), where)
    if kind == 0:
        return int_val
    if kind == 1:
        return str_val
    raise ProtobufError(f"protobuf: field {where!r} has impossible IntOrString type {kind}")


def decode_fields_v1(raw: bytes, where: str) -> Any:
    data = b""
    for number, wire, value in iter_fields(raw):
        if number == 1:
            data = _bytes(wire, value, where)
    if not data:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ProtobufError(f"protobuf: field {where!r} is not valid JSON") from exc
