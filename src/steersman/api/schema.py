"""OpenAPI schema access and the checks Go's JSON decoding makes when a body becomes a typed object.

Schemas are kubernetes-validate's v1.36 definitions (`$defs`, JSON-Schema flavoured). Each
definition is compiled once, lazily, into a `Node` tree (a dict of property -> `Field`), which
drives three walks:

- `check_object`: what `json.Unmarshal` into the Go struct would reject (`type_errors`, worded as
  Go's `UnmarshalTypeError` or the custom unmarshaler's own error) and the unknown fields that
  `fieldValidation=Strict|Warn` reports (`unknown_fields`, paths as sigs.k8s.io/json writes them:
  `spec.containers[0].foo`). `prune_unknown` drops unknown fields as Go decoding does.
- `strict_errors` / `duplicate_fields`: the same strict errors from the raw body, plus Go's
  `duplicate field "x"`, in document order (deduplicated, at most 100, as sigs.k8s.io/json).
- patch metadata (`Field.meta`) for strategic merge patch.

Invariants:
- `null` is accepted everywhere (Go decodes it to the zero value).
- `type_errors[0]` is the error Go returns: an error from a custom unmarshaler (IntOrString,
  Quantity, Time, MicroTime) aborts decoding, so it wins over an earlier ordinary type error;
  otherwise the first ordinary one (in document order) wins.
- Type errors trump strict errors: when `type_errors` is non-empty the caller answers 400 with it.
- Go type names: structs `v1.PodSpec`, slices `[]v1.Container`, maps `map[string]string`;
  named string/int types print as their base type (`string`), a known difference from Go.
- Definitions without properties that Go decodes opaquely (RawExtension, FieldsV1, JSON, ...)
  accept any value.
Compiled nodes are immutable once built; building is idempotent (safe to race in one thread).
Pure data besides reading the packaged schema file once: no other I/O.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from steersman.api.errors import ApiError, bad_request_error, go_value
from steersman.api.quantity import ERR_FORMAT_WRONG, quantity_from_json

KUBERNETES_VERSION = "v1.36.0"
_REF_PREFIX = "#/$defs/"
MAX_STRICT_ERRORS = 100  # sigs.k8s.io/json stops accumulating strict errors here

# Node kinds (small ints: the walkers compare them on every field).
K_ANY = 0
K_OBJECT = 1
K_MAP = 2
K_ARRAY = 3
K_STRING = 4
K_INT = 5
K_NUMBER = 6
K_BOOL = 7
K_BYTES = 8
K_INT_OR_STRING = 9
K_QUANTITY = 10
K_TIME = 11
K_MICRO_TIME = 12

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
# Definitions with a custom UnmarshalJSON: kind and Go type name.
_SPECIAL: dict[str, tuple[int, str]] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": (K_INT_OR_STRING, "intstr.IntOrString"),
    "io.k8s.apimachinery.pkg.api.resource.Quantity": (K_QUANTITY, "resource.Quantity"),
    _META + "Time": (K_TIME, "v1.Time"),
    _META + "MicroTime": (K_MICRO_TIME, "v1.MicroTime"),
    # Opaque: they keep the raw JSON, so no unknown fields and no type errors inside.
    _META + "FieldsV1": (K_ANY, "v1.FieldsV1"),
    "io.k8s.apimachinery.pkg.runtime.RawExtension": (K_ANY, "runtime.RawExtension"),
}
_APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
for _name in (
    "JSON",
    "JSONSchemaPropsOrArray",
    "JSONSchemaPropsOrBool",
    "JSONSchemaPropsOrStringArray",
):
    _SPECIAL[_APIEXT + _name] = (K_ANY, "v1." + _name)


# ---------------------------------------------------------------------------
# loading


def definitions_file() -> Path:
    import kubernetes_validate  # imported lazily: only its data file is needed

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return base / f"{KUBERNETES_VERSION}-local" / "_definitions.json"


@functools.cache
def definitions() -> dict[str, dict[str, Any]]:
    """All definitions by name (`io.k8s.api.core.v1.PodSpec`). Loaded once; do not mutate."""
    data: dict[str, Any] = orjson.loads(definitions_file().read_bytes())
    defs: dict[str, dict[str, Any]] = data["$defs"]
    return defs


def definition(name: str) -> dict[str, Any]:
    """One definition; KeyError if unknown."""
    return definitions()[name]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` (repeatedly) to the referenced definition."""
    while "$ref" in node:
        node = definition(node["$ref"].removeprefix(_REF_PREFIX))
    return node


@functools.cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, d in definitions().items():
        for gvk in d.get("x-kubernetes-group-version-kind", ()):
            index.setdefault((gvk.get("group", ""), gvk["version"], gvk["kind"]), name)
    return index


