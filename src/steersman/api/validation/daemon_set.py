"""The apps/v1 DaemonSet kind.

Invariants:
- The template's restart policy must be Always; an unset selector is reported only as not
  matching the template; the selector is immutable.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    validate_label_selector,
)
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import (
    GoRaw,
    get_int_or_percent_value,
    go_int_or_string,
    go_label_selector,
    go_ptr,
    is_not_more_than_100_percent,
    validate_positive_int_or_percent,
)
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _l,
    _meta,
    _s,
    changed,
    label_selector_has_invalid_label_value,
)
from steersman.api.validation.pod_template import validate_pod_template_spec
from steersman.api.validation.workload import (
    _collision_decremented,
    _nonneg_fields,
    _restart_always,
    _selector_immutable,
    validate_selector_matches_template,
)


def _validate_rolling_update_daemon_set(ru: Obj, path: str) -> list[FieldError]:
    unavailable, surge = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    up, sp = child(path, "maxUnavailable"), child(path, "maxSurge")
    out = validate_positive_int_or_percent(unavailable, up)
    out.extend(validate_positive_int_or_percent(surge, sp))
    out.extend(is_not_more_than_100_percent(unavailable, up))
    out.extend(is_not_more_than_100_percent(surge, sp))
    has_unavailable = get_int_or_percent_value(unavailable) != 0
    has_surge = get_int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        out.append(
            errors.invalid(
                sp, go_int_or_string(surge), "may not be set when maxUnavailable is non-zero"
            )
        )
    elif not has_unavailable and not has_surge:
        out.append(errors.required(up, "cannot be 0 when maxSurge is 0"))
    return out


def _validate_daemon_set_update_strategy(strategy: Obj, path: str) -> list[FieldError]:
    kind = _s(strategy.get("type"))
    ru = strategy.get("rollingUpdate")
    if kind == "OnDelete":
        return []
    if kind == "RollingUpdate":
        if not isinstance(ru, dict):
            return [errors.required(child(path, "rollingUpdate"))]
        return _validate_rolling_update_daemon_set(ru, child(path, "rollingUpdate"))
    bad = GoRaw(
        f"apps.DaemonSetUpdateStrategy{{Type:{errors.go_value(kind)}, "
        f"RollingUpdate:{go_ptr('apps.RollingUpdateDaemonSet', isinstance(ru, dict))}}}"
    )
    return [errors.not_supported(path, bad, ["RollingUpdate", "OnDelete"])]


def validate_daemon_set_spec(
    spec: Obj, path: str = "spec", *, allow_invalid_values: bool = False
) -> list[FieldError]:
    """ValidateDaemonSetSpec (an unset selector is only reported as not matching)."""
    selector = spec.get("selector")
    sp = child(path, "selector")
    out = validate_label_selector(
        selector if isinstance(selector, dict) else None,
        sp,
        allow_invalid_label_value_in_selector=allow_invalid_values,
    )
    template = _d(spec.get("template"))
    out.extend(validate_selector_matches_template(selector, template, child(path, "template")))
    sel = _d(selector)
    if (
        isinstance(selector, dict)
        and not _d(sel.get("matchLabels"))
        and not _l(sel.get("matchExpressions"))
    ):
        out.append(
            errors.invalid(
                sp, go_label_selector(selector), "empty selector is invalid for daemonset"
            )
        )
    out.extend(validate_pod_template_spec(template, child(path, "template")))
    out.extend(
        _restart_always(_d(template.get("spec")), child(path, "template", "spec"), "DaemonSet")
    )
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(
        _validate_daemon_set_update_strategy(
            _d(spec.get("updateStrategy")), child(path, "updateStrategy")
        )
    )
    out.extend(
        validate_nonnegative(spec.get("revisionHistoryLimit"), child(path, "revisionHistoryLimit"))
    )
    return out


_DAEMON_SET_STATUS_COUNTS = (
    "currentNumberScheduled",
    "numberMisscheduled",
    "desiredNumberScheduled",
    "numberReady",
    "observedGeneration",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
    "collisionCount",
)


def validate_daemon_set(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_daemon_set_spec(_d(obj.get("spec"))))
    return out


def validate_daemon_set_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    allow = label_selector_has_invalid_label_value(_d(old.get("spec")).get("selector"))
    out.extend(validate_daemon_set_spec(_d(new.get("spec")), allow_invalid_values=allow))
    out.extend(_selector_immutable(new, old))
    if changed(new.get("status"), old.get("status")):
        out.extend(_nonneg_fields(_d(new.get("status")), "status", _DAEMON_SET_STATUS_COUNTS))
        out.extend(_collision_decremented(new, old))
    return out


register("apps", "DaemonSet", validate_daemon_set, validate_daemon_set_update)
