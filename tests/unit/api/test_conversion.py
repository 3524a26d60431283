"""autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler conversion."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from steersman.api import resources
from steersman.api.conversion import ConversionError, converter_for
from steersman.api.conversion.autoscaling import (
    CONDITIONS_ANNOTATION,
    CURRENT_METRICS_ANNOTATION,
    METRICS_ANNOTATION,
    hpa_v1_to_v2,
    hpa_v2_to_v1,
)

V2: dict[str, Any] = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "ns", "annotations": {"keep": "me"}},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 5,
        "metrics": [
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": "qps"},
                    "target": {"type": "AverageValue", "averageValue": "10"},
                },
            },
            {
                "type": "External",
                "external": {
                    "metric": {"name": "queue", "selector": {"matchLabels": {"q": "a"}}},
                    "target": {"type": "Value", "value": "30"},
                },
            },
            {
                "type": "Object",
                "object": {
                    "describedObject": {"apiVersion": "v1", "kind": "Service", "name": "s"},
                    "metric": {"name": "rps"},
                    "target": {"type": "Value", "value": "5"},
                },
            },
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70},
                },
            },
        ],
        "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0}},
    },
    "status": {
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageValue": "120m", "averageUtilization": 60},
                },
            }
        ],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"}],
    },
}


def test_v1_view_carries_what_v1_has_no_field_for() -> None:
    v1 = hpa_v2_to_v1(V2)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 70,
    }
    assert v1["status"] == {
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "currentCPUUtilizationPercentage": 60,
    }
    notes = v1["metadata"]["annotations"]
    assert notes["keep"] == "me"
    assert json.loads(notes[METRICS_ANNOTATION])[0] == {
        "type": "Pods",
        "pods": {"metricName": "qps", "targetAverageValue": "10"},
    }
    assert json.loads(notes[CURRENT_METRICS_ANNOTATION]) == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "currentAverageUtilization": 60,
                "currentAverageValue": "120m",
            },
        }
    ]
    assert json.loads(notes[CONDITIONS_ANNOTATION])[0]["type"] == "AbleToScale"
    assert V2["metadata"]["annotations"] == {"keep": "me"}  # the input is untouched


def test_round_trip_through_v1_keeps_the_v2_object() -> None:
    original = copy.deepcopy(V2)
    back = hpa_v1_to_v2(hpa_v2_to_v1(V2))
    assert back["metadata"] == original["metadata"]
    assert back["spec"] == original["spec"]
    assert back["status"] == original["status"]


def test_plain_v1_object_gets_cpu_metric_and_default() -> None:
    v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "a"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "a"}, "maxReplicas": 3},
    }
    v2 = hpa_v1_to_v2(v1)
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }
    ]
    assert "annotations" not in v2["metadata"]


def test_stale_round_trip_annotations_are_not_shown_twice() -> None:
    stored = copy.deepcopy(V2)
    stored["metadata"]["annotations"][METRICS_ANNOTATION] = "[]"
    v1 = hpa_v2_to_v1(stored)
    assert json.loads(v1["metadata"]["annotations"][METRICS_ANNOTATION])[0]["type"] == "Pods"


def test_malformed_annotation_is_a_conversion_error() -> None:
    v1 = {"metadata": {"name": "a", "annotations": {METRICS_ANNOTATION: "{not json"}}}
    with pytest.raises(ConversionError):
        hpa_v1_to_v2(v1)


def test_converter_only_for_versions_not_stored() -> None:
    v1 = resources.lookup("autoscaling", "v1", "horizontalpodautoscalers")
    v2 = resources.lookup("autoscaling", "v2", "horizontalpodautoscalers")
    assert v1 is not None and v2 is not None
    assert converter_for(v2) is None
    conv = converter_for(v1)
    assert conv is not None and conv.from_storage(V2)["apiVersion"] == "autoscaling/v1"
    assert resources.lookup_kind("autoscaling", "HorizontalPodAutoscaler") is v2
