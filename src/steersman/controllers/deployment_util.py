"""Pure helpers of the Deployment controller (Kubernetes' pkg/controller/deployment/util):
template hashing, revisions, surge/unavailability arithmetic, status conditions.

Invariants: no I/O, no clock reads except through explicit `now` arguments; every function
returns new objects and never changes its inputs.
"""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Iterable
from typing import Any

import orjson

Obj = dict[str, Any]

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Annotations a ReplicaSet does not inherit from its Deployment.
_NOT_COPIED = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS}
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString's: no vowels, no 0/1/3


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    return "".join(_SAFE_ALPHABET[ord(c) % len(_SAFE_ALPHABET)] for c in text)


def compute_hash(template: Obj, collision_count: int | None) -> str:
    """pod-template-hash: FNV-32a of the template (and collisionCount), safely encoded."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def template_without_hash(template: Obj) -> Obj:
    out = copy.deepcopy(template)
    labels = (out.get("metadata") or {}).get("labels")
    if labels and POD_TEMPLATE_HASH in labels:
        del labels[POD_TEMPLATE_HASH]
        if not labels:
            del out["metadata"]["labels"]
    return out


def equal_ignore_hash(a: Obj, b: Obj) -> bool:
    return _normalized(template_without_hash(a)) == _normalized(template_without_hash(b))


def _normalized(value: Any) -> Any:
    """Empty maps/lists and None compare equal to absent, as Go's zero values do."""
    if isinstance(value, dict):
        out = {k: _normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def revision(obj: Obj) -> int:
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "")
    try:
        return int(raw)
    except ValueError:
        return 0


def max_revision(replica_sets: Iterable[Obj]) -> int:
    return max((revision(rs) for rs in replica_sets), default=0)


def _scaled(value: Any, total: int, round_up: bool) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        pct = int(text[:-1])
        exact = pct * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)


def resolve_fenceposts(deployment: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as counts; both 0 becomes maxUnavailable 1 (upstream)."""
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    rolling = ((spec.get("strategy") or {}).get("rollingUpdate")) or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(deployment: Obj) -> int:
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    if (spec.get("strategy") or {}).get("type") != "RollingUpdate" or replicas == 0:
        return 0
    _, unavailable = resolve_fenceposts(deployment)
    return min(unavailable, replicas)


def replicas_of(replica_sets: Iterable[Obj | None]) -> int:
    return sum(int((rs.get("spec") or {}).get("replicas", 0)) for rs in replica_sets if rs)


def status_sum(replica_sets: Iterable[Obj | None], field: str) -> int:
    return sum(int((rs.get("status") or {}).get(field, 0)) for rs in replica_sets if rs)


def new_rs_new_replicas(deployment: Obj, all_rs: list[Obj], new_rs: Obj) -> int:
    """How many replicas the new ReplicaSet may have now (NewRSNewReplicas)."""
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        return replicas
    surge, _ = resolve_fenceposts(deployment)
    current = replicas_of(all_rs)
    max_total = replicas + surge
    new_current = int((new_rs.get("spec") or {}).get("replicas", 0))
    if current >= max_total:
        return new_current
    scale_up = min(max_total - current, replicas - new_current)
    return new_current + scale_up


def deployment_complete(deployment: Obj, status: Obj) -> bool:
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    return (
        status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
        and status.get("observedGeneration", 0) >= (deployment["metadata"].get("generation") or 0)
    )


def deployment_progressing(deployment: Obj, new_status: Obj) -> bool:
    old = deployment.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new_status.get("replicas", 0) - new_status.get("updatedReplicas", 0)
    return (
        new_status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or new_status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or new_status.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def rfc3339(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def get_condition(status: Obj, type_: str) -> Obj | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def new_condition(
    type_: str, status: str, reason: str, message: str, now: datetime.datetime
) -> Obj:
    stamp = rfc3339(now)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Obj, cond: Obj) -> None:
    """SetDeploymentCondition: same status and reason → no change; same status → keep the
    transition time."""
    current = get_condition(status, cond["type"])
    if (
        current is not None
        and current["status"] == cond["status"]
        and current.get("reason") == cond.get("reason")
    ):
        return
    if current is not None and current["status"] == cond["status"]:
        cond = dict(cond, lastTransitionTime=current.get("lastTransitionTime"))
    others = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]]
    status["conditions"] = [*others, cond]


def remove_condition(status: Obj, type_: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != type_]


def copy_annotations(deployment: Obj, rs: Obj) -> bool:
    """Copy the Deployment's annotations (but the controller's own) onto the ReplicaSet."""
    source = (deployment.get("metadata") or {}).get("annotations") or {}
    target = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in source.items():
        if key in _NOT_COPIED or target.get(key) == value:
            continue
        target[key] = value
        changed = True
    return changed
