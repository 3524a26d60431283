"""Field paths and single-value field checks, worded as apimachinery's `field` package and its
validation helpers.

Invariants:
- `child`, `index` and `key` build paths that render like apimachinery's `field.Path`
  (`spec.containers[0].name`, `metadata.annotations[key]`).
- `validate_*` helpers return `FieldError` lists (empty = valid) with the path they are given;
  they never raise, and `validate_quantity` also returns the parsed value.
- Nothing here mutates its input or imports `common`; `common` re-exports these names.
Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import is_dns1123_subdomain
from steersman.api.quantity import Quantity, quantity_from_json
from steersman.api.validation.formats import is_dns1123_label, is_qualified_name

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"

# ---------------------------------------------------------------------------
# Field paths (field.Path's rendering)


def child(path: str, *names: str) -> str:
    """`path.name`; an empty path yields just the name (field.NewPath)."""
    for name in names:
        path = f"{path}.{name}" if path else name
    return path


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: str) -> str:
    return f"{path}[{k}]"


# ---------------------------------------------------------------------------
# Field-error helpers


def _field_errors(path: str, value: Any, msgs: Sequence[str]) -> list[FieldError]:
    return [errors.invalid(path, value, m) for m in msgs]


def validate_dns1123_label(value: str, path: str) -> list[FieldError]:
    return _field_errors(path, value, is_dns1123_label(value))


def validate_dns1123_subdomain(value: str, path: str) -> list[FieldError]:
    return _field_errors(path, value, is_dns1123_subdomain(value))


def validate_qualified_name(value: str, path: str) -> list[FieldError]:
    return _field_errors(path, value, is_qualified_name(value))


def validate_nonnegative(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return [errors.invalid(path, value, IS_NEGATIVE)]
    return []


def validate_immutable(new: Any, old: Any, path: str) -> list[FieldError]:
    return [] if new == old else [errors.invalid(path, new, FIELD_IMMUTABLE)]


def validate_quantity(value: Any, path: str) -> tuple[Quantity | None, list[FieldError]]:
    """Parse a resource.Quantity from its JSON form.

    Kubernetes rejects an unparsable quantity while decoding (400); we report it as a field
    error with the parser's message instead, so the caller still learns which field it was.
    """
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return quantity_from_json(value), []
        except ValueError as exc:
            return None, [errors.invalid(path, value, str(exc))]
    return None, [errors.invalid(path, value, "must be a quantity")]
