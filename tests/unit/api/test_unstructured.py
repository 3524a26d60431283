"""FromUnstructuredWithValidation's errors, as a strategic merge patch reports them."""

from __future__ import annotations

from typing import Any

import pytest

from steersman.api.unstructured import from_unstructured

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
SECRET = "io.k8s.api.core.v1.Secret"


@pytest.mark.parametrize(
    ("schema", "obj", "error"),
    [
        (DEPLOYMENT, {"spec": {"replicas": "3"}}, "unrecognized type: int32"),
        (DEPLOYMENT, {"spec": {"replicas": 2.5}}, "cannot convert float64 to int32"),
        (DEPLOYMENT, {"spec": {"paused": "yes"}}, "unrecognized type: bool"),
        (DEPLOYMENT, {"spec": "x"}, "cannot restore struct from: string"),
        (DEPLOYMENT, {"spec": {"selector": []}}, "cannot restore struct from: slice"),
        (DEPLOYMENT, {"metadata": {"labels": "a=b"}}, "cannot restore map from string"),
        (DEPLOYMENT, {"metadata": {"labels": {"a": 1}}}, "cannot convert int64 to string"),
        (DEPLOYMENT, {"metadata": {"labels": {"a": True}}}, "unrecognized type: string"),
        (DEPLOYMENT, {"metadata": {"finalizers": {"a": "b"}}}, "cannot restore slice from map"),
        (
            DEPLOYMENT,
            {"spec": {"strategy": {"rollingUpdate": {"maxSurge": True}}}},
            "json: cannot unmarshal bool into Go value of type int32",
        ),
        (
            DEPLOYMENT,
            {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1.5}}}},
            "json: cannot unmarshal number 1.5 into Go value of type int32",
        ),
        (
            DEPLOYMENT,
            {"metadata": {"creationTimestamp": 5}},
            "json: cannot unmarshal number into Go value of type string",
        ),
        (SECRET, {"data": {"k": "!!"}}, "illegal base64 data at input byte 0"),
    ],
)
def test_conversion_errors(schema: str, obj: dict[str, Any], error: str) -> None:
    assert from_unstructured(schema, obj).error == error


@pytest.mark.parametrize(
    "obj",
    [
        {"spec": {"replicas": 2.0}},  # a float without a fraction converts
        {"spec": {"strategy": {"rollingUpdate": {"maxSurge": "25%"}}}},
        {"spec": {"replicas": None, "template": None}},
        {"metadata": {"creationTimestamp": "2024-01-02T03:04:05Z"}},
    ],
)
def test_values_that_convert(obj: dict[str, Any]) -> None:
    result = from_unstructured(DEPLOYMENT, obj)
    assert result.error is None and result.unknown_fields == []


def test_unknown_fields_sorted_with_list_indices() -> None:
    pod = {
        "zeta": 1,
        "spec": {"containers": [{"name": "a", "zz": 1}, {"name": "b", "aa": 2}], "b": 1},
        "alpha": None,
    }
    assert from_unstructured(POD, pod).unknown_fields == [
        'unknown field "alpha"',
        'unknown field "spec.b"',
        'unknown field "spec.containers[0].zz"',
        'unknown field "spec.containers[1].aa"',
        'unknown field "zeta"',
    ]
    assert from_unstructured(POD, pod, unknown_fields=False).unknown_fields == []


def test_a_conversion_error_discards_unknown_fields() -> None:
    result = from_unstructured(DEPLOYMENT, {"bogus": 1, "spec": {"replicas": "x"}})
    assert result.error == "unrecognized type: int32" and result.unknown_fields == []
