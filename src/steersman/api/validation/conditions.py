"""metav1.Condition lists (apimachinery's ValidateConditions).

Invariants:
- Reasons and messages are bounded as Kubernetes bounds them; types must be unique.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import regex_error
from steersman.api.validation.common import (
    child,
    index,
    validate_label_name,
)
from steersman.api.validation.helpers import Obj, _d, _i, _s

_CONDITION_STATUSES = ("False", "True", "Unknown")
_REASON_FMT = "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?"
_REASON_ERR = (
    "a condition reason must start with alphabetic character, optionally followed by a string "
    "of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'"
)
_MAX_REASON_LENGTH = 1024
_MAX_CONDITION_MESSAGE_LENGTH = 32768


def validate_condition(condition: Obj, path: str) -> list[FieldError]:
    out = validate_label_name(_s(condition.get("type")), child(path, "type"))
    status = _s(condition.get("status"))
    if status not in _CONDITION_STATUSES:
        out.append(errors.not_supported(child(path, "status"), status, _CONDITION_STATUSES))
    generation = condition.get("observedGeneration")
    if _i(generation) < 0:
        msg = "must be greater than or equal to zero"
        out.append(errors.invalid(child(path, "observedGeneration"), generation, msg))
    if not condition.get("lastTransitionTime"):
        out.append(errors.required(child(path, "lastTransitionTime"), "must be set"))
    reason = _s(condition.get("reason"))
    if not reason:
        out.append(errors.required(child(path, "reason"), "must be set"))
    else:
        if re.fullmatch(_REASON_FMT, reason) is None:
            out.append(
                errors.invalid(child(path, "reason"), reason, regex_error(_REASON_ERR, _REASON_FMT))
            )
        if len(reason) > _MAX_REASON_LENGTH:
            out.append(errors.too_long(child(path, "reason"), _MAX_REASON_LENGTH))
    if len(_s(condition.get("message"))) > _MAX_CONDITION_MESSAGE_LENGTH:
        out.append(errors.too_long(child(path, "message"), _MAX_CONDITION_MESSAGE_LENGTH))
    return out


def validate_conditions(conditions: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for i, condition in enumerate(conditions):
        kind = _s(_d(condition).get("type"))
        if kind in seen:
            out.append(errors.duplicate(child(index(path, i), "type"), kind))
        seen.add(kind)
        out.extend(validate_condition(_d(condition), index(path, i)))
    return out
