"""TaintEvictionController: deletes pods from nodes with NoExecute taints they do not
tolerate — at once, or after the smallest tolerationSeconds of the tolerations that match
(Kubernetes' NoExecuteTaintManager).

Invariants:
- Level-based: every node/pod change re-plans the affected pods; a planned eviction is
  cancelled when the taint goes, the toleration changes or the pod leaves the node.
- The eviction time counts from the taint's timeAdded; a pod is marked with the
  DisruptionTarget condition (DeletionByTaintManager) and a TaintManagerEviction event, then
  deleted with a uid precondition.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

from steersman.api.resources import require
from steersman.client.events import NORMAL, EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.pods import parse_time

log = logging.getLogger("steersman.controllers.tainteviction")

Obj = dict[str, Any]
NODES = require("", "v1", "nodes")
PODS = require("", "v1", "pods")


def _tolerates(toleration: Obj, taint: Obj) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    if (toleration.get("operator") or "Equal") == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def eviction_delay(pod: Obj, taints: list[Obj], now: datetime.datetime) -> float | None:
    """Seconds until the pod must go (0 = now), or None if it may stay."""
    no_execute = [t for t in taints if t.get("effect") == "NoExecute"]
    if not no_execute:
        return None
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    delay: float | None = None
    for taint in no_execute:
        matching = [t for t in tolerations if _tolerates(t, taint)]
        if not matching:
            return 0.0
        bounded = [
            t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None
        ]
        if not bounded:
            continue  # tolerated forever
        added = parse_time(taint.get("timeAdded")) or now
        remaining = (added - now).total_seconds() + max(0, min(bounded))
        delay = remaining if delay is None else min(delay, remaining)
    return None if delay is None else max(delay, 0.0)


class TaintEvictionController:
    def __init__(
        self, client: RestClient, factory: InformerFactory, recorder: EventRecorder
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.factory = factory
        self.nodes = factory.informer(NODES)
        self.pods = factory.informer(PODS)
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._handlers_added = False

    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.nodes.add_event_handler(
                on_add=self._node_changed, on_update=lambda _o, n: self._node_changed(n)
            )
            self.pods.add_event_handler(
                on_add=self._plan, on_update=lambda _o, n: self._plan(n), on_delete=self._cancel
            )
        self.factory.start()
        await self.nodes.synced.wait()
        await self.pods.synced.wait()
        for pod in self.pods.store.list():
            self._plan(pod)
        await asyncio.Event().wait()

    def _node_changed(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        for pod in self.pods.store.list():
            if (pod.get("spec") or {}).get("nodeName") == name:
                self._plan(pod)

    def _cancel(self, pod: Obj) -> None:
        timer = self._timers.pop(pod["metadata"].get("uid", ""), None)
        if timer is not None:
            timer.cancel()

    def _plan(self, pod: Obj) -> None:
        self._cancel(pod)
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name or pod["metadata"].get("deletionTimestamp"):
            return
        node = self.nodes.get("", node_name)
        if node is None:
            return
        delay = eviction_delay(
            pod, (node.get("spec") or {}).get("taints") or [], datetime.datetime.now(datetime.UTC)
        )
        if delay is None:
            return
        uid = pod["metadata"]["uid"]
        loop = asyncio.get_running_loop()
        self._timers[uid] = loop.call_later(
            delay, lambda: asyncio.ensure_future(self._evict(pod["metadata"]))
        )

    async def _evict(self, meta: Obj) -> None:
        self._timers.pop(meta.get("uid", ""), None)
        pod = self.pods.get(meta["namespace"], meta["name"])
        if pod is None or pod["metadata"].get("uid") != meta.get("uid"):
            return
        node = self.nodes.get("", (pod.get("spec") or {}).get("nodeName", ""))
        now = datetime.datetime.now(datetime.UTC)
        if (
            node is None
            or eviction_delay(pod, (node.get("spec") or {}).get("taints") or [], now) != 0.0
        ):
            self._plan(pod)
            return
        path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
        self.recorder.event(
            pod,
            NORMAL,
            "TaintManagerEviction",
            f"Marking for deletion Pod {meta['namespace']}/{meta['name']}",
        )
        try:
            live = await self.client.get(path)
            conditions = [
                c
                for c in (live.get("status") or {}).get("conditions") or []
                if c.get("type") != "DisruptionTarget"
            ]
            conditions.append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastTransitionTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "reason": "DeletionByTaintManager",
                    "message": "Taint manager: deleting due to NoExecute taint",
                }
            )
            live.setdefault("status", {})["conditions"] = conditions
            await self.client.update(f"{path}/status", live)
        except ApiStatusError as exc:
            if exc.code == 404:
                return
        try:
            await self.client.delete(path, {"preconditions": {"uid": meta["uid"]}})
        except ApiStatusError as exc:
            if exc.code not in (404, 409):
                log.info("evicting %s/%s: %s", meta["namespace"], meta["name"], exc)
