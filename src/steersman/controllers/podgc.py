"""PodGCController: removes pods nobody else will (Kubernetes' podgc): pods bound to nodes
that no longer exist, terminating pods that were never scheduled, and terminated pods beyond
the threshold (oldest first).

Invariants: runs every `interval` (20 s); a pod on a missing node is deleted only if the node
is still missing after a 40 s quarantine (it may just not be in the cache yet), with grace
period 0 and a uid precondition.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from steersman.api.resources import require
from steersman.client.informer import InformerFactory
from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

log = logging.getLogger("steersman.controllers.podgc")

Obj = dict[str, Any]
NODES = require("", "v1", "nodes")
PODS = require("", "v1", "pods")
QUARANTINE = 40.0
TERMINATED_POD_THRESHOLD = 12500


class PodGCController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        *,
        interval: float = 20.0,
        quarantine: float = QUARANTINE,
        threshold: int = TERMINATED_POD_THRESHOLD,
    ) -> None:
        self.client = client
        self.factory = factory
        self.nodes = factory.informer(NODES)
        self.pods = factory.informer(PODS)
        self.interval = interval
        self.quarantine = quarantine
        self.threshold = threshold
        self._missing_since: dict[str, float] = {}

    async def run(self) -> None:
        self.factory.start()
        await self.nodes.synced.wait()
        await self.pods.synced.wait()
        while True:
            try:
                await self.gc()
            except REQUEST_ERRORS as exc:
                log.info("pod gc: %s", exc)
            await asyncio.sleep(self.interval)

    async def gc(self) -> None:
        pods = self.pods.store.list()
        terminated = [
            p for p in pods if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        ]
        excess = len(terminated) - self.threshold
        if excess > 0:
            terminated.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""))
            for pod in terminated[:excess]:
                await self._delete(pod)
        now = time.monotonic()
        nodes = {n["metadata"]["name"] for n in self.nodes.store.list()}
        missing = set()
        for pod in pods:
            node = (pod.get("spec") or {}).get("nodeName")
            if not node:
                if pod["metadata"].get("deletionTimestamp"):
                    await self._delete(pod)  # never scheduled: no kubelet will finish it
                continue
            if node in nodes:
                continue
            missing.add(node)
            since = self._missing_since.setdefault(node, now)
            if now - since >= self.quarantine:
                await self._delete(pod)
        self._missing_since = {n: t for n, t in self._missing_since.items() if n in missing}

    async def _delete(self, pod: Obj) -> None:
        meta = pod["metadata"]
        try:
            await self.client.delete(
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
            )
        except ApiStatusError as exc:
            if exc.code not in (404, 409):
                raise
