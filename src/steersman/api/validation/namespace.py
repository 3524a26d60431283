"""The Namespace and ServiceAccount kinds (core/v1).

Invariants:
- On update, changed `spec.finalizers` (a /finalize write) must be Kubernetes finalizer names,
  and a changed status phase must agree with `deletionTimestamp`.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    is_dns1123_label,
    validate_kube_finalizer_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _l, _meta, _s, _semantic_equal


def validate_namespace(ns: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(ns), namespaced=False, name_validator=is_dns1123_label)
    for f in _l(_d(ns.get("spec")).get("finalizers")):
        out.extend(validate_kube_finalizer_name(_s(f), "spec.finalizers"))
    return out


def validate_namespace_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    new_finalizers = _l(_d(new.get("spec")).get("finalizers"))
    if new_finalizers != _l(_d(old.get("spec")).get("finalizers")):
        # A /finalize write.
        for i, f in enumerate(new_finalizers):
            out.extend(validate_kube_finalizer_name(_s(f), f"spec.finalizers[{i}]"))
    if not _semantic_equal(new.get("status"), old.get("status")):
        phase = _s(_d(new.get("status")).get("phase"))
        if not _meta(new).get("deletionTimestamp"):
            if phase != "Active":
                out.append(
                    errors.invalid(
                        "status.Phase",
                        phase,
                        "may only be 'Active' if `deletionTimestamp` is empty",
                    )
                )
        elif phase != "Terminating":
            out.append(
                errors.invalid(
                    "status.Phase",
                    phase,
                    "may only be 'Terminating' if `deletionTimestamp` is not empty",
                )
            )
    return out


def validate_service_account(sa: Obj) -> list[FieldError]:
    return validate_object_meta(_meta(sa), namespaced=True)


def validate_service_account_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + validate_service_account(new)


register("", "Namespace", validate_namespace, validate_namespace_update)
register("", "ServiceAccount", validate_service_account, validate_service_account_update)
