"""ResourceQuotaController: keeps every ResourceQuota's status.hard and status.used true
(Kubernetes' pkg/controller/resourcequota). Admission (api/quota.py, in the API server) charges
quotas as objects are created; this controller recounts from the caches, so usage also goes
down when objects go away or pods finish, and drift from failed requests is corrected.

Invariants:
- Level-based: `sync_resource_quota(key)` recounts, from the informer caches, every object in
  the quota's namespace that its hard limits can name (pods, services, claims, configmaps,
  secrets, replicationcontrollers, resourcequotas, any `count/<resource>.<group>`), honouring
  the quota's scopes. status.hard becomes spec.hard; status.used holds exactly the hard names
  this controller can count (others keep their last value).
- The status is written only when hard or used changed; a quota is recounted when its spec
  changes, when a counted object is added, deleted or changes cost, and every resync period
  (5 minutes) regardless.
- Informers for counted resources are started the first time a quota needs them; a resource
  the API server does not serve is never counted.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from collections.abc import Iterable
from typing import Any

from steersman.api import quota as q
from steersman.api import quota_resources as qr
from steersman.api.resources import RESOURCES, ResourceInfo, require
from steersman.client.events import EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import Informer, InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue

log = logging.getLogger("steersman.controllers.resourcequota")

Obj = dict[str, Any]

RESOURCE_QUOTAS = require("", "v1", "resourcequotas")
RESYNC_PERIOD = 300.0  # --resource-quota-sync-period
INFORMER_SYNC_TIMEOUT = 5.0


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def resource_for(group_resource: str) -> ResourceInfo | None:
    """The served, namespaced, listable resource behind `pods` or `deployments.apps`."""
    resource, _, group = group_resource.partition(".")
    for info in RESOURCES:
        if (
            info.group == group
            and info.resource == resource
            and info.namespaced
            and {"list", "watch"} <= set(info.verbs)
        ):
            return info
    return None


def _hard_names(quota: Obj) -> list[str]:
    return list(((quota.get("spec") or {}).get("hard") or {}).keys())


class ResourceQuotaController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 5,
        resync_period: float = RESYNC_PERIOD,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder  # Kubernetes' quota controller emits no events; kept for wiring
        self.workers = workers
        self.resync_period = resync_period
        self.queue: WorkQueue[str] = WorkQueue()
        self.quotas = factory.informer(RESOURCE_QUOTAS)
        self._counted: dict[str, Informer] = {}
        self._handlers_added = False

    # -- wiring --------------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.quotas.add_event_handler(
                on_add=self._enqueue, on_update=self._quota_updated, on_delete=None
            )
        self.factory.start()
        await self.quotas.synced.wait()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._resync_loop())
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, quota: Obj) -> None:
        self.queue.add(object_key(quota))

    def _quota_updated(self, old: Obj, new: Obj) -> None:
        # Status writes (ours and admission's) come back here; only a new spec needs a recount.
        if (old.get("spec") or {}) != (new.get("spec") or {}):
            self._enqueue(new)

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.resync_period)
            for quota in self.quotas.store.list():
                self._enqueue(quota)

    def _replenish(self, group_resource: str, namespace: str) -> None:
        """Queue the quotas of `namespace` that count `group_resource`."""
        for quota in self.quotas.store.by_index("namespace", namespace):
            if group_resource in q.tracked_group_resources(_hard_names(quota)):
                self._enqueue(quota)

    def _watch(self, group_resource: str) -> Informer | None:
        informer = self._counted.get(group_resource)
        if informer is not None:
            return informer
        info = resource_for(group_resource)
        if info is None:
            return None
        informer = self.factory.informer(info)
        evaluator = q.evaluator_for(group_resource)

        def namespace_of(obj: Obj) -> str:
            return str((obj.get("metadata") or {}).get("namespace", ""))

        def changed(old: Obj, new: Obj) -> None:
            now = _now()
            if not qr.equals(evaluator.usage(old, now), evaluator.usage(new, now)):
                self._replenish(group_resource, namespace_of(new))

        informer.add_event_handler(
            on_add=lambda obj: self._replenish(group_resource, namespace_of(obj)),
            on_update=changed,
            on_delete=lambda obj: self._replenish(group_resource, namespace_of(obj)),
        )
        self._counted[group_resource] = informer
        self.factory.start()
        return informer

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.sync_resource_quota(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | OSError | TimeoutError):
                    log.info("sync resource quota %s: %s", key, exc)
                else:
                    log.exception("sync resource quota %s", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    # -- reconcile -----------------------------------------------------------------------
    async def _objects(
        self, namespace: str, group_resources: Iterable[str]
    ) -> dict[str, list[Obj]]:
        out: dict[str, list[Obj]] = {}
        for gr in sorted(group_resources):
            informer = self._watch(gr)
            if informer is None:
                continue  # not served here: nothing can be counted
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
            async with asyncio.timeout(INFORMER_SYNC_TIMEOUT):
                await informer.synced.wait()
            out[gr] = informer.store.by_index("namespace", namespace)
        return out

    async def sync_resource_quota(self, key: str) -> None:
        namespace, name = split_key(key)
        quota = self.quotas.get(namespace, name)
        if quota is None:
            return
        spec_hard = qr.parse_list((quota.get("spec") or {}).get("hard"))
        status = quota.get("status") or {}
        previous_used = qr.parse_list(status.get("used"))
        dirty = (
            status.get("hard") is None
            or status.get("used") is None
            or not qr.equals(qr.parse_list(status.get("hard")), spec_hard)
        )
        objects = await self._objects(namespace, q.tracked_group_resources(spec_hard))
        used = dict(previous_used)
        used.update(q.calculate_usage(quota, objects, now=_now()))
        used = qr.mask(used, spec_hard.keys())
        dirty = dirty or not qr.equals(used, previous_used)
        if not dirty:
            return
        body = copy.deepcopy(quota)
        body["status"] = {"hard": qr.format_list(spec_hard), "used": qr.format_list(used)}
        try:
            await self.client.update(object_path(RESOURCE_QUOTAS, namespace, name, "status"), body)
        except ApiStatusError as exc:
            if exc.code == 404:
                return
            raise
