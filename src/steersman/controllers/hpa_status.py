"""The HorizontalPodAutoscaler status: its conditions (AbleToScale and ScalingActive as
(type, status, reason, message), ScalingLimited as (reason, message)), `set_condition` and
`set_status` (Kubernetes' setCondition and setStatus).

Invariants:
- Messages are Kubernetes' own.
- A condition's lastTransitionTime moves only when its status does.
- Status and conditions are written in the Go structs' field order, zero values omitted as Go
  does; set_status keeps the conditions and, unless rescaled, lastScaleTime.
"""

from __future__ import annotations

import datetime
from typing import Any

Obj = dict[str, Any]

# Conditions as (type, status, reason, message); messages are Kubernetes' own.
SUCCEEDED_GET_SCALE = (
    "AbleToScale",
    "True",
    "SucceededGetScale",
    "the HPA controller was able to get the target's current scale",
)
READY_FOR_NEW_SCALE = (
    "AbleToScale",
    "True",
    "ReadyForNewScale",
    "recommended size matches current size",
)
SCALE_DOWN_STABILIZED = (
    "AbleToScale",
    "True",
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent "
    "recommendation",
)
SCALE_UP_STABILIZED = (
    "AbleToScale",
    "True",
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
)
SCALING_DISABLED = (
    "ScalingActive",
    "False",
    "ScalingDisabled",
    "scaling is disabled since the replica count of the target is zero",
)
MISSING_SELECTOR = (
    "ScalingActive",
    "False",
    "InvalidSelector",
    "the HPA target's scale is missing a selector",
)
SCALE_UP_LIMIT = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
)
SCALE_DOWN_LIMIT = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
)
TOO_MANY_REPLICAS = (
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
)
TOO_FEW_REPLICAS = (
    "TooFewReplicas",
    "the desired replica count is less than the minimum replica count",
)
WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")


def _rfc3339(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    status: Obj, condition: tuple[str, str, str, str], now: datetime.datetime
) -> None:
    """setCondition: add or change one (type, status, reason, message) condition; its
    transition time moves only when its status does."""
    type_, value, reason, message = condition
    conditions = status.setdefault("conditions", [])
    index = next((i for i, c in enumerate(conditions) if c.get("type") == type_), None)
    old = conditions[index] if index is not None else {}
    since = old.get("lastTransitionTime")
    if old.get("status") != value or not since:
        since = _rfc3339(now)
    # The Go struct's field order, for readable `kubectl get -o yaml`.
    new = {
        "type": type_,
        "status": value,
        "lastTransitionTime": since,
        "reason": reason,
        "message": message,
    }
    if index is None:
        conditions.append(new)
    else:
        conditions[index] = new


def set_status(
    status: Obj,
    current: int,
    desired: int,
    metric_statuses: list[Obj] | None,
    *,
    rescaled_at: datetime.datetime | None = None,
) -> None:
    """setStatus: rebuilt in the Go struct's field order, zero values omitted as Go does."""
    conditions = status.get("conditions")
    last_scale = _rfc3339(rescaled_at) if rescaled_at else status.get("lastScaleTime")
    status.clear()
    if last_scale:
        status["lastScaleTime"] = last_scale
    if current:
        status["currentReplicas"] = current
    status["desiredReplicas"] = desired
    if metric_statuses:
        status["currentMetrics"] = metric_statuses
    if conditions:
        status["conditions"] = conditions
