"""The checks `runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation` makes.

A strategic merge patch is applied to the object as a map, and the API server then converts
the patched map straight into the Go struct (no JSON round trip). That conversion has its own
error wording, different from encoding/json's:

- a value of the wrong shape: `cannot restore struct from: string`, `cannot restore slice from
  map`, `cannot restore map from bool`; a scalar Go cannot convert: `unrecognized type: int32`,
  `cannot convert int64 to string`, `cannot convert float64 to int32` (a float with a fraction);
- types with their own UnmarshalJSON (IntOrString, Quantity, Time, MicroTime, []byte) are
  marshalled back to JSON and decoded by it, so their errors are that decoder's, without any
  struct-field context (`json: cannot unmarshal bool into Go value of type int32`);
- unknown fields are collected as `unknown field "spec.foo"` (map values add no path segment,
  list items add `[i]`) and reported sorted by message, as the converter sorts them.

Invariants: the first conversion error wins and discards the unknown fields (the API server
reports only it); the walk follows the schema's field order, which stands in for the Go struct's
(the two can differ when several fields are wrong at once). Named string types print as
`string` (a known difference, as in `schema`). Pure data: the input is never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steersman.api.errors import go_json
from steersman.api.quantity import ERR_FORMAT_WRONG, quantity_from_json
from steersman.api.schema import (
    K_ANY,
    K_ARRAY,
    K_BOOL,
    K_BYTES,
    K_INT,
    K_INT_OR_STRING,
    K_MAP,
    K_MICRO_TIME,
    K_NUMBER,
    K_OBJECT,
    K_QUANTITY,
    K_STRING,
    K_TIME,
    RFC3339,
    RFC3339_MICRO,
    Node,
    compiled,
    go_base64_error,
    go_time_parse_error,
    json_kind,
)


@dataclass(slots=True)
class ConvertResult:
    error: str | None = None  # the conversion error the API server reports, if any
    unknown_fields: list[str] = field(default_factory=list)  # `unknown field "p"`, sorted


def from_unstructured(schema_name: str, obj: Any, *, unknown_fields: bool = True) -> ConvertResult:
    """Convert-check `obj` (a decoded JSON object) against a definition."""
    return convert_value(compiled(schema_name), obj, unknown_fields=unknown_fields)


def convert_value(node: Node, obj: Any, *, unknown_fields: bool = True) -> ConvertResult:
    walker = _Converter(unknown_fields)
    try:
        walker.value(node, obj, "")
    except _ConvertError as e:
        return ConvertResult(str(e))
    return ConvertResult(None, sorted(walker.unknown))


class _ConvertError(Exception):
    pass


def _go_kind(v: Any) -> str:
    """reflect.Kind of a value of a decoded map (ints are int64 with PreserveInts)."""
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "slice"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    return "float64"


def _unmarshal(what: Any, go_type: str) -> _ConvertError:
    """json.Unmarshal's UnmarshalTypeError without a struct context. Decoding a number into
    an integer names the number's text; into a string it says just `number`."""
    kind = json_kind(what)
    if kind == "number" and go_type.startswith("int"):
        kind = f"number {go_json(what)}"  # the text json.Marshal gave the value
    return _ConvertError(f"json: cannot unmarshal {kind} into Go value of type {go_type}")


class _Converter:
    __slots__ = ("record", "unknown")

    def __init__(self, record: bool) -> None:
        self.record = record
        self.unknown: list[str] = []

    def value(self, node: Node, v: Any, path: str) -> None:
        if v is None:
            return  # the zero value
        kind = node.kind
        if kind == K_OBJECT:
            self.struct(node, v, path)
        elif kind == K_MAP:
            if not isinstance(v, dict):
                raise _ConvertError(f"cannot restore map from {_go_kind(v)}")
            assert node.elem is not None
            for item in v.values():
                self.value(node.elem, item, path)  # map keys add no path segment
        elif kind == K_ARRAY:
            if not isinstance(v, list):
                raise _ConvertError(f"cannot restore slice from {_go_kind(v)}")
            assert node.elem is not None
            for i, item in enumerate(v):
                self.value(node.elem, item, f"{path}[{i}]")
        elif kind == K_ANY:
            if node.go_kind == "map" and not isinstance(v, dict):
                raise _ConvertError(f"cannot restore map from {_go_kind(v)}")
        else:
            self.scalar(node, v)

    def struct(self, node: Node, v: Any, path: str) -> None:
        if not isinstance(v, dict):
            raise _ConvertError(f"cannot restore struct from: {_go_kind(v)}")
        for name, f in node.fields.items():
            if name in v:
                self.value(f.node, v[name], f"{path}.{name}" if path else name)
        if self.record:
            for key in v:
                if key not in node.fields:
                    # fmt.Errorf(`unknown field "%s"`): plain quotes, nothing escaped
                    self.unknown.append(
                        f'unknown field "{path}.{key}"' if path else f'unknown field "{key}"'
                    )

    def scalar(self, node: Node, v: Any) -> None:
        kind = node.kind
        if kind == K_STRING:
            if isinstance(v, str):
                return
            if type(v) is int:  # reflect allows int -> string, the converter does not
                raise _ConvertError(f"cannot convert int64 to {node.go_type}")
            raise _ConvertError(f"unrecognized type: {node.go_kind}")
        if kind in (K_INT, K_NUMBER):
            if type(v) is int or (kind == K_NUMBER and type(v) is float):
                return
            if type(v) is float:
                if v == int(v):
                    return  # a float without a fraction converts
                raise _ConvertError(f"cannot convert float64 to {node.go_type}")
            raise _ConvertError(f"unrecognized type: {node.go_kind}")
        if kind == K_BOOL:
            if not isinstance(v, bool):
                raise _ConvertError("unrecognized type: bool")
            return
        self.custom(node, v)

    def custom(self, node: Node, v: Any) -> None:
        """Types converted through json.Marshal + their UnmarshalJSON."""
        kind = node.kind
        if kind == K_INT_OR_STRING:
            if isinstance(v, str):
                return
            if type(v) is int and -(1 << 31) <= v < (1 << 31):
                return
            if type(v) is float and v == int(v) and -(1 << 31) <= v < (1 << 31):
                return  # json.Marshal(2.0) is "2"
            raise _unmarshal(v, "int32")
        if kind == K_QUANTITY:
            if isinstance(v, str | int | float) and not isinstance(v, bool):
                try:
                    quantity_from_json(v)
                except ValueError as e:
                    raise _ConvertError(str(e)) from None
                return
            raise _ConvertError(ERR_FORMAT_WRONG)
        if kind in (K_TIME, K_MICRO_TIME):
            if not isinstance(v, str):
                raise _unmarshal(v, "string")  # Time.UnmarshalJSON decodes a string first
            err = go_time_parse_error(RFC3339 if kind == K_TIME else RFC3339_MICRO, v)
            if err is not None:
                raise _ConvertError(err)
            return
        if kind == K_BYTES:
            self.bytes(v)

    def bytes(self, v: Any) -> None:
        if isinstance(v, str):
            err = go_base64_error(v) if v else None
            if err is not None:
                raise _ConvertError(err)
            return
        if not isinstance(v, list):
            raise _ConvertError(f"cannot restore slice from {_go_kind(v)}")
        for item in v:
            if item is None or type(item) is int:
                continue  # converted without an overflow check, as reflect does
            if type(item) is float:
                if item == int(item):
                    continue
                raise _ConvertError("cannot convert float64 to uint8")
            raise _ConvertError("unrecognized type: uint8")
