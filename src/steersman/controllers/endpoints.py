"""EndpointsController: one core/v1 Endpoints object per Service with a selector, listing the
addresses of the pods it selects (Kubernetes' pkg/controller/endpoint): the controller, its
workqueue and writes, and the Endpoints' labels and annotations.

Invariants:
- Level-based: `sync_service(key)` rebuilds the Endpoints from the informer caches alone.
- Services without a selector, and ExternalName services, are never touched: their Endpoints
  belong to whoever wrote them. A Service that is gone takes its Endpoints with it (also those
  left behind while the controller was down: every Endpoints is checked once at start, except
  leader-election records).
- Subsets are compared in canonical form, so an unchanged Service causes no write.
- An Endpoints truncated to MAX_CAPACITY addresses is annotated
  `endpoints.kubernetes.io/over-capacity: truncated`, and only then.
- The Endpoints carries the Service's labels, `service.kubernetes.io/headless` for headless
  Services and `endpoints.kubernetes.io/managed-by: endpoint-controller`.

Moved to modules: the pod/service helpers shared with the EndpointSlice controller to
endpoints_pods, the subsets (building, canonical form, comparison, truncation) to
endpoints_subsets.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

from steersman.api.labels import selector_from_set
from steersman.api.resources import require
from steersman.client.events import WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.endpoints_pods import (
    TriggerTimeTracker,
    _pod_labels,
    format_trigger_time,
    is_service_ip_set,
    service_selector,
    services_for_labels,
    services_to_update_on_pod_change,
)
from steersman.controllers.endpoints_subsets import (
    ANNOTATION_OVER_CAPACITY,
    _capacity_annotation_correct,
    desired_subsets,
    subsets_equal_ignoring_resource_version,
    truncate_subsets,
)

log = logging.getLogger("steersman.controllers.endpoints")

Obj = dict[str, Any]

PODS = require("", "v1", "pods")
SERVICES = require("", "v1", "services")
ENDPOINTS = require("", "v1", "endpoints")

CONTROLLER_NAME = "endpoint-controller"
LABEL_MANAGED_BY = "endpoints.kubernetes.io/managed-by"
LABEL_HEADLESS = "service.kubernetes.io/headless"
ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ANNOTATION_LEADER = "control-plane.alpha.kubernetes.io/leader"
MAX_RETRIES = 15


def desired_labels(service: Obj) -> dict[str, str]:
    labels = dict((service.get("metadata") or {}).get("labels") or {})
    if is_service_ip_set(service):
        labels.pop(LABEL_HEADLESS, None)
    else:
        labels[LABEL_HEADLESS] = ""
    labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    return labels


def _has_cause(exc: ApiStatusError, reason: str) -> bool:
    causes = ((exc.status or {}).get("details") or {}).get("causes") or []
    return any(c.get("reason") == reason for c in causes)


# -- the controller -------------------------------------------------------------------------
class EndpointsController:
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
        self.services = factory.informer(SERVICES)
        self.pods = factory.informer(PODS)
        self.endpoints = factory.informer(ENDPOINTS)
        self.trigger_times = TriggerTimeTracker()
        self._handlers_added = False

    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.services.add_event_handler(
                on_add=self._enqueue,
                on_update=lambda _old, new: self._enqueue(new),
                on_delete=self._enqueue,
            )
            self.pods.add_event_handler(
                on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_added
            )
            self.endpoints.add_event_handler(on_delete=self._enqueue)
        self.factory.start()
        for informer in (self.services, self.pods, self.endpoints):
            await informer.synced.wait()
        self.check_leftover_endpoints()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, obj: Obj) -> None:
        self.queue.add(object_key(obj))

    def _pod_added(self, pod: Obj) -> None:
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        for key in services_for_labels(self.services, namespace, _pod_labels(pod)):
            self.queue.add(key)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        for key in services_to_update_on_pod_change(self.services, old, new):
            self.queue.add(key)

    def check_leftover_endpoints(self) -> None:
        """Queue every Endpoints once, so those whose Service went away meanwhile are removed."""
        for endpoints in self.endpoints.store.list():
            annotations = (endpoints.get("metadata") or {}).get("annotations") or {}
            if ANNOTATION_LEADER in annotations:
                continue  # a leader-election record, never a Service's
            self._enqueue(endpoints)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.sync_service(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | OSError | TimeoutError):
                    log.info("sync endpoints %s: %s", key, exc)
                else:
                    log.exception("sync endpoints %s", key)
                if self.queue.num_requeues(key) < MAX_RETRIES:
                    self.queue.add_rate_limited(key)
                else:
                    self.queue.forget(key)
            finally:
                self.queue.done(key)

    async def sync_service(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.get(namespace, name)
        if service is None:
            try:
                await self.client.delete(object_path(ENDPOINTS, namespace, name))
            except ApiStatusError as exc:
                if exc.code != 404:
                    raise
            self.trigger_times.delete_service(namespace, name)
            return
        spec = service.get("spec") or {}
        selector = service_selector(service)
        if spec.get("type") == "ExternalName" or selector is None:
            return
        matcher = selector_from_set(selector)
        pods = [
            p
            for p in self.pods.store.by_index("namespace", namespace)
            if matcher.matches(_pod_labels(p))
        ]
        # Computed on every sync so the tracker follows the pods even when nothing is written.
        trigger_time = self.trigger_times.compute(namespace, service, pods)
        subsets = desired_subsets(service, pods)
        labels = desired_labels(service)

        current = self.endpoints.get(namespace, name)
        if current is not None:
            annotations = (current.get("metadata") or {}).get("annotations") or {}
            if (
                subsets_equal_ignoring_resource_version(current.get("subsets") or [], subsets)
                and ((current.get("metadata") or {}).get("labels") or {}) == labels
                and _capacity_annotation_correct(annotations, current.get("subsets") or [])
            ):
                return
            new = copy.deepcopy(current)
        else:
            new = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name}}
        new.setdefault("apiVersion", "v1")
        new.setdefault("kind", "Endpoints")
        meta = new["metadata"]
        meta["namespace"] = namespace
        meta["labels"] = labels
        annotations = dict(meta.get("annotations") or {})
        if trigger_time is not None:
            annotations[ANNOTATION_TRIGGER_TIME] = format_trigger_time(trigger_time)
        else:
            annotations.pop(ANNOTATION_TRIGGER_TIME, None)
        if truncate_subsets(subsets):
            annotations[ANNOTATION_OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(ANNOTATION_OVER_CAPACITY, None)
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
        if subsets:
            new["subsets"] = subsets
        else:
            new.pop("subsets", None)
        await self._write(service, new, create=current is None)

    async def _write(self, service: Obj, endpoints: Obj, *, create: bool) -> None:
        namespace = service["metadata"]["namespace"]
        name = service["metadata"]["name"]
        try:
            if create:
                await self.client.create(collection_path(ENDPOINTS, namespace), endpoints)
            else:
                await self.client.update(object_path(ENDPOINTS, namespace, name), endpoints)
        except ApiStatusError as exc:
            if create and exc.code == 403 and _has_cause(exc, "NamespaceTerminating"):
                return  # creates keep failing while the namespace goes away: drop the item
            if create:
                self.recorder.event(
                    endpoints,
                    WARNING,
                    "FailedToCreateEndpoint",
                    f"Failed to create endpoint for service {namespace}/{name}: {exc}",
                )
            else:
                self.recorder.event(
                    endpoints,
                    WARNING,
                    "FailedToUpdateEndpoint",
                    f"Failed to update endpoint {namespace}/{name}: {exc}",
                )
            raise
