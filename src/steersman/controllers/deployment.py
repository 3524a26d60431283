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
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from typing import Any

from steersman.api.labels import Selector, selector_from_label_selector
from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers import deployment_util as du
from steersman.controllers.pods import controller_ref, new_controller_ref, parse_time

log = logging.getLogger("steersman.controllers.deployment")

Obj = dict[str, Any]
DEPLOYMENTS = require("apps", "v1", "deployments")
REPLICA_SETS = require("apps", "v1", "replicasets")
PODS = require("", "v1", "pods")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _created(obj: Obj) -> tuple[float, str]:
    when = parse_time(obj["metadata"].get("creationTimestamp"))
    return (when.timestamp() if when else 0.0, obj["metadata"]["name"])


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
            selector = self._selector(d)
            if not selector.empty and selector.matches(labels):
                out.append(d)
        return out

    @staticmethod
    def _selector(d: Obj) -> Selector:
        return selector_from_label_selector((d.get("spec") or {}).get("selector"))

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
        if self._selector(d).empty:
            self.recorder.event(
                d,
                WARNING,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            return
        rs_list = await self._claim_replica_sets(d)
        if d["metadata"].get("deletionTimestamp"):
            await self._sync_status_only(d, rs_list)
            return
        await self._check_paused_conditions(d)
        if (d.get("spec") or {}).get("paused"):
            await self._sync(d, rs_list)
            return
        if self._is_scaling_event(d, rs_list):
            await self._sync(d, rs_list)
            return
        if ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate":
            await self._rollout_recreate(d, rs_list)
        else:
            await self._rollout_rolling(d, rs_list)

    async def _claim_replica_sets(self, d: Obj) -> list[Obj]:
        uid = d["metadata"]["uid"]
        selector = self._selector(d)
        owned = []
        for rs in self.replica_sets.store.by_index("namespace", d["metadata"]["namespace"]):
            ref = controller_ref(rs)
            matches = selector.matches(rs["metadata"].get("labels") or {})
            if ref is not None:
                if ref.get("uid") == uid and matches:
                    owned.append(_copy(rs))
                elif ref.get("uid") == uid and not d["metadata"].get("deletionTimestamp"):
                    await self._patch_rs(
                        rs,
                        {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}]}},
                    )
                continue
            if matches and not d["metadata"].get("deletionTimestamp"):
                ref = new_controller_ref(d, "apps/v1", "Deployment")
                if await self._patch_rs(rs, {"metadata": {"ownerReferences": [ref]}}):
                    owned.append(_copy(rs))
        return owned

    async def _patch_rs(self, rs: Obj, patch: Obj) -> bool:
        patch["metadata"]["uid"] = rs["metadata"]["uid"]
        try:
            await self.client.patch(
                object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]),
                patch,
                patch_type="application/strategic-merge-patch+json",
            )
        except ApiStatusError as exc:
            if exc.code in (404, 409, 422):
                return False
            raise
        return True

    def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new_rs, old = self._split(d, rs_list)
        replicas = str((d.get("spec") or {}).get("replicas", 1))
        for rs in [r for r in [new_rs, *old] if r and _spec_replicas(r) > 0]:
            desired = (rs["metadata"].get("annotations") or {}).get(du.DESIRED_REPLICAS)
            if desired is not None and desired != replicas:
                return True
        return False

    def _split(self, d: Obj, rs_list: list[Obj]) -> tuple[Obj | None, list[Obj]]:
        template = (d.get("spec") or {}).get("template") or {}
        matching = sorted(
            (
                rs
                for rs in rs_list
                if du.equal_ignore_hash((rs.get("spec") or {}).get("template") or {}, template)
            ),
            key=_created,
        )
        new_rs = matching[0] if matching else None
        old = [
            rs
            for rs in rs_list
            if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]
        ]
        return new_rs, old

    async def _get_all_replica_sets(
        self, d: Obj, rs_list: list[Obj], *, create: bool
    ) -> tuple[Obj | None, list[Obj]]:
        new_rs, old = self._split(d, rs_list)
        new_revision = du.max_revision(old) + 1
        if new_rs is not None:
            new_rs = await self._sync_existing_new_rs(d, new_rs, new_revision)
            return new_rs, old
        if not create:
            return None, old
        return await self._create_new_rs(d, old, new_revision), old

    async def _sync_existing_new_rs(self, d: Obj, rs: Obj, new_revision: int) -> Obj:
        changed = du.copy_annotations(d, rs)
        annotations = rs["metadata"].setdefault("annotations", {})
        old_revision = annotations.get(du.REVISION)
        if du.revision(rs) < new_revision:
            if old_revision:
                history = [h for h in annotations.get(du.REVISION_HISTORY, "").split(",") if h]
                annotations[du.REVISION_HISTORY] = ",".join([*history, old_revision])
            annotations[du.REVISION] = str(new_revision)
            changed = True
        changed |= self._set_replicas_annotations(d, rs)
        min_ready = (d.get("spec") or {}).get("minReadySeconds") or 0
        if ((rs.get("spec") or {}).get("minReadySeconds") or 0) != min_ready:
            rs["spec"]["minReadySeconds"] = min_ready
            changed = True
        if changed:
            rs = await self.client.update(
                object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]), rs
            )
        await self._set_deployment_revision(d, rs["metadata"]["annotations"].get(du.REVISION, ""))
        if du.get_condition(d.get("status") or {}, "Progressing") is None:
            status = dict(d.get("status") or {})
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    f'Found new replica set "{rs["metadata"]["name"]}"',
                    _now(),
                ),
            )
            await self._write_status(d, status)
        return rs

    def _set_replicas_annotations(self, d: Obj, rs: Obj) -> bool:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        surge = du.resolve_fenceposts(d)[0] if _is_rolling(d) else 0
        annotations = rs["metadata"].setdefault("annotations", {})
        wanted = {du.DESIRED_REPLICAS: str(replicas), du.MAX_REPLICAS: str(replicas + surge)}
        if all(annotations.get(k) == v for k, v in wanted.items()):
            return False
        annotations.update(wanted)
        return True

    async def _set_deployment_revision(self, d: Obj, revision: str) -> None:
        if not revision or (d["metadata"].get("annotations") or {}).get(du.REVISION) == revision:
            return
        patched = await self.client.patch(
            object_path(DEPLOYMENTS, d["metadata"]["namespace"], d["metadata"]["name"]),
            {"metadata": {"annotations": {du.REVISION: revision}}},
        )
        d["metadata"] = patched["metadata"]

    async def _create_new_rs(self, d: Obj, old: list[Obj], new_revision: int) -> Obj | None:
        spec = d.get("spec") or {}
        status = dict(d.get("status") or {})
        template = _copy(spec.get("template") or {})
        pod_hash = du.compute_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[du.POD_TEMPLATE_HASH] = (
            pod_hash
        )
        selector = _copy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[du.POD_TEMPLATE_HASH] = pod_hash
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": d["metadata"]["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [new_controller_ref(d, "apps/v1", "Deployment")],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": spec.get("minReadySeconds") or 0,
                "selector": selector,
                "template": template,
            },
        }
        du.copy_annotations(d, rs)
        rs["metadata"]["annotations"][du.REVISION] = str(new_revision)
        self._set_replicas_annotations(d, rs)
        rs["spec"]["replicas"] = du.new_rs_new_replicas(d, old, rs)
        try:
            created = await self.client.create(
                collection_path(REPLICA_SETS, d["metadata"]["namespace"]), rs
            )
        except ApiStatusError as exc:
            if exc.code != 409 or exc.reason != "AlreadyExists":
                raise
            existing = await self.client.get(
                object_path(REPLICA_SETS, d["metadata"]["namespace"], name)
            )
            ref = controller_ref(existing)
            if (
                ref is not None
                and ref.get("uid") == d["metadata"]["uid"]
                and du.equal_ignore_hash(
                    (existing.get("spec") or {}).get("template") or {}, spec.get("template") or {}
                )
            ):
                return existing  # ours: the cache had not seen it yet
            status["collisionCount"] = (status.get("collisionCount") or 0) + 1
            await self._write_status(d, status)
            raise RuntimeError(f"hash collision for ReplicaSet {name}") from exc
        replicas = _spec_replicas(created)
        if replicas > 0:
            self.recorder.event(
                d, NORMAL, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}"
            )
        await self._set_deployment_revision(d, str(new_revision))
        du.set_condition(
            status,
            du.new_condition(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                f'Created new replica set "{name}"',
                _now(),
            ),
        )
        await self._write_status(d, status)
        return created

    async def _scale(self, d: Obj, rs: Obj, new_size: int) -> bool:
        old_size = _spec_replicas(rs)
        annotations_changed = self._set_replicas_annotations(d, rs)
        if old_size == new_size and not annotations_changed:
            return False
        rs["spec"]["replicas"] = new_size
        updated = await self.client.update(
            object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]), rs
        )
        rs.update(updated)
        if old_size != new_size:
            direction = "up" if new_size > old_size else "down"
            self.recorder.event(
                d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} from {old_size} to {new_size}",
            )
        return old_size != new_size

    # -- strategies -------------------------------------------------------------------
    async def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all_replica_sets(d, rs_list, create=True)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        if new_rs is not None and await self._reconcile_new(d, all_rs, new_rs):
            await self._sync_rollout_status(d, all_rs, new_rs)
            return
        if await self._reconcile_old(d, all_rs, [r for r in old if _spec_replicas(r) > 0], new_rs):
            await self._sync_rollout_status(d, all_rs, new_rs)
            return
        status = self._calculate_status(d, all_rs, new_rs)
        if du.deployment_complete(d, status):
            await self._cleanup(d, old)
        await self._sync_rollout_status(d, all_rs, new_rs)

    async def _reconcile_new(self, d: Obj, all_rs: list[Obj], new_rs: Obj) -> bool:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        current = _spec_replicas(new_rs)
        if current == replicas:
            return False
        if current > replicas:
            return await self._scale(d, new_rs, replicas)
        return await self._scale(d, new_rs, du.new_rs_new_replicas(d, all_rs, new_rs))

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
            await self._scale(d, rs, size - count)
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
                await self._scale(d, rs, size - count)
                scaled += count
        return cleaned + scaled > 0

    async def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all_replica_sets(d, rs_list, create=False)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        scaled = False
        for rs in old:
            if _spec_replicas(rs) > 0:
                scaled |= await self._scale(d, rs, 0)
        if scaled:
            await self._sync_rollout_status(d, all_rs, new_rs)
            return
        if self._old_pods_running(old):
            await self._sync_rollout_status(d, all_rs, new_rs)
            return
        if new_rs is None:
            new_rs, old = await self._get_all_replica_sets(d, rs_list, create=True)
            all_rs = [*old, *([new_rs] if new_rs else [])]
        if new_rs is not None:
            await self._reconcile_new(d, all_rs, new_rs)
        status = self._calculate_status(d, all_rs, new_rs)
        if du.deployment_complete(d, status):
            await self._cleanup(d, old)
        await self._sync_rollout_status(d, all_rs, new_rs)

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
        new_rs, old = await self._get_all_replica_sets(d, rs_list, create=False)
        await self._proportional_scale(d, new_rs, old)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        if (d.get("spec") or {}).get("paused"):
            await self._cleanup(d, old)
        status = self._calculate_status(d, all_rs, new_rs)
        await self._write_status(d, status)

    async def _proportional_scale(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        all_rs = [r for r in [new_rs, *old] if r is not None]
        active = [r for r in all_rs if _spec_replicas(r) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new_rs or (max(old, key=_created) if old else None))
            if target is not None and _spec_replicas(target) != replicas:
                await self._scale(d, target, replicas)
            return
        if new_rs is not None and _spec_replicas(new_rs) == replicas:
            for rs in old:
                if _spec_replicas(rs) > 0:
                    await self._scale(d, rs, 0)
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
            await self._scale(d, rs, max(0, sizes[rs["metadata"]["uid"]]))

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
    def _calculate_status(self, d: Obj, all_rs: list[Obj], new_rs: Obj | None) -> Obj:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        available = du.status_sum(all_rs, "availableReplicas")
        current = d.get("status") or {}
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": du.status_sum(all_rs, "replicas"),
            "updatedReplicas": du.status_sum([new_rs], "replicas"),
            "readyReplicas": du.status_sum(all_rs, "readyReplicas"),
            "availableReplicas": available,
            "unavailableReplicas": max(replicas - available, 0),
        }
        status = {k: v for k, v in status.items() if v}
        if current.get("collisionCount"):
            status["collisionCount"] = current["collisionCount"]
        status["conditions"] = [dict(c) for c in current.get("conditions") or []]
        now = _now()
        if available >= replicas - du.max_unavailable(d):
            cond = du.new_condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            )
        else:
            cond = du.new_condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        du.set_condition(status, cond)
        return status

    async def _sync_rollout_status(self, d: Obj, all_rs: list[Obj], new_rs: Obj | None) -> None:
        status = self._calculate_status(d, all_rs, new_rs)
        spec = d.get("spec") or {}
        now = _now()
        deadline = spec.get("progressDeadlineSeconds", 600)
        requeue: float | None = None
        if deadline is not None and not spec.get("paused"):
            current = du.get_condition(status, "Progressing")
            rs_name = new_rs["metadata"]["name"] if new_rs else ""
            if du.deployment_complete(d, status):
                du.set_condition(
                    status,
                    du.new_condition(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        f'ReplicaSet "{rs_name}" has successfully progressed.',
                        now,
                    ),
                )
            elif du.deployment_progressing(d, status):
                message = (
                    f'ReplicaSet "{rs_name}" is progressing.'
                    if new_rs
                    else f'Deployment "{d["metadata"]["name"]}" is progressing.'
                )
                cond = du.new_condition("Progressing", "True", "ReplicaSetUpdated", message, now)
                if current is not None and current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    du.remove_condition(status, "Progressing")
                du.set_condition(status, cond)
                requeue = float(deadline)
            elif current is not None and current.get("reason") != "NewReplicaSetAvailable":
                updated = parse_time(current.get("lastUpdateTime"))
                if updated is not None:
                    remaining = updated.timestamp() + deadline - now.timestamp()
                    if remaining <= 0:
                        du.set_condition(
                            status,
                            du.new_condition(
                                "Progressing",
                                "False",
                                "ProgressDeadlineExceeded",
                                f'ReplicaSet "{rs_name}" has timed out progressing.',
                                now,
                            ),
                        )
                    elif current.get("status") == "True":
                        requeue = remaining + 1
        failure = next(
            (
                c
                for rs in all_rs
                for c in (rs.get("status") or {}).get("conditions") or []
                if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
            ),
            None,
        )
        if failure is not None:
            du.set_condition(
                status,
                du.new_condition(
                    "ReplicaFailure",
                    "True",
                    failure.get("reason", ""),
                    failure.get("message", ""),
                    now,
                ),
            )
        else:
            du.remove_condition(status, "ReplicaFailure")
        await self._write_status(d, status)
        if requeue is not None:
            self.queue.add_after(object_key(d), requeue)

    async def _sync_status_only(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all_replica_sets(d, rs_list, create=False)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        await self._write_status(d, self._calculate_status(d, all_rs, new_rs))

    async def _check_paused_conditions(self, d: Obj) -> None:
        spec = d.get("spec") or {}
        if spec.get("progressDeadlineSeconds", 600) is None:
            return
        status = dict(d.get("status") or {})
        cond = du.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_cond = cond is not None and cond.get("reason") == "DeploymentPaused"
        now = _now()
        if spec.get("paused") and not paused_cond:
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now
                ),
            )
        elif not spec.get("paused") and paused_cond:
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now
                ),
            )
        else:
            return
        await self._write_status(d, status)

    async def _write_status(self, d: Obj, status: Obj) -> None:
        if _comparable(d.get("status") or {}) == _comparable(status):
            return
        body = dict(d, status=status)
        try:
            written = await self.client.update(
                object_path(
                    DEPLOYMENTS, d["metadata"]["namespace"], d["metadata"]["name"], "status"
                ),
                body,
            )
        except ApiStatusError as exc:
            if exc.code == 404:
                return
            if exc.code == 409:
                self.queue.add(object_key(d))
                return
            raise
        d["metadata"] = written["metadata"]
        d["status"] = written.get("status") or {}


def _comparable(status: Obj) -> Obj:
    out = dict(status)
    out["conditions"] = sorted(
        (
            {k: v for k, v in c.items() if k not in ("lastUpdateTime",)}
            for c in status.get("conditions") or []
        ),
        key=lambda c: str(c.get("type")),
    )
    return out


def _spec_replicas(rs: Obj) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def _is_rolling(d: Obj) -> bool:
    return (
        ((d.get("spec") or {}).get("strategy") or {}).get("type") or "RollingUpdate"
    ) == "RollingUpdate"


def _copy(obj: Obj) -> Obj:
    return copy.deepcopy(obj)
