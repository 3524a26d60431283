"""DaemonSetController: one pod of each DaemonSet on every node that should run it (Kubernetes'
pkg/controller/daemon/daemon_controller.go; history in daemonset_history, rolling-update
planning in daemonset_update, placement in daemonset_util).

Invariants:
- Level-based: `sync_daemon_set(key)` recomputes from the informer caches. While creations or
  deletions it asked for are not yet seen (expectations, 5 min TTL) it only refreshes status.
- Placement is the scheduler's filter (daemonset_util.node_should_run_daemon_pod); pods are
  created pinned by node affinity and bound by the scheduler. Creations go in slow-start
  batches of at most 250 per sync; a node keeps its oldest running pod, failed and succeeded
  pods are deleted (failed ones with a per-node backoff, 1 s doubling to 15 min).
- New pods carry the current revision's controller-revision-hash (and pod-template-generation
  when the DaemonSet has the deprecated generation annotation).
- RollingUpdate runs only once expectations are met; OnDelete only replaces deleted pods.
- Status counts (desired/current/misscheduled/ready/updated/available/unavailable) and
  observedGeneration are written only when they changed; a DaemonSet being deleted is left.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from typing import Any

from steersman.api.labels import EVERYTHING, Selector, selector_from_label_selector
from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers import daemonset_util as dsu
from steersman.controllers import history
from steersman.controllers.daemonset_history import DaemonSetHistory
from steersman.controllers.daemonset_update import (
    DaemonSetSyncError,
    plan_rolling_update,
    surge_excess,
)
from steersman.controllers.expectations import ControllerExpectations, _Expectation
from steersman.controllers.pods import (
    controller_ref,
    is_pod_available,
    is_pod_ready,
    new_controller_ref,
)
from steersman.controllers.ref_manager import ControllerRefManager

log = logging.getLogger("steersman.controllers.daemonset")

Obj = dict[str, Any]
DAEMON_SETS = require("apps", "v1", "daemonsets")
PODS = require("", "v1", "pods")
NODES = require("", "v1", "nodes")
BURST_REPLICAS = 250
SLOW_START_INITIAL_BATCH = 1
BACKOFF_GC_INTERVAL = 60.0
HASH_LABEL = dsu.DEFAULT_DAEMON_SET_UNIQUE_LABEL_KEY


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class _Expectations(ControllerExpectations):
    def set_expectations(self, key: str, adds: int, delete_keys: list[str]) -> None:
        self._by_key[key] = _Expectation(
            add=adds, delete=len(delete_keys), deleted_keys=set(delete_keys)
        )


class DaemonSetController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 2,
        failed_pods_backoff: dsu.Backoff | None = None,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder
        self.workers = workers
        self.queue: WorkQueue[str] = WorkQueue()
        self.expectations = _Expectations()
        self.backoff = failed_pods_backoff or dsu.Backoff(1.0, 900.0)
        self.daemon_sets = factory.informer(DAEMON_SETS)
        self.revisions = factory.informer(history.REVISIONS)
        self.history = DaemonSetHistory(client, self.revisions)
        self.pods = factory.informer(PODS)
        self.nodes = factory.informer(NODES)
        self._handlers_added = False

    # -- wiring ------------------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.daemon_sets.add_event_handler(
                on_add=self._enqueue, on_update=self._ds_updated, on_delete=self._ds_deleted
            )
            self.revisions.add_event_handler(
                on_add=self._history_added,
                on_update=self._history_updated,
                on_delete=self._history_deleted,
            )
            self.pods.add_event_handler(
                on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
            )
            self.nodes.add_event_handler(on_add=self._node_added, on_update=self._node_updated)
        self.factory.start()
        for informer in (self.pods, self.nodes, self.revisions, self.daemon_sets):
            await informer.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())
            tg.create_task(self._backoff_gc())

    async def _backoff_gc(self) -> None:
        while True:
            await asyncio.sleep(BACKOFF_GC_INTERVAL)
            self.backoff.gc()

    def _enqueue(self, ds: Obj) -> None:
        self.queue.add(object_key(ds))

    def _ds_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("uid") != new["metadata"].get("uid"):
            self._ds_deleted(old)
        self._enqueue(new)

    def _ds_deleted(self, ds: Obj) -> None:
        key = object_key(ds)
        self.expectations.delete(key)
        self.queue.add(key)

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != DAEMON_SETS.kind:
            return None
        ds = self.daemon_sets.get(namespace, ref.get("name", ""))
        if ds is None or ds["metadata"].get("uid") != ref.get("uid"):
            return None
        return ds

    def _matching(self, obj: Obj) -> list[Obj]:
        labels = obj["metadata"].get("labels") or {}
        out = []
        for ds in self.daemon_sets.store.by_index(
            "namespace", obj["metadata"].get("namespace", "")
        ):
            selector = _selector(ds)
            if selector is not None and not selector.empty and selector.matches(labels):
                out.append(ds)
        return out

    def _history_added(self, rev: Obj) -> None:
        if rev["metadata"].get("deletionTimestamp"):
            self._history_deleted(rev)
            return
        if controller_ref(rev) is not None:
            return  # the owner created it: nothing new to do
        for ds in self._matching(rev):
            self._enqueue(ds)

    def _history_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        self._child_updated(old, new)

    def _history_deleted(self, rev: Obj) -> None:
        ds = self._resolve(rev["metadata"].get("namespace", ""), controller_ref(rev))
        if ds is not None:
            self._enqueue(ds)

    def _child_updated(self, old: Obj, new: Obj) -> Obj | None:
        namespace = new["metadata"].get("namespace", "")
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            old_ds = self._resolve(namespace, old_ref)
            if old_ds is not None:
                self._enqueue(old_ds)
        if new_ref is not None:
            ds = self._resolve(namespace, new_ref)
            if ds is not None:
                self._enqueue(ds)
            return ds
        if old["metadata"].get("labels") != new["metadata"].get("labels") or old_ref != new_ref:
            for ds in self._matching(new):
                self._enqueue(ds)
        return None

    def _pod_added(self, pod: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        ref = controller_ref(pod)
        if ref is not None:
            ds = self._resolve(pod["metadata"].get("namespace", ""), ref)
            if ds is not None:
                self.expectations.creation_observed(object_key(ds))
                self._enqueue(ds)
            return
        for ds in self._matching(pod):
            self._enqueue(ds)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if new["metadata"].get("deletionTimestamp"):
            # Graceful deletion started: act now rather than when the kubelet finishes.
            self._pod_deleted(new)
            return
        ds = self._child_updated(old, new)
        if ds is not None:
            min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                self.queue.add_after(object_key(ds), min_ready + 1)

    def _pod_deleted(self, pod: Obj) -> None:
        ds = self._resolve(pod["metadata"].get("namespace", ""), controller_ref(pod))
        if ds is None:
            return
        key = object_key(ds)
        self.expectations.deletion_observed(key, object_key(pod))
        self._enqueue(ds)

    def _node_added(self, node: Obj) -> None:
        for ds in self.daemon_sets.store.list():
            if dsu.node_should_run_daemon_pod(node, ds)[0]:
                self._enqueue(ds)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("labels") == new["metadata"].get("labels") and (
            (old.get("spec") or {}).get("taints") == (new.get("spec") or {}).get("taints")
        ):
            return
        for ds in self.daemon_sets.store.list():
            if dsu.node_should_run_daemon_pod(old, ds) != dsu.node_should_run_daemon_pod(new, ds):
                self._enqueue(ds)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.sync_daemon_set(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | DaemonSetSyncError | OSError | TimeoutError):
                    log.info("%s failed with : %s", key, exc)
                else:
                    log.exception("sync DaemonSet %s", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    # -- sync ------------------------------------------------------------------------------
    async def sync_daemon_set(self, key: str) -> None:
        namespace, name = split_key(key)
        cached = self.daemon_sets.get(namespace, name)
        if cached is None:
            self.expectations.delete(key)
            return
        ds = copy.deepcopy(cached)
        nodes = sorted(self.nodes.store.list(), key=lambda n: n["metadata"]["name"])
        selector = _selector(ds)
        if selector is None:
            return  # an invalid selector is not transient
        if selector == EVERYTHING:
            self.recorder.event(
                ds,
                WARNING,
                "SelectingAll",
                "This daemon set is selecting all pods. A non-empty selector is required.",
            )
            return
        if ds["metadata"].get("deletionTimestamp"):
            # Its history may already be gone: status cannot be computed reliably.
            return
        cur, old = await self.history.construct_history(
            ds, selector, lambda: self._get_daemon_pods(ds, selector)
        )
        hash_ = ((cur.get("metadata") or {}).get("labels") or {}).get(HASH_LABEL, "")
        if not self.expectations.satisfied(key):
            await self._update_daemon_set_status(ds, selector, nodes, hash_, observed=False)
            return
        error: Exception | None = None
        try:
            await self._update_daemon_set(ds, selector, nodes, hash_, key, old)
        except (ApiStatusError, DaemonSetSyncError) as exc:
            error = exc
        try:
            await self._update_daemon_set_status(ds, selector, nodes, hash_, observed=True)
        except (ApiStatusError, DaemonSetSyncError):
            if error is None:
                raise
            log.info("failed to update status of DaemonSet %s", key)
        if error is not None:
            raise error

    async def _update_daemon_set(
        self, ds: Obj, selector: Selector, nodes: list[Obj], hash_: str, key: str, old: list[Obj]
    ) -> None:
        await self._manage(ds, selector, nodes, hash_)
        if self.expectations.satisfied(key):
            strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type")
            if strategy == "RollingUpdate":
                node_to_pods = await self._nodes_to_daemon_pods(ds, selector)
                to_delete, to_create = plan_rolling_update(ds, nodes, node_to_pods, hash_, _now())
                await self._sync_nodes(ds, to_delete, to_create, hash_)
        await self.history.cleanup_history(ds, old, lambda: self._live_hashes(ds, selector))

    async def _live_hashes(self, ds: Obj, selector: Selector) -> set[str]:
        node_to_pods = await self._nodes_to_daemon_pods(ds, selector, include_deleted_terminal=True)
        return {
            (p["metadata"].get("labels") or {}).get(HASH_LABEL) or ""
            for pods in node_to_pods.values()
            for p in pods
        } - {""}

    # -- pods per node -----------------------------------------------------------------------
    async def _get_daemon_pods(self, ds: Obj, selector: Selector) -> list[Obj]:
        manager = ControllerRefManager(
            self.client, owner=ds, owner_info=DAEMON_SETS, child_info=PODS, selector=selector
        )
        pods = self.pods.store.by_index("namespace", ds["metadata"]["namespace"])
        return await manager.claim(sorted(pods, key=lambda p: p["metadata"]["name"]))

    async def _nodes_to_daemon_pods(
        self, ds: Obj, selector: Selector, *, include_deleted_terminal: bool = False
    ) -> dict[str, list[Obj]]:
        out: dict[str, list[Obj]] = {}
        for pod in await self._get_daemon_pods(ds, selector):
            phase = (pod.get("status") or {}).get("phase")
            deleting = bool(pod["metadata"].get("deletionTimestamp"))
            if not include_deleted_terminal and phase in ("Succeeded", "Failed") and deleting:
                continue  # the kubelet or pod GC finishes it; nothing left for us to do
            node = dsu.get_target_node_name(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        return out

    def _pods_should_be_on_node(
        self, node: Obj, node_to_pods: dict[str, list[Obj]], ds: Obj, hash_: str
    ) -> tuple[list[str], list[str]]:
        """(nodes needing a pod, pods to delete) for one node."""
        should_run, should_continue = dsu.node_should_run_daemon_pod(node, ds)
        node_name = node["metadata"]["name"]
        pods = node_to_pods.get(node_name)
        create: list[str] = []
        delete: list[str] = []
        if should_run and pods is None:
            return [node_name], []
        if should_continue:
            running: list[Obj] = []
            for pod in pods or []:
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase == "Failed":
                    if self._failed_pod_in_backoff(ds, node_name):
                        continue
                    self.recorder.event(
                        ds,
                        WARNING,
                        "FailedDaemonPod",
                        f"Found failed daemon pod {pod['metadata']['namespace']}/"
                        f"{pod['metadata']['name']} on node {node_name}, will try to kill it",
                    )
                    delete.append(pod["metadata"]["name"])
                elif phase == "Succeeded":
                    self.recorder.event(
                        ds,
                        NORMAL,
                        "SucceededDaemonPod",
                        f"Found succeeded daemon pod {pod['metadata']['namespace']}/"
                        f"{pod['metadata']['name']} on node {node_name}, will try to delete it",
                    )
                    delete.append(pod["metadata"]["name"])
                else:
                    running.append(pod)
            running.sort(key=dsu.creation_order_key)
            if not dsu.allows_surge(ds):
                delete += [p["metadata"]["name"] for p in running[1:]]
                return create, delete
            if len(running) <= 1:
                if not running and should_run:
                    create.append(node_name)  # surging: keep at least one pod on the node
                return create, delete
            delete += surge_excess(ds, running, hash_, _now())
        elif pods:
            delete += [
                p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")
            ]
        return create, delete

    def _failed_pod_in_backoff(self, ds: Obj, node_name: str) -> bool:
        observed = int((ds.get("status") or {}).get("observedGeneration") or 0)
        key = f"{ds['metadata']['uid']}/{observed}/{node_name}"
        if self.backoff.is_in_backoff_since_update(key):
            # Kubelets that keep rejecting the pod would make us hot-loop: wait instead.
            self.queue.add_after(object_key(ds), self.backoff.get(key))
            return True
        self.backoff.next(key)
        return False

    async def _manage(self, ds: Obj, selector: Selector, nodes: list[Obj], hash_: str) -> None:
        node_to_pods = await self._nodes_to_daemon_pods(ds, selector)
        create: list[str] = []
        delete: list[str] = []
        for node in nodes:
            node_create, node_delete = self._pods_should_be_on_node(node, node_to_pods, ds, hash_)
            create += node_create
            delete += node_delete
        # Pods pinned to nodes that are gone are never scheduled: the pod GC cannot reap them.
        existing = {n["metadata"]["name"] for n in nodes}
        for node_name, pods in sorted(node_to_pods.items()):
            if node_name not in existing:
                delete += [
                    p["metadata"]["name"] for p in pods if not (p.get("spec") or {}).get("nodeName")
                ]
        await self._sync_nodes(ds, delete, create, hash_)

    async def _sync_nodes(
        self, ds: Obj, to_delete: list[str], to_create: list[str], hash_: str
    ) -> None:
        key = object_key(ds)
        namespace = ds["metadata"]["namespace"]
        create_diff = min(len(to_create), BURST_REPLICAS)
        delete_names = to_delete[:BURST_REPLICAS]
        self.expectations.set_expectations(
            key, create_diff, [f"{namespace}/{n}" for n in delete_names]
        )
        template = dsu.create_pod_template(
            (ds.get("spec") or {}).get("template") or {}, dsu.template_generation(ds), hash_
        )
        errors: list[str] = []
        pos, batch = 0, min(create_diff, SLOW_START_INITIAL_BATCH)
        while pos < create_diff:
            results = await asyncio.gather(
                *(self._create_pod(ds, template, node) for node in to_create[pos : pos + batch])
            )
            failed = [r for r in results if r]
            for _ in failed:
                self.expectations.creation_observed(key)
            errors += failed
            pos += batch
            if failed:
                # Slow start: the rest would likely fail the same way; the next sync retries.
                for _ in range(create_diff - pos):
                    self.expectations.creation_observed(key)
                break
            batch = min(2 * batch, create_diff - pos)
        results = await asyncio.gather(*(self._delete_pod(ds, n) for n in delete_names))
        errors += [r for r in results if r]
        if errors:
            raise DaemonSetSyncError(
                errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            )

    async def _create_pod(self, ds: Obj, template: Obj, node_name: str) -> str | None:
        tmeta = template.get("metadata") or {}
        if not tmeta.get("labels"):
            return "unable to create pods, no labels"
        spec = copy.deepcopy(template.get("spec") or {})
        spec["affinity"] = dsu.replace_node_name_node_affinity(spec.get("affinity"), node_name)
        meta: Obj = {
            "generateName": f"{ds['metadata']['name']}-",
            "namespace": ds["metadata"]["namespace"],
            "ownerReferences": [new_controller_ref(ds, DAEMON_SETS.api_version, DAEMON_SETS.kind)],
        }
        for field in ("labels", "annotations", "finalizers"):
            if tmeta.get(field):
                meta[field] = copy.deepcopy(tmeta[field])
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        try:
            pod = await self.client.create(collection_path(PODS, ds["metadata"]["namespace"]), body)
        except ApiStatusError as exc:
            if _namespace_terminating(exc):
                return None  # every later create fails the same way; nothing to retry
            self.recorder.event(ds, WARNING, "FailedCreate", f"Error creating: {exc}")
            return str(exc)
        self.recorder.event(
            ds, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}"
        )
        return None

    async def _delete_pod(self, ds: Obj, name: str) -> str | None:
        namespace = ds["metadata"]["namespace"]
        try:
            await self.client.delete(object_path(PODS, namespace, name))
        except ApiStatusError as exc:
            self.expectations.deletion_observed(object_key(ds), f"{namespace}/{name}")
            if exc.code == 404:
                return None
            self.recorder.event(ds, WARNING, "FailedDelete", f"Error deleting: {exc}")
            return f"unable to delete pods: {exc}"
        self.recorder.event(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    # -- status ------------------------------------------------------------------------------
    async def _update_daemon_set_status(
        self, ds: Obj, selector: Selector, nodes: list[Obj], hash_: str, *, observed: bool
    ) -> None:
        node_to_pods = await self._nodes_to_daemon_pods(ds, selector)
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        generation = dsu.template_generation(ds)
        now = _now()
        desired = current = misscheduled = ready = updated = available = 0
        for node in nodes:
            should_run = dsu.node_should_run_daemon_pod(node, ds)[0]
            pods = node_to_pods.get(node["metadata"]["name"]) or []
            if not should_run:
                misscheduled += 1 if pods else 0
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            pod = sorted(pods, key=dsu.creation_order_key)[0]
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, min_ready, now):
                    available += 1
            if dsu.is_pod_updated(pod, hash_, generation):
                updated += 1
        counts = {
            "desiredNumberScheduled": desired,
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "numberReady": ready,
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
        }
        await self._store_status(ds, counts, observed)
        if min_ready > 0 and ready != available:
            self.queue.add_after(object_key(ds), min_ready)

    async def _store_status(self, ds: Obj, counts: dict[str, int], observed: bool) -> None:
        status = ds.get("status") or {}
        generation = int(ds["metadata"].get("generation") or 0)
        if all(int(status.get(k) or 0) == v for k, v in counts.items()) and (
            int(status.get("observedGeneration") or 0) >= generation
        ):
            return
        meta = ds["metadata"]
        path = object_path(DAEMON_SETS, meta["namespace"], meta["name"], "status")
        target = ds
        for attempt in range(2):  # StatusUpdateRetries = 1
            new_status = dict(target.get("status") or {})
            if observed:
                new_status["observedGeneration"] = generation
            new_status.update(counts)
            try:
                await self.client.update(path, dict(target, status=_status_body(new_status)))
                return
            except ApiStatusError as exc:
                if exc.code == 404:
                    return
                if attempt == 1:
                    raise
            target = await self.client.get(
                object_path(DAEMON_SETS, meta["namespace"], meta["name"])
            )


def _selector(ds: Obj) -> Selector | None:
    try:
        return selector_from_label_selector((ds.get("spec") or {}).get("selector"))
    except ValueError:
        return None


def _namespace_terminating(exc: ApiStatusError) -> bool:
    causes = ((exc.status.get("details") or {}).get("causes")) or []
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


_ALWAYS = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady")


def _status_body(status: Obj) -> Obj:
    """DaemonSetStatus as Go serializes it: omitempty fields dropped when zero."""
    return {k: v for k, v in status.items() if k in _ALWAYS or v not in (0, None, [], "")}
