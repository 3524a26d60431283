"""The autoscaling HorizontalPodAutoscaler kind (validated in its stored version, v2).

Invariants:
- minReplicas (when set) and maxReplicas are at least 1, maxReplicas >= minReplicas; the
  scale target names a kind and a name that are valid path segments.
- Every metric has a known source type and populates exactly that source; targets have a
  known type and positive values; a Resource/ContainerResource source sets a utilization or
  an average value, not both.
- spec.behavior, per direction: a stabilization window within 0..3600 s, selectPolicy Max,
  Min or Disabled, at least one policy (type Pods or Percent, a positive value, a period
  within 1..1800 s), a tolerance that is not negative.
- A status write keeps currentReplicas/desiredReplicas non-negative.
Wording and field paths as Kubernetes' pkg/apis/autoscaling/validation.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.quantity import parse_quantity
from steersman.api.validation import register
from steersman.api.validation.common import (
    path_segment_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _l, _meta, _s

_SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
_SOURCE_FIELDS = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "External": "external",
}
_TARGET_TYPES = ("AverageValue", "Utilization", "Value")


def _quantity_sign(value: Any) -> int:
    """-1, 0 or 1; 0 for what does not parse (the schema check reports that first)."""
    try:
        return int(parse_quantity(str(value)).sign())
    except (ValueError, TypeError):
        return 0


def _positive_quantity(value: Any) -> bool:
    try:
        return parse_quantity(str(value)).sign() == 1
    except (ValueError, TypeError):
        return False


def validate_cross_version_object_reference(ref: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for field in ("kind", "name"):
        value = _s(ref.get(field))
        if not value:
            out.append(errors.required(f"{path}.{field}"))
        else:
            out.extend(
                errors.invalid(f"{path}.{field}", value, msg) for msg in path_segment_name(value)
            )
    return out


def _check_type(kind: str, path: str, allowed: tuple[str, ...], what: str) -> list[FieldError]:
    """`type` is required and one of `allowed` (`what` names it in the Required message)."""
    if not kind:
        return [errors.required(f"{path}.type", f"must specify a {what} type")]
    if kind not in allowed:
        return [errors.not_supported(f"{path}.type", kind, allowed)]
    return []


def _validate_target(target: Obj, path: str) -> list[FieldError]:
    kind = _s(target.get("type"))
    out = _check_type(kind, path, _TARGET_TYPES, "metric target")
    for field in ("value", "averageValue"):
        value = target.get(field)
        if value is not None and not _positive_quantity(value):
            out.append(errors.invalid(f"{path}.{field}", value, "must be positive"))
    utilization = target.get("averageUtilization")
    if utilization is not None and (not isinstance(utilization, int) or utilization < 1):
        out.append(
            errors.invalid(f"{path}.averageUtilization", utilization, "must be greater than 0")
        )
    return out


def _validate_identifier(metric: Obj, path: str) -> list[FieldError]:
    name = _s(metric.get("name"))
    if not name:
        return [errors.required(f"{path}.name", "must specify a metric name")]
    return [errors.invalid(f"{path}.name", name, msg) for msg in path_segment_name(name)]


def _validate_resource_source(src: Obj, path: str, *, container: bool) -> list[FieldError]:
    out: list[FieldError] = []
    if not _s(src.get("name")):
        out.append(errors.required(f"{path}.name", "must specify a resource name"))
    if container and not _s(src.get("container")):
        out.append(errors.required(f"{path}.container", "must specify a container"))
    target = _d(src.get("target"))
    out.extend(_validate_target(target, f"{path}.target"))
    utilization, average = target.get("averageUtilization"), target.get("averageValue")
    if utilization is None and average is None:
        out.append(
            errors.required(
                f"{path}.target.averageUtilization",
                "must set either a target raw value or a target utilization",
            )
        )
    if utilization is not None and average is not None:
        out.append(
            errors.forbidden(
                f"{path}.target.averageValue",
                "may not set both a target raw value and a target utilization",
            )
        )
    return out


def _validate_source(kind: str, src: Obj, path: str) -> list[FieldError]:
    if kind in ("Resource", "ContainerResource"):
        return _validate_resource_source(src, path, container=kind == "ContainerResource")
    out: list[FieldError] = []
    target = _d(src.get("target"))
    if kind == "Object":
        out.extend(
            validate_cross_version_object_reference(
                _d(src.get("describedObject")), f"{path}.describedObject"
            )
        )
    out.extend(_validate_identifier(_d(src.get("metric")), f"{path}.metric"))
    out.extend(_validate_target(target, f"{path}.target"))
    if kind == "Pods":
        if target.get("averageValue") is None:
            out.append(
                errors.required(
                    f"{path}.target.averageValue", "must specify a positive target averageValue"
                )
            )
    elif target.get("value") is None and target.get("averageValue") is None:
        out.append(
            errors.required(
                f"{path}.target.value", "must set either a target value or averageValue"
            )
        )
    return out


def _validate_metric(metric: Obj, path: str) -> list[FieldError]:
    kind = _s(metric.get("type"))
    out = _check_type(kind, path, _SOURCE_TYPES, "metric source")
    present = [f for f in _SOURCE_FIELDS.values() if metric.get(f) is not None]
    expected = _SOURCE_FIELDS.get(kind, kind[:1].lower() + kind[1:])
    if kind in _SOURCE_FIELDS and expected in present:
        out.extend(_validate_source(kind, _d(metric.get(expected)), f"{path}.{expected}"))
    elif kind:
        out.append(
            errors.required(
                f"{path}.{expected}", "must populate information for the given metric source"
            )
        )
    out.extend(
        errors.forbidden(f"{path}.{field}", "must populate the given metric source only")
        for field in present
        if field != expected
    )
    return out


MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600
_SELECT_POLICIES = ("Disabled", "Max", "Min")
_POLICY_TYPES = ("Percent", "Pods")


def _validate_scaling_policy(policy: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    kind = _s(policy.get("type"))
    if kind not in _POLICY_TYPES:
        out.append(errors.not_supported(f"{path}.type", kind, _POLICY_TYPES))
    value, period = policy.get("value") or 0, policy.get("periodSeconds") or 0
    if value <= 0:
        out.append(errors.invalid(f"{path}.value", value, "must be greater than zero"))
    if period <= 0:
        out.append(errors.invalid(f"{path}.periodSeconds", period, "must be greater than zero"))
    if period > MAX_PERIOD_SECONDS:
        out.append(
            errors.invalid(
                f"{path}.periodSeconds",
                period,
                f"must be less than or equal to {MAX_PERIOD_SECONDS}",
            )
        )
    return out


def _validate_scaling_rules(rules: Any, path: str) -> list[FieldError]:
    """validateScalingRules: one direction of spec.behavior (defaulted before this runs)."""
    if not isinstance(rules, dict):
        return []
    out: list[FieldError] = []
    window = rules.get("stabilizationWindowSeconds")
    if window is not None and window < 0:
        out.append(
            errors.invalid(
                f"{path}.stabilizationWindowSeconds",
                window,
                "must be greater than or equal to zero",
            )
        )
    if window is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        out.append(
            errors.invalid(
                f"{path}.stabilizationWindowSeconds",
                window,
                f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}",
            )
        )
    select = rules.get("selectPolicy")
    if select is not None and select not in _SELECT_POLICIES:
        out.append(errors.not_supported(f"{path}.selectPolicy", select, _SELECT_POLICIES))
    policies = _l(rules.get("policies"))
    if not policies:
        out.append(errors.required(f"{path}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        out.extend(_validate_scaling_policy(_d(policy), f"{path}.policies[{i}]"))
    tolerance = rules.get("tolerance")
    if tolerance is not None and _quantity_sign(tolerance) < 0:
        out.append(
            errors.invalid(f"{path}.tolerance", tolerance, "must be greater than or equal to 0")
        )
    return out


def _validate_behavior(behavior: Any) -> list[FieldError]:
    if not isinstance(behavior, dict):
        return []
    return _validate_scaling_rules(
        behavior.get("scaleUp"), "spec.behavior.scaleUp"
    ) + _validate_scaling_rules(behavior.get("scaleDown"), "spec.behavior.scaleDown")


def _validate_spec(spec: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    if minimum is not None and minimum < 1:
        out.append(
            errors.invalid("spec.minReplicas", minimum, "must be greater than or equal to 1")
        )
    if maximum < 1:
        out.append(errors.invalid("spec.maxReplicas", maximum, "must be greater than 0"))
    if minimum is not None and maximum < minimum:
        out.append(
            errors.invalid(
                "spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"
            )
        )
    out.extend(
        validate_cross_version_object_reference(
            _d(spec.get("scaleTargetRef")), "spec.scaleTargetRef"
        )
    )
    for i, metric in enumerate(_l(spec.get("metrics"))):
        out.extend(_validate_metric(_d(metric), f"spec.metrics[{i}]"))
    out.extend(_validate_behavior(spec.get("behavior")))
    return out


def _validate_status(status: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    for field in ("currentReplicas", "desiredReplicas"):
        value = status.get(field)
        if isinstance(value, int) and value < 0:
            out.append(
                errors.invalid(f"status.{field}", value, "must be greater than or equal to 0")
            )
    return out


def validate_horizontal_pod_autoscaler(obj: Obj) -> list[FieldError]:
    return (
        validate_object_meta(_meta(obj), namespaced=True)
        + _validate_spec(_d(obj.get("spec")))
        + _validate_status(_d(obj.get("status")))
    )


def validate_horizontal_pod_autoscaler_update(new: Obj, old: Obj) -> list[FieldError]:
    return (
        validate_object_meta_update(_meta(new), _meta(old))
        + _validate_spec(_d(new.get("spec")))
        + _validate_status(_d(new.get("status")))
    )


register(
    "autoscaling",
    "HorizontalPodAutoscaler",
    validate_horizontal_pod_autoscaler,
    validate_horizontal_pod_autoscaler_update,
)
