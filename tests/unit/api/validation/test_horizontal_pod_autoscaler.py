"""HorizontalPodAutoscaler validation (stored version autoscaling/v2), worded as Kubernetes."""

from __future__ import annotations

from typing import Any

from steersman.api.validation import validator_for


def _hpa(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 3,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ],
    }
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": base}


def _messages(obj: dict[str, Any]) -> list[str]:
    v = validator_for("autoscaling", "HorizontalPodAutoscaler")
    assert v is not None
    return [e.message() for e in v.validate(obj)]


def test_valid_hpa() -> None:
    assert _messages(_hpa()) == []


def test_replica_bounds() -> None:
    assert _messages(_hpa(minReplicas=0, maxReplicas=0)) == [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
    ]
    assert _messages(_hpa(minReplicas=4, maxReplicas=3)) == [
        "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"
    ]


def test_scale_target_ref_needs_kind_and_name() -> None:
    assert _messages(_hpa(scaleTargetRef={"name": "a/b"})) == [
        "spec.scaleTargetRef.kind: Required value",
        "spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'",
    ]


def test_metric_targets() -> None:
    bad = {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": -5}},
    }
    assert _messages(_hpa(metrics=[bad])) == [
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: -5: "
        "must be greater than 0"
    ]
    missing = {"type": "Pods"}
    assert _messages(_hpa(metrics=[missing])) == [
        "spec.metrics[0].pods: Required value: must populate information for the given metric "
        "source"
    ]
    unknown = {"type": "Nope"}
    assert _messages(_hpa(metrics=[unknown]))[0].startswith(
        'spec.metrics[0].type: Unsupported value: "Nope": supported values: "ContainerResource"'
    )
