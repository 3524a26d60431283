"""The Kubernetes API's object schemas, compiled into trees of Go types.

Schemas are kubernetes-validate's v1.36 definitions (`$defs`, JSON-Schema flavoured). Each
definition is compiled once, lazily, into a `Node` tree (a dict of property -> `Field`): what
Go type a JSON value decodes into, with the strategic-merge-patch metadata of each struct field
(`Field.meta`, the Go struct tags).

Invariants:
- Go type names: structs `v1.PodSpec`, slices `[]v1.Container`, maps `map[string]string`;
  named string/int types print as their base type (`string`), a known difference from Go.
- Definitions without properties that Go decodes opaquely (RawExtension, FieldsV1, JSON, ...)
  are `K_ANY` and accept any value; types with their own UnmarshalJSON have their own kinds.
Compiled nodes are immutable once built; building is idempotent (safe to race in one thread).
Pure data besides reading the packaged schema file once: no other I/O.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

KUBERNETES_VERSION = "v1.36.0"
_REF_PREFIX = "#/$defs/"

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
