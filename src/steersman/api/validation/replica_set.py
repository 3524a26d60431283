"""The apps/v1 ReplicaSet kind.

Invariants:
- An empty selector is "invalid for deployment" (upstream's wording, reused for ReplicaSets);
  a template with `activeDeadlineSeconds` is "not Supported"; the selector is immutable.
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
from steersman.api.validation.go_values import go_label_selector
from steersman.api.validation.helpers import Obj, _d, _meta, changed
from steersman.api.validation.workload import (
    _nonneg_fields,
    _not_above,
    _selector_immutable,
    _selector_parses,
    _validate_required_selector,
    _validate_template_for_replica_set,
)


def validate_replica_set_spec(spec: Obj, path: str = "spec") -> list[FieldError]:
    """ValidateReplicaSetSpec (its empty-selector message says "deployment", as upstream's)."""
    out = validate_nonnegative(spec.get("replicas"), child(path, "replicas"))
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(_validate_required_selector(spec, path, "deployment"))
    if _selector_parses(spec.get("selector")):
        out.extend(_validate_template_for_replica_set(spec, path))
    else:
        bad = go_label_selector(spec.get("selector"))
        out.append(errors.invalid(child(path, "selector"), bad, "invalid label selector"))
    return out


def _validate_replica_set_status(status: Obj) -> list[FieldError]:
    fields = (
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
    )
    out = _nonneg_fields(status, "status", (*fields, "terminatingReplicas"))
    out.extend(
        _not_above(
            status,
            "status",
            ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"),
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


def validate_replica_set(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_replica_set_spec(_d(obj.get("spec"))))
    return out


def validate_replica_set_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_replica_set_spec(_d(new.get("spec"))))
    out.extend(_selector_immutable(new, old))
    if changed(new.get("status"), old.get("status")):
        out.extend(_validate_replica_set_status(_d(new.get("status"))))
    return out


register("apps", "ReplicaSet", validate_replica_set, validate_replica_set_update)
