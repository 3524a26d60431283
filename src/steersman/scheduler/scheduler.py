"""Scheduler: takes unscheduled pods of its profiles' schedulerNames off the queue, one at a
time, and binds each to the best feasible node (Kubernetes' schedule_one.go).

Invariants:
- Only pods whose spec.schedulerName is one of this scheduler's profiles are touched, so several
  schedulers can run side by side.
- A decision is assumed in the cache before binding, so the next pod's cycle already counts it;
  binding runs concurrently and a failed binding forgets the assumption and retries the pod.
- A pod that fits nowhere gets a Warning FailedScheduling event and PodScheduled=False
  (reason Unschedulable) with Kubernetes' message ("0/3 nodes are available: ...").
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from typing import Any

from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.scheduler.cache import SchedulerCache
from steersman.scheduler.framework import SUCCESS, Code, CycleState, NodeInfo, Status, error
from steersman.scheduler.plugins.default_preemption import fit_message
from steersman.scheduler.profile import ProfileSpec, default_profile, registry
from steersman.scheduler.queue import QueuedPodInfo, SchedulingQueue
from steersman.scheduler.runtime import Framework
from steersman.util.memory import release_startup_memory

log = logging.getLogger("steersman.scheduler")

Obj = dict[str, Any]
BIND_CONCURRENCY = 16
YIELD_INTERVAL = 0.005  # seconds of back-to-back scheduling cycles between event-loop turns
PODS = require("", "v1", "pods")
NODES = require("", "v1", "nodes")


MIN_FEASIBLE_NODES_TO_FIND = 100


def num_feasible_nodes_to_find(total: int) -> int:
    """Upstream's adaptive percentageOfNodesToScore: 50% minus 1% per 125 nodes, at least 5%,
    at least 100 nodes."""
    if total < MIN_FEASIBLE_NODES_TO_FIND:
        return total
    percentage = max(50 - total // 125, 5)
    return max(total * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


def _assigned(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _schedulable(pod: Obj) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get(
        "phase"
    ) not in ("Succeeded", "Failed")


class Scheduler:
    def __init__(
        self,
        client: RestClient,
        *,
        profiles: list[ProfileSpec] | None = None,
        factory: InformerFactory | None = None,
    ) -> None:
        self.client = client
        self.factory = factory or InformerFactory(client)
        self.cache = SchedulerCache()
        self.recorders: dict[str, EventRecorder] = {}
        self.frameworks: dict[str, Framework] = {}
        plugins = registry()
        for spec in profiles or [default_profile()]:
            recorder = EventRecorder(client, spec.scheduler_name)
            self.recorders[spec.scheduler_name] = recorder
            context = {
                "client": client,
                "recorder": recorder,
                # Plugins read nodes; whoever experiments on one (preemption) clones it.
                "nodes": lambda: list(self.cache.nodes.values()),
                # Namespaces, services and controllers for affinity and default spreading.
                "informers": self.factory,
            }
            self.frameworks[spec.scheduler_name] = Framework(spec, plugins, context)
        first = next(iter(self.frameworks.values()))
        self.queue = SchedulingQueue(first.less)
        self.pods = self.factory.informer(PODS)
        self.nodes = self.factory.informer(NODES)
        self._handlers_added = False
        self._binding: set[asyncio.Task[None]] = set()
        # Bindings in flight at once: each holds an HTTP/1.1 connection (client-go multiplexes
        # them over one HTTP/2 connection); more would only open more TLS connections.
        self._bind_slots = asyncio.Semaphore(BIND_CONCURRENCY)
        self._next_start = 0

    def _ours(self, pod: Obj) -> bool:
        return (pod.get("spec") or {}).get("schedulerName", "default-scheduler") in self.frameworks

    # -- event handlers ----------------------------------------------------------------
    def _pod_add(self, pod: Obj) -> None:
        if _assigned(pod):
            self.cache.add_or_update_pod(pod)
            self.queue.delete(pod)
            # A new pod on a node may satisfy a waiting pod's affinity (upstream: AssignedPodAdd).
            self.queue.move_all_to_active_or_backoff()
        elif self._ours(pod) and _schedulable(pod):
            self.queue.add(pod)

    def _pod_update(self, old: Obj, new: Obj) -> None:
        if _assigned(new):
            self.cache.add_or_update_pod(new)
            self.queue.delete(new)
            if not _assigned(old) or (
                old["metadata"].get("labels") != new["metadata"].get("labels")
            ):
                self.queue.move_all_to_active_or_backoff()
            if (new.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                self.queue.move_all_to_active_or_backoff()
        elif self._ours(new) and _schedulable(new):
            self.queue.update(new)
        else:
            self.queue.delete(new)

    def _pod_delete(self, pod: Obj) -> None:
        if _assigned(pod):
            self.cache.remove_pod(pod)
            self.queue.move_all_to_active_or_backoff()
        else:
            self.queue.delete(pod)

    def _node_changed(self, node: Obj) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff()

    def _node_delete(self, node: Obj) -> None:
        self.cache.remove_node(node)

    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.nodes.add_event_handler(
                on_add=self._node_changed,
                on_update=lambda _o, n: self._node_changed(n),
                on_delete=self._node_delete,
            )
            self.pods.add_event_handler(
                on_add=self._pod_add, on_update=self._pod_update, on_delete=self._pod_delete
            )
        self.factory.start()
        await self.nodes.synced.wait()
        await self.pods.synced.wait()
        release_startup_memory()
        async with asyncio.TaskGroup() as tg:
            for recorder in self.recorders.values():
                tg.create_task(recorder.run())
            tg.create_task(self._loop())

    async def _loop(self) -> None:
        last_yield = time.monotonic()
        while True:
            info = await self.queue.pop()
            try:
                await self.schedule_one(info)
            except Exception:
                log.exception("scheduling %s", info.pod["metadata"].get("name"))
                self.queue.add_backoff(info)
            # A cycle that neither fails nor waits never yields: give bindings, informers and
            # events their turn at least every YIELD_INTERVAL, or a long queue starves them.
            # (Not after every cycle: back-to-back cycles find the nodes still in CPU caches.)
            now = time.monotonic()
            if now - last_yield >= YIELD_INTERVAL:
                await asyncio.sleep(0)
                last_yield = time.monotonic()

    # -- one scheduling cycle -----------------------------------------------------------
    async def schedule_one(self, info: QueuedPodInfo) -> None:
        meta = info.pod["metadata"]
        pod = self.pods.get(meta.get("namespace", ""), meta["name"])
        if (
            pod is None
            or pod["metadata"].get("uid") != meta.get("uid")
            or _assigned(pod)
            or not _schedulable(pod)
            or not self._ours(pod)
        ):
            self.queue.done(meta.get("uid", ""))
            return
        info.pod = pod
        framework = self.frameworks[
            (pod.get("spec") or {}).get("schedulerName", "default-scheduler")
        ]
        state = CycleState()
        # The cache itself is the snapshot: a cycle runs without awaiting until it assumes, so
        # nothing changes under it (preemption clones the nodes it experiments on).
        nodes = list(self.cache.nodes.values())
        feasible, statuses = self._find_feasible(framework, state, pod, nodes)
        if not feasible:
            await self._fail(framework, state, info, statuses, len(nodes))
            return
        totals = (
            framework.score(state, pod, feasible) if len(feasible) > 1 else {feasible[0].name: 0}
        )
        host = framework.select_host(totals)
        self.cache.assume(pod, host)
        status = framework.reserve(state, pod, host)
        if status.ok:
            status = framework.permit(state, pod, host)
        if not status.ok:
            framework.unreserve(state, pod, host)
            self.cache.forget(pod)
            self.queue.add_backoff(info)
            return
        self.queue.done(pod["metadata"]["uid"])
        task = asyncio.create_task(self._bind(framework, state, info, host))
        self._binding.add(task)
        task.add_done_callback(self._binding.discard)

    def _find_feasible(
        self, framework: Framework, state: CycleState, pod: Obj, nodes: list[NodeInfo]
    ) -> tuple[list[NodeInfo], dict[str, Status]]:
        statuses: dict[str, Status] = {}
        pre = framework.pre_filter(state, pod, nodes)
        if not pre.ok:
            for node in nodes:
                statuses[node.name] = pre
            return [], statuses
        # percentageOfNodesToScore (adaptive, as upstream): stop once enough nodes fit, and
        # start the next search where this one stopped so every node gets its turn.
        wanted = num_feasible_nodes_to_find(len(nodes))
        count = len(nodes)
        start = self._next_start % count if count else 0
        order = nodes[start:] + nodes[:start]
        filters = [(p, getattr(p, "filter_nodes", None)) for p in framework.filters(state)]
        feasible: list[NodeInfo] = []
        examined = 0
        # Nodes go through the filters in chunks of as many as are still wanted, each plugin
        # over the whole chunk (one call, not one per node); a node fails at its first failing
        # plugin, as with Framework.filter. A chunk never holds more nodes than could still be
        # wanted, so exactly the nodes a one-by-one search would examine are examined.
        while examined < count and len(feasible) < wanted:
            candidates = order[examined : examined + wanted - len(feasible)]
            examined += len(candidates)
            for plugin, batch in filters:
                if batch is not None:
                    failures = batch(state, pod, candidates)
                else:
                    failures = {}
                    for i, node in enumerate(candidates):
                        status = plugin.filter(state, pod, node)
                        if status is not SUCCESS and not status.ok:
                            failures[i] = status
                if failures:
                    for i, status in failures.items():
                        status.plugin = plugin.name
                        statuses[candidates[i].name] = status
                    candidates = [n for i, n in enumerate(candidates) if i not in failures]
                    if not candidates:
                        break
            feasible.extend(candidates)
        self._next_start = (start + examined) % count if count else 0
        return feasible, statuses

    async def _fail(
        self,
        framework: Framework,
        state: CycleState,
        info: QueuedPodInfo,
        statuses: dict[str, Status],
        total: int,
    ) -> None:
        pod = info.pod
        counts: dict[str, int] = {}
        for status in statuses.values():
            for reason in status.reasons:
                counts[reason] = counts.get(reason, 0) + 1
        message = fit_message(counts, total)
        if total == 0:
            message = "no nodes available to schedule pods"
        elif any(s.code != Code.ERROR for s in statuses.values()):
            nominated, post = await framework.post_filter(state, pod, statuses)
            if not nominated and post.message:
                message = f"{message} {post.message}"
        recorder = self.recorders[framework.scheduler_name]
        recorder.event(pod, WARNING, "FailedScheduling", message)
        await self._set_unschedulable(pod, message)
        self.queue.add_unschedulable(info)

    async def _set_unschedulable(self, pod: Obj, message: str) -> None:
        meta = pod["metadata"]
        path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
        for _ in range(3):
            try:
                live = await self.client.get(path)
                if live["metadata"].get("uid") != meta.get("uid"):
                    return
                status = live.setdefault("status", {})
                conditions = status.get("conditions") or []
                old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
                if old and old.get("status") == "False" and old.get("message") == message:
                    return
                condition = {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": (old or {}).get("lastTransitionTime")
                    if old and old.get("status") == "False"
                    else _now(),
                    "reason": "Unschedulable",
                    "message": message,
                }
                status["conditions"] = [
                    c for c in conditions if c.get("type") != "PodScheduled"
                ] + [condition]
                await self.client.update(f"{path}/status", live)
                return
            except ApiStatusError as exc:
                if exc.code == 409:
                    continue
                if exc.code == 404:
                    return
                raise

    async def _bind(
        self, framework: Framework, state: CycleState, info: QueuedPodInfo, host: str
    ) -> None:
        pod = info.pod
        try:
            async with self._bind_slots:
                status = await framework.bind(state, pod, host)
        except Exception as exc:  # a plugin that raises must not leave the pod assumed forever
            log.exception("binding %s to %s", pod["metadata"]["name"], host)
            status = error(f"running Bind plugin: {exc or type(exc).__name__}")
        if not status.ok:
            # handleBindingCycleError: forget the assumption, tell the user, retry after backoff.
            log.info("binding %s to %s failed: %s", pod["metadata"]["name"], host, status.message)
            framework.unreserve(state, pod, host)
            self.cache.forget(pod)
            self.recorders[framework.scheduler_name].event(
                pod, WARNING, "FailedScheduling", f"Binding rejected: {status.message}"
            )
            self.queue.add_backoff(info)
            return
        meta = pod["metadata"]
        self.recorders[framework.scheduler_name].event(
            pod,
            NORMAL,
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {host}",
        )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
