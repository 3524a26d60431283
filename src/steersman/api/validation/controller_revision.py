"""The apps/v1 ControllerRevision kind.

Invariants:
- `data` is required and immutable; it prints as Go prints a `runtime.RawExtension`.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    is_dns1123_subdomain,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import go_raw_extension
from steersman.api.validation.helpers import Obj, _meta


def validate_controller_revision(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True, name_validator=is_dns1123_subdomain)
    if obj.get("data") is None:
        out.append(errors.required("data", "data is mandatory"))
    out.extend(validate_nonnegative(obj.get("revision"), "revision"))
    return out


def validate_controller_revision_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_controller_revision(new))
    if new.get("data") != old.get("data"):
        out.append(errors.invalid("data", go_raw_extension(new.get("data")), FIELD_IMMUTABLE))
    return out


register(
    "apps", "ControllerRevision", validate_controller_revision, validate_controller_revision_update
)
