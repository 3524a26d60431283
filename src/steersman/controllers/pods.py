"""Pod facts the workload controllers share (Kubernetes' pkg/api/v1/pod and controller_utils):
activity, readiness, availability, controller references, deletion ranking.

Invariant: pure functions of the objects (and an explicit `now`); no I/O.
"""

from __future__ import annotations

import datetime
from typing import Any

Obj = dict[str, Any]


def parse_time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def controller_ref(obj: Obj) -> Obj | None:
    """A copy of the object's controller reference (metav1.GetControllerOf)."""
    ref = controller_ref_view(obj)
    return dict(ref) if ref is not None else None


def controller_ref_view(obj: Obj) -> Obj | None:
    """The controller reference itself, for reading only (no copy: hot loops use it)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def new_controller_ref(owner: Obj, api_version: str, kind: str) -> Obj:
    meta = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_pod_active(pod: Obj) -> bool:
    """Not terminal and not being deleted (controller.IsPodActive)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not (pod.get("metadata") or {}).get(
        "deletionTimestamp"
    )


def is_pod_terminating(pod: Obj) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and bool(
        (pod.get("metadata") or {}).get("deletionTimestamp")
    )


def pod_condition(pod: Obj, type_: str) -> Obj | None:
    """A copy of the pod's condition of that type."""
    cond = _condition_view(pod, type_)
    return dict(cond) if cond is not None else None


def _condition_view(pod: Obj, type_: str) -> Obj | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond  # type: ignore[no-any-return]
    return None


def is_pod_ready(pod: Obj) -> bool:
    cond = _condition_view(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def is_pod_available(pod: Obj, min_ready_seconds: int, now: datetime.datetime) -> bool:
    """Ready for at least minReadySeconds (podutil.IsPodAvailable)."""
    cond = _condition_view(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return False
    if min_ready_seconds == 0:
        return True
    since = parse_time(cond.get("lastTransitionTime"))
    return since is not None and since + datetime.timedelta(seconds=min_ready_seconds) <= now


def _phase_rank(pod: Obj) -> int:
    return {"Pending": 0, "Unknown": 1, "Running": 2}.get(
        (pod.get("status") or {}).get("phase", ""), 0
    )


def _deletion_cost(pod: Obj) -> int:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        "controller.kubernetes.io/pod-deletion-cost", "0"
    )
    try:
        return int(raw)
    except ValueError:
        return 0


def _restarts(pod: Obj) -> int:
    return max(
        (
            s.get("restartCount", 0)
            for s in (pod.get("status") or {}).get("containerStatuses") or []
        ),
        default=0,
    )


def deletion_order_key(pod: Obj, related_on_node: dict[str, int], now: datetime.datetime) -> tuple:
    """Sort key: pods to delete first sort first (controller.ActivePodsWithRanks)."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    ready = is_pod_ready(pod)
    ready_since = parse_time((pod_condition(pod, "Ready") or {}).get("lastTransitionTime"))
    created = parse_time((pod.get("metadata") or {}).get("creationTimestamp")) or now
    return (
        1 if node else 0,  # unassigned first
        _phase_rank(pod),  # Pending < Unknown < Running
        1 if ready else 0,  # not ready first
        _deletion_cost(pod),  # lower cost first
        -related_on_node.get(node, 0) if node else 0,  # more colocated replicas first
        # ready for a shorter time first (later transition first)
        -(ready_since.timestamp() if ready and ready_since else 0.0),
        -_restarts(pod),  # more restarts first
        -created.timestamp(),  # newer first
    )
