"""HorizontalPodAutoscaler (autoscaling/v2) through kubectl: served with its table, and the
controller brings the target to minReplicas while no metrics API answers."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import poll


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
