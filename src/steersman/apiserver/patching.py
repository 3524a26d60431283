"""PATCH for every resource: decode the body, apply it to the stored object and write the
result through the registry's update path.

Invariants:
- The body is decoded once, before the object is read, as patch.go does (`api.patcher`): a
  malformed body is 400 whatever the object holds.
- The patch applies to the object as read at revision R and the write is a CAS on R; on a
  conflict the whole patch is re-applied to a fresh read (so patches never lose updates).
- If the patched object carries a resourceVersion different from R, the client asked for an
  optimistic lock that failed: 409 Conflict.
- A patch that cannot apply, or whose result does not decode into the kind, is 4xx with
  Kubernetes' wording (`api.patcher`); under fieldValidation=Warn the strict-decoding problems
  become warnings. The stored object is untouched by any failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steersman.api import errors
from steersman.api.patcher import DecodedPatch, PatchOutcome, decode_patch_body, patch_object
from steersman.api.resources import ResourceInfo
from steersman.apiserver import codec
from steersman.apiserver.registry import Registry, WriteOptions
from steersman.apiserver.versioning import Served, served
from steersman.storage.interface import ConflictError

_MAX_RETRIES = 16
_SCALE_SCHEMA = "io.k8s.api.autoscaling.v1.Scale"


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
    version: Served | None = None,
) -> dict[str, Any]:
    """Patch the object (or, with `transform`, a view of it such as Scale, mapped back by
    `transform(patched_view, stored_object)`). The patch applies to the object in the
    request's `version`; the stored version is returned."""
    if version is None:
        version = served(registry.info)
    info = version.info
    decoded = decode_patch_body(raw, patch_type, validation)
    for _ in range(_MAX_RETRIES):
        kv = await registry.get_kv(namespace, name)
        current = codec.decode(kv)
        if transform is None:
            view = version.from_storage(current)
            outcome = patch_object(view, decoded, info.schema_name, validation)
            _check_identity(info, outcome.object, view)
            new = version.to_storage(outcome.object)
        else:
            outcome = apply_patch_view(current, decoded, registry, validation)
            new = transform(outcome.object, current)
        rv = (new.get("metadata") or {}).get("resourceVersion")
        if rv and rv != str(kv.mod_revision):
            raise registry.conflict(name)
        mark = len(opts.warnings)
        opts.warnings.extend(outcome.warnings)  # before the registry's own, as in patch.go
        try:
            return await registry.update_from(kv, new, opts, subresource=subresource)
        except ConflictError:
            del opts.warnings[mark:]  # the retry warns afresh
            continue
    raise registry.conflict(name)


def apply_patch_view(
    current: dict[str, Any], decoded: DecodedPatch, registry: Registry, validation: str
) -> PatchOutcome:
    """The patch applied to the object's Scale view (the scale subresource's patcher)."""
    from steersman.apiserver import scale

    view = scale.scale_of(registry.info, current)
    return patch_object(view, decoded, _SCALE_SCHEMA, validation)


def _check_identity(info: ResourceInfo, patched: dict[str, Any], current: dict[str, Any]) -> None:
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
