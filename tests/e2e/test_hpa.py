"""HorizontalPodAutoscaler (autoscaling/v2) through kubectl: served with its table, and the
controller brings the target to minReplicas while no metrics API answers."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import Cluster, StreamedKubectl, poll


def test_hpa_is_served_and_enforces_min_replicas(kubectl: Any, kubectl_json: Any, ns: str) -> None:
    kubectl("create", "deployment", "web", "-n", ns, "--image=busybox:1")
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 5,
        },
    }
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(hpa))
    stored = kubectl_json("get", "hpa", "web", "-n", ns)
    assert stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    header, row = kubectl("get", "hpa", "web", "-n", ns).stdout.splitlines()[:2]
    assert header.split()[:6] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS"]
    assert "Deployment/web" in row and "cpu: <unknown>/80%" in row
    poll(
        lambda: kubectl_json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 2,
        what="scaled to minReplicas",
        timeout=40,
    )


def test_kubectl_autoscale_creates_through_autoscaling_v1(
    kubectl: Any, kubectl_json: Any, ns: str
) -> None:
    kubectl("create", "deployment", "api", "-n", ns, "--image=busybox:1")
    out = kubectl("autoscale", "deployment/api", "-n", ns, "--min=2", "--max=4", "--cpu-percent=60")
    assert "horizontalpodautoscaler.autoscaling/api autoscaled" in out.stdout
    v1 = kubectl_json("get", "horizontalpodautoscalers.v1.autoscaling", "api", "-n", ns)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 60
    assert v1["spec"]["minReplicas"] == 2 and v1["spec"]["maxReplicas"] == 4
    v2 = kubectl_json("get", "horizontalpodautoscalers.v2.autoscaling", "api", "-n", ns)
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 60},
            },
        }
    ]
    poll(
        lambda: kubectl_json("get", "deployment", "api", "-n", ns)["spec"]["replicas"] == 2,
        what="scaled to minReplicas",
        timeout=40,
    )


def test_v2_only_fields_survive_a_v1_round_trip(kubectl: Any, kubectl_json: Any, ns: str) -> None:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "mixed", "annotations": {"team": "a"}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mixed"},
            "minReplicas": 1,
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "memory",
                        "target": {"type": "AverageValue", "averageValue": "100Mi"},
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
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 30}},
        },
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(hpa))
    v1 = kubectl_json("get", "horizontalpodautoscalers.v1.autoscaling", "mixed", "-n", ns)
    annotations = v1["metadata"]["annotations"]
    assert annotations["team"] == "a"
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/metrics"]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}
    ]
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 70
    # A v1 client edits the CPU target and writes the whole object back.
    v1["spec"]["targetCPUUtilizationPercentage"] = 50
    kubectl("replace", "-n", ns, "-f", "-", input=json.dumps(v1))
    v2 = kubectl_json("get", "horizontalpodautoscalers.v2.autoscaling", "mixed", "-n", ns)
    assert v2["metadata"]["annotations"] == {"team": "a"}
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in v2["spec"]["metrics"]}
    assert targets == {
        "memory": {"type": "AverageValue", "averageValue": "100Mi"},
        "cpu": {"type": "Utilization", "averageUtilization": 50},
    }
    assert v2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 30
    # Patching through v1 applies to the v1 view.
    kubectl(
        "patch",
        "horizontalpodautoscalers.v1.autoscaling",
        "mixed",
        "-n",
        ns,
        "--type=merge",
        "-p",
        '{"spec":{"maxReplicas":7}}',
    )
    assert (
        kubectl_json("get", "horizontalpodautoscalers.v2.autoscaling", "mixed", "-n", ns)["spec"][
            "maxReplicas"
        ]
        == 7
    )


def test_watch_through_v1_sees_v1_objects(cluster: Cluster, kubectl: Any, ns: str) -> None:
    kubectl("create", "deployment", "w", "-n", ns, "--image=busybox:1")
    stream = StreamedKubectl(
        cluster,
        "get",
        "horizontalpodautoscalers.v1.autoscaling",
        "-n",
        ns,
        "-w",
        "-o",
        'jsonpath={.apiVersion} {.metadata.name} {.spec.targetCPUUtilizationPercentage}{"\\n"}',
    )
    try:
        kubectl("autoscale", "deployment/w", "-n", ns, "--max=3", "--cpu-percent=55")
        line = stream.wait_for(lambda text: " w " in text, timeout=20)
        assert line.split() == ["autoscaling/v1", "w", "55"]
    finally:
        stream.stop()


def test_invalid_hpa_is_refused_with_kubernetes_wording(kubectl: Any, ns: str) -> None:
    hpa = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "bad"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "x"},
            "maxReplicas": 3,
            "targetCPUUtilizationPercentage": -5,
        },
    }
    res = kubectl("create", "-n", ns, "-f", "-", input=json.dumps(hpa), check=False)
    assert res.returncode != 0
    assert 'The HorizontalPodAutoscaler "bad" is invalid' in res.stderr
    assert (
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: -5: "
        "must be greater than 0" in res.stderr
    )
    assert "NotFound" in kubectl("get", "hpa", "bad", "-n", ns, check=False).stderr


def _with_behavior(name: str, behavior: dict[str, Any]) -> str:
    return json.dumps(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "maxReplicas": 3,
                "behavior": behavior,
            },
        }
    )


def test_behavior_is_completed_and_validated(kubectl: Any, kubectl_json: Any, ns: str) -> None:
    partial = {"scaleUp": {"tolerance": "50m"}, "scaleDown": {"selectPolicy": "Min"}}
    kubectl("create", "-n", ns, "-f", "-", input=_with_behavior("ok", partial))
    behavior = kubectl_json("get", "hpa", "ok", "-n", ns)["spec"]["behavior"]
    assert behavior == {
        "scaleUp": {
            "tolerance": "50m",
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "selectPolicy": "Min",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
    }

    bad = {
        "scaleUp": {"stabilizationWindowSeconds": 4000, "tolerance": "-1"},
        "scaleDown": {"policies": [{"type": "Percent", "value": 0, "periodSeconds": 15}]},
    }
    res = kubectl("create", "-n", ns, "-f", "-", input=_with_behavior("bad", bad), check=False)
    assert res.returncode != 0
    assert 'The HorizontalPodAutoscaler "bad" is invalid' in res.stderr
    for message in (
        "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: "
        "must be less than or equal to 3600",
        'spec.behavior.scaleUp.tolerance: Invalid value: "-1": must be greater than or equal to 0',
        "spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero",
    ):
        assert message in res.stderr
    res = kubectl(
        "patch", "hpa", "ok", "-n", ns, "--type=merge",
        "-p", '{"spec":{"behavior":{"scaleDown":{"policies":[]}}}}',
        check=False,
    )  # fmt: skip
    assert res.returncode != 0
    assert "spec.behavior.scaleDown.policies: Required value: must specify at least one Policy" in (
        res.stderr
    )
