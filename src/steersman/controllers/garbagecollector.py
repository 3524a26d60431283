"""GarbageCollector: deletes objects whose owners are gone, and carries out the
`Orphan` and `Foreground` deletion propagation policies (Kubernetes' garbage collector).

Model (as in Kubernetes' GraphBuilder): informers over every deletable resource except events
feed one ownership graph, `uid → _Node`, each node knowing its ownerReferences and the uids of
its dependents. An owner that dependents name but that no informer has shown yet is a *virtual*
node until it is seen or proven absent.

Work is level-based, on two rate-limited queues keyed by uid:
- attempt_to_delete(uid): for a dependent, look up each owner live (the informer may lag);
  no owner left → delete it (uid precondition) with the propagation its own finalizers ask for;
  some owners alive → patch away the references to absent owners; only owners waiting for
  foreground deletion → delete it in the foreground too. For an owner in foreground deletion
  ("deleting dependents"): remove the `foregroundDeletion` finalizer once no dependent with
  `blockOwnerDeletion: true` remains, else make sure those dependents are being deleted.
- attempt_to_orphan(uid): for an owner deleted with `orphan`, remove its ownerReference from
  every dependent, then remove the `orphan` finalizer.
Every write carries the uid (and, for updates, the resourceVersion) it decided on, so a stale
decision fails with 409/404 and is retried against fresh state instead of doing damage.
Graph handlers run on the event loop and only change the graph and enqueue; all API calls
happen in workers, which start once every informer has synced.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from steersman.api.resources import STORED_RESOURCES, ResourceInfo, lookup_kind
from steersman.client.indexer import Obj
from steersman.client.informer import InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue

log = logging.getLogger("steersman.controllers.garbagecollector")

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
# Kubernetes' garbage collector ignores events: they are many and never own anything.
IGNORED = {("", "events"), ("events.k8s.io", "events")}
_ABSENT_CACHE_SIZE = 500


class _Unresolvable(Exception):
    """An apiVersion/kind this server does not serve."""


@dataclass(frozen=True)
class _Identity:
    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str


@dataclass
class _Node:
    identity: _Identity
    owners: list[dict[str, Any]] = field(default_factory=list)
    dependents: set[str] = field(default_factory=set)
    virtual: bool = False
    being_deleted: bool = False
    deleting_dependents: bool = False
    orphaning: bool = False


def _resource_for(api_version: str, kind: str) -> ResourceInfo | None:
    group, _, version = api_version.rpartition("/")
    info = lookup_kind(group, kind)
    if info is None or (version and info.version != version):
        return None
    return info


def gc_resources() -> list[ResourceInfo]:
    return [
        r
        for r in STORED_RESOURCES
        if (r.group, r.resource) not in IGNORED and {"list", "watch", "delete"} <= set(r.verbs)
    ]


class GarbageCollector:
    def __init__(self, client: RestClient, factory: InformerFactory, *, workers: int = 4) -> None:
        self.client = client
        self.factory = factory
        self.workers = workers
        self.nodes: dict[str, _Node] = {}
        self.attempt_to_delete: WorkQueue[str] = WorkQueue()
        self.attempt_to_orphan: WorkQueue[str] = WorkQueue()
        # uids proven absent, so that dependents of a deleted owner do not each look it up.
        self._absent: OrderedDict[str, None] = OrderedDict()
        self._watching = False

    async def run(self) -> None:
        if not self._watching:
            self._watching = True
            for info in gc_resources():
                informer = self.factory.informer(info)
                informer.add_event_handler(
                    on_add=self._on_upsert,
                    on_update=lambda _old, new: self._on_upsert(new),
                    on_delete=self._on_delete,
                )
        self.factory.start()
        await self.factory.wait_for_cache_sync()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._work(self.attempt_to_delete, self._attempt_to_delete_item))
            tg.create_task(self._work(self.attempt_to_orphan, self._orphan_dependents))

    # -- graph building (event handlers: no I/O) -------------------------------
    def _on_upsert(self, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if not uid:
            return
        identity = _Identity(
            obj.get("apiVersion", ""),
            obj.get("kind", ""),
            meta.get("namespace", ""),
            meta.get("name", ""),
            uid,
        )
        owners = [ref for ref in meta.get("ownerReferences") or [] if ref.get("uid")]
        node = self.nodes.get(uid)
        if node is None:
            node = _Node(identity)
            self.nodes[uid] = node
        elif node.virtual:
            node.virtual = False
            node.identity = identity
        self._absent.pop(uid, None)
        old_owner_uids = {ref["uid"]: ref for ref in node.owners}
        new_owner_uids = {ref["uid"]: ref for ref in owners}
        for owner_uid, old_ref in old_owner_uids.items():
            new_ref = new_owner_uids.get(owner_uid)
            if new_ref is None:
                self._remove_dependent(owner_uid, uid)
            if (new_ref is None or not new_ref.get("blockOwnerDeletion")) and old_ref.get(
                "blockOwnerDeletion"
            ):
                # An owner waiting on this dependent may now be able to finish.
                self._enqueue_if_deleting_dependents(owner_uid)
        for owner_uid, ref in new_owner_uids.items():
            if owner_uid not in old_owner_uids:
                self._add_dependent(ref, uid, identity.namespace)
        node.owners = owners

        finalizers = meta.get("finalizers") or []
        deleting = bool(meta.get("deletionTimestamp"))
        node.being_deleted = deleting
        node.deleting_dependents = deleting and FOREGROUND in finalizers
        node.orphaning = deleting and ORPHAN in finalizers
        if node.orphaning:
            self.attempt_to_orphan.add(uid)
        if node.deleting_dependents:
            self.attempt_to_delete.add(uid)
            for dependent in node.dependents:
                self.attempt_to_delete.add(dependent)

    def _on_delete(self, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if not uid or (node := self.nodes.pop(uid, None)) is None:
            return
        self._remember_absent(node.identity.uid)
        for ref in node.owners:
            self._remove_dependent(ref["uid"], uid)
            self._enqueue_if_deleting_dependents(ref["uid"])
        if node.dependents:
            # Keep a virtual node so that dependents still find their (absent) owner; it is
            # dropped once it has no dependents left.
            self.nodes[node.identity.uid] = _Node(
                node.identity, dependents=set(node.dependents), virtual=True
            )
            for dependent in node.dependents:
                self.attempt_to_delete.add(dependent)

    def _add_dependent(self, ref: dict[str, Any], dependent_uid: str, namespace: str) -> None:
        owner_uid = ref["uid"]
        owner = self.nodes.get(owner_uid)
        if owner is None:
            identity = _Identity(
                ref.get("apiVersion", ""),
                ref.get("kind", ""),
                namespace,
                ref.get("name", ""),
                owner_uid,
            )
            owner = _Node(identity, virtual=True)
            self.nodes[owner_uid] = owner
        owner.dependents.add(dependent_uid)
        if owner.virtual:
            # Prove the owner exists (or not) by a live lookup in a worker.
            self.attempt_to_delete.add(owner_uid)
        elif owner.deleting_dependents:
            self.attempt_to_delete.add(dependent_uid)

    def _remove_dependent(self, owner_uid: str, dependent_uid: str) -> None:
        owner = self.nodes.get(owner_uid)
        if owner is None:
            return
        owner.dependents.discard(dependent_uid)
        if owner.virtual and not owner.dependents:
            del self.nodes[owner_uid]

    def _enqueue_if_deleting_dependents(self, owner_uid: str) -> None:
        owner = self.nodes.get(owner_uid)
        if owner is not None and owner.deleting_dependents:
            self.attempt_to_delete.add(owner_uid)

    def _remember_absent(self, uid: str) -> None:
        self._absent[uid] = None
        self._absent.move_to_end(uid)
        while len(self._absent) > _ABSENT_CACHE_SIZE:
            self._absent.popitem(last=False)

    # -- workers -----------------------------------------------------------------
    async def _work(self, queue: WorkQueue[str], process: Callable[[str], Awaitable[bool]]) -> None:
        while True:
            try:
                uid = await queue.get()
            except QueueShutDown:
                return
            try:
                retry = await process(uid)
            except _Unresolvable as exc:
                log.info("garbage collector: %s: cannot resolve %s", uid, exc)
                retry = False
            except ApiStatusError as exc:
                log.info("garbage collector: %s: %s", uid, exc)
                retry = True
            except (OSError, TimeoutError) as exc:
                log.warning("garbage collector: %s: %s", uid, exc)
                retry = True
            except Exception:
                log.exception("garbage collector: %s", uid)
                retry = True
            if retry:
                queue.add_rate_limited(uid)
            else:
                queue.forget(uid)
            queue.done(uid)

    async def _get_live(self, identity: _Identity) -> Obj | None:
        """The object now; None when absent (or replaced by another uid). Raises
        `_Unresolvable` when its type is not one this server serves."""
        info = _resource_for(identity.api_version, identity.kind)
        if info is None:
            raise _Unresolvable(f"{identity.api_version}, Kind={identity.kind}")
        namespace = identity.namespace if info.namespaced else ""
        if info.namespaced and not namespace:
            return None  # a cluster-scoped dependent cannot name a namespaced owner
        try:
            obj: Obj = await self.client.get(object_path(info, namespace, identity.name))
        except ApiStatusError as exc:
            if exc.code == 404:
                return None
            raise
        if (obj.get("metadata") or {}).get("uid") != identity.uid:
            return None
        obj.setdefault("apiVersion", info.api_version)
        obj.setdefault("kind", info.kind)
        return obj

    async def _attempt_to_delete_item(self, uid: str) -> bool:
        """Returns True to retry later."""
        node = self.nodes.get(uid)
        if node is None:
            return False
        if node.virtual:
            return await self._verify_virtual(node)
        latest = await self._get_live(node.identity)
        if latest is None:
            return False  # gone: the informer's delete event updates the graph
        meta = latest["metadata"]
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if FOREGROUND in finalizers:
                return await self._process_deleting_dependents(node, latest)
            return False
        owner_refs = [ref for ref in meta.get("ownerReferences") or [] if ref.get("uid")]
        if not owner_refs:
            return False
        solid, dangling, waiting = await self._classify_owners(node.identity, owner_refs)
        if solid:
            if not dangling and not waiting:
                return False
            return await self._fix_owner_references(latest, dangling, waiting)
        if waiting and node.dependents:
            for dependent_uid in node.dependents:
                dependent = self.nodes.get(dependent_uid)
                if dependent is not None and dependent.deleting_dependents:
                    # A possible cycle: stop this item blocking its owners before deleting it
                    # in the foreground.
                    await self._fix_owner_references(latest, [], waiting)
                    break
            return await self._delete(node.identity, "Foreground")
        if ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        return await self._delete(node.identity, policy)

    async def _verify_virtual(self, node: _Node) -> bool:
        if node.identity.uid not in self._absent:
            try:
                if await self._get_live(node.identity) is not None:
                    return False  # exists: its informer will deliver it
            except _Unresolvable:
                return False
        self._remember_absent(node.identity.uid)
        for dependent in node.dependents:
            self.attempt_to_delete.add(dependent)
        return False

    async def _classify_owners(
        self, identity: _Identity, refs: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        solid: list[dict[str, Any]] = []
        dangling: list[dict[str, Any]] = []
        waiting: list[dict[str, Any]] = []
        for ref in refs:
            if ref["uid"] in self._absent:
                dangling.append(ref)
                continue
            owner = _Identity(
                ref.get("apiVersion", ""),
                ref.get("kind", ""),
                identity.namespace,
                ref.get("name", ""),
                ref["uid"],
            )
            try:
                live = await self._get_live(owner)
            except _Unresolvable:
                solid.append(ref)  # a type this server does not serve: never delete on a guess
                continue
            if live is None:
                self._remember_absent(ref["uid"])
                dangling.append(ref)
            else:
                owner_meta = live["metadata"]
                if owner_meta.get("deletionTimestamp") and FOREGROUND in (
                    owner_meta.get("finalizers") or []
                ):
                    waiting.append(ref)
                else:
                    solid.append(ref)
        return solid, dangling, waiting

    async def _fix_owner_references(
        self, latest: Obj, dangling: list[dict[str, Any]], waiting: list[dict[str, Any]]
    ) -> bool:
        """Drop references to absent owners and unblock owners waiting for this item."""
        drop = {ref["uid"] for ref in dangling}
        unblock = {ref["uid"] for ref in waiting}
        refs = []
        for ref in latest["metadata"].get("ownerReferences") or []:
            if ref.get("uid") in drop:
                continue
            if ref.get("uid") in unblock and ref.get("blockOwnerDeletion"):
                ref = dict(ref, blockOwnerDeletion=False)
            refs.append(ref)
        return await self._update_metadata(latest, ownerReferences=refs)

    async def _process_deleting_dependents(self, node: _Node, latest: Obj) -> bool:
        blocking = []
        for dependent_uid in node.dependents:
            dependent = self.nodes.get(dependent_uid)
            if dependent is None:
                continue
            for ref in dependent.owners:
                if ref.get("uid") == node.identity.uid and ref.get("blockOwnerDeletion"):
                    blocking.append(dependent)
        if not blocking:
            finalizers = [f for f in latest["metadata"].get("finalizers") or [] if f != FOREGROUND]
            return await self._update_metadata(latest, finalizers=finalizers)
        for dependent in blocking:
            if not dependent.being_deleted:
                self.attempt_to_delete.add(dependent.identity.uid)
        return False  # the dependents' deletions re-enqueue this owner

    async def _orphan_dependents(self, uid: str) -> bool:
        node = self.nodes.get(uid)
        if node is None or node.virtual:
            return False
        latest = await self._get_live(node.identity)
        if latest is None:
            return False
        meta = latest["metadata"]
        if not meta.get("deletionTimestamp") or ORPHAN not in (meta.get("finalizers") or []):
            return False
        for dependent_uid in list(node.dependents):
            dependent = self.nodes.get(dependent_uid)
            if dependent is None or dependent.virtual:
                continue
            live = await self._get_live(dependent.identity)
            if live is None:
                continue
            refs = live["metadata"].get("ownerReferences") or []
            kept = [ref for ref in refs if ref.get("uid") != uid]
            if len(kept) != len(refs) and await self._update_metadata(
                live, ownerReferences=kept or None
            ):
                return True
        finalizers = [f for f in meta.get("finalizers") or [] if f != ORPHAN]
        return await self._update_metadata(latest, finalizers=finalizers)

    async def _update_metadata(self, latest: Obj, **changes: Any) -> bool:
        """PUT `latest` with metadata changes, guarded by its resourceVersion; True to retry."""
        info = _resource_for(latest.get("apiVersion", ""), latest.get("kind", ""))
        if info is None:
            return False
        meta = dict(latest["metadata"])
        for key, value in changes.items():
            if value:
                meta[key] = value
            else:
                meta.pop(key, None)
        body = dict(latest, metadata=meta)
        try:
            await self.client.update(
                object_path(info, meta.get("namespace", ""), meta["name"]), body
            )
        except ApiStatusError as exc:
            if exc.code == 404:
                return False
            if exc.code == 409:
                return True
            raise
        return False

    async def _delete(self, identity: _Identity, policy: str) -> bool:
        info = _resource_for(identity.api_version, identity.kind)
        if info is None:
            return False
        body = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "propagationPolicy": policy,
            "preconditions": {"uid": identity.uid},
        }
        log.info(
            "garbage collector: deleting %s %s/%s (%s)",
            identity.kind,
            identity.namespace,
            identity.name,
            policy,
        )
        try:
            await self.client.delete(object_path(info, identity.namespace, identity.name), body)
        except ApiStatusError as exc:
            if exc.code == 404:
                return False
            if exc.code == 409:
                return True  # replaced by a new object of the same name: look again
            raise
        return False
