"""ReplicaSetController: keeps `spec.replicas` pods matching a ReplicaSet's selector alive
(Kubernetes' pkg/controller/replicaset); the same code runs ReplicationControllers.

Invariants:
- Level-based: `sync_replica_set(key)` reads the informer caches, never the event that woke it.
- Expectations: after asking for N creations (or deletions) the controller acts again on that
  ReplicaSet only once its informer has seen them (or 5 minutes passed), so a lagging cache
  never makes it create twice.
- Creations go in slow-start batches (1, 2, 4, ...), at most 500 per sync, stopping at the first
  failure; deletions pick pods by Kubernetes' ranking (unscheduled, pending, not ready ... first).
- Ownership: pods matching the selector without a controller are adopted (not while the owner
  is being deleted); owned pods that stop matching are released. Every ownership patch names the
  pod's uid, so a replaced pod is never touched.
- Status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration,
  the ReplicaFailure condition) is written only when it changed.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Iterable
from typing import Any

from steersman.api.labels import (
    Selector,
    selector_from_label_selector,
    selector_from_set,
)
from steersman.api.resources import ResourceInfo, require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.expectations import ControllerExpectations
from steersman.controllers.pods import (
    controller_ref,
    controller_ref_view,
    deletion_order_key,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    new_controller_ref,
)

log = logging.getLogger("steersman.controllers.replicaset")

Obj = dict[str, Any]
BURST_REPLICAS = 500
_STATUS_FIELDS = (
    "replicas",
    "fullyLabeledReplicas",
    "readyReplicas",
    "availableReplicas",
    "observedGeneration",
    "conditions",
)
SLOW_START_INITIAL_BATCH = 1

PODS = require("", "v1", "pods")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class ReplicaSetController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        kind: str = "ReplicaSet",
        workers: int = 5,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder
        self.kind = kind
        self.info: ResourceInfo = (
            require("apps", "v1", "replicasets")
            if kind == "ReplicaSet"
            else require("", "v1", "replicationcontrollers")
        )
        self.workers = workers
        self.queue: WorkQueue[str] = WorkQueue()
        self.expectations = ControllerExpectations()
        self.owners = factory.informer(self.info)
        self.pods = factory.informer(PODS)
        self._handlers_added = False

    # -- wiring --------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.owners.add_event_handler(
                on_add=self._enqueue,
                on_update=lambda _old, new: self._enqueue(new),
                on_delete=self._owner_deleted,
            )
            self.pods.add_event_handler(
                on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
            )
        self.factory.start()
        await self.owners.synced.wait()
        await self.pods.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, owner: Obj) -> None:
        self.queue.add(object_key(owner))

    def _owner_deleted(self, owner: Obj) -> None:
        key = object_key(owner)
        self.expectations.delete(key)
        self.queue.add(key)

    def selector(self, owner: Obj) -> Selector:
        spec = owner.get("spec") or {}
        if self.kind == "ReplicaSet":
            return selector_from_label_selector(spec.get("selector"))
        return selector_from_set(spec.get("selector") or {})

    def _owner_of(self, pod: Obj) -> Obj | None:
        ref = controller_ref_view(pod)
        if ref is None or ref.get("kind") != self.kind:
            return None
        owner = self.owners.get(pod["metadata"].get("namespace", ""), ref.get("name", ""))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _matching_owners(self, pod: Obj) -> Iterable[Obj]:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        if not labels:
            return []
        namespace = pod["metadata"].get("namespace", "")
        return [
            o
            for o in self.owners.store.by_index("namespace", namespace)
            if not self.selector(o).empty and self.selector(o).matches(labels)
        ]

    def _pod_added(self, pod: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        owner = self._owner_of(pod)
        if owner is not None:
            key = object_key(owner)
            self.expectations.creation_observed(key)
            self.queue.add(key)
            return
        if controller_ref(pod) is None:
            for candidate in self._matching_owners(pod):
                self._enqueue(candidate)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if new["metadata"].get("deletionTimestamp") and not old["metadata"].get(
            "deletionTimestamp"
        ):
            self._pod_deleted(new)
        old_owner = self._owner_of(old)
        new_owner = self._owner_of(new)
        if old_owner is not None and (
            new_owner is None or old_owner["metadata"]["uid"] != new_owner["metadata"]["uid"]
        ):
            self._enqueue(old_owner)
        if new_owner is not None:
            self._enqueue(new_owner)
            min_ready = (new_owner.get("spec") or {}).get("minReadySeconds") or 0
            if min_ready and not is_pod_ready(old) and is_pod_ready(new):
                # Available only after minReadySeconds: look again then.
                self.queue.add_after(object_key(new_owner), min_ready + 1)
            return
        if controller_ref(new) is None and (
            old["metadata"].get("labels") != new["metadata"].get("labels") or old_owner
        ):
            for candidate in self._matching_owners(new):
                self._enqueue(candidate)

    def _pod_deleted(self, pod: Obj) -> None:
        owner = self._owner_of(pod)
        if owner is None:
            return
        key = object_key(owner)
        self.expectations.deletion_observed(key, object_key(pod))
        self.queue.add(key)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.sync_replica_set(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | OSError | TimeoutError):
                    log.info("sync %s %s: %s", self.kind, key, exc)
                else:
                    log.exception("sync %s %s", self.kind, key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    # -- reconcile -----------------------------------------------------------------
    async def sync_replica_set(self, key: str) -> None:
        namespace, name = split_key(key)
        owner = self.owners.get(namespace, name)
        if owner is None:
            self.expectations.delete(key)
            return
        needs_sync = self.expectations.satisfied(key) and not owner["metadata"].get(
            "deletionTimestamp"
        )
        selector = self.selector(owner)
        candidates = [
            p for p in self.pods.store.by_index("namespace", namespace) if is_pod_active(p)
        ]
        owned = await self._claim_pods(owner, selector, candidates)
        manage_error: str | None = None
        if needs_sync:
            manage_error = await self._manage_replicas(key, owner, owned)
        await self._update_status(owner, owned, manage_error)
        if manage_error is not None:
            raise RuntimeError(manage_error)

    async def _claim_pods(self, owner: Obj, selector: Selector, pods: list[Obj]) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        deleting = bool(owner["metadata"].get("deletionTimestamp"))
        owned: list[Obj] = []
        fresh_checked = False
        matches_labels = None if selector.empty else selector.matches
        for pod in pods:
            ref = controller_ref_view(pod)
            if ref is not None and ref.get("uid") != uid:
                continue  # another controller's pod: neither ours to keep nor to adopt
            labels = pod["metadata"].get("labels") or {}
            matches = matches_labels is not None and matches_labels(labels)
            if ref is not None:
                if matches:
                    owned.append(pod)
                elif not deleting:
                    await self._release(pod, uid)
                continue
            if not matches or deleting or pod["metadata"].get("deletionTimestamp"):
                continue
            if not fresh_checked:
                # Adopt only if the owner is still there and not being deleted right now.
                fresh_checked = True
                live = await self._get_owner_live(owner)
                if live is None:
                    return owned
            if await self._adopt(owner, pod):
                owned.append(pod)
        return owned

    async def _get_owner_live(self, owner: Obj) -> Obj | None:
        meta = owner["metadata"]
        try:
            live: Obj = await self.client.get(
                object_path(self.info, meta["namespace"], meta["name"])
            )
        except ApiStatusError as exc:
            if exc.code == 404:
                return None
            raise
        if live["metadata"].get("uid") != meta["uid"] or live["metadata"].get("deletionTimestamp"):
            return None
        return live

    async def _adopt(self, owner: Obj, pod: Obj) -> bool:
        ref = new_controller_ref(owner, self.info.api_version, self.kind)
        patch = {"metadata": {"ownerReferences": [ref], "uid": pod["metadata"]["uid"]}}
        try:
            await self.client.patch(
                object_path(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"]),
                patch,
                patch_type="application/strategic-merge-patch+json",
            )
        except ApiStatusError as exc:
            if exc.code in (404, 409, 422):
                return False
            raise
        return True

    async def _release(self, pod: Obj, owner_uid: str) -> None:
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
                "uid": pod["metadata"]["uid"],
            }
        }
        try:
            await self.client.patch(
                object_path(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"]),
                patch,
                patch_type="application/strategic-merge-patch+json",
            )
        except ApiStatusError as exc:
            if exc.code not in (404, 409, 422):
                raise

    async def _manage_replicas(self, key: str, owner: Obj, pods: list[Obj]) -> str | None:
        wanted = int((owner.get("spec") or {}).get("replicas", 1) or 0)
        diff = len(pods) - wanted
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            self.expectations.expect_creations(key, count)
            created, error = await self._slow_start_create(owner, count)
            for _ in range(count - created):
                self.expectations.lower_creations(key)
            return error
        if diff > 0:
            count = min(diff, BURST_REPLICAS)
            victims = self._pods_to_delete(pods, count)
            self.expectations.expect_deletions(key, [object_key(p) for p in victims])
            results = await asyncio.gather(*(self._delete_pod(owner, p) for p in victims))
            errors = [r for r in results if r]
            for pod, result in zip(victims, results, strict=True):
                if result:
                    self.expectations.deletion_observed(key, object_key(pod))
            return errors[0] if errors else None
        return None

    async def _slow_start_create(self, owner: Obj, count: int) -> tuple[int, str | None]:
        created = 0
        batch = min(count, SLOW_START_INITIAL_BATCH)
        while created < count:
            results = await asyncio.gather(*(self._create_pod(owner) for _ in range(batch)))
            errors = [r for r in results if r]
            created += batch - len(errors)
            if errors:
                return created, errors[0]
            batch = min(2 * batch, count - created)
        return created, None

    def pod_from_template(self, owner: Obj) -> Obj:
        template = (owner.get("spec") or {}).get("template") or {}
        tmeta = template.get("metadata") or {}
        meta: Obj = {
            "generateName": f"{owner['metadata']['name']}-",
            "namespace": owner["metadata"]["namespace"],
            "ownerReferences": [new_controller_ref(owner, self.info.api_version, self.kind)],
        }
        for field in ("labels", "annotations", "finalizers"):
            if tmeta.get(field):
                meta[field] = tmeta[field]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec")}

    async def _create_pod(self, owner: Obj) -> str | None:
        body = self.pod_from_template(owner)
        try:
            pod = await self.client.create(
                collection_path(PODS, owner["metadata"]["namespace"]), body
            )
        except ApiStatusError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                return None  # a generated-name collision: the next sync creates another
            message = f"Error creating: {exc}"
            self.recorder.event(owner, WARNING, "FailedCreate", message)
            return message
        self.recorder.event(
            owner, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}"
        )
        return None

    def _pods_to_delete(self, pods: list[Obj], count: int) -> list[Obj]:
        on_node: dict[str, int] = {}
        for pod in pods:
            node = (pod.get("spec") or {}).get("nodeName", "")
            if node:
                on_node[node] = on_node.get(node, 0) + 1
        now = _now()
        return sorted(pods, key=lambda p: deletion_order_key(p, on_node, now))[:count]

    async def _delete_pod(self, owner: Obj, pod: Obj) -> str | None:
        meta = pod["metadata"]
        try:
            await self.client.delete(
                object_path(PODS, meta["namespace"], meta["name"]),
                {"preconditions": {"uid": meta["uid"]}},
            )
        except ApiStatusError as exc:
            if exc.code in (404, 409):
                return None
            message = f"Error deleting: {exc}"
            self.recorder.event(owner, WARNING, "FailedDelete", message)
            return message
        self.recorder.event(owner, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return None

    def calculate_status(self, owner: Obj, pods: list[Obj], manage_error: str | None) -> Obj:
        spec = owner.get("spec") or {}
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        template_selector = selector_from_set(template_labels)
        min_ready = spec.get("minReadySeconds") or 0
        now = _now()
        fully_labeled = ready = available = 0
        for p in pods:  # one pass: this runs on every sync, over every pod of the owner
            if template_selector.matches(p["metadata"].get("labels") or {}):
                fully_labeled += 1
            if is_pod_ready(p):
                ready += 1
                if is_pod_available(p, min_ready, now):  # available implies ready
                    available += 1
        status: Obj = {
            "replicas": len(pods),
            "fullyLabeledReplicas": fully_labeled,
            "readyReplicas": ready,
            "availableReplicas": available,
            "observedGeneration": owner["metadata"].get("generation", 1),
        }
        conditions = [
            c
            for c in (owner.get("status") or {}).get("conditions") or []
            if c.get("type") != "ReplicaFailure"
        ]
        if manage_error is not None:
            wanted = int(spec.get("replicas", 1) or 0)
            old = next(
                (
                    c
                    for c in (owner.get("status") or {}).get("conditions") or []
                    if c.get("type") == "ReplicaFailure"
                ),
                None,
            )
            reason = "FailedCreate" if len(pods) < wanted else "FailedDelete"
            conditions.append(
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "lastTransitionTime": (old or {}).get("lastTransitionTime")
                    or now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "reason": reason,
                    "message": manage_error,
                }
            )
        # omitempty, as the Go struct: zero counts are left out (replicas is always written).
        status = {k: v for k, v in status.items() if v or k == "replicas"}
        if conditions:
            status["conditions"] = conditions
        return status

    async def _update_status(self, owner: Obj, pods: list[Obj], manage_error: str | None) -> None:
        status = self.calculate_status(owner, pods, manage_error)
        current = owner.get("status") or {}
        if {k: v for k, v in current.items() if k in _STATUS_FIELDS} == status:
            return
        body = dict(owner, status=status)
        meta = owner["metadata"]
        try:
            await self.client.update(
                object_path(self.info, meta["namespace"], meta["name"], "status"), body
            )
        except ApiStatusError as exc:
            if exc.code == 404:
                return
            if exc.code == 409:
                self.queue.add(object_key(owner))  # a newer version is on its way: redo
                return
            raise
        min_ready = (owner.get("spec") or {}).get("minReadySeconds") or 0
        if (
            min_ready
            and status["readyReplicas"] == (owner.get("spec") or {}).get("replicas", 1)
            and status["availableReplicas"] != status["readyReplicas"]
        ):
            self.queue.add_after(object_key(owner), min_ready)
