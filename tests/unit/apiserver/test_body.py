"""Request bodies decoded with kube-apiserver's wording: strict-decoding errors in the JSON
decoder's order, and Go's text for bodies that are not an object."""

from __future__ import annotations

from typing import Any

import pytest

from steersman.api import resources
from steersman.api.errors import ApiError
from steersman.apiserver.handlers.body import check_schema, parse_json_body

CONFIGMAPS = resources.require("", "v1", "configmaps")
DEPLOYMENTS = resources.require("apps", "v1", "deployments")

RAW = (
    b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","zz":1},'
    b'"data":{"k":"v"},"data":{"k":"w"},"bogus":1,"metadata":{"name":"a"}}'
)


def strict_problems(raw: bytes, validation: str, info: Any = CONFIGMAPS) -> list[str]:
    obj = parse_json_body(raw, info.kind)
    warnings: list[str] = []
    check_schema(info, obj, validation=validation, warnings=warnings, raw=raw)
    return warnings


def test_strict_errors_follow_the_json_decoder_through_the_document() -> None:
    with pytest.raises(ApiError) as info:
        strict_problems(RAW, "Strict")
    assert (info.value.code, info.value.reason) == (400, "BadRequest")
    assert info.value.message == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'unknown field "metadata.zz", duplicate field "data", unknown field "bogus", '
        'duplicate field "metadata"'
    )


def test_warn_gives_one_warning_per_problem_in_the_same_order() -> None:
    assert strict_problems(RAW, "Warn") == [
        'unknown field "metadata.zz"',
        'duplicate field "data"',
        'unknown field "bogus"',
        'duplicate field "metadata"',
    ]


def test_ignore_drops_unknown_fields_without_a_word() -> None:
    obj = parse_json_body(RAW, "ConfigMap")
    warnings: list[str] = []
    check_schema(CONFIGMAPS, obj, validation="Ignore", warnings=warnings, raw=RAW)
    assert warnings == [] and "bogus" not in obj and "zz" not in obj["metadata"]


def test_type_errors_trump_strict_errors() -> None:
    raw = b'{"bogus":1,"spec":{"replicas":"x"}}'
    with pytest.raises(ApiError) as info:
        strict_problems(raw, "Strict", DEPLOYMENTS)
    assert info.value.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (
            b"{not json",
            "couldn't get version/kind; json parse error: invalid character 'n' looking for "
            "beginning of object key string ({not json)",
        ),
        (
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aaaaaaaaaa"},}',
            "couldn't get version/kind; json parse error: invalid character '}' looking for "
            'beginning of object key string ({"apiVersion":"v1","kind":"Con ...)',
        ),
        (
            b"",
            "couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
        ),
        (
            b"[1]",
            "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go "
            'value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind '
            'string "json:\\"kind,omitempty\\"" } (5b315d)',
        ),
    ],
)
def test_bodies_that_are_not_objects(raw: bytes, detail: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_json_body(raw, "ConfigMap")
    assert (info.value.code, info.value.reason) == (400, "BadRequest")
    assert info.value.message == (
        f"the object provided is unrecognized (must be of type ConfigMap): {detail}"
    )