def schema_for_kind(group: str, version: str, kind: str) -> str | None:
    """The definition name whose `x-kubernetes-group-version-kind` lists this GVK."""
    return _gvk_index().get((group, version, kind))


# ---------------------------------------------------------------------------
# compiled schema


@dataclass(frozen=True, slots=True)
class PatchMeta:
    """Strategic-merge-patch metadata of one struct field (the Go struct tags)."""

    merge_key: str = ""
    strategy: str = ""  # "merge", "replace", "retainKeys", "merge,retainKeys" or ""
    list_type: str = ""  # x-kubernetes-list-type: atomic | set | map
    list_map_keys: tuple[str, ...] = ()

    @property
    def strategies(self) -> list[str]:
        return self.strategy.split(",")  # as Go's strings.Split: "" -> [""]


NO_PATCH_META = PatchMeta()


@dataclass(slots=True, eq=False)
class Node:
    """A compiled schema node: what Go type a JSON value decodes into."""

    kind: int
    go_type: str  # Go's reflect.Type.String(), for error messages
    go_kind: str  # Go's reflect.Kind.String(): struct, map, slice, string, int32, ...
    name: str = ""  # struct name (t.Name()) for definitions
    fields: dict[str, Field] = field(default_factory=dict)  # K_OBJECT
    elem: Node | None = None  # K_ARRAY items, K_MAP values
    bits: int = 64  # K_INT width

    def child(self, name: str) -> Field | None:
        return self.fields.get(name)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    node: Node
    meta: PatchMeta


_nodes: dict[str, Node] = {}


def compiled(schema_name: str) -> Node:
    """The compiled node of a definition (KeyError if unknown). Compiled on first use."""
    node = _nodes.get(schema_name)
    if node is None:
        node = _compile_definition(schema_name)
    return node


def _go_name(def_name: str) -> str:
    parts = def_name.rsplit(".", 2)
    return f"{parts[-2]}.{parts[-1]}"


def _compile_definition(name: str) -> Node:
    special = _SPECIAL.get(name)
    if special is not None:
        kind, go_type = special
        node = Node(kind, go_type, "struct", name=name.rsplit(".", 1)[-1])
        _nodes[name] = node
        return node
    d = definition(name)
    types = _types(d)
    if "properties" not in d and "object" not in types:
        node = _compile(d) if types else Node(K_ANY, "interface {}", "interface")
        _nodes[name] = node
        return node
    node = Node(K_OBJECT, _go_name(name), "struct", name=name.rsplit(".", 1)[-1])
    _nodes[name] = node  # registered before its fields: definitions may recurse
    for prop, schema in d.get("properties", {}).items():
        node.fields[prop] = Field(prop, _compile(schema), _patch_meta(schema))
    return node


def _patch_meta(schema: dict[str, Any]) -> PatchMeta:
    if not any(k.startswith("x-kubernetes-") for k in schema):
        return NO_PATCH_META
    return PatchMeta(
        merge_key=schema.get("x-kubernetes-patch-merge-key", ""),
        strategy=schema.get("x-kubernetes-patch-strategy", ""),
        list_type=schema.get("x-kubernetes-list-type", ""),
        list_map_keys=tuple(schema.get("x-kubernetes-list-map-keys", ())),
    )


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


_INT_BITS = {"int32": 32, "int64": 64, "int8": 8, "int16": 16}


def _compile(schema: dict[str, Any]) -> Node:
    ref = schema.get("$ref")
    if ref is not None:
        return compiled(ref.removeprefix(_REF_PREFIX))
    types = _types(schema)
    fmt = schema.get("format", "")
    if "array" in types:
        elem = _compile(schema.get("items") or {})
        return Node(K_ARRAY, "[]" + elem.go_type, "slice", elem=elem)
    if "object" in types:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            elem = _compile(extra)
            return Node(K_MAP, "map[string]" + elem.go_type, "map", elem=elem)
        return Node(K_ANY, "map[string]interface {}", "map")
    if "string" in types:
        if fmt == "byte":
            return Node(K_BYTES, "[]uint8", "slice")
        if fmt == "date-time":
            return Node(K_TIME, "v1.Time", "struct", name="Time")
        return Node(K_STRING, "string", "string")
    if "integer" in types:
        bits = _INT_BITS.get(fmt, 64)
        go = fmt if fmt in _INT_BITS else "int64"
        return Node(K_INT, go, go, bits=bits)
    if "number" in types:
        go = "float32" if fmt == "float" else "float64"
        return Node(K_NUMBER, go, go)
    if "boolean" in types:
        return Node(K_BOOL, "bool", "bool")
    return Node(K_ANY, "interface {}", "interface")


def patch_meta(node: Node, field_name: str) -> PatchMeta | None:
    """Patch metadata of `field_name` in a struct node; None if the struct has no such field."""
    f = node.fields.get(field_name)
    return f.meta if f is not None else None


