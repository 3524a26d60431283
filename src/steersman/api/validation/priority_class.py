"""The scheduling.k8s.io PriorityClass kind.

Invariants:
- Only the system classes may use the `system-` prefix or values above
  HIGHEST_USER_DEFINABLE_PRIORITY.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import _immutable
from steersman.api.validation.helpers import Obj, _i, _meta, _s

SYSTEM_PRIORITY_CLASS_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
# name -> (value, globalDefault) of the classes Kubernetes creates itself.
SYSTEM_PRIORITY_CLASSES = {
    "system-node-critical": (SYSTEM_CRITICAL_PRIORITY + 1000, False),
    "system-cluster-critical": (SYSTEM_CRITICAL_PRIORITY, False),
}


def _system_class_error(name: str, value: int, global_default: bool) -> str | None:
    known = SYSTEM_PRIORITY_CLASSES.get(name)
    if known is None:
        return f"{name} is not a known system priority class"
    if known[0] != value:
        return f"value of {name} PriorityClass must be {known[0]}"
    if known[1] != global_default:
        return f"globalDefault of {name} PriorityClass must be {'true' if known[1] else 'false'}"
    return None


def validate_priority_class(obj: Obj) -> list[FieldError]:
    meta = _meta(obj)
    out = validate_object_meta(meta, namespaced=False)
    name, value = _s(meta.get("name")), _i(obj.get("value"))
    if name.startswith(SYSTEM_PRIORITY_CLASS_PREFIX):
        err = _system_class_error(name, value, obj.get("globalDefault") is True)
        if err is not None:
            msg = (
                f"priority class names with '{SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for "
                f"system use only. error: {err}"
            )
            out.append(errors.forbidden("metadata.name", msg))
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        msg = (
            f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
        )
        out.append(errors.forbidden("value", msg))
    policy = obj.get("preemptionPolicy")
    if isinstance(policy, str):
        if policy == "":
            out.append(errors.required("preemptionPolicy"))
        elif policy not in ("PreemptLowerPriority", "Never"):
            out.append(
                errors.not_supported("preemptionPolicy", policy, ["PreemptLowerPriority", "Never"])
            )
    return out


def validate_priority_class_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    if _i(new.get("value")) != _i(old.get("value")):
        out.append(errors.forbidden("value", "may not be changed in an update."))
    out.extend(
        _immutable(new.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy")
    )
    return out


register(
    "scheduling.k8s.io", "PriorityClass", validate_priority_class, validate_priority_class_update
)
