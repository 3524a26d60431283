"""NamespaceController: empties a terminating namespace, then removes the `kubernetes`
finalizer so the API server can delete it (Kubernetes' namespace lifecycle controller).

Invariants:
- Level-based: `sync_namespace(name)` looks only at the current state; it may run any number
  of times for the same namespace.
- Content is deleted with deletecollection per namespaced resource; the finalizer goes only
  when every list comes back empty. Until then the namespace is requeued with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from steersman.api.resources import STORED_RESOURCES, ResourceInfo
from steersman.client.paths import collection_path
from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

log = logging.getLogger("steersman.controllers.namespace")

FINALIZER = "kubernetes"


def _namespaced_content() -> list[ResourceInfo]:
    return [
        r
        for r in STORED_RESOURCES
        if r.namespaced and "list" in r.verbs and "deletecollection" in r.verbs
    ]


class NamespaceController:
    def __init__(self, client: RestClient, *, workers: int = 2) -> None:
        self.client = client
        self.workers = workers
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()

    def enqueue(self, name: str) -> None:
        if name not in self._queued:
            self._queued.add(name)
            self.queue.put_nowait(name)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._watch())
            for _ in range(self.workers):
                tg.create_task(self._worker())

    async def _watch(self) -> None:
        while True:
            try:
                listed = await self.client.get("/api/v1/namespaces")
                for ns in listed["items"]:
                    if ns["metadata"].get("deletionTimestamp"):
                        self.enqueue(ns["metadata"]["name"])
                rv = listed["metadata"]["resourceVersion"]
                async for event in self.client.watch(
                    "/api/v1/namespaces", resourceVersion=rv, allowWatchBookmarks="true"
                ):
                    if event["type"] == "ERROR":
                        break
                    obj = event["object"]
                    if event["type"] in ("ADDED", "MODIFIED") and obj["metadata"].get(
                        "deletionTimestamp"
                    ):
                        self.enqueue(obj["metadata"]["name"])
            except REQUEST_ERRORS as exc:
                log.warning("namespace watch ended: %s", exc)
            except Exception:
                log.exception("namespace watch failed")
            await asyncio.sleep(1)

    async def _worker(self) -> None:
        backoff: dict[str, float] = {}
        while True:
            name = await self.queue.get()
            self._queued.discard(name)
            try:
                done = await self.sync_namespace(name)
            except Exception as exc:
                log.warning("sync namespace %s: %s", name, exc)
                done = False
            if done:
                backoff.pop(name, None)
                continue
            delay = min(backoff.get(name, 0.05) * 2, 5.0)
            backoff[name] = delay
            asyncio.get_running_loop().call_later(delay, self.enqueue, name)

    async def sync_namespace(self, name: str) -> bool:
        """Returns True when nothing is left to do for `name`."""
        try:
            ns: dict[str, Any] = await self.client.get(f"/api/v1/namespaces/{name}")
        except ApiStatusError as exc:
            if exc.code == 404:
                return True
            raise
        if not ns["metadata"].get("deletionTimestamp"):
            return True
        finalizers = (ns.get("spec") or {}).get("finalizers") or []
        if FINALIZER not in finalizers:
            return True
        remaining = 0
        for info in _namespaced_content():
            path = collection_path(info, name)
            try:
                await self.client.delete(path)
                left = await self.client.get(path)
            except ApiStatusError as exc:
                if exc.code in (404, 405):
                    continue
                raise
            remaining += len(left.get("items") or [])
        if remaining:
            return False
        ns["spec"]["finalizers"] = [f for f in finalizers if f != FINALIZER]
        try:
            await self.client.update(f"/api/v1/namespaces/{name}/finalize", ns)
        except ApiStatusError as exc:
            if exc.code in (404, 409):
                return exc.code == 404
            raise
        return True
