"""The /openapi/v2 (Swagger 2.0) and /openapi/v3 documents.

Built from two inputs: kubernetes-validate's v1.36 schema definitions (JSON-Schema flavoured:
nullable type lists, `#/$defs/` references, apiVersion/kind enums) turned back into the OpenAPI
form kube-apiserver publishes, and the resource table, which gives the paths (see
`openapi_paths`).

What clients rely on (kubectl 1.32):
- v3 root `/openapi/v3` lists `api/v1`, `apis/<g>/<v>` with a `serverRelativeURL` carrying
  `?hash=<etag>`; client-go caches documents by that URL.
- Every PATCH operation carries `x-kubernetes-group-version-kind` and the `fieldValidation`
  query parameter, and accepts `application/strategic-merge-patch+json`: kubectl's
  QueryParamVerifierV3 checks exactly that to decide to send `fieldValidation=Strict`
  (instead of validating client side), and client-side apply checks the request body
  content types before computing a strategic merge patch from the v3 schemas.
- `components.schemas` keep `x-kubernetes-group-version-kind` (explain and apply find the
  kind's schema by it) and the patch strategy / merge key / list-type extensions.
- In v3 a `$ref` with sibling keys is wrapped in `allOf` (kube-openapi's v3 form); v2 keeps
  siblings next to `$ref`, as Swagger 2.0 documents from kube-apiserver do.

Invariants:
- Each document holds exactly the definitions reachable from its paths, so every `$ref`
  resolves (kube-openapi's parser rejects a dangling reference).
- Documents are computed once per process and served as immutable bytes; the v3 ETag is the
  upper-case hex SHA-512 of the bytes, as kube-openapi computes it.
- Only the serialized bytes stay resident: the schema definitions and the document trees they
  are built from are transient (as dict trees they cost ~14 MB; as bytes ~4 MB). The protobuf
  form is built on first request from the v2 JSON (whose keys are sorted, as Go serializes
  kube-openapi's maps, so its named entries come in that order too).
- The definitions file is located without importing `kubernetes_validate` (which would pull
  in jsonschema): only its data file is needed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from steersman import KUBERNETES_VERSION
from steersman.api.resources import by_group_version
from steersman.apiserver import openapi_paths
from steersman.apiserver.openapi_paths import Operation, PathItem, SchemaRef

V2_PREFIX = "#/definitions/"
V3_PREFIX = "#/components/schemas/"
_DEFS_PREFIX = "#/$defs/"

INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING_DESC = (
    "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
    "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you "
    "to have, for example, a JSON field that can accept a name or number."
)
_QUANTITY_DESC = (
    "Quantity is a fixed-point representation of a number. It provides convenient "
    "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors."
)

_SECURITY_SCHEME = {
    "description": "Bearer Token authentication",
    "type": "apiKey",
    "name": "authorization",
    "in": "header",
}


def _definitions_file() -> Path:
    # find_spec locates the installed package without executing its __init__.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("kubernetes_validate", name="kubernetes_validate")
    base = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    return base / f"{KUBERNETES_VERSION}-local" / "_definitions.json"


def raw_definitions() -> dict[str, Any]:
    """kubernetes-validate's definitions for our API level (`$defs`), freshly parsed.

    Not cached: only the document builder needs them, once.
    """
    data: dict[str, Any] = orjson.loads(_definitions_file().read_bytes())
    return data["$defs"]


# ---- schema conversion: JSON-Schema flavour -> OpenAPI ----


def _convert(schema: Any, prefix: str, v3: bool, *, property_name: str = "") -> Any:
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-"):
            out[key] = value  # extension values are data, never schemas
        elif key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out[key] = types[0] if len(types) == 1 else types
        elif key == "enum" and property_name in ("apiVersion", "kind"):
            # Added by the JSON-Schema generator; kube-apiserver publishes no such enum.
            continue
        elif key == "$ref" and isinstance(value, str):
            out[key] = prefix + value.removeprefix(_DEFS_PREFIX)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _convert(sub, prefix, v3, property_name=name) for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert(value, prefix, v3)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_convert(v, prefix, v3) for v in value]
        else:
            out[key] = value
    if v3 and "$ref" in out and len(out) > 1:
        # OpenAPI 3.0 ignores siblings of $ref; kube-openapi wraps the reference instead.
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _special_definition(name: str, v3: bool) -> dict[str, Any] | None:
    if name == INT_OR_STRING:
        if v3:
            return {
                "description": _INT_OR_STRING_DESC,
                "format": "int-or-string",
                "oneOf": [{"type": "integer"}, {"type": "string"}],
            }
        return {"description": _INT_OR_STRING_DESC, "type": "string", "format": "int-or-string"}
    if name == QUANTITY:
        if v3:
            return {
                "description": _QUANTITY_DESC,
                "oneOf": [{"type": "string"}, {"type": "number"}],
            }
        return {"description": _QUANTITY_DESC, "type": "string"}
    return None


def _converted(raw: dict[str, Any], v3: bool) -> dict[str, Any]:
    prefix = V3_PREFIX if v3 else V2_PREFIX
    out: dict[str, Any] = {}
    for name, schema in raw.items():
        special = _special_definition(name, v3)
        out[name] = special if special is not None else _convert(schema, prefix, v3)
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "properties" and isinstance(value, dict):
                # Property names may start with "x-" (JSONSchemaProps): they are schemas.
                for prop in value.values():
                    yield from _refs(prop)
            elif not key.startswith("x-"):
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _closure(roots: set[str], definitions: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The definitions reachable from `roots`, sorted by name."""
    seen: set[str] = set()
    todo = [r for r in roots if r in definitions]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for ref in _refs(definitions[name]):
            target = ref.removeprefix(prefix)
            if target in definitions and target not in seen:
                todo.append(target)
    return {name: definitions[name] for name in sorted(seen)}


