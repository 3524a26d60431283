"""Strategic merge patch as the API server applies it (apimachinery's strategicpatch, apply side).

The schema (a compiled `steersman.api.schema.Node`) plays the Go struct tags: a field's
`x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` say whether a list is merged by
key (maps), unioned (primitives) or replaced; maps merge recursively unless `replace`.

Directives: `$patch: replace|delete` in a map, `{"$patch": "delete", <key>: v}` /
`{"$patch": "replace"}` in a merging list, `$retainKeys`, `$deleteFromPrimitiveList/<f>`,
`$setElementOrder/<f>`; `null` deletes a field. Result order follows Go: `$setElementOrder`,
then the patch's order, then the live object's.

Invariants:
- The inputs are never mutated: both are copied first (Go mutates them in place).
- Behaviour mirrors Go where it is observable, including quirks: values added where the live
  object had nothing keep nested `$setElementOrder`-style keys (decoding later drops them),
  `$patch: replace` keeps the rest of its map unprocessed, and list element order is decided
  by Go's comparator even when it is inconsistent.
- Errors raise `PatchError` (a ValueError, see `patch_error`) with Go's message and the HTTP
  code the API server answers with: 400 for malformed directives, 422 for lists of lists, 500
  for the rest (Go returns them as plain errors). Go's fmt of values is `go_fmt`.
- JSON values keep Go's types: int (int64) and float (float64) differ, bool is not int.

`strategic_merge` holds the entry point, the schema lookups, the map merge with its
directives, `$setElementOrder` and the list merge that recurses into maps (`_merge_slice*`).
The directive keys and the Go equality and errors every part uses are in
`strategic_merge_directives`; the list primitives and the element order of merged lists in
`strategic_merge_lists`.
Pure data: no I/O.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from steersman.api.errors import go_value
from steersman.api.go_fmt import go_sprint, go_type_of
from steersman.api.patch_error import (
    ERR_BAD_JSON_DOC,
    ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST,
    ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS,
    ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST,
    ERR_NO_LIST_OF_LISTS,
    ERR_PATCH_CONTENT_NOT_MATCH_RETAIN_KEYS,
    ERR_UNSUPPORTED_STRATEGIC_MERGE_PATCH_FORMAT,
    GENERIC_422_MESSAGE,
    PatchError,
)
from steersman.api.schema import (
    K_ANY,
    K_ARRAY,
    K_BYTES,
    K_MAP,
    K_OBJECT,
    NO_PATCH_META,
    Node,
    PatchMeta,
    compiled,
    json_kind,
)
from steersman.api.strategic_merge_directives import (
    _MAP_T,
    _SLICE_T,
    DELETE_DIRECTIVE,
    DELETE_FROM_PRIMITIVE_LIST_PREFIX,
    DIRECTIVE_MARKER,
    MERGE_DIRECTIVE,
    REPLACE_DIRECTIVE,
    RETAIN_KEYS_DIRECTIVE,
    RETAIN_KEYS_STRATEGY,
    SET_ELEMENT_ORDER_PREFIX,
    _err_bad_arg_type,
    _err_bad_patch_type,
    _err_no_merge_key,
    _go_eq,
)
from steersman.api.strategic_merge_lists import (
    _deduplicate_scalars,
    _delete_from_slice,
    _extract_to_delete_items,
    _find_map,
    _merge_slice_special,
    _normalize_element_order,
    _partition_maps,
    _partition_primitives,
    _slice_element_is_map,
)

__all__ = [
    "DELETE_DIRECTIVE",
    "DELETE_FROM_PRIMITIVE_LIST_PREFIX",
    "DIRECTIVE_MARKER",
    "ERR_BAD_JSON_DOC",
    "ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST",
    "ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS",
    "ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST",
    "ERR_NO_LIST_OF_LISTS",
    "ERR_PATCH_CONTENT_NOT_MATCH_RETAIN_KEYS",
    "ERR_UNSUPPORTED_STRATEGIC_MERGE_PATCH_FORMAT",
    "GENERIC_422_MESSAGE",
    "MERGE_DIRECTIVE",
    "REPLACE_DIRECTIVE",
    "RETAIN_KEYS_DIRECTIVE",
    "RETAIN_KEYS_STRATEGY",
    "SET_ELEMENT_ORDER_PREFIX",
    "PatchError",
    "apply_strategic_merge_patch",
    "go_sprint",
    "go_type_of",
    "merge_map",
]


# ---------------------------------------------------------------------------
# schema lookups (PatchMetaFromStruct)

_INTERFACE = Node(K_ANY, "interface {}", "interface")
_UINT8 = Node(K_ANY, "uint8", "uint8")


def _lookup_struct(node: Node, key: str) -> tuple[Node, PatchMeta]:
    if node.kind == K_OBJECT:
        f = node.fields.get(key)
        if f is None:  # Go's lookup falls back to a case-insensitive match
            folded = key.casefold()
            f = next((g for name, g in node.fields.items() if name.casefold() == folded), None)
        if f is not None:
            return f.node, f.meta
        raise PatchError(
            f"unable to find api field in struct {node.name} for the json field {go_value(key)}"
        )
    if node.kind == K_MAP:
        assert node.elem is not None
        return node.elem, NO_PATCH_META
    if node.go_kind == "map":
        return _INTERFACE, NO_PATCH_META
    if node.go_kind == "struct":
        raise PatchError(
            f"unable to find api field in struct {node.name} for the json field {go_value(key)}"
        )
    raise PatchError(
        f"merging an object in json but data type is not map or struct, instead is: {node.go_kind}"
    )


def _lookup_slice(node: Node, key: str) -> tuple[Node, PatchMeta]:
    sub, meta = _lookup_struct(node, key)
    if sub.kind == K_ARRAY:
        assert sub.elem is not None
        if sub.elem.kind in (K_ARRAY, K_BYTES):
            raise PatchError("unexpected slice of slice")
        return sub.elem, meta
    if sub.kind == K_BYTES:
        return _UINT8, meta
    raise PatchError(f"expected slice or array type, but got: {node.go_kind}")


def _extract_retain_keys_strategy(strategies: list[str]) -> tuple[bool, str]:
    if len(strategies) == 1:
        return (True, "") if strategies[0] == RETAIN_KEYS_STRATEGY else (False, strategies[0])
    if len(strategies) == 2:
        if strategies[0] == RETAIN_KEYS_STRATEGY:
            return True, strategies[1]
        if strategies[1] == RETAIN_KEYS_STRATEGY:
            return True, strategies[0]
    if not strategies:
        return False, ""
    raise PatchError(f"unexpected patch strategy: {go_sprint(strategies)}")


# ---------------------------------------------------------------------------
# entry point


def _deep_copy(v: Any) -> Any:
    try:
        return orjson.loads(orjson.dumps(v))
    except (TypeError, orjson.JSONEncodeError):
        return copy.deepcopy(v)


def apply_strategic_merge_patch(
    doc: dict[str, Any], patch: Any, schema_name: str
) -> dict[str, Any]:
    """StrategicMergeMapPatch(doc, patch) for the kind whose definition is `schema_name`.

    `patch` is the decoded body; None (a JSON `null`) leaves the document unchanged. Raises
    PatchError (ValueError) with Kubernetes' message.
    """
    node = compiled(schema_name)
    original = _deep_copy(doc)
    if patch is None:
        return original  # type: ignore[no-any-return]
    if not isinstance(patch, dict):
        what = json_kind(patch)
        raise PatchError(
            f"json: cannot unmarshal {what} into Go value of type map[string]interface {{}}", 400
        )
    return merge_map(original, _deep_copy(patch), node)


# ---------------------------------------------------------------------------
# maps


def merge_map(original: dict[str, Any] | None, patch: dict[str, Any], node: Node) -> dict[str, Any]:
    """mergeMap: merge `patch` into `original` (both are mutated; pass copies)."""
    if DIRECTIVE_MARKER in patch:
        return _directive_in_map(patch[DIRECTIVE_MARKER], patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, node)

    for key, pv in list(patch.items()):
        is_delete_list = False
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST_PREFIX):
            key = _extract_key(key, DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            is_delete_list = True
        if pv is None:
            original.pop(key, None)
            continue
        if key not in original or type(original[key]) is not type(pv):
            if not is_delete_list:
                _discard_nulls(pv)
                value, keep = _remove_directives(pv)
                if keep:
                    original[key] = value
                else:
                    original.pop(key, None)
            continue
        ov = original[key]
        if isinstance(ov, dict):
            sub, meta = _lookup_struct(node, key)
            _, strategy = _extract_retain_keys_strategy(meta.strategies)
            original[key] = pv if strategy == REPLACE_DIRECTIVE else merge_map(ov, pv, sub)
        elif isinstance(ov, list):
            sub, meta = _lookup_slice(node, key)
            _, strategy = _extract_retain_keys_strategy(meta.strategies)
            original[key] = _merge_slice_handler(
                ov, pv, sub, strategy, meta.merge_key, is_delete_list
            )
        else:
            value, keep = _remove_directives(pv)
            if keep:
                original[key] = value
            else:
                del original[key]
    return original


def _directive_in_map(directive: Any, patch: dict[str, Any]) -> dict[str, Any]:
    if _go_eq(directive, REPLACE_DIRECTIVE):
        del patch[DIRECTIVE_MARKER]  # the rest of the map is taken as is, directives and all
        return patch
    if _go_eq(directive, DELETE_DIRECTIVE):
        return {}
    raise _err_bad_patch_type(directive, patch)


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if RETAIN_KEYS_DIRECTIVE not in patch:
        return
    retain = patch.pop(RETAIN_KEYS_DIRECTIVE)
    if not isinstance(retain, list):
        raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS)
    keep = {v for v in retain if isinstance(v, str)}  # only strings can equal a field name
    for k, v in patch.items():
        if v is None or k.startswith((DELETE_FROM_PRIMITIVE_LIST_PREFIX, SET_ELEMENT_ORDER_PREFIX)):
            continue
        if k not in keep:
            raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS)
    for k in [k for k in original if k not in keep]:
        del original[k]


def _extract_key(s: str, prefix: str) -> str:
    head, sep, rest = s.partition("/")
    if not sep or head != prefix:
        if prefix == DELETE_FROM_PRIMITIVE_LIST_PREFIX:
            raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST)
        raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST)
    return rest


def _discard_nulls(v: Any) -> None:
    if isinstance(v, dict):
        for k in [k for k, x in v.items() if x is None]:
            del v[k]
        for x in v.values():
            _discard_nulls(x)
    elif isinstance(v, list):
        for x in v:
            _discard_nulls(x)


def _remove_directives(v: Any) -> tuple[Any, bool]:
    """Drop maps carrying `$patch` (and the fields/elements holding them); keep the rest."""
    if isinstance(v, dict):
        if DIRECTIVE_MARKER in v:
            return None, False
        for k in list(v):
            value, keep = _remove_directives(v[k])
            if keep:
                v[k] = value
            else:
                del v[k]
        return v, True
    if isinstance(v, list):
        out = []
        for x in v:
            value, keep = _remove_directives(x)
            if keep:
                out.append(value)
        return out, True
    return v, True


# ---------------------------------------------------------------------------
# $setElementOrder


def _merge_set_element_order(original: dict[str, Any], patch: dict[str, Any], node: Node) -> None:
    """mergePatchIntoOriginal: merge each list named by a $setElementOrder and order it."""
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER_PREFIX)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _err_bad_arg_type(_SLICE_T, order)
        okey = _extract_key(key, SET_ELEMENT_ORDER_PREFIX)
        found_original, found_patch = okey in original, okey in patch
        original_list: list[Any] = []
        patch_list: list[Any] = []
        if found_original:
            if not isinstance(original[okey], list):
                raise _err_bad_arg_type(_SLICE_T, original[okey])
            original_list = original[okey]
        if found_patch:
            if not isinstance(patch[okey], list):
                raise _err_bad_arg_type(_SLICE_T, patch[okey])
            patch_list = patch[okey]
        sub, meta = _lookup_slice(node, okey)
        _, strategy = _extract_retain_keys_strategy(meta.strategies)
        merge_key = meta.merge_key
        _validate_patch_with_set_order_list(patch_list, order, merge_key)

        if found_original and not found_patch:
            merged = original_list
        elif found_patch and not found_original:
            merged = _remove_directives(patch_list)[0]
        elif found_original and found_patch:
            merged = _merge_slice_handler(
                original_list, patch_list, sub, strategy, merge_key, False
            )
        else:
            continue
        if merge_key:
            patch_items, server_only = _partition_maps(merged, order, merge_key)
        else:
            patch_items, server_only = _partition_primitives(merged, order)
        is_map = _slice_element_is_map(original_list, patch_list)
        original[okey] = _normalize_element_order(
            patch_items, server_only, order, original_list, merge_key, is_map
        )
        patch.pop(okey, None)


def _validate_patch_with_set_order_list(
    patch_list: list[Any], order: list[Any], merge_key: str
) -> None:
    if not order or not patch_list:
        return
    non_delete = _extract_to_delete_items(patch_list)[0] if merge_key else patch_list
    pi = si = 0
    while pi < len(non_delete) and si < len(order):
        item = non_delete[pi]
        if isinstance(item, dict) and DIRECTIVE_MARKER in item:
            pi += 1
            continue
        if _merge_key_value_equal(item, order[si], merge_key):
            pi += 1
        si += 1
    if pi < len(non_delete) and si >= len(order):
        raise PatchError(
            f"the order in patch list:\n{go_sprint(patch_list)}\n doesn't match "
            f"{SET_ELEMENT_ORDER_PREFIX} list:\n{go_sprint(order)}"
        )


def _merge_key_value_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _go_eq(left, right)
    if not isinstance(left, dict):
        raise _err_bad_arg_type(_MAP_T, left)
    if not isinstance(right, dict):
        raise _err_bad_arg_type(_MAP_T, right)
    if merge_key not in left:
        raise _err_no_merge_key(left, merge_key)
    if merge_key not in right:
        raise _err_no_merge_key(right, merge_key)
    return _go_eq(left[merge_key], right[merge_key])


# ---------------------------------------------------------------------------
# lists: the merge that recurses into maps (its primitives are in strategic_merge_lists)


def _merge_slice_handler(
    original: list[Any],
    patch: list[Any],
    elem: Node,
    strategy: str,
    merge_key: str,
    is_delete_list: bool,
) -> list[Any]:
    # Delete lists apply whatever the field's strategy is.
    if strategy == MERGE_DIRECTIVE or is_delete_list:
        return _merge_slice(original, patch, elem, merge_key, is_delete_list)
    return patch


def _merge_slice(
    original: list[Any], patch: list[Any], elem: Node, merge_key: str, is_delete_list: bool
) -> list[Any]:
    if not original and not patch:
        return original
    is_map = _slice_element_is_map(original, patch)
    if not is_map:
        if is_delete_list:
            return _delete_from_slice(original, patch)
        merged = _deduplicate_scalars(original + patch)
    else:
        if not merge_key:
            raise PatchError(f"cannot merge lists without merge key for {elem.go_kind}")
        original, patch = _merge_slice_special(original, patch, merge_key)
        merged = _merge_slice_plain(original, patch, merge_key, elem)
    if merge_key:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    else:
        patch_items, server_only = _partition_primitives(merged, patch)
    return _normalize_element_order(patch_items, server_only, patch, original, merge_key, is_map)


def _merge_slice_plain(
    original: list[Any], patch: list[Any], merge_key: str, elem: Node
) -> list[Any]:
    merged = list(original)
    for v in patch:
        if merge_key not in v:
            raise _err_no_merge_key(v, merge_key)
        i = _find_map(merged, merge_key, v[merge_key])
        if i >= 0:
            merged[i] = merge_map(merged[i], v, elem)
        else:
            merged.append(v)
    return merged
