"""Defaulting of the smaller API groups, as their Kubernetes SetDefaults_* functions do.

Covers discovery.k8s.io EndpointSlice (port name "" and protocol TCP), networking.k8s.io
NetworkPolicy (policyTypes from the rules present, port protocol TCP) and IngressClass
(parameters scope Cluster), rbac.authorization.k8s.io bindings (roleRef and subject API
groups), scheduling.k8s.io PriorityClass (preemptionPolicy PreemptLowerPriority) and
storage.k8s.io StorageClass (reclaimPolicy Delete, volumeBindingMode Immediate) and
autoscaling HorizontalPodAutoscaler (minReplicas, a CPU metric, spec.behavior's rules).
Lease, events.k8s.io Event, Ingress and PodDisruptionBudget have no defaults in v1.

Invariants: defaulters mutate in place, fill only what is unset, and are idempotent.
Pure data: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from steersman.api.defaults import register

Obj = dict[str, Any]

__all__ = [
    "default_cluster_role_binding",
    "default_endpoint_slice",
    "default_ingress_class",
    "default_network_policy",
    "default_priority_class",
    "default_role_binding",
    "default_storage_class",
]

RBAC_GROUP = "rbac.authorization.k8s.io"


def _dicts(parent: Any, field: str) -> list[Obj]:
    items = parent.get(field) if isinstance(parent, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def default_endpoint_slice(obj: Obj) -> None:
    """SetDefaults_EndpointPort: an unnamed TCP port unless told otherwise."""
    for port in _dicts(obj, "ports"):
        if port.get("name") is None:
            port["name"] = ""
        if port.get("protocol") is None:
            port["protocol"] = "TCP"


def default_network_policy(obj: Obj) -> None:
    """SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    for direction in ("ingress", "egress"):
        for rule in _dicts(spec, direction):
            for port in _dicts(rule, "ports"):
                if port.get("protocol") is None:
                    port["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        # Every policy isolates ingress; egress only when it has egress rules.
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types


def default_ingress_class(obj: Obj) -> None:
    params = (obj.get("spec") or {}).get("parameters")
    if isinstance(params, dict) and params.get("scope") is None:
        params["scope"] = "Cluster"


def _default_binding(obj: Obj) -> None:
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = RBAC_GROUP
    for subject in _dicts(obj, "subjects"):
        if not subject.get("apiGroup"):
            kind = subject.get("kind")
            if kind == "ServiceAccount":
                subject["apiGroup"] = ""
            elif kind in ("User", "Group"):
                subject["apiGroup"] = RBAC_GROUP


def default_role_binding(obj: Obj) -> None:
    """SetDefaults_RoleBinding and SetDefaults_Subject."""
    _default_binding(obj)


def default_cluster_role_binding(obj: Obj) -> None:
    """SetDefaults_ClusterRoleBinding and SetDefaults_Subject."""
    _default_binding(obj)


def default_priority_class(obj: Obj) -> None:
    if obj.get("preemptionPolicy") is None:
        obj["preemptionPolicy"] = "PreemptLowerPriority"


def default_storage_class(obj: Obj) -> None:
    if obj.get("reclaimPolicy") is None:
        obj["reclaimPolicy"] = "Delete"
    if obj.get("volumeBindingMode") is None:
        obj["volumeBindingMode"] = "Immediate"


# GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: what a scaling direction of a given
# spec.behavior gets for each field left out. Scale-down keeps no stabilization window: the
# controller's --horizontal-pod-autoscaler-downscale-stabilization (5 minutes) applies.
_SCALE_UP_RULES: Obj = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN_RULES: Obj = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _scaling_rules(rules: Any, defaults: Obj) -> Any:
    """Fill what `rules` leaves out (absent or null; an empty policy list stays, as in Go,
    for validation to refuse)."""
    if rules is None:
        rules = {}
    if not isinstance(rules, dict):
        return rules  # the schema check refuses it
    for field, value in defaults.items():
        if rules.get(field) is None:
            rules[field] = copy.deepcopy(value)
    return rules


def default_horizontal_pod_autoscaler(obj: Obj) -> None:
    """SetDefaults_HorizontalPodAutoscaler (autoscaling/v2): one replica at least, CPU at 80%
    utilization when no metric is given, and a given spec.behavior completed in both
    directions."""
    spec = obj.setdefault("spec", {})
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), _SCALE_UP_RULES)
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), _SCALE_DOWN_RULES)
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("autoscaling", "HorizontalPodAutoscaler"): default_horizontal_pod_autoscaler,
    ("discovery.k8s.io", "EndpointSlice"): default_endpoint_slice,
    ("networking.k8s.io", "NetworkPolicy"): default_network_policy,
    ("networking.k8s.io", "IngressClass"): default_ingress_class,
    (RBAC_GROUP, "RoleBinding"): default_role_binding,
    (RBAC_GROUP, "ClusterRoleBinding"): default_cluster_role_binding,
    ("scheduling.k8s.io", "PriorityClass"): default_priority_class,
    ("storage.k8s.io", "StorageClass"): default_storage_class,
}

for (_group, _kind), _fn in _DEFAULTERS.items():
    register(_group, _kind, _fn)
