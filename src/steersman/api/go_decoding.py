"""The checks Go's JSON decoding makes when a body becomes a typed object.

- `check_object`: what `json.Unmarshal` into the Go struct would reject (`type_errors`, worded as
  Go's `UnmarshalTypeError` or the custom unmarshaler's own error) and the unknown fields that
  `fieldValidation=Strict|Warn` reports (`unknown_fields`, paths as sigs.k8s.io/json writes them:
  `spec.containers[0].foo`). `prune_unknown` drops unknown fields as Go decoding does.

Invariants:
- `null` is accepted everywhere (Go decodes it to the zero value).
- `type_errors[0]` is the error Go returns: an error from a custom unmarshaler (IntOrString,
  Quantity, Time, MicroTime) aborts decoding, so it wins over an earlier ordinary type error;
  otherwise the first ordinary one (in document order) wins.
- Type errors trump strict errors: when `type_errors` is non-empty the caller answers 400 with it.
Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steersman.api.definitions import (
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
    Node,
    compiled,
)
from steersman.api.errors import ApiError, bad_request_error
from steersman.api.go_text import RFC3339, RFC3339_MICRO, go_base64_error, go_time_parse_error
from steersman.api.quantity import ERR_FORMAT_WRONG, quantity_from_json


@dataclass(slots=True)
class DecodeResult:
    unknown_fields: list[str] = field(default_factory=list)  # paths, document order
    type_errors: list[str] = field(default_factory=list)  # messages; [0] is what Go reports

    @property
    def ok(self) -> bool:
        return not self.unknown_fields and not self.type_errors


def json_kind(value: Any) -> str:
    """How Go's UnmarshalTypeError names a JSON value."""
    if isinstance(value, str):
        return "string"
    if value is True or value is False:
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _unmarshal_error(what: str, go_type: str, struct: str, path: str) -> str:
    if struct or path:
        return (
            f"json: cannot unmarshal {what} into Go struct field {struct}.{path} of type {go_type}"
        )
    return f"json: cannot unmarshal {what} into Go value of type {go_type}"


