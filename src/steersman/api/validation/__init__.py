"""Semantic validation per kind, worded as Kubernetes words it.

Each kind's validator lives in a small concept module (`pod`, `service`, `deployment`, `rbac`,
...) that registers, per (group, kind), a `validate(obj)` for create and a
`validate_update(new, old)` for update; both return a list of `FieldError` (empty = valid).
Kinds without a registered validator get `validate_object_meta` only.

Invariants:
- Validators take the JSON form (dicts, after defaulting) and never mutate it; they return
  errors in the order Kubernetes reports them, with Kubernetes' field paths.
- One registered validator handles both main-resource and `/status` writes: the registry hands
  a status write a new object whose spec equals the old one, and a spec write one whose status
  equals the old one, so status rules run only when status changed.
- A kind's module is imported on the first `validator_for` of that kind (`_MODULES` says
  which), so a process loads only the validators it uses: an idle API server holds a handful
  of small modules, not all of them. Each module is small, so a first use stays fast.
- `_MODULES` names, for every registered kind, the module registering it (a unit test checks
  the table against the registrations). The facades `core`, `apps`, `batch` and `misc`
  re-export the public names of the kinds they cover.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steersman.api.errors import FieldError

CreateValidator = Callable[[dict[str, Any]], list[FieldError]]
UpdateValidator = Callable[[dict[str, Any], dict[str, Any]], list[FieldError]]


@dataclass(frozen=True, slots=True)
class KindValidator:
    validate: CreateValidator
    validate_update: UpdateValidator


_REGISTRY: dict[tuple[str, str], KindValidator] = {}

# (group, kind) -> the module of this package that registers its validator.
_MODULES: dict[tuple[str, str], str] = {
    ("", "Pod"): "pod",
    ("", "Binding"): "pod",
    ("", "PodTemplate"): "pod_template",
    ("", "ReplicationController"): "replication_controller",
    ("", "Service"): "service",
    ("", "ConfigMap"): "config_map",
    ("", "Secret"): "config_map",
    ("", "Namespace"): "namespace",
    ("", "ServiceAccount"): "namespace",
    ("", "Node"): "node",
    ("", "Endpoints"): "endpoints",
    ("", "Event"): "event",
    ("", "LimitRange"): "limit_range",
    ("", "ResourceQuota"): "resource_quota",
    ("", "PersistentVolume"): "persistent_volume",
    ("", "PersistentVolumeClaim"): "persistent_volume_claim",
    ("apps", "Deployment"): "deployment",
    ("apps", "ReplicaSet"): "replica_set",
    ("apps", "StatefulSet"): "stateful_set",
    ("apps", "DaemonSet"): "daemon_set",
    ("apps", "ControllerRevision"): "controller_revision",
    ("batch", "Job"): "job_update",
    ("batch", "CronJob"): "cron_job",
    ("autoscaling", "HorizontalPodAutoscaler"): "horizontal_pod_autoscaler",
    ("coordination.k8s.io", "Lease"): "lease",
    ("discovery.k8s.io", "EndpointSlice"): "endpoint_slice",
    ("events.k8s.io", "Event"): "events_k8s_io",
    ("networking.k8s.io", "Ingress"): "ingress",
    ("networking.k8s.io", "IngressClass"): "ingress",
    ("networking.k8s.io", "NetworkPolicy"): "network_policy",
    ("policy", "PodDisruptionBudget"): "pod_disruption_budget",
    ("rbac.authorization.k8s.io", "Role"): "rbac",
    ("rbac.authorization.k8s.io", "ClusterRole"): "rbac",
    ("rbac.authorization.k8s.io", "RoleBinding"): "rbac",
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): "rbac",
    ("scheduling.k8s.io", "PriorityClass"): "priority_class",
    ("storage.k8s.io", "StorageClass"): "storage_class",
}


def register(
    group: str, kind: str, validate: CreateValidator, validate_update: UpdateValidator
) -> None:
    _REGISTRY[(group, kind)] = KindValidator(validate, validate_update)


def validator_for(group: str, kind: str) -> KindValidator | None:
    found = _REGISTRY.get((group, kind))
    if found is None:
        module = _MODULES.get((group, kind))
        if module is None:
            return None
        importlib.import_module(f"{__name__}.{module}")
        found = _REGISTRY.get((group, kind))
    return found


def load_all() -> None:
    """Import every validator module (tests, and tools listing what is validated)."""
    for module in sorted(set(_MODULES.values())):
        importlib.import_module(f"{__name__}.{module}")
