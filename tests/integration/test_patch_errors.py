"""Decode, patch and unknown-field errors over HTTP: codes, reasons, Status bodies and Warning
headers as kube-apiserver writes them."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def warnings_of(headers: Any) -> list[str]:
    return list(headers.getall("Warning", []))


def deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            },
        },
    }


async def test_create_strict_errors_in_document_order(api: Api) -> None:
    raw = (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s1","zz":1},'
        b'"data":{"a":"1"},"data":{"a":"2"},"bogus":true}'
    )
    status, body, _ = await api.post(CM, raw=raw, params={"fieldValidation": "Strict"})
    assert status == 400, body
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
        'error: unknown field "metadata.zz", duplicate field "data", unknown field "bogus"',
        "reason": "BadRequest",
        "code": 400,
    }
    status, _, _ = await api.get(f"{CM}/s1")
    assert status == 404


async def test_create_warn_is_one_warning_header_per_problem(api: Api) -> None:
    raw = b'{"metadata":{"name":"w1","zz":1},"data":{"a":"1"},"data":{"a":"2"},"bogus":true}'
    status, body, headers = await api.post(CM, raw=raw)
    assert status == 201, body
    assert warnings_of(headers) == [
        '299 - "unknown field \\"metadata.zz\\""',
        '299 - "duplicate field \\"data\\""',
        '299 - "unknown field \\"bogus\\""',
    ]
    assert "bogus" not in body and "zz" not in body["metadata"]


async def test_malformed_create_bodies(api: Api) -> None:
    status, body, _ = await api.post(CM, raw=b'{"metadata":')
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == (
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get "
        'version/kind; json parse error: unexpected end of JSON input ({"metadata":)'
    )


async def test_merge_patch_unknown_field_strict_and_warn(api: Api) -> None:
    status, _, _ = await api.post(CM, {"metadata": {"name": "m1"}, "data": {"a": "1"}})
    assert status == 201
    status, body, _ = await api.patch(
        f"{CM}/m1", {"bogus": 1}, MERGE, params={"fieldValidation": "Strict"}
    )
    assert (status, body["reason"], body["code"]) == (422, "Invalid", 422), body
    assert body["message"].startswith(' "" is invalid: patch: Invalid value: "{\\"apiVersion')
    assert body["message"].endswith(': strict decoding error: unknown field "bogus"')
    cause = body["details"]["causes"][0]
    assert list(body["details"]) == ["causes"]  # no kind, name or group: all empty
    assert (cause["reason"], cause["field"]) == ("FieldValueInvalid", "patch")
    assert body["message"] == f' "" is invalid: patch: {cause["message"]}'

    status, body, headers = await api.patch(f"{CM}/m1", {"bogus": 1, "data": {"b": "2"}}, MERGE)
    assert status == 200, body
    assert warnings_of(headers) == ['299 - "unknown field \\"bogus\\""']
    assert body["data"] == {"a": "1", "b": "2"} and "bogus" not in body


async def test_strategic_patch_unknown_fields(api: Api) -> None:
    status, _, _ = await api.post(DEPLOY, deployment("d1"))
    assert status == 201
    patch = {"spec": {"foo": "bar", "abc": 1}}
    status, body, _ = await api.patch(
        f"{DEPLOY}/d1", patch, STRATEGIC, params={"fieldValidation": "Strict"}
    )
    assert status == 422, body
    assert body["message"] == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[abc:1 foo:bar]]": strict decoding '
        'error: unknown field "spec.abc", unknown field "spec.foo"'
    )
    status, body, headers = await api.patch(f"{DEPLOY}/d1", patch, STRATEGIC)
    assert status == 200, body
    assert warnings_of(headers) == [
        '299 - "unknown field \\"spec.abc\\""',
        '299 - "unknown field \\"spec.foo\\""',
    ]


async def test_malformed_patch_bodies(api: Api) -> None:
    await api.post(CM, {"metadata": {"name": "b1"}})
    cases = [
        (
            MERGE,
            b"[1]",
            "error decoding patch: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}",
        ),
        (
            STRATEGIC,
            b"[1]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            JSON_PATCH,
            b'{"op":"add"}',
            "error decoding patch: json: cannot unmarshal object into Go value of type "
            "[]handlers.jsonPatchOp",
        ),
        (MERGE, b"null", "Invalid JSON Patch"),
    ]
    for content_type, raw, message in cases:
        status, body, _ = await api.request("PATCH", f"{CM}/b1", raw=raw, content_type=content_type)
        assert (status, body["reason"], body["message"]) == (400, "BadRequest", message), raw
    status, body, _ = await api.request(
        "PATCH",
        f"{CM}/b1",
        raw=b"{oops}",
        content_type=MERGE,
        params={"fieldValidation": "Ignore"},
    )
    assert (status, body["message"]) == (400, "Invalid JSON Patch")


async def test_patch_type_error_is_invalid(api: Api) -> None:
    await api.post(DEPLOY, deployment("t1"))
    status, body, _ = await api.patch(f"{DEPLOY}/t1", {"spec": {"replicas": "x"}}, STRATEGIC)
    assert (status, body["reason"]) == (422, "Invalid"), body
    assert body["message"] == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:x]]": '
        "unrecognized type: int32"
    )
    status, body, _ = await api.patch(f"{DEPLOY}/t1", {"spec": {"replicas": "x"}}, MERGE)
    assert status == 422, body
    assert body["message"].endswith(
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
        "type int32"
    )


async def test_status_without_reason_omits_it(api: Api) -> None:
    await api.post(DEPLOY, deployment("r1"))
    # a container without its merge key: strategicpatch's plain error, answered as a 500
    patch = {"spec": {"template": {"spec": {"containers": [{"image": "b"}]}}}}
    status, body, _ = await api.patch(f"{DEPLOY}/r1", patch, STRATEGIC)
    assert status == 500, body
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "map: map[image:b] does not contain declared merge key: name",
        "code": 500,
    }


async def test_scale_patch_unknown_field(api: Api) -> None:
    await api.post(DEPLOY, deployment("sc1"))
    status, body, headers = await api.patch(
        f"{DEPLOY}/sc1/scale", {"spec": {"replicas": 2, "bogus": 1}}, MERGE
    )
    assert status == 200, body
    assert body["spec"]["replicas"] == 2
    assert warnings_of(headers) == ['299 - "unknown field \\"spec.bogus\\""']