# ---------------------------------------------------------------------------
# decoding checks


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


def strict_decoding_message(errors: list[str]) -> str:
    """runtime.NewStrictDecodingError's text."""
    return "strict decoding error: " + ", ".join(errors)


def decode_error(kind: str, version: str, detail: str) -> ApiError:
    """400 BadRequest as the API server words a body it cannot decode into the kind."""
    return bad_request_error(
        f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}'
    )


# ---------------------------------------------------------------------------
# strict errors from the raw body (duplicates need the raw key sequence)


class _Obj(list[tuple[str, Any]]):
    """A JSON object as its ordered key/value pairs, duplicates kept."""


def _parse_pairs(raw: bytes | str) -> Any:
    return json.loads(raw, object_pairs_hook=_Obj)


class _Strict:
    __slots__ = ("errors", "found", "seen")

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.found: list[tuple[str, str]] = []  # (what, path) behind each message
        self.seen: set[str] = set()

    def add(self, what: str, path: str) -> None:
        if len(self.errors) >= MAX_STRICT_ERRORS:
            return
        msg = f"{what} {go_value(path)}"
        if msg not in self.seen:
            self.seen.add(msg)
            self.errors.append(msg)
            self.found.append((what, path))

    def typed(self, node: Node | None, v: Any, path: str) -> None:
        """Walk with a schema: unknown fields and duplicates of known fields / map keys."""
        if node is None or (node.kind == K_ANY and node.go_kind != "struct"):
            self.untyped(v, path)  # interface{}: Go decodes it generically, duplicates count
            return
        kind = node.kind
        if kind == K_OBJECT and type(v) is _Obj:
            seen: set[str] = set()
            for key, item in v:
                sub = f"{path}.{key}" if path else key
                f = node.fields.get(key)
                if f is None:
                    self.add("unknown field", sub)
                    continue
                if key in seen:
                    self.add("duplicate field", sub)
                seen.add(key)
                if f.node.kind <= K_ARRAY and item is not None:
                    self.typed(f.node, item, sub)
        elif kind == K_MAP and type(v) is _Obj:
            seen = set()
            elem = node.elem
            for key, item in v:
                sub = f"{path}.{key}" if path else key
                if key in seen:
                    self.add("duplicate field", sub)
                seen.add(key)
                if elem is not None and elem.kind <= K_ARRAY and item is not None:
                    self.typed(elem, item, sub)
        elif kind == K_ARRAY and type(v) is list:
            elem = node.elem
            if elem is not None and elem.kind <= K_ARRAY:
                for i, item in enumerate(v):
                    self.typed(elem, item, f"{path}[{i}]")

    def untyped(self, v: Any, path: str) -> None:
        """Decoding into map[string]interface{}: duplicates only."""
        if type(v) is _Obj:
            seen: set[str] = set()
            for key, item in v:
                sub = f"{path}.{key}" if path else key
                if key in seen:
                    self.add("duplicate field", sub)
                seen.add(key)
                self.untyped(item, sub)
        elif type(v) is list:
            for i, item in enumerate(v):
                self.untyped(item, f"{path}[{i}]")


def strict_errors(schema_name: str, raw: bytes | str) -> list[str]:
    """`unknown field "p"` / `duplicate field "p"` messages, in Go's order, for a JSON body.

    Raises ValueError if `raw` is not JSON (decode it first; callers report that error).
    """
    return strict_errors_for(compiled(schema_name), raw)


def strict_errors_for(node: Node, raw: bytes | str) -> list[str]:
    """`strict_errors` against any compiled node."""
    walker = _Strict()
    walker.typed(node, _parse_pairs(raw), "")
    return walker.errors


def duplicate_fields(raw: bytes | str, schema_name: str | None = None) -> list[str]:
    """Paths of duplicated keys in a JSON body (Go reports each as `duplicate field "<path>"`).

    With a schema, only known fields and map keys count (Go reports an unknown field once, as
    unknown); without one, every object counts (decoding into map[string]interface{}). For the
    full Strict/Warn list in Go's order use `strict_errors`.
    """
    walker = _Strict()
    tree = _parse_pairs(raw)
    if schema_name is None:
        walker.untyped(tree, "")
    else:
        walker.typed(compiled(schema_name), tree, "")
    return [p for kind, p in walker.found if kind == "duplicate field"]


# ---------------------------------------------------------------------------
# Go's base64 (StdEncoding) and time.Parse errors, for []byte and metav1.Time fields

