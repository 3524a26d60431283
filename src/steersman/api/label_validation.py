"""Label key, label value and metav1.LabelSelector validation, worded as apimachinery's.

Invariants:
- `is_label_key`, `is_label_value` and `is_dns1123_subdomain` return the messages of
  apimachinery's util/validation and api/validate/content (empty when the value is valid);
  `regex_error` and `max_len_error` build those messages, Go's double spaces included.
- `validate_label_selector` reports what meta/v1 validation's `ValidateLabelSelector` does, in
  its order: matchLabels, then each matchExpressions[i] (operator and values, key, values).
- Nothing here depends on the selector types in `labels`; `labels` builds on this module.
Pure data: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError

# ---------------------------------------------------------------------------
# apimachinery validation wording (util/validation and api/validate/content)

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character"
)
_LABEL_KEY_RE = re.compile("^" + _LABEL_KEY_FMT + "$")
_DNS1123_SUBDOMAIN_RE = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
LABEL_KEY_MAX_LENGTH = 63
LABEL_VALUE_MAX_LENGTH = 63
DNS1123_SUBDOMAIN_MAX_LENGTH = 253


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError: the message, examples and the regex (note Go's double spaces)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def is_dns1123_subdomain(value: str) -> list[str]:
    errs: list[str] = []
    if len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if _DNS1123_SUBDOMAIN_RE.fullmatch(value) is None:
        errs.append(regex_error(_DNS1123_SUBDOMAIN_ERR, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_label_key(value: str) -> list[str]:
    """content.IsLabelKey (a.k.a. IsQualifiedName): an optional DNS-subdomain prefix and a name."""
    errs: list[str] = []
    prefix, slash, suffix = value.partition("/")
    if not slash:
        name = value
    elif "/" in suffix:
        return [
            "a valid label key "
            + regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    else:
        name = suffix
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > LABEL_KEY_MAX_LENGTH:
        errs.append("name part " + max_len_error(LABEL_KEY_MAX_LENGTH))
    if _LABEL_KEY_RE.fullmatch(name) is None:
        errs.append(
            "name part "
            + regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_label_value(value: str) -> list[str]:
    """validation.IsValidLabelValue."""
    errs: list[str] = []
    if len(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if value and _LABEL_KEY_RE.fullmatch(value) is None:
        errs.append(regex_error(_LABEL_VALUE_ERR, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


# ---------------------------------------------------------------------------
# Validation of metav1.LabelSelector (apimachinery/pkg/apis/meta/v1/validation)


def validate_label_name(name: str, path: str) -> list[FieldError]:
    return [errors.invalid(path, name, msg) for msg in is_label_key(name)]


def validate_labels(labels: Mapping[str, str] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for k, v in (labels or {}).items():
        out.extend(validate_label_name(k, path))
        out.extend(errors.invalid(path, v, msg) for msg in is_label_value(v))
    return out


def validate_label_selector(
    selector: Mapping[str, Any] | None,
    path: str,
    *,
    allow_invalid_label_value_in_selector: bool = False,
) -> list[FieldError]:
    """ValidateLabelSelector: matchLabels, then each matchExpressions[i]."""
    if selector is None:
        return []
    out = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        out.extend(
            _validate_requirement(
                expr, f"{path}.matchExpressions[{i}]", allow_invalid_label_value_in_selector
            )
        )
    return out


def _validate_requirement(
    expr: Mapping[str, Any], path: str, allow_invalid_values: bool
) -> list[FieldError]:
    out: list[FieldError] = []
    op = expr.get("operator", "")
    values: list[str] = list(expr.get("values") or [])
    if op in ("In", "NotIn"):
        if not values:
            out.append(
                errors.required(
                    f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            out.append(
                errors.forbidden(
                    f"{path}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    else:
        out.append(errors.invalid(f"{path}.operator", op, "not a valid selector operator"))
    out.extend(validate_label_name(expr.get("key", ""), f"{path}.key"))
    if not allow_invalid_values:
        for i, v in enumerate(values):
            out.extend(errors.invalid(f"{path}.values[{i}]", v, msg) for msg in is_label_value(v))
    return out
