"""ControllerRevision history of DaemonSets (Kubernetes' update.go constructHistory,
snapshot, dedupCurHistories and cleanupHistory).

Invariants:
- A DaemonSet owns the revisions it controls plus matching orphans it adopts; a revision whose
  data equals the current template patch is "current", all others are "old".
- The current revision is named `<ds>-<hash>` (the pod-template hash with status.collisionCount)
  and labelled controller-revision-hash with that hash, which its pods carry too; it is
  renumbered to max(old) + 1. Several current revisions collapse onto the highest-numbered one
  after its pods are relabelled.
- A name taken by different data raises status.collisionCount (only if the cached count is
  current) and fails the sync, which retries with the new hash.
- Old revisions no pod still uses are deleted beyond revisionHistoryLimit, lowest first.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from steersman.api.labels import Selector
from steersman.api.resources import require
from steersman.client.informer import Informer
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers import daemonset_util as dsu
from steersman.controllers import history
from steersman.controllers.daemonset_update import DaemonSetSyncError
from steersman.controllers.deployment_util import compute_hash
from steersman.controllers.pods import new_controller_ref
from steersman.controllers.ref_manager import ControllerRefManager

Obj = dict[str, Any]
DAEMON_SETS = require("apps", "v1", "daemonsets")
PODS = require("", "v1", "pods")
HASH_LABEL = dsu.DEFAULT_DAEMON_SET_UNIQUE_LABEL_KEY
REVISIONS = history.REVISIONS


def _path(rev: Obj) -> str:
    return object_path(REVISIONS, rev["metadata"]["namespace"], rev["metadata"]["name"])


class DaemonSetHistory:
    def __init__(self, client: RestClient, revisions: Informer) -> None:
        self.client = client
        self.revisions = revisions

    async def construct_history(
        self,
        ds: Obj,
        selector: Selector,
        daemon_pods: Callable[[], Awaitable[list[Obj]]],
    ) -> tuple[Obj, list[Obj]]:
        """(current revision, old revisions); creates or renumbers the current one."""
        manager = ControllerRefManager(
            self.client, owner=ds, owner_info=DAEMON_SETS, child_info=REVISIONS, selector=selector
        )
        cached = self.revisions.store.by_index("namespace", ds["metadata"]["namespace"])
        owned = await manager.claim(sorted(cached, key=lambda r: r["metadata"]["name"]))
        patch = history.go_json(history.template_patch(ds))
        current: list[Obj] = []
        old: list[Obj] = []
        for rev in owned:
            if HASH_LABEL not in (rev["metadata"].get("labels") or {}):
                # Older revisions lack the label: use the name, never a recomputed hash.
                rev = copy.deepcopy(rev)
                rev["metadata"].setdefault("labels", {})[HASH_LABEL] = rev["metadata"]["name"]
                rev = await self.client.update(_path(rev), rev)
            (current if history.go_json(rev.get("data")) == patch else old).append(rev)
        next_number = max((history.revision_number(r) for r in old), default=0) + 1
        if not current:
            return await self._snapshot(ds, next_number), old
        cur = await self._dedup(ds, current, daemon_pods)
        if history.revision_number(cur) < next_number:
            await self.client.update(_path(cur), dict(cur, revision=next_number))
        return cur, old

    async def _dedup(
        self, ds: Obj, current: list[Obj], daemon_pods: Callable[[], Awaitable[list[Obj]]]
    ) -> Obj:
        if len(current) == 1:
            return current[0]
        keep = current[0]
        for rev in current:
            if history.revision_number(rev) >= history.revision_number(keep):
                keep = rev
        keep_hash = (keep["metadata"].get("labels") or {}).get(HASH_LABEL)
        namespace = ds["metadata"]["namespace"]
        for pod in await daemon_pods():
            if (pod["metadata"].get("labels") or {}).get(HASH_LABEL) != keep_hash:
                await self.client.patch(
                    object_path(PODS, namespace, pod["metadata"]["name"]),
                    {"metadata": {"labels": {HASH_LABEL: keep_hash}}},
                )
        for rev in current:
            if rev["metadata"]["name"] != keep["metadata"]["name"]:
                await self.client.delete(_path(rev))
        return keep

    async def _snapshot(self, ds: Obj, revision: int) -> Obj:
        template = (ds.get("spec") or {}).get("template") or {}
        collision_count = (ds.get("status") or {}).get("collisionCount")
        hash_ = compute_hash(template, collision_count)
        name = f"{ds['metadata']['name']}-{hash_}"
        namespace = ds["metadata"]["namespace"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[HASH_LABEL] = hash_
        meta: Obj = {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [new_controller_ref(ds, DAEMON_SETS.api_version, DAEMON_SETS.kind)],
        }
        if ds["metadata"].get("annotations"):
            meta["annotations"] = dict(ds["metadata"]["annotations"])
        body = {
            "apiVersion": REVISIONS.api_version,
            "kind": REVISIONS.kind,
            "metadata": meta,
            "data": history.template_patch(ds),
            "revision": revision,
        }
        try:
            created: Obj = await self.client.create(collection_path(REVISIONS, namespace), body)
            return created
        except ApiStatusError as exc:
            if exc.code != 409 or exc.reason != "AlreadyExists":
                raise
            collision = exc
        existing: Obj = await self.client.get(object_path(REVISIONS, namespace, name))
        if history.go_json(existing.get("data")) == history.go_json(body["data"]):
            return existing  # ours, not yet in the cache
        ds_path = object_path(DAEMON_SETS, namespace, ds["metadata"]["name"])
        live: Obj = await self.client.get(ds_path)
        live_count = (live.get("status") or {}).get("collisionCount")
        if live_count != collision_count:
            raise DaemonSetSyncError(
                f"found a stale collision count ({collision_count}, expected {live_count}) of "
                f"DaemonSet {ds['metadata']['name']!r} while processing; will retry until it is "
                "updated"
            )
        live.setdefault("status", {})["collisionCount"] = (live_count or 0) + 1
        await self.client.update(f"{ds_path}/status", live)
        raise DaemonSetSyncError(str(collision))

    async def cleanup_history(
        self, ds: Obj, old: list[Obj], live_hashes: Callable[[], Awaitable[set[str]]]
    ) -> None:
        """Delete old revisions beyond the limit; `live_hashes` (asked only when needed) are the
        hashes pods still carry."""
        limit = (ds.get("spec") or {}).get("revisionHistoryLimit")
        to_kill = len(old) - (10 if limit is None else int(limit))
        if to_kill <= 0:
            return
        live = await live_hashes()
        for rev in sorted(old, key=history.revision_number):
            if to_kill <= 0:
                return
            if (rev["metadata"].get("labels") or {}).get(HASH_LABEL) in live:
                continue
            try:
                await self.client.delete(_path(rev))
            except ApiStatusError as exc:
                if exc.code != 404:
                    raise
            to_kill -= 1
