"""Protobuf encoding of the Swagger 2.0 document: gnostic's `openapi.v2.Document`.

client-go's `DiscoveryClient.OpenAPISchema()` asks /openapi/v2 for
`application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and unmarshals the body as
gnostic's OpenAPIv2.proto `Document`; it cannot read JSON. kubectl reaches for it when the v3
documents fail it (fallback in client-side apply, diff and the field-validation check) and for
`kubectl explain --output plaintext-openapiv2`.

A hand-written proto3 wire encoder for the subset of messages this server's document uses.
Field numbers are gnostic's (github.com/google/gnostic openapiv2/OpenAPIv2.proto); vendor
extensions, like gnostic's compiler, become `NamedAny{name, Any{yaml}}` holding the value
as YAML text (JSON flow style, which YAML parsers read).

Invariants:
- proto3 semantics: zero values (empty string, false, 0, empty list) are not written.
- Map-like JSON objects keep their key order as repeated Named* entries.
- Input is the dict from `openapi.v2_document()`; unknown keys are ignored (no field exists
  for them in gnostic's messages).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

import orjson

_VARINT, _I64, _LEN = 0, 1, 2


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 negatives are ten-byte varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _key(number, _LEN) + _varint(len(payload)) + payload


class _Message:
    """Accumulates fields of one message; zero values are skipped (proto3)."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def string(self, number: int, value: Any) -> None:
        if isinstance(value, str) and value:
            self.parts.append(_bytes_field(number, value.encode()))

    def strings(self, number: int, values: Any) -> None:
        if isinstance(values, list):
            for value in values:
                if isinstance(value, str):
                    # Repeated strings keep empty entries: position matters.
                    self.parts.append(_bytes_field(number, value.encode()))

    def boolean(self, number: int, value: Any) -> None:
        if value is True:
            self.parts.append(_key(number, _VARINT) + b"\x01")

    def int64(self, number: int, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value:
            self.parts.append(_key(number, _VARINT) + _varint(value))

    def double(self, number: int, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool) and value:
            self.parts.append(_key(number, _I64) + struct.pack("<d", float(value)))

    def message(self, number: int, payload: bytes | None) -> None:
        if payload is not None:
            # An empty sub-message is still present (it selects a oneof member).
            self.parts.append(_bytes_field(number, payload))

    def messages(self, number: int, payloads: Iterable[bytes]) -> None:
        for payload in payloads:
            self.parts.append(_bytes_field(number, payload))

    def build(self) -> bytes:
        return b"".join(self.parts)


def _any(value: Any) -> bytes:
    m = _Message()
    m.string(2, orjson.dumps(value).decode())  # Any.yaml
    return m.build()


def _named(name: str, value: bytes) -> bytes:
    m = _Message()
    m.string(1, name)
    m.message(2, value)
    return m.build()


def _extensions(obj: dict[str, Any]) -> list[bytes]:
    return [_named(k, _any(v)) for k, v in obj.items() if k.startswith("x-")]


def _named_map(obj: Any, encode: Callable[[Any], bytes]) -> list[bytes]:
    if not isinstance(obj, dict):
        return []
    return [_named(name, encode(value)) for name, value in obj.items()]


def encode_schema(schema: dict[str, Any]) -> bytes:
    """gnostic `Schema`."""
    m = _Message()
    m.string(1, schema.get("$ref"))
    m.string(2, schema.get("format"))
    m.string(3, schema.get("title"))
    m.string(4, schema.get("description"))
    if "default" in schema:
        m.message(5, _any(schema["default"]))
    m.double(6, schema.get("multipleOf"))
    m.double(7, schema.get("maximum"))
    m.boolean(8, schema.get("exclusiveMaximum"))
    m.double(9, schema.get("minimum"))
    m.boolean(10, schema.get("exclusiveMinimum"))
    m.int64(11, schema.get("maxLength"))
    m.int64(12, schema.get("minLength"))
    m.string(13, schema.get("pattern"))
    m.int64(14, schema.get("maxItems"))
    m.int64(15, schema.get("minItems"))
    m.boolean(16, schema.get("uniqueItems"))
    m.int64(17, schema.get("maxProperties"))
    m.int64(18, schema.get("minProperties"))
    m.strings(19, schema.get("required"))
    if isinstance(schema.get("enum"), list):
        m.messages(20, (_any(v) for v in schema["enum"]))
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        m.message(21, _bytes_field(1, encode_schema(additional)))  # AdditionalPropertiesItem.schema
    elif isinstance(additional, bool):
        m.message(21, _key(2, _VARINT) + (b"\x01" if additional else b"\x00"))
    type_ = schema.get("type")
    if isinstance(type_, str):
        type_ = [type_]
    if isinstance(type_, list) and type_:
        items_msg = _Message()
        items_msg.strings(1, type_)
        m.message(22, items_msg.build())  # TypeItem
    items = schema.get("items")
    if isinstance(items, dict):
        items = [items]
    if isinstance(items, list):
        m.message(23, b"".join(_bytes_field(1, encode_schema(i)) for i in items))  # ItemsItem
    if isinstance(schema.get("allOf"), list):
        m.messages(24, (encode_schema(s) for s in schema["allOf"]))
    if isinstance(schema.get("properties"), dict):
        m.message(
            25,
            b"".join(_bytes_field(1, p) for p in _named_map(schema["properties"], encode_schema)),
        )
    m.string(26, schema.get("discriminator"))
    m.boolean(27, schema.get("readOnly"))
    m.messages(31, _extensions(schema))
    return m.build()


def _non_body_parameter(param: dict[str, Any]) -> bytes:
    """NonBodyParameter holding a Query (3) or Path (4) sub-schema."""
    m = _Message()
    m.boolean(1, param.get("required"))
    m.string(2, param.get("in"))
    m.string(3, param.get("description"))
    m.string(4, param.get("name"))
    if param.get("in") == "path":
        m.string(5, param.get("type"))
        m.string(6, param.get("format"))
        m.boolean(19, param.get("uniqueItems"))
        m.messages(22, _extensions(param))
        return _bytes_field(4, m.build())
    # Query (and header, encoded as query: this document has none)
    m.string(6, param.get("type"))
    m.string(7, param.get("format"))
    m.boolean(20, param.get("uniqueItems"))
    m.messages(23, _extensions(param))
    return _bytes_field(3, m.build())


def _parameters_item(param: dict[str, Any]) -> bytes:
    """ParametersItem{parameter: Parameter{body_parameter | non_body_parameter}}."""
    if "$ref" in param:
        ref = _Message()
        ref.string(1, param["$ref"])
        return _bytes_field(2, ref.build())  # JsonReference
    if param.get("in") == "body":
        m = _Message()
        m.string(1, param.get("description"))
        m.string(2, param.get("name"))
        m.string(3, param.get("in"))
        m.boolean(4, param.get("required"))
        if isinstance(param.get("schema"), dict):
            m.message(5, encode_schema(param["schema"]))
        m.messages(6, _extensions(param))
        parameter = _bytes_field(1, m.build())
    else:
        parameter = _bytes_field(2, _non_body_parameter(param))
    return _bytes_field(1, parameter)


def _response_value(response: dict[str, Any]) -> bytes:
    """ResponseValue{response: Response{description, schema: SchemaItem{schema}}}."""
    m = _Message()
    m.string(1, response.get("description"))
    if isinstance(response.get("schema"), dict):
        m.message(2, _bytes_field(1, encode_schema(response["schema"])))
    m.messages(5, _extensions(response))
    return _bytes_field(1, m.build())


def _operation(op: dict[str, Any]) -> bytes:
    m = _Message()
    m.strings(1, op.get("tags"))
    m.string(2, op.get("summary"))
    m.string(3, op.get("description"))
    m.string(5, op.get("operationId"))
    m.strings(6, op.get("produces"))
    m.strings(7, op.get("consumes"))
    m.messages(8, (_parameters_item(p) for p in op.get("parameters", [])))
    responses = _Message()
    responses.messages(1, _named_map(op.get("responses"), _response_value))
    m.message(9, responses.build())
    m.strings(10, op.get("schemes"))
    m.boolean(11, op.get("deprecated"))
    m.messages(13, _extensions(op))
    return m.build()


_PATH_ITEM_METHODS = {
    "get": 2,
    "put": 3,
    "post": 4,
    "delete": 5,
    "options": 6,
    "head": 7,
    "patch": 8,
}


def _path_item(item: dict[str, Any]) -> bytes:
    m = _Message()
    m.string(1, item.get("$ref"))
    for method, number in _PATH_ITEM_METHODS.items():
        if isinstance(item.get(method), dict):
            m.message(number, _operation(item[method]))
    m.messages(9, (_parameters_item(p) for p in item.get("parameters", [])))
    m.messages(10, _extensions(item))
    return m.build()


def _security_scheme(scheme: dict[str, Any]) -> bytes:
    """SecurityDefinitionsItem; only apiKey (2) and basic (1) schemes are produced here."""
    m = _Message()
    m.string(1, scheme.get("type"))
    if scheme.get("type") == "basic":
        m.string(2, scheme.get("description"))
        m.messages(3, _extensions(scheme))
        return _bytes_field(1, m.build())
    m.string(2, scheme.get("name"))
    m.string(3, scheme.get("in"))
    m.string(4, scheme.get("description"))
    m.messages(5, _extensions(scheme))
    return _bytes_field(2, m.build())


def _security_requirement(requirement: dict[str, Any]) -> bytes:
    def string_array(values: Any) -> bytes:
        arr = _Message()
        arr.strings(1, values)
        return arr.build()

    m = _Message()
    m.messages(1, _named_map(requirement, string_array))
    return m.build()


def encode_document(doc: dict[str, Any]) -> bytes:
    """gnostic `Document` for a Swagger 2.0 document given as JSON data."""
    m = _Message()
    m.string(1, doc.get("swagger"))
    if isinstance(doc.get("info"), dict):
        info = _Message()
        info.string(1, doc["info"].get("title"))
        info.string(2, doc["info"].get("version"))
        info.string(3, doc["info"].get("description"))
        info.messages(7, _extensions(doc["info"]))
        m.message(2, info.build())
    m.string(3, doc.get("host"))
    m.string(4, doc.get("basePath"))
    m.strings(5, doc.get("schemes"))
    m.strings(6, doc.get("consumes"))
    m.strings(7, doc.get("produces"))
    if isinstance(doc.get("paths"), dict):
        paths = _Message()
        paths.messages(2, _named_map(doc["paths"], _path_item))
        m.message(8, paths.build())
    if isinstance(doc.get("definitions"), dict):
        defs = _Message()
        defs.messages(1, _named_map(doc["definitions"], encode_schema))
        m.message(9, defs.build())
    if isinstance(doc.get("security"), list):
        m.messages(12, (_security_requirement(r) for r in doc["security"]))
    if isinstance(doc.get("securityDefinitions"), dict):
        sec = _Message()
        sec.messages(1, _named_map(doc["securityDefinitions"], _security_scheme))
        m.message(13, sec.build())
    m.messages(16, _extensions(doc))
    return m.build()