_B64_OK = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def go_base64_error(s: str) -> str | None:
    """base64.StdEncoding.Decode's CorruptInputError text for `s`, or None if it decodes."""
    text = s.replace("\r", "").replace("\n", "") if ("\r" in s or "\n" in s) else s
    if _B64_OK.fullmatch(text):
        return None
    src = s.encode()
    si, n = 0, len(src)
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return _b64_corrupt(si - j)
            c = src[si]
            si += 1
            if c in _B64_ALPHABET:
                j += 1
                continue
            if c in (0x0A, 0x0D):
                continue
            if c != 0x3D:  # '='
                return _b64_corrupt(si - 1)
            if j < 2:
                return _b64_corrupt(si - 1)
            if j == 2:  # "==" expected: the second '=' after optional newlines
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return _b64_corrupt(n)
                if src[si] != 0x3D:
                    return _b64_corrupt(si - 1)
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            return _b64_corrupt(si) if si < n else None
    return None


def _b64_corrupt(offset: int) -> str:
    return f"illegal base64 data at input byte {offset}"


RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00"
# (literal prefix, layout element) chunks of each layout, as Go's nextStdChunk splits them.
_LAYOUT_CHUNKS = {
    RFC3339: (
        ("", "2006"),
        ("-", "01"),
        ("-", "02"),
        ("T", "15"),
        (":", "04"),
        (":", "05"),
        ("", "Z07:00"),
    ),
    RFC3339_MICRO: (
        ("", "2006"),
        ("-", "01"),
        ("-", "02"),
        ("T", "15"),
        (":", "04"),
        (":", "05"),
        ("", ".000000"),
        ("", "Z07:00"),
    ),
}


def _time_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch >= "\x80" or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode())
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def _getnum(s: str, fixed: bool) -> tuple[int, str] | None:
    if not s or not ("0" <= s[0] <= "9"):
        return None
    if len(s) < 2 or not ("0" <= s[1] <= "9"):
        return None if fixed else (int(s[0]), s[1:])
    return int(s[:2]), s[2:]


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def go_time_parse_error(layout: str, value: str) -> str | None:
    """time.Parse(layout, value)'s error text for the two layouts metav1 uses, or None."""
    value_q = _time_quote(value)

    def cannot(elem: str, rest: str) -> str:
        return f"parsing time {value_q} as {_time_quote(layout)}: cannot parse {_time_quote(rest)} as {_time_quote(elem)}"

    rest = value
    year = month = day = 0
    for prefix, elem in _LAYOUT_CHUNKS[layout]:
        for ch in prefix:
            if not rest or rest[0] != ch:
                return cannot(prefix, rest)
            rest = rest[1:]
        hold = rest
        rng = ""
        ok = True
        if elem == "2006":
            if (
                len(rest) < 4
                or not ("0" <= rest[0] <= "9")
                or not all("0" <= c <= "9" for c in rest[:4])
            ):
                ok = False
            else:
                year, rest = int(rest[:4]), rest[4:]
        elif elem in ("01", "02", "15", "04", "05"):
            got = _getnum(rest, elem != "15")
            if got is None:
                ok = False
            else:
                num, rest = got
                if elem == "01":
                    month = num
                    rng = "month" if not 1 <= num <= 12 else ""
                elif elem == "02":
                    day = num
                elif elem == "15":
                    rng = "hour" if num >= 24 else ""
                elif elem == "04":
                    rng = "minute" if num >= 60 else ""
                else:
                    rng = "second" if num >= 60 else ""
                    if (
                        not rng
                        and layout == RFC3339
                        and len(rest) >= 2
                        and rest[0] in ".,"
                        and rest[1].isdigit()
                    ):
                        n = 2
                        while n < len(rest) and "0" <= rest[n] <= "9":
                            n += 1
                        rest = rest[n:]  # a fraction the layout does not name is accepted
        elif elem == ".000000":
            if len(rest) < 7 or rest[0] not in ".," or not all("0" <= c <= "9" for c in rest[1:7]):
                ok = False
            else:
                rest = rest[7:]
        else:  # Z07:00
            if rest[:1] == "Z":
                rest = rest[1:]
            elif len(rest) < 6 or rest[3] != ":":
                ok = False
            else:
                sign, hh, mm, rest = rest[0], rest[1:3], rest[4:6], rest[6:]
                h = _getnum(hh, True)
                m = _getnum(mm, True) if h is not None else None
                if h is None or m is None:
                    ok = False
                else:  # Go checks the ranges before the sign
                    if h[0] > 24:
                        rng = "time zone offset hour"
                    if m[0] > 60:
                        rng = "time zone offset minute"
                    ok = sign in "+-"
        if rng:
            return f"parsing time {value_q}: {rng} out of range"
        if not ok:
            return cannot(elem, hold)
    if rest:
        return f"parsing time {value_q}: extra text: {_time_quote(rest)}"
    if day < 1 or day > _days_in(month, year):
        return f"parsing time {value_q}: day out of range"
    return None