def _root_refs(items: list[PathItem]) -> set[str]:
    names: set[str] = set()
    for item in items:
        for op in item.operations:
            if op.body is not None:
                names.add(op.body.name)
            for response in op.responses:
                if response.schema is not None:
                    names.add(response.schema.name)
    return names


def _info() -> dict[str, str]:
    return {"title": "Kubernetes", "version": KUBERNETES_VERSION}


# ---- rendering: OpenAPI v3 ----


def _v3_param(param: openapi_paths.Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": param.description,
        "in": param.location,
        "name": param.name,
    }
    if param.required:
        out["required"] = True
    out["schema"] = {"type": param.type, "uniqueItems": True}
    return out


def _v3_schema(ref: SchemaRef | None) -> dict[str, Any]:
    if ref is None:
        return {"type": "string"}
    return {"$ref": V3_PREFIX + ref.name}


def _v3_operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"description": op.description, "operationId": op.operation_id}
    if op.parameters:
        out["parameters"] = [_v3_param(p) for p in op.parameters]
    if op.body is not None:
        content = {ct: {"schema": _v3_schema(op.body)} for ct in op.consumes}
        out["requestBody"] = (
            {"content": content, "required": op.body_required}
            if op.body_required
            else {"content": content}
        )
    out["responses"] = {
        r.code: {
            "content": {ct: {"schema": _v3_schema(r.schema)} for ct in op.produces},
            "description": r.description,
        }
        for r in op.responses
    }
    out["tags"] = [op.tag]
    if op.deprecated:
        out["deprecated"] = True
    if op.action:
        out["x-kubernetes-action"] = op.action
    if op.gvk is not None:
        out["x-kubernetes-group-version-kind"] = op.gvk.as_dict()
    return out


def _v3_paths(items: list[PathItem]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for item in items:
        entry: dict[str, Any] = {op.method: _v3_operation(op) for op in item.operations}
        if item.parameters:
            entry["parameters"] = [_v3_param(p) for p in item.parameters]
        paths[item.path] = entry
    return paths


def _compact(data: bytes) -> bytes:
    """An exact-size copy: orjson's output keeps its growth slack (~30% for these documents),
    which a document held for the process's lifetime should not."""
    return memoryview(data).tobytes()


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _build_v3(raw: dict[str, Any]) -> dict[str, tuple[bytes, str]]:
    definitions = _converted(raw, True)
    out: dict[str, tuple[bytes, str]] = {}
    for infos in by_group_version().values():
        group, version = infos[0].group, infos[0].version
        items = openapi_paths.group_version_paths(group, version)
        doc = {
            "openapi": "3.0.0",
            "info": _info(),
            "paths": _v3_paths(items),
            "components": {
                "schemas": _closure(_root_refs(items), definitions, V3_PREFIX),
                "securitySchemes": {"BearerToken": dict(_SECURITY_SCHEME)},
            },
            "security": [{"BearerToken": []}],
        }
        body = _compact(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))
        out[_gv_path(group, version)] = (body, hashlib.sha512(body).hexdigest().upper())
    return out


