"""Defaulting of apps/v1 kinds, as Kubernetes' pkg/apis/apps/v1 SetDefaults_* functions do.

Invariants:
- Each defaulter mutates the object in place, fills only what is unset, and is idempotent.
- Feature gates are taken at their v1.36 defaults: MaxUnavailableStatefulSet is beta and on
  (a StatefulSet's rolling update gets `maxUnavailable: 1`), StatefulSetAutoDeletePVC is GA.
- Pod templates get PodSpec defaults only (`defaults.core.default_pod_template`); a missing
  template is created empty first, as Go's zero-valued struct would be, so validation then
  reports what is missing in it.
- A StatefulSet's volumeClaimTemplates get PersistentVolumeClaim defaults and the
  `apiVersion: v1` / `kind: PersistentVolumeClaim` Kubernetes shows on them.
Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steersman.api.defaults import register
from steersman.api.defaults.core import default_persistent_volume_claim, default_pod_template

Obj = dict[str, Any]

__all__ = [
    "default_daemon_set",
    "default_deployment",
    "default_replica_set",
    "default_stateful_set",
    "default_workload_template",
]


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    return spec


def _sub(parent: Obj, field: str) -> Obj:
    value = parent.get(field)
    if not isinstance(value, dict):
        value = parent[field] = {}
    return value


def default_workload_template(spec: Obj) -> None:
    """Template defaults for any workload spec (`spec.template`)."""
    default_pod_template(_sub(spec, "template"))


def default_deployment(obj: Obj) -> None:
    """SetDefaults_Deployment: 1 replica, RollingUpdate 25%/25%, 10 revisions, 600s deadline."""
    spec = _spec(obj)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _sub(spec, "strategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _sub(strategy, "rollingUpdate")
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = "25%"
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = "25%"
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    default_workload_template(spec)


def default_daemon_set(obj: Obj) -> None:
    """SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, 10 revisions."""
    spec = _spec(obj)
    strategy = _sub(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _sub(strategy, "rollingUpdate")
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    default_workload_template(spec)


def default_stateful_set(obj: Obj) -> None:
    """SetDefaults_StatefulSet plus the generated defaults of its claim templates."""
    spec = _spec(obj)
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _sub(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        # Only a defaulted type brings a defaulted rollingUpdate along.
        _sub(strategy, "rollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        if rolling.get("partition") is None:
            rolling["partition"] = 0
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
    retention = _sub(spec, "persistentVolumeClaimRetentionPolicy")
    for field in ("whenDeleted", "whenScaled"):
        if not retention.get(field):
            retention[field] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    default_workload_template(spec)
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            default_persistent_volume_claim(claim)


def default_replica_set(obj: Obj) -> None:
    """SetDefaults_ReplicaSet: 1 replica."""
    spec = _spec(obj)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    default_workload_template(spec)


_DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "Deployment": default_deployment,
    "DaemonSet": default_daemon_set,
    "StatefulSet": default_stateful_set,
    "ReplicaSet": default_replica_set,
}

for _kind, _fn in _DEFAULTERS.items():
    register("apps", _kind, _fn)
