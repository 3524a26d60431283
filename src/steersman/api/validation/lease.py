"""The coordination.k8s.io Lease kind.

Invariants:
- leaseDurationSeconds must be positive and leaseTransitions non-negative; a strategy without
  a `/` must be one Kubernetes knows, and preferredHolder needs a strategy.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    is_qualified_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _i, _meta, _name_errs, _s

_LEASE_STRATEGIES = ("OldestEmulationVersion",)


def _validate_lease_spec(spec: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and _i(duration) <= 0:
        out.append(errors.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if transitions is not None and _i(transitions) < 0:
        out.append(
            errors.invalid(
                "spec.leaseTransitions", transitions, "must be greater than or equal to 0"
            )
        )
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        if "/" not in strategy:
            if strategy not in _LEASE_STRATEGIES:
                out.append(errors.not_supported("spec.strategy", strategy, _LEASE_STRATEGIES))
        else:
            out.extend(_name_errs("spec.strategy", strategy, is_qualified_name(strategy)))
    if _s(spec.get("preferredHolder")) and not _s(strategy):
        out.append(
            errors.forbidden(
                "spec.preferredHolder", "may only be specified if `strategy` is defined"
            )
        )
    return out


def validate_lease(obj: Obj) -> list[FieldError]:
    return validate_object_meta(_meta(obj), namespaced=True) + _validate_lease_spec(
        _d(obj.get("spec"))
    )


def validate_lease_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + _validate_lease_spec(
        _d(new.get("spec"))
    )


register("coordination.k8s.io", "Lease", validate_lease, validate_lease_update)
