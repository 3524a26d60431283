"""List primitives of strategic merge patch: `$patch` elements, primitive sets, element order.

`strategic_merge` merges lists with these (its `_merge_slice*` recurse into `merge_map`, so
they stay there); nothing here calls back into it.

Invariants:
- Input lists may be mutated or returned as they are: `strategic_merge` passes copies.
- Elements compare as Go's `==` on interface{} values (`_go_eq`, hashed via `_hkey`): same
  dynamic type and equal value, so 1 != 1.0 and true != 1.
- `_normalize_element_order` is Go's order: patch items in the patch's (or
  `$setElementOrder`'s) order with `$patch: delete` maps after them, server-only items in the
  live order, the two interleaved as mergeSortedSlice does; where Go's comparator is
  inconsistent its insertion sort is replayed, not "fixed".
- Errors raise `PatchError` with Go's message (422 for lists of lists, 500 otherwise).
Pure data: no I/O.
"""

from __future__ import annotations

from typing import Any

from steersman.api.go_fmt import go_sprint
from steersman.api.patch_error import ERR_NO_LIST_OF_LISTS, PatchError
from steersman.api.strategic_merge_directives import (
    _MAP_T,
    DELETE_DIRECTIVE,
    DIRECTIVE_MARKER,
    MERGE_DIRECTIVE,
    REPLACE_DIRECTIVE,
    _err_bad_arg_type,
    _err_bad_patch_type,
    _err_no_merge_key,
    _go_eq,
    _hkey,
)

# ---------------------------------------------------------------------------
# merging lists: element types, `$patch` elements, primitives


def _slice_element_is_map(*lists: list[Any]) -> bool:
    """sliceElementType: all elements share one Go type, which is not a list."""
    prev: type | None = None
    for items in lists:
        for v in items:
            cur = type(v)
            if prev is None:
                prev = cur
                if cur is list:
                    raise PatchError(ERR_NO_LIST_OF_LISTS)
            elif cur is not prev:
                rendered = "[" + " ".join(go_sprint(s) for s in lists) + "]"
                raise PatchError(f"list element types are not identical: {rendered}")
    if prev is None:
        raise PatchError("no elements in any of the given slices")
    return prev is dict


def _merge_slice_special(
    original: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any]]:
    """Apply `$patch` elements: delete by key, or replace the whole list."""
    plain: list[Any] = []
    replace = False
    for v in patch:
        if DIRECTIVE_MARKER not in v:
            plain.append(v)
            continue
        directive = v[DIRECTIVE_MARKER]
        if _go_eq(directive, DELETE_DIRECTIVE):
            if merge_key not in v:
                raise _err_no_merge_key(v, merge_key)
            original = _delete_matching(original, merge_key, v[merge_key])
        elif _go_eq(directive, REPLACE_DIRECTIVE):
            replace = True  # keep scanning: later $patch elements are dropped too
        elif _go_eq(directive, MERGE_DIRECTIVE):
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise _err_bad_patch_type(directive, v)
    if replace:
        return plain, []
    return original, plain


def _find_map(items: list[Any], key: str, value: Any) -> int:
    """findMapInSliceBasedOnKeyValue: index of the first map whose `key` equals value, or -1."""
    for i, v in enumerate(items):
        if not isinstance(v, dict):
            raise PatchError(f"value for key {i} is not a map")
        if key in v and _go_eq(v[key], value):
            return i
    return -1


def _delete_matching(original: list[Any], key: str, value: Any) -> list[Any]:
    for i, v in enumerate(original):  # validates every element, as the Go loop does
        if not isinstance(v, dict):
            raise PatchError(f"value for key {i} is not a map")
    return [v for v in original if not (key in v and _go_eq(v[key], value))]


def _delete_from_slice(current: list[Any], to_delete: list[Any]) -> list[Any]:
    keys = {_hkey(v) for v in to_delete} - {None}
    return [v for v in current if _hkey(v) not in keys]


