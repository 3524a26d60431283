"""OpenAPI v2/v3 documents: what kubectl 1.32 reads from them, and the protobuf encoding."""

from __future__ import annotations

import hashlib
import re
import struct
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import yaml

from steersman.api.resources import RESOURCES, by_group_version
from steersman.apiserver import openapi, openapi_v2_pb

SMP = "application/strategic-merge-patch+json"


def _v3(path: str) -> dict[str, Any]:
    found = openapi.v3_document(path)
    assert found is not None, path
    return orjson.loads(found[0])


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield path, method, op


# ---- v3 ----


def test_v3_root_lists_every_group_version_with_hash() -> None:
    root = openapi.v3_root()
    expected = {_gv_path(infos[0].group, infos[0].version) for infos in by_group_version().values()}
    assert set(root["paths"]) == expected
    for path, entry in root["paths"].items():
        found = openapi.v3_document(path)
        assert found is not None
        body, etag = found
        assert etag == hashlib.sha512(body).hexdigest().upper()
        assert entry == {"serverRelativeURL": f"/openapi/v3/{path}?hash={etag}"}


def test_v3_document_lookup() -> None:
    assert openapi.v3_document("apis/apps/v1") == openapi.v3_document("/apis/apps/v1/")
    assert openapi.v3_document("apis/apps/v2") is None
    assert openapi.v3_document("apis/nope") is None


def test_v3_document_shape() -> None:
    doc = _v3("apis/apps/v1")
    assert doc["openapi"] == "3.0.0"
    assert doc["info"] == {"title": "Kubernetes", "version": "v1.36.0"}
    assert "BearerToken" in doc["components"]["securitySchemes"]
    item = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert {p["name"] for p in item["parameters"]} == {"name", "namespace", "pretty"}
    assert set(item) == {"parameters", "get", "put", "delete", "patch"}
    patch = item["patch"]
    assert patch["operationId"] == "patchAppsV1NamespacedDeployment"
    assert patch["x-kubernetes-action"] == "patch"
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "kind": "Deployment",
        "version": "v1",
    }
    names = [p["name"] for p in patch["parameters"]]
    assert names == ["dryRun", "fieldManager", "fieldValidation", "force"]
    assert SMP in patch["requestBody"]["content"]
    put = item["put"]
    assert [p["name"] for p in put["parameters"]] == ["dryRun", "fieldManager", "fieldValidation"]
    assert put["requestBody"]["content"]["*/*"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.api.apps.v1.Deployment"
    }
    listing = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]
    assert {"watch", "labelSelector", "fieldSelector", "limit", "continue", "resourceVersion"} <= {
        p["name"] for p in listing["parameters"]
    }
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "DeploymentList"
    )


def test_v3_subresource_operations() -> None:
    doc = _v3("apis/apps/v1")
    scale = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "kind": "Scale",
        "version": "v1",
    }
    assert scale["get"]["operationId"] == "readAppsV1NamespacedDeploymentScale"
    core = _v3("api/v1")
    exec_ = core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/exec"]
    assert exec_["post"]["operationId"] == "connectCoreV1PostNamespacedPodExec"
    assert {p["name"] for p in exec_["parameters"]} >= {"command", "container", "stdin", "tty"}
    log = core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]
    assert log["operationId"] == "readCoreV1NamespacedPodLog"
    assert "follow" in {p["name"] for p in log["parameters"]}
    evict = core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
    assert evict["requestBody"]["content"]["*/*"]["schema"]["$ref"].endswith(
        "io.k8s.api.policy.v1.Eviction"
    )
    assert "/api/v1/pods" in core["paths"]
    assert "/api/v1/watch/namespaces/{namespace}/pods/{name}" in core["paths"]
    assert "/api/v1/nodes/{name}/proxy/{path}" in core["paths"]


def _query_param_verifier_v3(doc: dict[str, Any], gvk: dict[str, str], param: str) -> bool:
    """kubectl's supportsQueryParamV3: the first PATCH op for the GVK decides (Go map order)."""
    for _, method, op in _operations(doc):
        if method == "patch" and op.get("x-kubernetes-group-version-kind") == gvk:
            return any(p["name"] == param for p in op.get("parameters", []))
    return False


