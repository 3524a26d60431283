"""The patch handler's pipeline (patch.go): decode the body, apply it, decode the result --
with Kubernetes' codes, reasons and wording at each step, for every patch type and
fieldValidation directive."""

from __future__ import annotations

import json
from typing import Any

import pytest

from steersman.api.errors import ApiError
from steersman.api.patcher import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    decode_patch_body,
    patch_object,
)

CONFIGMAP = "io.k8s.api.core.v1.ConfigMap"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"


def configmap() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default"},
        "data": {"a": "1"},
    }


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            },
        },
    }


def run(
    current: dict[str, Any],
    raw: bytes | str,
    patch_type: str,
    validation: str = "Warn",
    schema: str = CONFIGMAP,
) -> tuple[dict[str, Any], list[str]]:
    body = raw.encode() if isinstance(raw, str) else raw
    decoded = decode_patch_body(body, patch_type, validation)
    outcome = patch_object(current, decoded, schema, validation)
    return outcome.object, outcome.warnings


def failure(*args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        run(*args, **kwargs)
    return info.value


def quoted(text: str) -> str:
    """Go's %q of ASCII text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- decoding the patch body -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("patch_type", "validation", "raw", "message"),
    [
        # merge: the strict decode (Warn/Strict) words Go's error after "error decoding patch: "
        (
            MERGE_PATCH,
            "Warn",
            "[1]",
            "error decoding patch: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}",
        ),
        (
            MERGE_PATCH,
            "Strict",
            "{oops}",
            "error decoding patch: invalid character 'o' looking for beginning of object key "
            "string",
        ),
        (
            MERGE_PATCH,
            "Warn",
            "5",
            "error decoding patch: json: cannot unmarshal number into Go value of type "
            "map[string]interface {}",
        ),
        # ... and with Ignore only json-patch's MergePatch looks at it: ErrBadJSONPatch
        (MERGE_PATCH, "Ignore", "{oops}", "Invalid JSON Patch"),
        (MERGE_PATCH, "Ignore", "5", "Invalid JSON Patch"),
        (MERGE_PATCH, "Warn", "null", "Invalid JSON Patch"),
        # strategic: the bare decoding error, whatever the directive
        (
            STRATEGIC_PATCH,
            "Warn",
            "[1]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            STRATEGIC_PATCH,
            "Ignore",
            '"x"',
            "json: cannot unmarshal string into Go value of type map[string]interface {}",
        ),
        (
            STRATEGIC_PATCH,
            "Strict",
            "{,}",
            "invalid character ',' looking for beginning of object key string",
        ),
        # JSON patch: the strict decode into []handlers.jsonPatchOp, then DecodePatch
        (
            JSON_PATCH,
            "Warn",
            '{"op":"add"}',
            "error decoding patch: json: cannot unmarshal object into Go value of type "
            "[]handlers.jsonPatchOp",
        ),
        (
            JSON_PATCH,
            "Ignore",
            '{"op":"add"}',
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ),
    ],
)
def test_malformed_bodies_are_bad_requests(
    patch_type: str, validation: str, raw: str, message: str
) -> None:
    err = failure(configmap(), raw, patch_type, validation)
    assert (err.code, err.reason, err.message) == (400, "BadRequest", message)
    assert "details" not in err.status()


def test_strategic_null_changes_nothing() -> None:
    obj, warnings = run(configmap(), "null", STRATEGIC_PATCH)
    assert obj == configmap() and warnings == []


# -- unknown and duplicate fields ----------------------------------------------------------------
def test_merge_patch_unknown_field_strict_is_422_on_the_patched_object() -> None:
    err = failure(configmap(), '{"bogus":1}', MERGE_PATCH, "Strict")
    patched = (
        '{"apiVersion":"v1","bogus":1,"data":{"a":"1"},"kind":"ConfigMap",'
        '"metadata":{"name":"c","namespace":"default"}}'
    )
    body = f'Invalid value: {quoted(patched)}: strict decoding error: unknown field "bogus"'
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == f' "" is invalid: patch: {body}'
    assert err.status()["details"] == {
        "causes": [{"reason": "FieldValueInvalid", "message": body, "field": "patch"}]
    }


def test_merge_patch_unknown_field_warn_drops_it_with_one_warning_each() -> None:
    obj, warnings = run(configmap(), '{"zz":1,"data":{"b":"2"},"aa":{"x":1}}', MERGE_PATCH)
    # the patched JSON is marshalled with sorted keys, so its unknown fields come sorted
    assert warnings == ['unknown field "aa"', 'unknown field "zz"']
    assert obj == dict(configmap(), data={"a": "1", "b": "2"})


def test_merge_patch_duplicates_come_before_the_patched_objects_unknown_fields() -> None:
    raw = '{"zz":1,"data":{"a":"1"},"data":{"a":"2","a":"3"},"aa":2}'
    err = failure(configmap(), raw, MERGE_PATCH, "Strict")
    assert err.message.endswith(
        'strict decoding error: duplicate field "data", duplicate field "data.a", '
        'unknown field "aa", unknown field "zz"'
    )
    _, warnings = run(configmap(), raw, MERGE_PATCH, "Warn")
    assert warnings == [
        'duplicate field "data"',
        'duplicate field "data.a"',
        'unknown field "aa"',
        'unknown field "zz"',
    ]


def test_ignore_drops_unknown_fields_silently() -> None:
    obj, warnings = run(configmap(), '{"bogus":1,"bogus":2}', MERGE_PATCH, "Ignore")
    assert obj == configmap() and warnings == []
    obj, warnings = run(
        deployment(), '{"spec":{"foo":1}}', STRATEGIC_PATCH, "Ignore", schema=DEPLOYMENT
    )
    assert obj == deployment() and warnings == []


def test_strategic_unknown_fields_sorted_with_the_patch_map_as_value() -> None:
    raw = '{"spec":{"foo":"bar","abc":1,"replicas":2}}'
    err = failure(deployment(), raw, STRATEGIC_PATCH, "Strict", schema=DEPLOYMENT)
    assert err.code == 422
    assert err.message == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[abc:1 foo:bar replicas:2]]": '
        'strict decoding error: unknown field "spec.abc", unknown field "spec.foo"'
    )
    obj, warnings = run(deployment(), raw, STRATEGIC_PATCH, "Warn", schema=DEPLOYMENT)
    assert warnings == ['unknown field "spec.abc"', 'unknown field "spec.foo"']
    assert obj["spec"]["replicas"] == 2 and "foo" not in obj["spec"]


def test_strategic_duplicates_then_unknown_fields() -> None:
    raw = '{"metadata":{"labels":{"a":"1","a":"2"}},"spec":{"zzz":true}}'
    _, warnings = run(deployment(), raw, STRATEGIC_PATCH, "Warn", schema=DEPLOYMENT)
    assert warnings == ['duplicate field "metadata.labels.a"', 'unknown field "spec.zzz"']


def test_json_patch_op_fields_are_checked_strictly() -> None:
    ops = '[{"op":"add","path":"/data/b","value":"2","foo":1,"op":"add"}]'
    obj, warnings = run(configmap(), ops, JSON_PATCH, "Warn")
    assert warnings == ['json patch unknown field "[0].foo"', 'json patch duplicate field "[0].op"']
    assert obj["data"] == {"a": "1", "b": "2"}
    err = failure(configmap(), ops, JSON_PATCH, "Strict")
    assert err.code == 422 and err.message.endswith(
        'strict decoding error: json patch unknown field "[0].foo", '
        'json patch duplicate field "[0].op"'
    )


def test_json_patch_adding_an_unknown_field() -> None:
    ops = json.dumps([{"op": "add", "path": "/spec/foo", "value": 1}])
    _, warnings = run(deployment(), ops, JSON_PATCH, "Warn", schema=DEPLOYMENT)
    assert warnings == ['unknown field "spec.foo"']


# -- type errors in the patched object ------------------------------------------------------------
def test_merge_patch_type_error_is_422_with_go_decoding_error() -> None:
    err = failure(
        deployment(), '{"spec":{"replicas":"x"}}', MERGE_PATCH, "Ignore", schema=DEPLOYMENT
    )
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message.startswith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":')
    assert err.message.endswith(
        ": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas "
        "of type int32"
    )


def test_type_errors_trump_strict_errors() -> None:
    raw = '{"bogus":1,"spec":{"replicas":"x"}}'
    err = failure(deployment(), raw, MERGE_PATCH, "Strict", schema=DEPLOYMENT)
    assert "strict decoding error" not in err.message
    assert err.message.endswith("of type int32")


def test_strategic_type_error_uses_the_unstructured_converters_words() -> None:
    err = failure(
        deployment(), '{"spec":{"replicas":"x"}}', STRATEGIC_PATCH, "Warn", schema=DEPLOYMENT
    )
    assert err.message == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:x]]": '
        "unrecognized type: int32"
    )


def test_merge_patch_replacing_the_object_with_an_array() -> None:
    err = failure(configmap(), "[1]", MERGE_PATCH, "Ignore")
    assert err.code == 422
    assert err.message == (
        ' "" is invalid: patch: Invalid value: "[1]": couldn\'t get version/kind; json parse '
        "error: json: cannot unmarshal array into Go value of type struct { APIVersion string "
        '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
    )


def test_failed_json_patch_operation_is_the_generic_422() -> None:
    err = failure(configmap(), '[{"op":"remove","path":"/data/zzz"}]', JSON_PATCH)
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == "the server rejected our request due to an error in our request"