def _deduplicate_scalars(s: list[Any]) -> list[Any]:
    """Go's in-place de-duplication (it moves the last element into each hole)."""
    hashed = [_hkey(v) for v in s]
    if None not in hashed and len(set(hashed)) == len(s):
        return s
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _go_eq(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


# ---------------------------------------------------------------------------
# order of the merged list


def _partition_primitives(items: list[Any], by: list[Any]) -> tuple[list[Any], list[Any]]:
    keys = {_hkey(v) for v in by} - {None}
    present = [v for v in items if _hkey(v) in keys]
    absent = [v for v in items if _hkey(v) not in keys]
    return present, absent


def _partition_maps(items: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    present: list[Any] = []
    absent: list[Any] = []
    for v in items:
        if not isinstance(v, dict):
            raise _err_bad_arg_type(_MAP_T, v)
        if merge_key not in v:
            raise _err_no_merge_key(v, merge_key)
        (present if _find_map(by, merge_key, v[merge_key]) >= 0 else absent).append(v)
    return present, absent


def _extract_to_delete_items(items: list[Any]) -> tuple[list[Any], list[Any]]:
    keep: list[Any] = []
    delete: list[Any] = []
    for v in items:
        if not isinstance(v, dict):
            raise _err_bad_arg_type(_MAP_T, v)
        if DIRECTIVE_MARKER in v and _go_eq(v[DIRECTIVE_MARKER], DELETE_DIRECTIVE):
            delete.append(v)
        else:
            keep.append(v)
    return keep, delete


class _Positions:
    """index(): position of an item's merge-key value (or the item) in an order list, or -1."""

    __slots__ = ("_first", "_items", "_key", "_map")

    def __init__(self, order: list[Any], merge_key: str, is_map: bool) -> None:
        self._key = merge_key
        self._map = is_map
        self._items = [self._val(v) for v in order]
        self._first: dict[Any, int] = {}
        for i, v in enumerate(self._items):
            self._first.setdefault(_hkey(v), i)

    def _val(self, item: Any) -> Any:
        if self._map:
            return item.get(self._key) if isinstance(item, dict) else None
        return item

    def index(self, item: Any) -> int:
        v = self._val(item)
        h = _hkey(v)
        if h is not None:
            return self._first.get(h, -1)
        return next((i for i, x in enumerate(self._items) if _go_eq(x, v)), -1)


def _normalize_slice_order(
    items: list[Any], order: list[Any], merge_key: str, is_map: bool
) -> list[Any]:
    delete: list[Any] = []
    if is_map:
        for lst in (items, order):
            for v in lst:
                if not isinstance(v, dict):
                    raise _err_bad_arg_type(_MAP_T, v)
                if merge_key not in v:
                    raise _err_no_merge_key(v, merge_key)
        items, delete = _extract_to_delete_items(items)
    pos = _Positions(order, merge_key, is_map)
    idx = [pos.index(v) for v in items]
    if all(i >= 0 for i in idx):
        ranked = sorted(range(len(items)), key=idx.__getitem__)  # stable, like SliceStable
        return [items[i] for i in ranked] + delete
    # Go's comparator says "less" whenever either side is missing: not a strict order, so
    # replay its insertion sort (what SliceStable runs on blocks of up to 20 elements).
    pairs = list(zip(idx, items, strict=True))
    for i in range(1, len(pairs)):
        j = i
        while j > 0:
            a, b = pairs[j][0], pairs[j - 1][0]
            if a >= 0 and b >= 0 and not a < b:
                break
            pairs[j], pairs[j - 1] = pairs[j - 1], pairs[j]
            j -= 1
    return [v for _, v in pairs] + delete


def _normalize_element_order(
    patch: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    merge_key: str,
    is_map: bool,
) -> list[Any]:
    patch = _normalize_slice_order(patch, patch_order, merge_key, is_map)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, is_map)
    # mergeSortedSlice: a server-only item goes first only if the live order puts it before
    # the next patch item (both must be found there).
    pos = _Positions(server_order, merge_key, is_map)
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(patch):
        if i >= len(server_only):
            out.append(patch[j])
            j += 1
        elif j >= len(patch):
            out.append(server_only[i])
            i += 1
        else:
            li, ri = pos.index(server_only[i]), pos.index(patch[j])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch[j])
                j += 1
    return out