def test_every_kind_supports_server_side_field_validation() -> None:
    for info in RESOURCES:
        doc = _v3(_gv_path(info.group, info.version))
        gvk = {"group": info.group, "kind": info.kind, "version": info.version}
        patches = [
            op
            for _, m, op in _operations(doc)
            if m == "patch" and op["x-kubernetes-group-version-kind"] == gvk
        ]
        if "patch" not in info.verbs:
            continue
        assert patches, info.resource
        # Whichever PATCH op kubectl meets first, it must list fieldValidation and accept SMP.
        for op in patches:
            assert "fieldValidation" in {p["name"] for p in op["parameters"]}, op["operationId"]
            assert SMP in op["requestBody"]["content"]
        assert _query_param_verifier_v3(doc, gvk, "fieldValidation")


def test_every_resource_has_paths_and_schemas() -> None:
    for info in RESOURCES:
        doc = _v3(_gv_path(info.group, info.version))
        prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        ns = "/namespaces/{namespace}" if info.namespaced else ""
        assert f"{prefix}{ns}/{info.resource}" in doc["paths"], info.resource
        schema = doc["components"]["schemas"][info.schema_name]
        assert {"group": info.group, "kind": info.kind, "version": info.version} in schema[
            "x-kubernetes-group-version-kind"
        ]


