"""Scale behaviour of the HorizontalPodAutoscalerController (Kubernetes' horizontal.go):
stabilization of recommendations and the limits spec.behavior's scaling rules put on a change.

Invariants:
- Without spec.behavior: the highest recommendation of the downscale stabilization window
  (5 minutes by default) on scale-down and at most max(2x, 4) on scale-up; with behavior: its
  stabilization windows and rate policies. Then bounded by min/maxReplicas; the returned
  condition says why.
- Histories (recommendations, scale events) are the caller's in-memory lists: a new entry
  takes the slot of one older than every window, if any.
"""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steersman.controllers.hpa_status import (
    SCALE_DOWN_LIMIT,
    SCALE_DOWN_STABILIZED,
    SCALE_UP_LIMIT,
    SCALE_UP_STABILIZED,
    TOO_FEW_REPLICAS,
    TOO_MANY_REPLICAS,
    WITHIN_RANGE,
)

Obj = dict[str, Any]

SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0


# -- scaling rules (horizontal.go) ----------------------------------------------------------
def default_scale_up_rules(rules: Obj | None) -> Obj:
    out = copy.deepcopy(rules or {})
    out.setdefault("stabilizationWindowSeconds", 0)
    out.setdefault("selectPolicy", "Max")
    if not out.get("policies"):
        out["policies"] = [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ]
    return out


def default_scale_down_rules(rules: Obj | None, stabilization: float) -> Obj:
    out = copy.deepcopy(rules or {})
    if out.get("stabilizationWindowSeconds") is None:
        out["stabilizationWindowSeconds"] = int(stabilization)
    out.setdefault("selectPolicy", "Max")
    if not out.get("policies"):
        out["policies"] = [{"type": "Percent", "value": 100, "periodSeconds": 15}]
    return out


@dataclass
class ScaleEvent:
    change: int  # absolute
    at: datetime.datetime
    outdated: bool = False


def replicas_changed_in_period(
    period: int, events: list[ScaleEvent], now: datetime.datetime
) -> int:
    cutoff = now - datetime.timedelta(seconds=period)
    return sum(e.change for e in events if e.at > cutoff)


def scale_up_limit_with_rules(
    current: int, ups: list[ScaleEvent], downs: list[ScaleEvent], rules: Obj, now: datetime.datetime
) -> int:
    """calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    pick = min if select == "Min" else max
    result: int | None = None
    for policy in rules.get("policies") or []:
        period = int(policy.get("periodSeconds", 15))
        start = (
            current
            - replicas_changed_in_period(period, ups, now)
            + replicas_changed_in_period(period, downs, now)
        )
        if policy.get("type") == "Pods":
            proposed = start + int(policy.get("value", 0))
        else:
            proposed = math.ceil(start * (1 + int(policy.get("value", 0)) / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def scale_down_limit_with_rules(
    current: int, ups: list[ScaleEvent], downs: list[ScaleEvent], rules: Obj, now: datetime.datetime
) -> int:
    """calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    pick = max if select == "Min" else min
    result: int | None = None
    for policy in rules.get("policies") or []:
        period = int(policy.get("periodSeconds", 15))
        start = (
            current
            - replicas_changed_in_period(period, ups, now)
            + replicas_changed_in_period(period, downs, now)
        )
        if policy.get("type") == "Pods":
            proposed = start - int(policy.get("value", 0))
        else:
            proposed = int(start * (1 - int(policy.get("value", 0)) / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def convert_desired_replicas_with_rules(
    current: int, desired: int, minimum: int, maximum: int
) -> tuple[int, str, str]:
    """Bounds without behavior: min/maxReplicas and at most max(2x, 4) replicas at once."""
    scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    if maximum > scale_up_limit:
        allowed, limiting = scale_up_limit, SCALE_UP_LIMIT
    else:
        allowed, limiting = maximum, TOO_MANY_REPLICAS
    if desired < minimum:
        return (minimum, *TOO_FEW_REPLICAS)
    if desired > allowed:
        return (allowed, *limiting)
    return (desired, *WITHIN_RANGE)


# -- stabilization -------------------------------------------------------------------------
@dataclass
class Recommendation:
    replicas: int
    at: datetime.datetime


def stabilize_recommendation(
    history: list[Recommendation], desired: int, window: float, now: datetime.datetime
) -> int:
    """stabilizeRecommendation: the highest recommendation of the window; `desired` is
    recorded (in the slot of a sample older than the window, if any)."""
    cutoff = now - datetime.timedelta(seconds=window)
    highest = max([desired] + [r.replicas for r in history if r.at >= cutoff])
    _record(history, Recommendation(desired, now), lambda r: r.at < cutoff)
    return highest


def stabilize_with_behaviors(
    history: list[Recommendation],
    current: int,
    desired: int,
    up_window: float,
    down_window: float,
    now: datetime.datetime,
) -> tuple[int, tuple[str, str, str, str]]:
    """stabilizeRecommendationWithBehaviors: no higher than the lowest recommendation of the
    scale-up window, no lower than the highest of the scale-down window."""
    up_cutoff = now - datetime.timedelta(seconds=up_window)
    down_cutoff = now - datetime.timedelta(seconds=down_window)
    up = min([desired] + [r.replicas for r in history if r.at > up_cutoff])
    down = max([desired] + [r.replicas for r in history if r.at > down_cutoff])
    _record(
        history, Recommendation(desired, now), lambda r: r.at < up_cutoff and r.at < down_cutoff
    )
    stabilized = min(max(current, up), down)
    return stabilized, SCALE_UP_STABILIZED if desired >= current else SCALE_DOWN_STABILIZED


def _record(
    history: list[Recommendation], new: Recommendation, old: Callable[[Recommendation], bool]
) -> None:
    stale = [i for i, r in enumerate(history) if old(r)]
    if stale:
        history[stale[-1]] = new
    else:
        history.append(new)


def convert_with_behavior_rate(
    current: int,
    desired: int,
    minimum: int,
    maximum: int,
    ups: list[ScaleEvent],
    downs: list[ScaleEvent],
    up: Obj,
    down: Obj,
    now: datetime.datetime,
) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate: min/maxReplicas and the rate policies."""
    if desired > current:
        limit = max(scale_up_limit_with_rules(current, ups, downs, up, now), current)
        allowed, limiting = (
            (limit, SCALE_UP_LIMIT) if maximum > limit else (maximum, TOO_MANY_REPLICAS)
        )
        if desired > allowed:
            return (allowed, *limiting)
    elif desired < current:
        limit = min(scale_down_limit_with_rules(current, ups, downs, down, now), current)
        allowed, limiting = (
            (limit, SCALE_DOWN_LIMIT) if minimum < limit else (minimum, TOO_FEW_REPLICAS)
        )
        if desired < allowed:
            return (allowed, *limiting)
    return (desired, *WITHIN_RANGE)


def store_scale_event(
    events: list[ScaleEvent], change: int, rules: Obj, now: datetime.datetime
) -> None:
    """storeScaleEvent: events older than every policy's period give their slot to the new one."""
    longest = max((int(p.get("periodSeconds", 0)) for p in rules["policies"]), default=0)
    cutoff = now - datetime.timedelta(seconds=longest)
    for event in events:
        if event.at < cutoff:
            event.outdated = True
    fresh = ScaleEvent(change, now)
    slot = next((i for i, e in enumerate(events) if e.outdated), None)
    if slot is None:
        events.append(fresh)
    else:
        events[slot] = fresh
