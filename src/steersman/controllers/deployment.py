"""DeploymentController: rolls a Deployment's pod template out through ReplicaSets
(Kubernetes' pkg/controller/deployment: sync.go, rolling.go, recreate.go, progress.go).

Invariants:
- Level-based: `sync_deployment(key)` recomputes everything from the informer caches.
- The new ReplicaSet is the one whose template equals the Deployment's (ignoring the
  pod-template-hash label); it is named `<deployment>-<hash>`, and a name collision with a
  foreign ReplicaSet bumps status.collisionCount and picks another hash.
- RollingUpdate never exceeds replicas + maxSurge pods nor drops below replicas - maxUnavailable
  available pods; Recreate scales every old ReplicaSet to zero and waits for their pods to be
  gone before the new one scales up.
- Revisions: the new ReplicaSet carries max(old revisions) + 1; a template rolled back to keeps
  its older revisions in deployment.kubernetes.io/revision-history. Old ReplicaSets scaled to
  zero beyond spec.revisionHistoryLimit (default 10) are deleted, oldest first.
- Status and conditions (Available, Progressing with Kubernetes' reasons and messages,
  ReplicaFailure) are written only when they changed.

Its parts: `rs` (deployment_replicasets: adopting, creating, scaling ReplicaSets) and `status`
(deployment_status: status and conditions), objects it holds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from steersman.api.resources import require
from steersman.client.events import WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers import deployment_util as du
from steersman.controllers.deployment_replicasets import (
    REPLICA_SETS,
    DeploymentReplicaSets,
    _copy,
    _created,
    _is_rolling,
    _spec_replicas,
)
from steersman.controllers.deployment_status import DEPLOYMENTS, DeploymentStatusSync
from steersman.controllers.pods import controller_ref

log = logging.getLogger("steersman.controllers.deployment")

Obj = dict[str, Any]
PODS = require("", "v1", "pods")


class DeploymentController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 5,
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.factory = factory
        self.workers = workers
        self.queue: WorkQueue[str] = WorkQueue()
        self.deployments = factory.informer(DEPLOYMENTS)
        self.replica_sets = factory.informer(REPLICA_SETS)
        self.pods = factory.informer(PODS)
        self.status = DeploymentStatusSync(client, self.queue)
        self.rs = DeploymentReplicaSets(client, recorder, self.replica_sets, self.status)
        self._handlers_added = False

    # -- wiring ----------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.deployments.add_event_handler(
                on_add=self._enqueue,
                on_update=lambda _o, n: self._enqueue(n),
                on_delete=self._enqueue,
            )
            self.replica_sets.add_event_handler(
                on_add=self._rs_changed,
                on_update=self._rs_updated,
                on_delete=self._rs_changed,
            )
            self.pods.add_event_handler(on_delete=self._pod_deleted)
        self.factory.start()
        for informer in (self.deployments, self.replica_sets, self.pods):
            await informer.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, deployment: Obj) -> None:
        self.queue.add(object_key(deployment))

    def _owner_key(self, obj: Obj) -> str | None:
        ref = controller_ref(obj)
        if ref is None or ref.get("kind") != "Deployment":
            return None
        namespace = obj["metadata"].get("namespace", "")
        owner = self.deployments.get(namespace, ref.get("name", ""))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return object_key(owner)

    def _rs_changed(self, rs: Obj) -> None:
        key = self._owner_key(rs)
        if key is not None:
            self.queue.add(key)
            return
        if controller_ref(rs) is None:
            for d in self._matching_deployments(rs):
                self._enqueue(d)

    def _rs_updated(self, old: Obj, new: Obj) -> None:
        old_key = self._owner_key(old)
        if old_key is not None and old_key != self._owner_key(new):
            self.queue.add(old_key)
        self._rs_changed(new)

    def _pod_deleted(self, pod: Obj) -> None:
        # Recreate waits for old pods to be gone: a pod deletion may unblock it.
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.replica_sets.get(pod["metadata"].get("namespace", ""), ref.get("name", ""))
        if rs is not None:
            key = self._owner_key(rs)
            if key is not None:
                self.queue.add(key)

    def _matching_deployments(self, rs: Obj) -> list[Obj]:
        labels = rs["metadata"].get("labels") or {}
        namespace = rs["metadata"].get("namespace", "")
        out = []
        for d in self.deployments.store.by_index("namespace", namespace):
            selector = self.rs.selector(d)
            if not selector.empty and selector.matches(labels):
                out.append(d)
        return out

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.sync_deployment(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | OSError | TimeoutError):
                    log.info("sync deployment %s: %s", key, exc)
                else:
                    log.exception("sync deployment %s", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    # -- sync ---------------------------------------------------------------------------
    async def sync_deployment(self, key: str) -> None:
        namespace, name = split_key(key)
        cached = self.deployments.get(namespace, name)
        if cached is None:
            return
        d = _copy(cached)
        if self.rs.selector(d).empty:
            self.recorder.event(
                d,
                WARNING,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            return
        rs_list = await self.rs.claim_replica_sets(d)
        if d["metadata"].get("deletionTimestamp"):
            await self._sync_status_only(d, rs_list)
            return
        await self.status.check_paused_conditions(d)
        if (d.get("spec") or {}).get("paused"):
            await self._sync(d, rs_list)
            return
        if self.rs.is_scaling_event(d, rs_list):
            await self._sync(d, rs_list)
            return
        if ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate":
            await self._rollout_recreate(d, rs_list)
        else:
            await self._rollout_rolling(d, rs_list)

    # -- strategies -------------------------------------------------------------------
    async def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self.rs.get_all_replica_sets(d, rs_list, create=True)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        if new_rs is not None and await self._reconcile_new(d, all_rs, new_rs):
            await self.status.sync_rollout_status(d, all_rs, new_rs)
            return
        if await self._reconcile_old(d, all_rs, [r for r in old if _spec_replicas(r) > 0], new_rs):
            await self.status.sync_rollout_status(d, all_rs, new_rs)
            return
        status = self.status.calculate_status(d, all_rs, new_rs)
        if du.deployment_complete(d, status):
            await self._cleanup(d, old)
        await self.status.sync_rollout_status(d, all_rs, new_rs)

    async def _reconcile_new(self, d: Obj, all_rs: list[Obj], new_rs: Obj) -> bool:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        current = _spec_replicas(new_rs)
        if current == replicas:
            return False
        if current > replicas:
            return await self.rs.scale(d, new_rs, replicas)
        return await self.rs.scale(d, new_rs, du.new_rs_new_replicas(d, all_rs, new_rs))

    async def _reconcile_old(
        self, d: Obj, all_rs: list[Obj], old: list[Obj], new_rs: Obj | None
    ) -> bool:
        if du.replicas_of(old) == 0:
            return False
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        min_available = replicas - du.max_unavailable(d)
        new_unavailable = (
            _spec_replicas(new_rs) - int((new_rs.get("status") or {}).get("availableReplicas", 0))
            if new_rs
            else 0
        )
        max_scaled_down = du.replicas_of(all_rs) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = 0
        for rs in sorted(old, key=_created):
            if cleaned >= max_scaled_down:
                break
            size = _spec_replicas(rs)
            available = int((rs.get("status") or {}).get("availableReplicas", 0))
            if size == 0 or size == available:
                continue
            count = min(max_scaled_down - cleaned, size - available)
            await self.rs.scale(d, rs, size - count)
            cleaned += count
        available_all = du.status_sum(all_rs, "availableReplicas")
        scaled = 0
        if available_all > min_available:
            total = available_all - min_available
            for rs in sorted(old, key=_created):
                if scaled >= total:
                    break
                size = _spec_replicas(rs)
                if size == 0:
                    continue
                count = min(size, total - scaled)
                await self.rs.scale(d, rs, size - count)
                scaled += count
        return cleaned + scaled > 0

    async def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self.rs.get_all_replica_sets(d, rs_list, create=False)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        scaled = False
        for rs in old:
            if _spec_replicas(rs) > 0:
                scaled |= await self.rs.scale(d, rs, 0)
        if scaled:
            await self.status.sync_rollout_status(d, all_rs, new_rs)
            return
        if self._old_pods_running(old):
            await self.status.sync_rollout_status(d, all_rs, new_rs)
            return
        if new_rs is None:
            new_rs, old = await self.rs.get_all_replica_sets(d, rs_list, create=True)
            all_rs = [*old, *([new_rs] if new_rs else [])]
        if new_rs is not None:
            await self._reconcile_new(d, all_rs, new_rs)
        status = self.status.calculate_status(d, all_rs, new_rs)
        if du.deployment_complete(d, status):
            await self._cleanup(d, old)
        await self.status.sync_rollout_status(d, all_rs, new_rs)

    def _old_pods_running(self, old: list[Obj]) -> bool:
        if du.status_sum(old, "replicas") > 0:
            return True
        old_uids = {rs["metadata"]["uid"] for rs in old}
        for pod in self.pods.store.list():
            ref = controller_ref(pod)
            if ref is None or ref.get("uid") not in old_uids:
                continue
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
        return False

    async def _sync(self, d: Obj, rs_list: list[Obj]) -> None:
        """Scaling only (paused deployments and scaling events)."""
        new_rs, old = await self.rs.get_all_replica_sets(d, rs_list, create=False)
        await self._proportional_scale(d, new_rs, old)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        if (d.get("spec") or {}).get("paused"):
            await self._cleanup(d, old)
        status = self.status.calculate_status(d, all_rs, new_rs)
        await self.status.write_status(d, status)

    async def _proportional_scale(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        all_rs = [r for r in [new_rs, *old] if r is not None]
        active = [r for r in all_rs if _spec_replicas(r) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new_rs or (max(old, key=_created) if old else None))
            if target is not None and _spec_replicas(target) != replicas:
                await self.rs.scale(d, target, replicas)
            return
        if new_rs is not None and _spec_replicas(new_rs) == replicas:
            for rs in old:
                if _spec_replicas(rs) > 0:
                    await self.rs.scale(d, rs, 0)
            return
        if not _is_rolling(d):
            return
        surge = du.resolve_fenceposts(d)[0]
        current = du.replicas_of(active)
        to_add = replicas + surge - current
        if to_add == 0:
            return
        ordered = sorted(active, key=lambda r: (-_spec_replicas(r), -_created(r)[0]))
        added = 0
        sizes = {}
        for rs in ordered:
            share = int(_spec_replicas(rs) * to_add / current) if current else 0
            sizes[rs["metadata"]["uid"]] = _spec_replicas(rs) + share
            added += share
        first = ordered[0]["metadata"]["uid"]
        sizes[first] += to_add - added
        for rs in ordered:
            await self.rs.scale(d, rs, max(0, sizes[rs["metadata"]["uid"]]))

    async def _cleanup(self, d: Obj, old: list[Obj]) -> None:
        limit = (d.get("spec") or {}).get("revisionHistoryLimit", 10)
        if limit is None:
            return
        dead = [
            rs
            for rs in old
            if _spec_replicas(rs) == 0
            and int((rs.get("status") or {}).get("replicas", 0)) == 0
            and not rs["metadata"].get("deletionTimestamp")
        ]
        extra = len(dead) - int(limit)
        for rs in sorted(dead, key=du.revision)[: max(extra, 0)]:
            try:
                await self.client.delete(
                    object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]),
                    {"preconditions": {"uid": rs["metadata"]["uid"]}},
                )
            except ApiStatusError as exc:
                if exc.code not in (404, 409):
                    raise

    # -- status ------------------------------------------------------------------------
    async def _sync_status_only(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self.rs.get_all_replica_sets(d, rs_list, create=False)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        await self.status.write_status(d, self.status.calculate_status(d, all_rs, new_rs))