def _number_text(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _int_error(value: Any, bits: int) -> str | None:
    """What a Go intN rejects about `value` (None if it fits), as UnmarshalTypeError.Value."""
    if type(value) is int:
        bound = 1 << (bits - 1)
        return None if -bound <= value < bound else f"number {value}"
    if isinstance(value, float) and not isinstance(value, bool):
        return f"number {_number_text(value)}"  # strconv.ParseInt refuses any fraction/exponent
    return json_kind(value)


class _Checker:
    """One walk of a decoded object against a compiled node (see module docstring)."""

    __slots__ = ("fatal", "prune", "saved", "unknown")

    def __init__(self, prune: bool) -> None:
        self.unknown: list[str] = []
        self.saved: list[str] = []
        self.fatal: list[str] = []
        self.prune = prune

    def value(self, node: Node, v: Any, spath: str, gpath: str, struct: str) -> None:
        """spath: strict path (indices, map keys); gpath/struct: Go's errorContext."""
        if v is None:
            return
        kind = node.kind
        if kind == K_OBJECT:
            if type(v) is dict:
                self.object(node, v, spath, gpath)
            else:
                self.saved.append(_unmarshal_error(json_kind(v), node.go_type, struct, gpath))
        elif kind == K_ARRAY:
            if type(v) is list:
                elem = node.elem
                assert elem is not None
                for i, item in enumerate(v):
                    if item is not None:
                        self.value(elem, item, f"{spath}[{i}]", gpath, struct)
            else:
                self.saved.append(_unmarshal_error(json_kind(v), node.go_type, struct, gpath))
        elif kind == K_MAP:
            if type(v) is dict:
                elem = node.elem
                assert elem is not None
                if elem.kind == K_STRING:  # the common map[string]string: no recursion
                    for item in v.values():
                        if type(item) is not str and item is not None:
                            self.saved.append(
                                _unmarshal_error(json_kind(item), "string", struct, gpath)
                            )
                    return
                for key, item in v.items():
                    if item is not None:
                        self.value(elem, item, f"{spath}.{key}" if spath else key, gpath, struct)
            else:
                self.saved.append(_unmarshal_error(json_kind(v), node.go_type, struct, gpath))
        else:
            self.scalar(node, v, struct, gpath)

    def object(self, node: Node, obj: dict[str, Any], spath: str, gpath: str) -> None:
        fields = node.fields
        struct = node.name
        drop: list[str] = []
        for key, v in obj.items():
            f = fields.get(key)
            if f is None:
                self.unknown.append(f"{spath}.{key}" if spath else key)
                if self.prune:
                    drop.append(key)
                continue
            if v is None:
                continue
            child = f.node
            ck = child.kind
            if ck == K_STRING:  # the overwhelmingly common leaf, checked inline
                if type(v) is not str:
                    path = f"{gpath}.{key}" if gpath else key
                    self.saved.append(_unmarshal_error(json_kind(v), "string", struct, path))
            elif ck >= K_STRING:
                self.scalar(child, v, struct, f"{gpath}.{key}" if gpath else key)
            elif ck != K_ANY:
                self.value(
                    child,
                    v,
                    f"{spath}.{key}" if spath else key,
                    f"{gpath}.{key}" if gpath else key,
                    struct,
                )
        if drop:
            for key in drop:
                del obj[key]

    def scalar(self, node: Node, v: Any, struct: str, gpath: str) -> None:
        kind = node.kind
        if kind == K_STRING:
            if type(v) is not str:
                self.saved.append(_unmarshal_error(json_kind(v), "string", struct, gpath))
        elif kind == K_INT:
            what = _int_error(v, node.bits)
            if what is not None:
                self.saved.append(_unmarshal_error(what, node.go_type, struct, gpath))
        elif kind == K_BOOL:
            if v is not True and v is not False:
                self.saved.append(_unmarshal_error(json_kind(v), "bool", struct, gpath))
        elif kind == K_NUMBER:
            if not isinstance(v, int | float) or isinstance(v, bool):
                self.saved.append(_unmarshal_error(json_kind(v), node.go_type, struct, gpath))
        elif kind == K_INT_OR_STRING:
            # IntOrString.UnmarshalJSON: a string, else json.Unmarshal into the int32.
            if type(v) is not str:
                what = _int_error(v, 32)
                if what is not None:
                    self.fatal.append(_unmarshal_error(what, "int32", struct, gpath))
        elif kind == K_QUANTITY:
            # Quantity.UnmarshalJSON parses the raw text; its errors come out bare.
            if isinstance(v, str | int | float) and not isinstance(v, bool):
                try:
                    quantity_from_json(v)
                except ValueError as e:
                    self.fatal.append(str(e))
            else:
                self.fatal.append(ERR_FORMAT_WRONG)
        elif kind in (K_TIME, K_MICRO_TIME):
            if type(v) is str:
                err = go_time_parse_error(RFC3339 if kind == K_TIME else RFC3339_MICRO, v)
                if err is not None:
                    self.fatal.append(err)
            else:  # Time.UnmarshalJSON decodes into a string first
                self.fatal.append(_unmarshal_error(json_kind(v), "string", struct, gpath))
        elif kind == K_BYTES:
            self.bytes(v, struct, gpath)

    def bytes(self, v: Any, struct: str, gpath: str) -> None:
        if type(v) is str:
            err = go_base64_error(v)
            if err is not None:
                self.saved.append(err)  # saved bare: it is not an UnmarshalTypeError
        elif type(v) is list:  # Go also decodes a JSON array of numbers into []byte
            for item in v:
                if item is None or (type(item) is int and 0 <= item <= 255):
                    continue
                kind = json_kind(item)
                what = f"number {_number_text(item)}" if kind == "number" else kind
                self.saved.append(_unmarshal_error(what, "uint8", struct, gpath))
        else:
            self.saved.append(_unmarshal_error(json_kind(v), "[]uint8", struct, gpath))


def check_object(schema_name: str, obj: Any) -> DecodeResult:
    """Unknown fields and Go decoding errors of `obj` against a definition (no mutation)."""
    return _check(schema_name, obj, prune=False)


def prune_unknown(schema_name: str, obj: Any) -> DecodeResult:
    """Remove unknown fields in place (Ignore/Warn drop them, as Go decoding does)."""
    return _check(schema_name, obj, prune=True)


def _check(schema_name: str, obj: Any, prune: bool) -> DecodeResult:
    return check_value(compiled(schema_name), obj, prune=prune)


def check_value(node: Node, obj: Any, *, prune: bool = False) -> DecodeResult:
    """`check_object` against any compiled node (e.g. one built for a non-API Go type)."""
    checker = _Checker(prune)
    if type(obj) is dict and node.kind == K_OBJECT:
        checker.object(node, obj, "", "")
    else:
        checker.value(node, obj, "", "", "")
    return DecodeResult(checker.unknown, checker.fatal[:1] + checker.saved)


# The anonymous struct the JSON serializer reads apiVersion/kind into, as reflect prints it.
FIND_KIND_GO_TYPE = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
    'Kind string "json:\\"kind,omitempty\\"" }'
)


def find_kind_error(value: Any) -> str:
    """SimpleMetaFactory.Interpret's error for JSON that is not an object."""
    return (
        "couldn't get version/kind; json parse error: json: cannot unmarshal "
        f"{json_kind(value)} into Go value of type {FIND_KIND_GO_TYPE}"
    )


def strict_decoding_message(errors: list[str]) -> str:
    """runtime.NewStrictDecodingError's text."""
    return "strict decoding error: " + ", ".join(errors)


def decode_error(kind: str, version: str, detail: str) -> ApiError:
    """400 BadRequest as the API server words a body it cannot decode into the kind."""
    return bad_request_error(
        f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}'
    )
