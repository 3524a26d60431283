"""The policy PodDisruptionBudget kind.

Invariants:
- minAvailable and maxUnavailable are exclusive; bad values print as Go's `%#v`.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import validate_label_selector
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.conditions import validate_conditions
from steersman.api.validation.go_values import (
    GoRaw,
    go_ptr,
    is_not_more_than_100_percent,
    validate_positive_int_or_percent,
)
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _l,
    _meta,
    changed,
    label_selector_has_invalid_label_value,
)

_UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def _go_pdb_spec(spec: Obj) -> GoRaw:
    return GoRaw(
        "policy.PodDisruptionBudgetSpec{"
        f"MinAvailable:{go_ptr('intstr.IntOrString', spec.get('minAvailable') is not None)}, "
        f"Selector:{go_ptr('v1.LabelSelector', spec.get('selector') is not None)}, "
        f"MaxUnavailable:{go_ptr('intstr.IntOrString', spec.get('maxUnavailable') is not None)}, "
        "UnhealthyPodEvictionPolicy:"
        f"{go_ptr('policy.UnhealthyPodEvictionPolicyType', spec.get('unhealthyPodEvictionPolicy') is not None)}"
        "}"
    )


def _validate_pdb_spec(spec: Obj, allow_invalid: bool) -> list[FieldError]:
    out: list[FieldError] = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        out.append(
            errors.invalid(
                "spec", _go_pdb_spec(spec), "minAvailable and maxUnavailable cannot be both set"
            )
        )
    for field in ("minAvailable", "maxUnavailable"):
        value = spec.get(field)
        if value is not None:
            out.extend(validate_positive_int_or_percent(value, child("spec", field)))
            out.extend(is_not_more_than_100_percent(value, child("spec", field)))
    selector = spec.get("selector")
    out.extend(
        validate_label_selector(
            selector if isinstance(selector, dict) else None,
            "spec.selector",
            allow_invalid_label_value_in_selector=allow_invalid,
        )
    )
    policy = spec.get("unhealthyPodEvictionPolicy")
    if isinstance(policy, str) and policy not in _UNHEALTHY_POD_EVICTION_POLICIES:
        out.append(
            errors.not_supported(
                "spec.unhealthyPodEvictionPolicy", policy, _UNHEALTHY_POD_EVICTION_POLICIES
            )
        )
    return out


def validate_pod_disruption_budget(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    return out + _validate_pdb_spec(_d(obj.get("spec")), False)


def validate_pod_disruption_budget_update(new: Obj, old: Obj) -> list[FieldError]:
    allow = label_selector_has_invalid_label_value(_d(old.get("spec")).get("selector"))
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(_validate_pdb_spec(_d(new.get("spec")), allow))
    if changed(new.get("status"), old.get("status")):
        status = _d(new.get("status"))
        out.extend(validate_conditions(_l(status.get("conditions")), "status.conditions"))
        for field in ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"):
            out.extend(validate_nonnegative(status.get(field), child("status", field)))
    return out


register(
    "policy",
    "PodDisruptionBudget",
    validate_pod_disruption_budget,
    validate_pod_disruption_budget_update,
)