def test_v3_schemas_are_openapi_form() -> None:
    doc = _v3("api/v1")
    schemas = doc["components"]["schemas"]
    raw = openapi.v3_document("api/v1")
    assert raw is not None
    body = raw[0]
    assert b"#/$defs/" not in body
    assert b'"null"' not in body
    for ref in set(re.findall(rb'"#/components/schemas/([^"]+)"', body)):
        assert ref.decode() in schemas
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["type"] == "object"
    assert "enum" not in pod["properties"]["kind"]
    assert pod["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
    assert pod["properties"]["metadata"]["description"]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert schemas[openapi.INT_OR_STRING]["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert schemas[openapi.INT_OR_STRING]["format"] == "int-or-string"
    assert schemas[openapi.QUANTITY]["oneOf"] == [{"type": "string"}, {"type": "number"}]


def test_v3_small_document_is_valid_openapi() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(_v3("apis/coordination.k8s.io/v1"))


# ---- v2 ----


def test_v2_json_shape() -> None:
    doc = orjson.loads(openapi.v2_json())
    assert doc["swagger"] == "2.0"
    definitions = doc["definitions"]
    for ref in set(re.findall(rb'"#/definitions/([^"]+)"', openapi.v2_json())):
        assert ref.decode() in definitions
    assert b"#/components/" not in openapi.v2_json()
    assert definitions[openapi.INT_OR_STRING] == {
        "description": definitions[openapi.INT_OR_STRING]["description"],
        "type": "string",
        "format": "int-or-string",
    }
    pod_meta = definitions["io.k8s.api.core.v1.Pod"]["properties"]["metadata"]
    assert pod_meta["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    patch = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert SMP in patch["consumes"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "kind": "Pod", "version": "v1"}
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    assert patch["parameters"][0] == {
        "name": "body",
        "in": "body",
        "required": True,
        "schema": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"},
    }
    assert patch["responses"]["401"] == {"description": "Unauthorized"}
    for info in RESOURCES:
        assert info.schema_name in definitions


# ---- protobuf, checked with an independent decoder ----


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(data: bytes) -> dict[int, list[Any]]:
    """Generic proto wire decoder: field number -> values (bytes for length-delimited)."""
    out: dict[int, list[Any]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value = struct.unpack("<d", data[pos : pos + 8])[0]
            pos += 8
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            value = data[pos : pos + length]
            pos += length
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.setdefault(number, []).append(value)
    assert pos == len(data)
    return out


def _named(entries: list[bytes]) -> dict[str, bytes]:
    out = {}
    for entry in entries:
        f = _fields(entry)
        out[f[1][0].decode()] = f.get(2, [b""])[0]
    return out


def _extensions(entries: list[bytes]) -> dict[str, Any]:
    return {
        name: yaml.safe_load(_fields(any_)[2][0].decode()) for name, any_ in _named(entries).items()
    }


def test_v2_protobuf_decodes_as_gnostic_document() -> None:
    data = openapi.v2_protobuf()
    doc = orjson.loads(openapi.v2_json())
    top = _fields(data)
    assert top[1] == [b"2.0"]  # swagger
    info = _fields(top[2][0])
    assert info[1] == [b"Kubernetes"] and info[2] == [b"v1.36.0"]
    paths = _named(_fields(top[8][0])[2])  # Paths.path -> NamedPathItem
    assert set(paths) == set(doc["paths"])
    item = _fields(paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"])
    patch = _fields(item[8][0])  # PathItem.patch
    assert patch[5] == [b"patchAppsV1NamespacedDeployment"]  # operation_id
    assert SMP.encode() in patch[7]  # consumes
    assert _extensions(patch[13])["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "kind": "Deployment",
        "version": "v1",
    }
    query_names = []
    for item_bytes in patch[8]:  # ParametersItem -> Parameter
        parameter = _fields(_fields(item_bytes)[1][0])
        if 2 in parameter:  # non_body_parameter -> query_parameter_sub_schema
            query = _fields(_fields(parameter[2][0])[3][0])
            query_names.append(query[4][0].decode())
            assert query[2] == [b"query"]
        else:
            body = _fields(parameter[1][0])
            assert body[3] == [b"body"] and body[4] == [1]
    assert "fieldValidation" in query_names
    path_level = {}
    for p in item[9]:
        non_body = _fields(_fields(_fields(p)[1][0])[2][0])
        ((kind, (sub,)),) = non_body.items()  # 3: query, 4: path sub-schema
        sub_fields = _fields(sub)
        path_level[sub_fields[4][0].decode()] = (kind, sub_fields[2][0])
    assert path_level == {"name": (4, b"path"), "namespace": (4, b"path"), "pretty": (3, b"query")}
    responses = _named(_fields(patch[9][0])[1])
    ok_schema = _fields(_fields(_fields(_fields(responses["200"])[1][0])[2][0])[1][0])
    assert ok_schema[1] == [b"#/definitions/io.k8s.api.apps.v1.Deployment"]

    definitions = _named(_fields(top[9][0])[1])
    assert set(definitions) == set(doc["definitions"])
    spec = _fields(definitions["io.k8s.api.core.v1.PodSpec"])
    assert _fields(spec[22][0])[1] == [b"object"]  # TypeItem
    assert b"containers" in spec[19]  # required
    props = _named(_fields(spec[25][0])[1])
    containers = _fields(props["containers"])
    ext = _extensions(containers[31])
    assert ext["x-kubernetes-patch-merge-key"] == "name"
    assert ext["x-kubernetes-list-type"] == "map"
    items = _fields(_fields(containers[23][0])[1][0])
    assert items[1] == [b"#/definitions/io.k8s.api.core.v1.Container"]
    labels = _fields(
        _named(
            _fields(_fields(definitions["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"])[25][0])[
                1
            ]
        )["labels"]
    )
    additional = _fields(_fields(labels[21][0])[1][0])  # AdditionalPropertiesItem.schema
    assert _fields(additional[22][0])[1] == [b"string"]
    security = _named(_fields(top[13][0])[1])
    api_key = _fields(_fields(security["BearerToken"])[2][0])
    assert api_key[1] == [b"apiKey"] and api_key[3] == [b"header"]


def test_proto_encoder_primitives() -> None:
    assert openapi_v2_pb._varint(300) == b"\xac\x02"
    assert openapi_v2_pb._varint(-1) == b"\xff" * 9 + b"\x01"
    m = openapi_v2_pb._Message()
    m.string(1, "")
    m.boolean(2, False)
    m.int64(3, 0)
    m.double(4, 0.0)
    assert m.build() == b""  # proto3 zero values are not written
    m.double(7, 1.5)
    m.boolean(8, True)
    assert _fields(m.build()) == {7: [1.5], 8: [1]}
    schema = openapi_v2_pb.encode_schema(
        {"type": "integer", "minimum": 1, "maxLength": 5, "additionalProperties": False}
    )
    fields = _fields(schema)
    assert fields[9] == [1.0] and fields[11] == [5]
    assert _fields(fields[21][0]) == {2: [0]}


# ---- what stays resident ----


def test_resident_documents_are_exact_size_bytes() -> None:
    openapi.warm()
    bodies = [body for body, _ in openapi._v3_documents().values()] + [openapi.v2_json()]
    slack = sys.getsizeof(b"")  # a bytes object's fixed header
    for body in bodies:
        assert type(body) is bytes
        assert sys.getsizeof(body) - len(body) <= slack  # no growth buffer kept


def test_v2_document_is_a_fresh_tree() -> None:
    first = openapi.v2_document()
    assert first == orjson.loads(openapi.v2_json())
    first["paths"].clear()
    assert openapi.v2_document()["paths"]  # not a shared, cached tree


def test_definitions_are_read_without_importing_kubernetes_validate() -> None:
    code = (
        "import sys\n"
        "from steersman.apiserver import openapi\n"
        "openapi.warm()\n"
        "assert openapi.v3_document('api/v1') is not None\n"
        "print(sorted(m for m in ('kubernetes_validate', 'jsonschema') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
