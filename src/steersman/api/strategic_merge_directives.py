"""The vocabulary the parts of strategic merge patch share: directive keys, Go's equality, errors.

Invariants:
- The directive keys and strategy names are apimachinery's strategicpatch constants, spelled
  as Go spells them; `strategic_merge` re-exports them as its public names.
- `_go_eq` is Go's `==` on interface{} values (same dynamic type and equal value: 1 != 1.0,
  true != 1); `_hkey` is a hashable key with that same equality, or None for maps and lists.
- The `_err_*` constructors word their `PatchError`s (HTTP 500) exactly as Go's
  strategicpatch errors read.
Pure data: no I/O.
"""

from __future__ import annotations

from typing import Any

from steersman.api.go_fmt import go_s, go_sprint, go_type_of
from steersman.api.patch_error import PatchError

DIRECTIVE_MARKER = "$patch"
DELETE_DIRECTIVE = "delete"
REPLACE_DIRECTIVE = "replace"
MERGE_DIRECTIVE = "merge"
RETAIN_KEYS_STRATEGY = "retainKeys"
RETAIN_KEYS_DIRECTIVE = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST_PREFIX = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER_PREFIX = "$setElementOrder"


def _err_bad_arg_type(expected: str, actual: Any) -> PatchError:
    return PatchError(f"expected a {expected}, but received a {go_type_of(actual)}")


def _err_no_merge_key(m: dict[str, Any], key: str) -> PatchError:
    return PatchError(f"map: {go_sprint(m)} does not contain declared merge key: {key}")


def _err_bad_patch_type(t: Any, m: dict[str, Any]) -> PatchError:
    return PatchError(f"unknown patch type: {go_s(t)} in map: {go_sprint(m)}")


_MAP_T = "map[string]interface {}"
_SLICE_T = "[]interface {}"


def _go_eq(a: Any, b: Any) -> bool:
    """Go's == on interface{} values: same dynamic type and equal value."""
    return type(a) is type(b) and a == b


def _hkey(v: Any) -> Any:
    """A dict key with Go's interface equality, or None for values Go cannot compare."""
    if isinstance(v, dict | list):
        return None
    return (type(v), v)
