"""Build real protobuf message classes from generated.proto-style text, for test vectors.

The decoder under test is hand-written; its test vectors are encoded by Google's protobuf
runtime from message definitions typed in the syntax (and with the field numbers) of
upstream's generated.proto, so an error in a decoder table cannot hide behind the same error
in a hand-written encoder.

Supported syntax: `//` comments and `message Name { ... }` blocks (not nested) holding
`optional|repeated <type> <name> = <number>;` and `map<string, <type>> <name> = <number>;`.
Scalar types: string, bytes, bool, int32, int64; anything else names a message.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_SCALARS = {
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "bytes": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
}
_MESSAGE = re.compile(r"message\s+(\w+)\s*\{(.*?)\}", re.S)
_FIELD = re.compile(r"(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
_MAP = re.compile(r"map<\s*string\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")
_PACKAGE = "t"


def _set_type(field: Any, type_name: str) -> None:
    if type_name in _SCALARS:
        field.type = _SCALARS[type_name]
    else:
        field.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
        field.type_name = f".{_PACKAGE}.{type_name}"


def build(source: str) -> dict[str, Any]:
    """Message classes by name for every message in `source` (proto2 semantics)."""
    fdp = descriptor_pb2.FileDescriptorProto(name="t.proto", package=_PACKAGE, syntax="proto2")
    names: list[str] = []
    source = re.sub(r"//[^\n]*", "", source)
    for name, body in _MESSAGE.findall(source):
        names.append(name)
        msg = fdp.message_type.add(name=name)
        for label, type_name, fname, number in _FIELD.findall(body):
            f = msg.field.add(name=fname, number=int(number), json_name=fname)
            f.label = (
                descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
                if label == "repeated"
                else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
            )
            _set_type(f, type_name)
        for value_type, fname, number in _MAP.findall(body):
            entry_name = fname[0].upper() + fname[1:] + "Entry"
            entry = msg.nested_type.add(name=entry_name)
            entry.options.map_entry = True
            key = entry.field.add(name="key", number=1, json_name="key")
            key.label = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
            key.type = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
            val = entry.field.add(name="value", number=2, json_name="value")
            val.label = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
            _set_type(val, value_type)
            f = msg.field.add(name=fname, number=int(number), json_name=fname)
            f.label = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
            f.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
            f.type_name = f".{_PACKAGE}.{name}.{entry_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return {
        n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{n}"))
        for n in names
    }


ENVELOPE = build(
    """
    message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
    message Unknown {
      optional TypeMeta typeMeta = 1;
      optional bytes raw = 2;
      optional string contentEncoding = 3;
      optional string contentType = 4;
    }
    """
)


def envelope(api_version: str, kind: str, obj: Any) -> bytes:
    """The `k8s\\x00` + runtime.Unknown body kubectl sends for `obj`."""
    unknown = ENVELOPE["Unknown"]()
    unknown.typeMeta.apiVersion = api_version
    unknown.typeMeta.kind = kind
    unknown.raw = obj.SerializeToString()
    return b"k8s\x00" + unknown.SerializeToString()
