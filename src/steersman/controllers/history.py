"""ControllerRevision history shared by the StatefulSet and DaemonSet controllers (Kubernetes'
pkg/controller/history): hashing, naming, revision numbers, ordering, create/adopt/release.

Invariants:
- A revision's `data` is the owner's template as a strategic merge patch
  (`{"spec": {"template": {..., "$patch": "replace"}}}`); `apply_revision` restores exactly that
  template onto a copy of the owner.
- Hashes are Go's: FNV-1 (32 bit) over the data as Go's `json.Marshal` writes it (sorted keys,
  compact, HTML-escaped), plus the decimal collision count when one is given, safely encoded.
- Names are `<owner>-<hash>` (the owner's name cut to 223 bytes); a name taken by different data
  bumps the collision count and hashes again, so two templates never share a revision.
- Revisions sort by (revision, creationTimestamp, name); the list for an owner holds those it
  controls and orphans matching its selector (callers adopt the orphans).
- Pure helpers never change their inputs; `History` is the only part doing I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import orjson

from steersman.api.labels import Selector
from steersman.api.resources import require
from steersman.client.informer import Informer
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.deployment_util import safe_encode
from steersman.controllers.pods import controller_ref, new_controller_ref

Obj = dict[str, Any]
REVISIONS = require("apps", "v1", "controllerrevisions")
CONTROLLER_REVISION_HASH_LABEL = "controller.kubernetes.io/hash"
_MAX_PREFIX = 223
_CONFLICT_RETRIES = 5

# Go's encoding/json escapes these inside strings; the hash must see the same bytes.
_GO_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def go_json(value: Any) -> bytes:
    """`json.Marshal` of a decoded JSON value: sorted keys, compact, HTML-escaped."""
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    for raw, escaped in _GO_ESCAPES:
        data = data.replace(raw, escaped)
    return data


def fnv32(data: bytes) -> int:
    """FNV-1 32-bit (Go's hash/fnv New32: multiply, then xor)."""
    h = 0x811C9DC5
    for byte in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return h


def hash_controller_revision(data: Obj, probe: int | None) -> str:
    raw = go_json(data)
    if probe is not None:
        raw += str(probe).encode()
    return safe_encode(str(fnv32(raw)))


def controller_revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def template_patch(owner: Obj) -> Obj:
    """getPatch: the owner's pod template as a patch that replaces spec.template."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    meta = template.setdefault("metadata", {})
    # Go writes a zero ObjectMeta.creationTimestamp as null; keep the bytes (and hashes) alike.
    meta.setdefault("creationTimestamp", None)
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def apply_revision(owner: Obj, revision: Obj) -> Obj:
    """ApplyRevision: a copy of `owner` whose spec.template is the one `revision` recorded."""
    out = copy.deepcopy(owner)
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template"))
    if isinstance(template, dict):
        template.pop("$patch", None)
        meta = template.get("metadata")
        if isinstance(meta, dict) and meta.get("creationTimestamp") is None:
            meta.pop("creationTimestamp", None)
        out.setdefault("spec", {})["template"] = template
    return out


def new_controller_revision(
    parent: Obj,
    *,
    api_version: str,
    kind: str,
    template_labels: dict[str, str] | None,
    data: Obj,
    revision: int,
    collision_count: int | None,
) -> Obj:
    """NewControllerRevision: owned by `parent`, labelled like the template plus the hash."""
    meta = parent["metadata"]
    hash_ = hash_controller_revision(data, collision_count)
    labels = dict(template_labels or {})
    labels[CONTROLLER_REVISION_HASH_LABEL] = hash_
    return {
        "apiVersion": REVISIONS.api_version,
        "kind": REVISIONS.kind,
        "metadata": {
            "name": controller_revision_name(meta["name"], hash_),
            "namespace": meta.get("namespace", ""),
            "labels": labels,
            "ownerReferences": [new_controller_ref(parent, api_version, kind)],
        },
        "data": data,
        "revision": revision,
    }


def revision_number(revision: Obj) -> int:
    return int(revision.get("revision") or 0)


def _sort_key(revision: Obj) -> tuple[int, str, str]:
    meta = revision.get("metadata") or {}
    # RFC 3339 seconds in UTC sort as text.
    return (revision_number(revision), meta.get("creationTimestamp") or "", meta.get("name", ""))


def sort_controller_revisions(revisions: Iterable[Obj]) -> list[Obj]:
    return sorted(revisions, key=_sort_key)


def next_revision(sorted_revisions: list[Obj]) -> int:
    return revision_number(sorted_revisions[-1]) + 1 if sorted_revisions else 1


def _label_hash(revision: Obj) -> int | None:
    text = ((revision.get("metadata") or {}).get("labels") or {}).get(
        CONTROLLER_REVISION_HASH_LABEL
    )
    # Upstream parses the (safe-encoded) hash as a decimal int32; it rarely parses.
    if text is None or not text.isdigit():
        return None
    value = int(text)
    return value if value < 2**31 else None


def equal_revision(lhs: Obj | None, rhs: Obj | None) -> bool:
    if lhs is None or rhs is None:
        return lhs is rhs
    left, right = _label_hash(lhs), _label_hash(rhs)
    if left is not None and right is not None and left != right:
        return False
    return go_json(lhs.get("data")) == go_json(rhs.get("data"))


def find_equal_revisions(revisions: list[Obj], needle: Obj) -> list[Obj]:
    return [r for r in revisions if equal_revision(r, needle)]


class History:
    """history.Interface over the API: reads from the ControllerRevision informer."""

    def __init__(self, client: RestClient, revisions: Informer) -> None:
        self.client = client
        self.revisions = revisions

    def list_controller_revisions(self, parent: Obj, selector: Selector) -> list[Obj]:
        namespace = parent["metadata"].get("namespace", "")
        uid = parent["metadata"].get("uid")
        out = []
        for rev in self.revisions.store.by_index("namespace", namespace):
            if not selector.matches((rev.get("metadata") or {}).get("labels") or {}):
                continue
            ref = controller_ref(rev)
            if ref is None or ref.get("uid") == uid:
                out.append(rev)
        return out

    async def create_controller_revision(
        self, parent: Obj, revision: Obj, collision_count: int
    ) -> tuple[Obj, int]:
        """Create `revision`, renaming on collisions; returns it and the final collision count."""
        namespace = parent["metadata"].get("namespace", "")
        body = copy.deepcopy(revision)
        body["metadata"]["namespace"] = namespace
        while True:
            hash_ = hash_controller_revision(revision["data"], collision_count)
            body["metadata"]["name"] = controller_revision_name(parent["metadata"]["name"], hash_)
            try:
                created: Obj = await self.client.create(collection_path(REVISIONS, namespace), body)
                return created, collision_count
            except ApiStatusError as exc:
                if exc.code != 409 or exc.reason != "AlreadyExists":
                    raise
            existing: Obj = await self.client.get(
                object_path(REVISIONS, namespace, body["metadata"]["name"])
            )
            if go_json(existing.get("data")) == go_json(body["data"]):
                return existing, collision_count
            collision_count += 1

    async def update_controller_revision(self, revision: Obj, new_revision: int) -> Obj:
        current = copy.deepcopy(revision)
        meta = current["metadata"]
        path = object_path(REVISIONS, meta.get("namespace", ""), meta["name"])
        for _ in range(_CONFLICT_RETRIES):
            if revision_number(current) == new_revision:
                return current
            current["revision"] = new_revision
            try:
                updated: Obj = await self.client.update(path, current)
                return updated
            except ApiStatusError as exc:
                if exc.code != 409:
                    raise
            current = await self.client.get(path)
        raise RuntimeError(f"conflicts updating ControllerRevision {meta['name']}")

    async def delete_controller_revision(self, revision: Obj) -> None:
        meta = revision["metadata"]
        try:
            await self.client.delete(
                object_path(REVISIONS, meta.get("namespace", ""), meta["name"])
            )
        except ApiStatusError as exc:
            if exc.code != 404:
                raise

    async def adopt_controller_revision(
        self, parent: Obj, api_version: str, kind: str, revision: Obj
    ) -> Obj:
        owner = controller_ref(revision)
        if owner is not None:
            raise RuntimeError(f"attempt to adopt revision owned by {owner}")
        meta = revision["metadata"]
        patch = {
            "metadata": {
                "ownerReferences": [new_controller_ref(parent, api_version, kind)],
                "uid": meta["uid"],
            }
        }
        adopted: Obj = await self.client.patch(
            object_path(REVISIONS, meta.get("namespace", ""), meta["name"]),
            patch,
            patch_type="application/strategic-merge-patch+json",
        )
        return adopted
