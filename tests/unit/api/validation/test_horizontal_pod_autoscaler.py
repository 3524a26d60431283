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


def _rules(**rules: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}],
    }
    base.update(rules)
    return base


def test_valid_behavior() -> None:
    behavior = {"scaleUp": _rules(tolerance="0.05"), "scaleDown": _rules(selectPolicy="Disabled")}
    assert _messages(_hpa(behavior=behavior)) == []


def test_behavior_rules_in_kubernetes_order_and_wording() -> None:
    bad_up = _rules(
        stabilizationWindowSeconds=3601,
        selectPolicy="Most",
        policies=[{"type": "Pod", "value": 0, "periodSeconds": 1801}],
        tolerance="-0.1",
    )
    bad_down = _rules(stabilizationWindowSeconds=-1, policies=[])
    assert _messages(_hpa(behavior={"scaleUp": bad_up, "scaleDown": bad_down})) == [
        "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less"
        " than or equal to 3600",
        'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values:'
        ' "Disabled", "Max", "Min"',
        'spec.behavior.scaleUp.policies[0].type: Unsupported value: "Pod": supported values:'
        ' "Percent", "Pods"',
        "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
        "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less"
        " than or equal to 1800",
        'spec.behavior.scaleUp.tolerance: Invalid value: "-0.1": must be greater than or'
        " equal to 0",
        "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be"
        " greater than or equal to zero",
        "spec.behavior.scaleDown.policies: Required value: must specify at least one Policy",
    ]


def test_policy_period_must_be_positive() -> None:
    rules = _rules(policies=[{"type": "Percent", "value": 10, "periodSeconds": 0}])
    assert _messages(_hpa(behavior={"scaleUp": rules, "scaleDown": _rules()})) == [
        "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 0: must be greater"
        " than zero"
    ]