def _v3_documents() -> dict[str, tuple[bytes, str]]:
    return _documents().v3


def v3_root() -> dict[str, Any]:
    """GET /openapi/v3: the group-version documents and their hash-pinned URLs."""
    return {
        "paths": {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={etag}"}
            for path, (_, etag) in _v3_documents().items()
        }
    }


def v3_document(path: str) -> tuple[bytes, str] | None:
    """GET /openapi/v3/<path> (`api/v1`, `apis/apps/v1`): (JSON bytes, etag) or None (404)."""
    return _v3_documents().get(path.strip("/"))


# ---- rendering: Swagger 2.0 ----


def _v2_param(param: openapi_paths.Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uniqueItems": True,
        "type": param.type,
        "description": param.description,
        "name": param.name,
        "in": param.location,
    }
    if param.required:
        out["required"] = True
    return out


def _v2_operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": op.description,
        "consumes": list(op.consumes) if op.body is not None else ["*/*"],
        "produces": list(op.produces),
        "schemes": ["https"],
        "tags": [op.tag],
        "operationId": op.operation_id,
    }
    params: list[dict[str, Any]] = []
    if op.body is not None:
        body: dict[str, Any] = {
            "name": "body",
            "in": "body",
            "schema": {"$ref": V2_PREFIX + op.body.name},
        }
        if op.body_required:
            body["required"] = True
        params.append(body)
    params.extend(_v2_param(p) for p in op.parameters)
    if params:
        out["parameters"] = params
    responses: dict[str, Any] = {}
    for r in op.responses:
        schema = {"type": "string"} if r.schema is None else {"$ref": V2_PREFIX + r.schema.name}
        responses[r.code] = {"description": r.description, "schema": schema}
    responses["401"] = {"description": "Unauthorized"}
    out["responses"] = responses
    if op.deprecated:
        out["deprecated"] = True
    if op.action:
        out["x-kubernetes-action"] = op.action
    if op.gvk is not None:
        out["x-kubernetes-group-version-kind"] = op.gvk.as_dict()
    return out


def _build_v2(raw: dict[str, Any]) -> dict[str, Any]:
    items: list[PathItem] = []
    for infos in by_group_version().values():
        items.extend(openapi_paths.group_version_paths(infos[0].group, infos[0].version))
    paths: dict[str, Any] = {}
    for item in items:
        entry: dict[str, Any] = {op.method: _v2_operation(op) for op in item.operations}
        if item.parameters:
            entry["parameters"] = [_v2_param(p) for p in item.parameters]
        paths[item.path] = entry
    return {
        "swagger": "2.0",
        "info": _info(),
        "paths": paths,
        "definitions": _closure(_root_refs(items), _converted(raw, False), V2_PREFIX),
        "securityDefinitions": {"BearerToken": dict(_SECURITY_SCHEME)},
        "security": [{"BearerToken": []}],
    }


# ---- the resident documents ----


@dataclass(frozen=True, slots=True)
class _Documents:
    v3: dict[str, tuple[bytes, str]]  # group-version path -> (JSON bytes, etag)
    v2_json: bytes
    v2_etag: str


@functools.cache
def _documents() -> _Documents:
    # The definitions and trees are locals: they are freed once the bytes exist.
    raw = raw_definitions()
    v3 = _build_v3(raw)
    v2 = _compact(orjson.dumps(_build_v2(raw), option=orjson.OPT_SORT_KEYS))
    return _Documents(v3=v3, v2_json=v2, v2_etag=hashlib.sha512(v2).hexdigest().upper())


def v2_document() -> dict[str, Any]:
    """The Swagger 2.0 document as data (a fresh tree parsed from `v2_json`; not kept)."""
    doc: dict[str, Any] = orjson.loads(v2_json())
    return doc


def v2_json() -> bytes:
    """GET /openapi/v2 (Accept: application/json)."""
    return _documents().v2_json


def v2_etag() -> str:
    return _documents().v2_etag


@functools.cache
def v2_protobuf() -> bytes:
    """GET /openapi/v2 (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf)."""
    from steersman.apiserver import openapi_v2_pb

    return openapi_v2_pb.encode_document(v2_document())


def warm() -> None:
    """Compute every document now (call at start-up so the first client does not wait)."""
    _documents()
