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
