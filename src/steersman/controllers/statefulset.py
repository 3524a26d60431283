"""StatefulSetController: pods with stable names, stable storage and ordered rollout
(Kubernetes' pkg/controller/statefulset: stateful_set.go, stateful_set_control.go).

Invariants:
- Level-based: `sync(key)` recomputes everything from the informer caches; each sync either
  makes progress or waits for the cache to show the effect of its last write.
- OrderedReady (monotonic): at most one pod is created, or deleted, per sync; pod N+1 is created
  only when pods start..N are Running, Ready and available for minReadySeconds; condemned pods
  (out of range) go highest ordinal first, each only when all others are healthy. Parallel
  (burst): all creates and deletes of a sync run in slow-start batches.
- Failed or Succeeded pods are deleted and recreated with the same name.
- Revisions: the update revision is the ControllerRevision equal to the current template (an
  older equal one is renumbered on rollback, else a new one is created, `<set>-<hash>`);
  status.currentRevision becomes the update revision once every replica is updated and ready.
- RollingUpdate deletes at most maxUnavailable out-of-date pods at ordinals >= partition,
  highest first, and only while fewer than maxUnavailable replicas are unavailable; OnDelete
  never deletes for an update. Non-live revisions beyond revisionHistoryLimit are deleted.
- Status (omitempty as Go writes it) is written only when it differs; a set being deleted only
  gets its status updated.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from steersman.api.labels import Selector, selector_from_label_selector
from steersman.api.resources import require
from steersman.client.events import EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers import history
from steersman.controllers import statefulset_util as su
from steersman.controllers.pods import controller_ref, is_pod_ready
from steersman.controllers.ref_manager import ControllerRefManager
from steersman.controllers.stateful_pod_control import (
    CLAIMS,
    PODS,
    StatefulPodControl,
    StatefulSetError,
)

log = logging.getLogger("steersman.controllers.statefulset")

Obj = dict[str, Any]
STATEFUL_SETS = require("apps", "v1", "statefulsets")
MAX_BATCH_SIZE = 500
_STATUS_RETRIES = 5


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class StatefulSetController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 5,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder
        self.workers = workers
        self.queue: WorkQueue[str] = WorkQueue()
        self.sets = factory.informer(STATEFUL_SETS)
        self.pods = factory.informer(PODS)
        self.claims = factory.informer(CLAIMS)
        self.revisions = factory.informer(history.REVISIONS)
        self.history = history.History(client, self.revisions)
        self.pod_control = StatefulPodControl(client, self.pods, self.claims, recorder)
        self._handlers_added = False

    # -- wiring ------------------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.sets.add_event_handler(
                on_add=self._enqueue,
                on_update=lambda _old, new: self._enqueue(new),
                on_delete=self._enqueue,
            )
            self.pods.add_event_handler(
                on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
            )
        self.factory.start()
        for informer in (self.sets, self.pods, self.claims, self.revisions):
            await informer.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, set_: Obj) -> None:
        self.queue.add(object_key(set_))

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != su.SET_KIND:
            return None
        set_ = self.sets.get(namespace, ref.get("name", ""))
        if set_ is None or set_["metadata"].get("uid") != ref.get("uid"):
            return None
        return set_

    def _sets_for_pod(self, pod: Obj) -> list[Obj]:
        labels = pod["metadata"].get("labels") or {}
        out = []
        for set_ in self.sets.store.by_index("namespace", pod["metadata"].get("namespace", "")):
            try:
                selector = selector_from_label_selector((set_.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if not selector.empty and selector.matches(labels):
                out.append(set_)
        return out

    def _pod_added(self, pod: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        ref = controller_ref(pod)
        if ref is not None:
            set_ = self._resolve(pod["metadata"].get("namespace", ""), ref)
            if set_ is not None:
                self._enqueue(set_)
            return
        for set_ in self._sets_for_pod(pod):
            self._enqueue(set_)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        namespace = new["metadata"].get("namespace", "")
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            old_set = self._resolve(namespace, old_ref)
            if old_set is not None:
                self._enqueue(old_set)
        if new_ref is not None:
            set_ = self._resolve(namespace, new_ref)
            if set_ is None:
                return
            self._enqueue(set_)
            min_ready = int((set_.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                # Available only after minReadySeconds: look again then (+1 s for skew).
                self.queue.add_after(object_key(set_), min_ready + 1)
            return
        if old["metadata"].get("labels") != new["metadata"].get("labels") or old_ref != new_ref:
            for set_ in self._sets_for_pod(new):
                self._enqueue(set_)

    def _pod_deleted(self, pod: Obj) -> None:
        set_ = self._resolve(pod["metadata"].get("namespace", ""), controller_ref(pod))
        if set_ is not None:
            self._enqueue(set_)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.sync(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | StatefulSetError | OSError | TimeoutError):
                    log.info("error syncing StatefulSet %s, requeuing: %s", key, exc)
                else:
                    log.exception("error syncing StatefulSet %s", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    # -- sync ----------------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        cached = self.sets.get(namespace, name)
        if cached is None:
            return
        set_ = copy.deepcopy(cached)
        try:
            selector = selector_from_label_selector((set_.get("spec") or {}).get("selector"))
        except ValueError:
            return  # not transient: do not retry
        manager = ControllerRefManager(
            self.client,
            owner=set_,
            owner_info=STATEFUL_SETS,
            child_info=PODS,
            selector=selector,
        )
        await self._adopt_orphan_revisions(set_, selector, manager)
        pods = await self._get_pods_for_stateful_set(set_, manager)
        status = await self.update_stateful_set(set_, selector, pods)
        min_ready = int((set_.get("spec") or {}).get("minReadySeconds") or 0)
        if min_ready > 0 and status.get("availableReplicas", 0) != su.spec_replicas(set_):
            self.queue.add_after(key, min_ready)

    async def _adopt_orphan_revisions(
        self, set_: Obj, selector: Selector, manager: ControllerRefManager
    ) -> None:
        orphans = [
            r
            for r in self.history.list_controller_revisions(set_, selector)
            if controller_ref(r) is None
        ]
        if not orphans:
            return
        if not await manager.can_adopt():
            raise StatefulSetError("can't adopt ControllerRevisions: the StatefulSet is gone")
        for revision in orphans:
            await self.history.adopt_controller_revision(
                set_, STATEFUL_SETS.api_version, su.SET_KIND, revision
            )

    async def _get_pods_for_stateful_set(
        self, set_: Obj, manager: ControllerRefManager
    ) -> list[Obj]:
        uid = set_["metadata"]["uid"]
        candidates = [
            p
            for p in self.pods.store.by_index("namespace", set_["metadata"]["namespace"])
            if (controller_ref(p) or {}).get("uid", uid) == uid
        ]
        return await manager.claim(candidates, lambda pod: su.is_member_of(set_, pod))

    async def update_stateful_set(self, set_: Obj, selector: Selector, pods: list[Obj]) -> Obj:
        """UpdateStatefulSet: revisions, pods, status, then history truncation (always)."""
        revisions = history.sort_controller_revisions(
            self.history.list_controller_revisions(set_, selector)
        )
        current: Obj | None = None
        update: Obj | None = None
        try:
            current, update, collision_count = await self._get_stateful_set_revisions(
                set_, revisions
            )
            status, error = await self._update_pods(set_, current, update, collision_count, pods)
            await self._update_stateful_set_status(set_, status)
            if error is not None:
                raise error
        finally:
            await self._truncate_history(set_, pods, revisions, current, update)
        return status

    async def _get_stateful_set_revisions(
        self, set_: Obj, revisions: list[Obj]
    ) -> tuple[Obj, Obj, int]:
        status = set_.get("status") or {}
        collision_count = int(status.get("collisionCount") or 0)
        update = su.new_revision(set_, history.next_revision(revisions), collision_count)
        equal = history.find_equal_revisions(revisions, update)
        if equal and history.equal_revision(revisions[-1], equal[-1]):
            update = revisions[-1]  # the template did not change
        elif equal:
            # A rollback: the older equal revision becomes the newest.
            update = await self.history.update_controller_revision(
                equal[-1], history.revision_number(update)
            )
        else:
            update, collision_count = await self.history.create_controller_revision(
                set_, update, collision_count
            )
        current = next(
            (r for r in revisions if r["metadata"]["name"] == status.get("currentRevision")),
            update,
        )
        return current, update, collision_count

    async def _truncate_history(
        self,
        set_: Obj,
        pods: list[Obj],
        revisions: list[Obj],
        current: Obj | None,
        update: Obj | None,
    ) -> None:
        live = {r["metadata"]["name"] for r in (current, update) if r is not None}
        live |= {su.get_pod_revision(p) for p in pods}
        old = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = (set_.get("spec") or {}).get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        if limit < 0 or len(old) <= limit:
            return
        for revision in old[: len(old) - limit]:
            await self.history.delete_controller_revision(revision)

    # -- the pods ---------------------------------------------------------------------------
    async def _update_pods(
        self, set_: Obj, current: Obj, update: Obj, collision_count: int, pods: list[Obj]
    ) -> tuple[Obj, Exception | None]:
        """updateStatefulSet: returns the status to record and the error that stopped it."""
        current_set = history.apply_revision(set_, current)
        update_set = history.apply_revision(set_, update)
        meta = set_["metadata"]
        min_ready = int((set_.get("spec") or {}).get("minReadySeconds") or 0)
        status: Obj = {
            "observedGeneration": meta.get("generation", 0),
            "currentRevision": current["metadata"]["name"],
            "updateRevision": update["metadata"]["name"],
            "collisionCount": collision_count,
        }
        _count(status, min_ready, current, update, pods)

        start = su.start_ordinal(set_)
        replicas: list[Obj | None] = [None] * su.spec_replicas(set_)
        condemned: list[Obj] = []
        for pod in pods:
            if su.pod_in_ordinal_range(pod, set_):
                replicas[su.get_ordinal(pod) - start] = pod
            elif su.get_ordinal(pod) >= 0:
                condemned.append(pod)
        built: list[Obj] = [
            pod
            if pod is not None
            else su.new_versioned_stateful_set_pod(
                current_set,
                update_set,
                current["metadata"]["name"],
                update["metadata"]["name"],
                start + i,
            )
            for i, pod in enumerate(replicas)
        ]
        condemned.sort(key=su.get_ordinal, reverse=True)
        now = _now()
        first_unavailable = next(
            (p for p in [*built, *reversed(condemned)] if su.is_unavailable(p, min_ready, now)),
            None,
        )
        if meta.get("deletionTimestamp"):
            return status, None

        monotonic = not su.allows_burst(set_)
        try:
            steps: list[Callable[[int], Awaitable[bool]]] = [
                lambda i: self._process_replica(set_, update_set, monotonic, built, i),
                lambda i: self._fix_pod_claim(update_set, condemned, i),
                lambda i: self._process_condemned(
                    set_, first_unavailable, monotonic, condemned, i, min_ready
                ),
            ]
            for step, targets in zip(steps, (built, condemned, condemned), strict=True):
                if await _run_for_all(len(targets), step, monotonic):
                    _count(status, min_ready, current, update, built, condemned)
                    return status, None
            _count(status, min_ready, current, update, built, condemned)
            if ((set_.get("spec") or {}).get("updateStrategy") or {}).get("type") == "OnDelete":
                return status, None
            await self._rolling_update(set_, built, update, status, min_ready)
        except (ApiStatusError, StatefulSetError) as exc:
            _count(status, min_ready, current, update, built, condemned)
            return status, exc
        return status, None

    async def _process_replica(
        self, set_: Obj, update_set: Obj, monotonic: bool, replicas: list[Obj], i: int
    ) -> bool:
        """One in-range ordinal; True means stop here (monotonic: wait for this pod)."""
        pod = replicas[i]
        if su.is_failed(pod) or su.is_succeeded(pod):
            # Whatever the exit code, a stateful pod is restarted: delete it, recreate later.
            if not su.is_terminating(pod):
                await self.pod_control.delete_stateful_pod(set_, pod)
            return True
        if not su.is_created(pod):
            if self.pod_control.pod_claim_is_stale(set_, pod):
                return True  # the garbage collector will remove the old claim first
            await self.pod_control.create_stateful_pod(set_, pod)
            if monotonic:
                return True
        if su.is_pending(pod):
            await self.pod_control.create_missing_persistent_volume_claims(set_, pod)
        if monotonic and su.is_terminating(pod):
            return True
        min_ready = int((set_.get("spec") or {}).get("minReadySeconds") or 0)
        if monotonic and not su.is_running_and_ready(pod):
            return True
        if monotonic and not su.is_running_and_available(pod, min_ready, _now()):
            return True
        retention_match = True
        if su.is_created(pod):
            retention_match = await self.pod_control.claims_match_retention_policy(update_set, pod)
        if su.identity_matches(set_, pod) and su.storage_matches(set_, pod) and retention_match:
            return False
        if su.is_created(pod):
            await self.pod_control.update_stateful_pod(update_set, pod)
        return False

    async def _fix_pod_claim(self, update_set: Obj, condemned: list[Obj], i: int) -> bool:
        pod = condemned[i]
        if not await self.pod_control.claims_match_retention_policy(update_set, pod):
            await self.pod_control.update_pod_claim_for_retention_policy(update_set, pod)
        return False

    async def _process_condemned(
        self,
        set_: Obj,
        first_unavailable: Obj | None,
        monotonic: bool,
        condemned: list[Obj],
        i: int,
        min_ready: int,
    ) -> bool:
        pod = condemned[i]
        if su.is_terminating(pod):
            return monotonic  # monotonic: wait for it to go
        if monotonic and pod is not first_unavailable:
            if not su.is_running_and_ready(pod):
                return True
            if not su.is_running_and_available(pod, min_ready, _now()):
                return True
        await self.pod_control.delete_stateful_pod(set_, pod)
        return True

    async def _rolling_update(
        self, set_: Obj, replicas: list[Obj], update: Obj, status: Obj, min_ready: int
    ) -> None:
        """updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet on)."""
        rolling = ((set_.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate")
        update_min = int((rolling or {}).get("partition") or 0)
        max_unavailable = (
            su.max_unavailable(set_, su.spec_replicas(set_)) if rolling is not None else 1
        )
        now = _now()
        unavailable = sum(1 for p in replicas if su.is_unavailable(p, min_ready, now))
        if unavailable >= max_unavailable:
            return
        to_delete = max_unavailable - unavailable
        update_name = update["metadata"]["name"]
        for target in range(len(replicas) - 1, update_min - 1, -1):
            if to_delete <= 0:
                break
            pod = replicas[target]
            if su.get_pod_revision(pod) != update_name and not su.is_terminating(pod):
                try:
                    await self.pod_control.delete_stateful_pod(set_, pod)
                except ApiStatusError as exc:
                    if exc.code != 404:
                        raise
                to_delete -= 1
                status["currentReplicas"] -= 1

    # -- status ------------------------------------------------------------------------------
    async def _update_stateful_set_status(self, set_: Obj, status: Obj) -> None:
        su.complete_rolling_update(set_, status)
        if not su.inconsistent_status(set_, status):
            return
        body = dict(set_, status=su.status_body(status))
        meta = set_["metadata"]
        path = object_path(STATEFUL_SETS, meta["namespace"], meta["name"], "status")
        for _ in range(_STATUS_RETRIES):
            try:
                await self.client.update(path, body)
                return
            except ApiStatusError as exc:
                if exc.code == 404:
                    return
                if exc.code != 409:
                    raise
            fresh = await self.client.get(
                object_path(STATEFUL_SETS, meta["namespace"], meta["name"])
            )
            body = dict(fresh, status=su.status_body(status))
        raise StatefulSetError(f"conflicts updating the status of StatefulSet {meta['name']}")


def _count(status: Obj, min_ready: int, current: Obj, update: Obj, *pod_lists: list[Obj]) -> None:
    """updateStatus: replica counts over the given pods (only created ones count)."""
    now = _now()
    current_name, update_name = current["metadata"]["name"], update["metadata"]["name"]
    counts = dict.fromkeys(
        ("replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"),
        0,
    )
    for pods in pod_lists:
        for pod in pods:
            if su.is_created(pod):
                counts["replicas"] += 1
            if su.is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                if su.is_running_and_available(pod, min_ready, now):
                    counts["availableReplicas"] += 1
            if su.is_created(pod) and not su.is_terminating(pod):
                revision = su.get_pod_revision(pod)
                if revision == current_name:
                    counts["currentReplicas"] += 1
                if revision == update_name:
                    counts["updatedReplicas"] += 1
    status.update(counts)


async def _run_for_all(count: int, step: Callable[[int], Awaitable[bool]], monotonic: bool) -> bool:
    """runForAll: monotonic stops at the first step asking to; burst runs slow-start batches
    and stops (raising the first error) at the first failing batch. True means stop here."""
    if monotonic:
        for i in range(count):
            if await step(i):
                return True
        return False
    done, batch = 0, min(count, 1)
    while batch > 0:
        results = await asyncio.gather(
            *(step(i) for i in range(done, done + batch)), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        done += batch
        batch = min(2 * batch, count - done, MAX_BATCH_SIZE)
    return False
