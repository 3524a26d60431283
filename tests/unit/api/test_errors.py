"""Field errors and Status bodies printed byte for byte as apimachinery prints them (v1.36)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from steersman.api import errors
from steersman.api.errors import ApiError, FieldError, go_json, go_value


# -- field.Error.ErrorBody -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),  # json.Marshal(nil): bare null, not "null" nor <nil>
        ("abc", '"abc"'),
        ("", '""'),
        (True, "true"),
        (5, "5"),
        (-3, "-3"),
        (0.5, "0.5"),
        (3.0, "3"),  # %v of a float64
        (1e6, "1e+06"),
        (1e-5, "1e-05"),
        (123456789.0, "1.23456789e+08"),
    ],
)
def test_go_value_renders_bad_values_as_field_errors_do(value: Any, text: str) -> None:
    assert go_value(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("tab\there", '"tab\\there"'),
        ("bell\x07", '"bell\\a"'),
        ("nul\x00", '"nul\\x00"'),
        ("del\x7f", '"del\\x7f"'),
        ('quote"back\\', '"quote\\"back\\\\"'),
        ("café ☃", '"café ☃"'),  # printable Unicode stays as is
        ("zero\u200bwidth", '"zero\\u200bwidth"'),  # a format character is escaped
        ("<&>", '"<&>"'),  # %q does not HTML-escape
    ],
)
def test_strings_are_quoted_as_strconv_quote(value: str, text: str) -> None:
    assert go_value(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("<a&b>", '"\\u003ca\\u0026b\\u003e"'),  # json.Marshal escapes HTML characters
        ("line\nbreak\x01", '"line\\nbreak\\u0001"'),
        ("\u2028", '"\\u2028"'),
        ("\b\f", '"\\b\\f"'),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (2.5, "2.5"),
        (10.0, "10"),
    ],
)
def test_go_json_matches_encoding_json(value: Any, text: str) -> None:
    assert go_json(value) == text


def test_field_error_with_null_and_composite_values() -> None:
    assert (
        errors.invalid("spec.x", None, "must be set").message()
        == "spec.x: Invalid value: null: must be set"
    )
    assert (
        errors.not_supported("spec.policy", None, ["A", "B"]).message()
        == 'spec.policy: Unsupported value: null: supported values: "A", "B"'
    )


def test_composite_values_keep_the_pre_1_34_form_for_now() -> None:
    # v1.34+ prints these as JSON (go_json); the validation suites still expect Go's %#v.
    assert errors.invalid("spec.list", ["a"], "bad").body() == 'Invalid value: []string{"a"}: bad'
    assert go_json(["a", "b"]) == '["a","b"]'
    assert go_json({"b": 1, "a": "x"}) == '{"a":"x","b":1}'  # Go sorts map keys
    assert go_json([None, 1.5, {"k": [True]}]) == '[null,1.5,{"k":[true]}]'


def test_too_long_and_too_many_use_singular_for_one() -> None:
    assert errors.too_long("a", 1).message() == "a: Too long: may not be more than 1 byte"
    assert errors.too_long("a", 63).message() == "a: Too long: may not be more than 63 bytes"
    assert errors.too_many("l", 3, 1).message() == "l: Too many: 3: must have at most 1 item"
    assert errors.too_many("l", 9, 8).message() == "l: Too many: 9: must have at most 8 items"


# -- metav1.Status ----------------------------------------------------------------------------------
def test_status_omits_empty_fields_as_the_go_struct_tags_do() -> None:
    body = ApiError(500, "", "boom").status()
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "boom",
        "code": 500,
    }
    assert "reason" not in ApiError(500, "", "x").status()
    assert "message" not in ApiError(409, "Conflict", "").status()
    assert "details" not in ApiError(400, "BadRequest", "x").status()


def test_status_field_order_is_the_go_struct_order() -> None:
    body = errors.not_found_error("pods", "p").status()
    assert list(body) == [
        "kind",
        "apiVersion",
        "metadata",
        "status",
        "message",
        "reason",
        "details",
        "code",
    ]
    assert orjson.dumps(body).startswith(b'{"kind":"Status","apiVersion":"v1","metadata":{},')


def test_empty_details_stay_an_empty_object() -> None:
    # NewGenericServerResponse always sets Details; every field in it is omitempty.
    assert errors.route_not_found_error().status()["details"] == {}


def test_invalid_without_kind_or_name_as_the_patch_handler_builds_it() -> None:
    err = errors.invalid_error("", "", [errors.invalid("patch", "{}", "strict decoding error")])
    assert err.code == 422 and err.reason == "Invalid"
    assert err.message == ' "" is invalid: patch: Invalid value: "{}": strict decoding error'
    assert err.details == {
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": 'Invalid value: "{}": strict decoding error',
                "field": "patch",
            }
        ]
    }


def test_invalid_with_no_causes_has_no_colon() -> None:
    err = errors.invalid_error("Pod", "p", [])
    assert err.message == 'Pod "p" is invalid'


def test_field_error_keeps_omitted_values_omitted() -> None:
    assert FieldError(errors.FIELD_VALUE_INVALID, "f", "bad").message() == "f: Invalid value: bad"
