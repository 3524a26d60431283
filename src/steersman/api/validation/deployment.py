"""The apps/v1 Deployment kind.

Invariants:
- A Deployment's empty selector is "invalid for deployment"; one registered validator serves
  both main-resource and `/status` writes.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
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
from steersman.api.validation.helpers import Obj, _d, _i, _meta, _s, changed
from steersman.api.validation.workload import (
    _collision_decremented,
    _nonneg_fields,
    _not_above,
    _selector_immutable,
    _selector_parses,
    _validate_required_selector,
    _validate_template_for_replica_set,
)


def _validate_rolling_update_deployment(ru: Obj, path: str) -> list[FieldError]:
    unavailable, surge = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    out = validate_positive_int_or_percent(unavailable, child(path, "maxUnavailable"))
    out.extend(validate_positive_int_or_percent(surge, child(path, "maxSurge")))
    if get_int_or_percent_value(unavailable) == 0 and get_int_or_percent_value(surge) == 0:
        out.append(
            errors.invalid(
                child(path, "maxUnavailable"),
                go_int_or_string(unavailable),
                "may not be 0 when `maxSurge` is 0",
            )
        )
    out.extend(is_not_more_than_100_percent(unavailable, child(path, "maxUnavailable")))
    return out


def _validate_deployment_strategy(strategy: Obj, path: str) -> list[FieldError]:
    kind = _s(strategy.get("type"))
    ru = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if ru is not None:
            return [
                errors.forbidden(
                    child(path, "rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        if not isinstance(ru, dict):
            return [
                errors.required(
                    child(path, "rollingUpdate"), "this should be defaulted and never be nil"
                )
            ]
        return _validate_rolling_update_deployment(ru, child(path, "rollingUpdate"))
    bad = GoRaw(
        f"apps.DeploymentStrategy{{Type:{errors.go_value(kind)}, "
        f"RollingUpdate:{go_ptr('apps.RollingUpdateDeployment', isinstance(ru, dict))}}}"
    )
    return [errors.not_supported(path, bad, ["Recreate", "RollingUpdate"])]


def validate_deployment_spec(spec: Obj, path: str = "spec") -> list[FieldError]:
    """ValidateDeploymentSpec."""
    out = validate_nonnegative(spec.get("replicas"), child(path, "replicas"))
    out.extend(_validate_required_selector(spec, path, "deployment"))
    if _selector_parses(spec.get("selector")):
        out.extend(_validate_template_for_replica_set(spec, path))
    else:
        bad = go_label_selector(spec.get("selector"))
        out.append(errors.invalid(child(path, "selector"), bad, "invalid label selector"))
    out.extend(_validate_deployment_strategy(_d(spec.get("strategy")), child(path, "strategy")))
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(
        validate_nonnegative(spec.get("revisionHistoryLimit"), child(path, "revisionHistoryLimit"))
    )
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool):
        pp = child(path, "progressDeadlineSeconds")
        out.extend(validate_nonnegative(deadline, pp))
        if deadline <= _i(spec.get("minReadySeconds")):
            out.append(errors.invalid(pp, deadline, "must be greater than minReadySeconds"))
    return out


_DEPLOYMENT_STATUS_COUNTS = (
    "observedGeneration",
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "terminatingReplicas",
    "collisionCount",
)


def _validate_deployment_status(status: Obj) -> list[FieldError]:
    out = _nonneg_fields(status, "status", _DEPLOYMENT_STATUS_COUNTS)
    out.extend(
        _not_above(
            status,
            "status",
            ("updatedReplicas", "readyReplicas", "availableReplicas"),
            "replicas",
            "cannot be greater than status.replicas",
        )
    )
    out.extend(
        _not_above(
            status,
            "status",
            ("availableReplicas",),
            "readyReplicas",
            "cannot be greater than readyReplicas",
        )
    )
    return out


def validate_deployment(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_deployment_spec(_d(obj.get("spec"))))
    return out


def validate_deployment_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_deployment_spec(_d(new.get("spec"))))
    out.extend(_selector_immutable(new, old))
    if changed(new.get("status"), old.get("status")):
        out.extend(_validate_deployment_status(_d(new.get("status"))))
        out.extend(_collision_decremented(new, old))
    return out


register("apps", "Deployment", validate_deployment, validate_deployment_update)
