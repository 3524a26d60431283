"""PATCH for every resource: apply a JSON, merge or strategic-merge patch to the stored
object and write the result through the registry's update path.

Invariants:
- The patch applies to the object as read at revision R and the write is a CAS on R; on a
  conflict the whole patch is re-applied to a fresh read (so patches never lose updates).
- If the patched object carries a resourceVersion different from R, the client asked for an
  optimistic lock that failed: 409 Conflict.
- A patch that cannot apply is 4xx; the stored object is untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from steersman.api import errors, patch
from steersman.api.strategic_merge import PatchError
from steersman.apiserver import codec, negotiation
from steersman.apiserver.handlers.body import check_schema
from steersman.apiserver.registry import Registry, WriteOptions
from steersman.storage.interface import ConflictError

_MAX_RETRIES = 16


def parse_patch(raw: bytes, patch_type: str) -> Any:
    if patch_type == negotiation.JSON_PATCH:
        return raw
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.bad_request_error(f"error decoding patch: {exc}") from None
    if not isinstance(body, dict):
        raise errors.bad_request_error(
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
            if isinstance(body, list)
            else f"error decoding patch: unexpected {type(body).__name__}"
        )
    return body


def apply_patch(
    obj: dict[str, Any], patch_type: str, parsed: Any, schema_name: str
) -> dict[str, Any]:
    try:
        if patch_type == negotiation.JSON_PATCH:
            result = patch.apply_json_patch(obj, parsed)
        elif patch_type == negotiation.MERGE_PATCH:
            result = patch.apply_merge_patch(obj, parsed)
        else:
            result = patch.apply_strategic_merge_patch(obj, parsed, schema_name)
    except errors.ApiError:
        raise
    except PatchError as exc:
        raise exc.api_error() from None
    except ValueError as exc:
        raise (
            errors.ApiError(422, "Invalid", str(exc))
            if patch_type == negotiation.JSON_PATCH
            else errors.bad_request_error(str(exc))
        ) from None
    if not isinstance(result, dict):
        raise errors.bad_request_error("the patched object is not a JSON object")
    return result


async def patch_resource(
    registry: Registry,
    namespace: str,
    name: str,
    patch_type: str,
    raw: bytes,
    opts: WriteOptions,
    *,
    subresource: str,
    validation: str,
    transform: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Patch the object (or, with `transform`, a view of it such as Scale, mapped back by
    `transform(patched_view, stored_object)`)."""
    info = registry.info
    parsed = parse_patch(raw, patch_type)
    for _ in range(_MAX_RETRIES):
        kv = await registry.get_kv(namespace, name)
        current = codec.decode(kv)
        if transform is None:
            patched = apply_patch(current, patch_type, parsed, info.schema_name)
            _check_identity(registry, patched, current)
            patch_warnings: list[str] = []
            check_schema(info, patched, validation=validation, warnings=patch_warnings)
            opts.warnings.extend(patch_warnings)
            new = patched
        else:
            new = transform(apply_patch_view(current, patch_type, parsed, registry), current)
        rv = (new.get("metadata") or {}).get("resourceVersion")
        if rv and rv != str(kv.mod_revision):
            raise registry.conflict(name)
        try:
            return await registry.update_from(kv, new, opts, subresource=subresource)
        except ConflictError:
            continue
    raise registry.conflict(name)


def apply_patch_view(
    current: dict[str, Any], patch_type: str, parsed: Any, registry: Registry
) -> dict[str, Any]:
    from steersman.apiserver import scale

    view = scale.scale_of(registry.info, current)
    return apply_patch(view, patch_type, parsed, "io.k8s.api.autoscaling.v1.Scale")


def _check_identity(registry: Registry, patched: dict[str, Any], current: dict[str, Any]) -> None:
    info = registry.info
    meta = patched.get("metadata")
    if not isinstance(meta, dict):
        raise errors.bad_request_error("metadata must be an object")
    if patched.get("apiVersion") != current.get("apiVersion") or patched.get("kind") != current.get(
        "kind"
    ):
        raise errors.bad_request_error(
            f"the patch changed the object's apiVersion/kind; expected {info.group_version}/{info.kind}"
        )
    if meta.get("name") != current["metadata"]["name"]:
        raise errors.bad_request_error(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({current['metadata']['name']})"
        )
    if info.namespaced and meta.get("namespace") != current["metadata"].get("namespace"):
        raise errors.bad_request_error(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
