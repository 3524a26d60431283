"""Defaulting of EndpointSlice, NetworkPolicy, IngressClass, RBAC bindings, PriorityClass and
StorageClass."""

from __future__ import annotations

import copy
from typing import Any

from steersman.api.defaults import apply_defaults

RBAC = "rbac.authorization.k8s.io"


def defaulted(group: str, kind: str, o: dict[str, Any]) -> dict[str, Any]:
    apply_defaults(group, kind, o)
    again = copy.deepcopy(o)
    apply_defaults(group, kind, again)
    assert again == o, "defaulting must be idempotent"
    return o


def test_endpoint_slice_ports() -> None:
    o = defaulted(
        "discovery.k8s.io",
        "EndpointSlice",
        {"ports": [{"port": 80}, {"name": "dns", "protocol": "UDP"}]},
    )
    assert o["ports"] == [
        {"port": 80, "name": "", "protocol": "TCP"},
        {"name": "dns", "protocol": "UDP"},
    ]


def test_network_policy_policy_types() -> None:
    o = defaulted("networking.k8s.io", "NetworkPolicy", {"spec": {"podSelector": {}}})
    assert o["spec"]["policyTypes"] == ["Ingress"]
    o = defaulted(
        "networking.k8s.io", "NetworkPolicy", {"spec": {"egress": [{"ports": [{"port": 53}]}]}}
    )
    assert o["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert o["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    o = defaulted(
        "networking.k8s.io", "NetworkPolicy", {"spec": {"policyTypes": ["Egress"], "ingress": [{}]}}
    )
    assert o["spec"]["policyTypes"] == ["Egress"]


def test_ingress_class_parameters_scope() -> None:
    o = defaulted(
        "networking.k8s.io", "IngressClass", {"spec": {"parameters": {"kind": "K", "name": "n"}}}
    )
    assert o["spec"]["parameters"]["scope"] == "Cluster"
    o = defaulted("networking.k8s.io", "IngressClass", {"spec": {"controller": "x.io/y"}})
    assert o["spec"] == {"controller": "x.io/y"}


def test_binding_api_groups() -> None:
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        o = defaulted(
            RBAC,
            kind,
            {
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [
                    {"kind": "User", "name": "a"},
                    {"kind": "Group", "name": "g"},
                    {"kind": "ServiceAccount", "name": "s"},
                    {"kind": "Other", "name": "o"},
                ],
            },
        )
        assert o["roleRef"]["apiGroup"] == RBAC
        assert [s.get("apiGroup") for s in o["subjects"]] == [RBAC, RBAC, "", None]


def test_priority_class_and_storage_class() -> None:
    assert (
        defaulted("scheduling.k8s.io", "PriorityClass", {"value": 1})["preemptionPolicy"]
        == "PreemptLowerPriority"
    )
    assert (
        defaulted("scheduling.k8s.io", "PriorityClass", {"value": 1, "preemptionPolicy": "Never"})[
            "preemptionPolicy"
        ]
        == "Never"
    )
    sc = defaulted("storage.k8s.io", "StorageClass", {"provisioner": "x"})
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    sc = defaulted(
        "storage.k8s.io", "StorageClass", {"provisioner": "x", "reclaimPolicy": "Retain"}
    )
    assert sc["reclaimPolicy"] == "Retain"


def test_horizontal_pod_autoscaler_behavior_completed_per_direction() -> None:
    spec = {"maxReplicas": 3, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}
    out = defaulted("autoscaling", "HorizontalPodAutoscaler", {"spec": spec})
    assert out["spec"]["minReplicas"] == 1
    assert out["spec"]["behavior"] == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        # no window: the controller's downscale stabilization (5 minutes) applies
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
    }
    both = defaulted("autoscaling", "HorizontalPodAutoscaler", {"spec": {"behavior": {}}})
    assert "stabilizationWindowSeconds" not in both["spec"]["behavior"]["scaleDown"]


def test_horizontal_pod_autoscaler_behavior_left_alone_when_absent_or_explicit() -> None:
    assert (
        "behavior" not in defaulted("autoscaling", "HorizontalPodAutoscaler", {"spec": {}})["spec"]
    )
    explicit = {"selectPolicy": "Min", "policies": [], "tolerance": "0.05"}
    spec = {"behavior": {"scaleUp": copy.deepcopy(explicit)}}
    out = defaulted("autoscaling", "HorizontalPodAutoscaler", {"spec": spec})
    # an empty list is not "unset": validation refuses it, as Kubernetes does
    assert out["spec"]["behavior"]["scaleUp"] == {**explicit, "stabilizationWindowSeconds": 0}
