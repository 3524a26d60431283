"""EndpointSliceController: discovery.k8s.io/v1 EndpointSlices for every Service with a
selector (Kubernetes' pkg/controller/endpointslice and the k8s.io/endpointslice reconciler).

Invariants:
- Level-based: `sync_service(key)` compares the pods the Service selects with the slices the
  controller already manages for it (labels `kubernetes.io/service-name=<svc>` and
  `endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io`) and writes the
  difference. Slices are grouped by address type and by port set; at most 100 endpoints each.
- Few writes: existing slices are changed in place (kept endpoints keep their slice, new ones
  fill slices already being written, then the unchanged slice that ends up fullest); a create
  that coincides with a delete becomes an update of the slice to delete. An unchanged Service
  causes no write at all.
- A Service with no endpoints keeps exactly one empty placeholder slice per address type.
- Every slice is owned (controller ownerReference) by its Service, so the garbage collector
  removes slices of deleted Services; the controller itself only forgets them.
- A tracker remembers the version of every slice the controller wrote; while the informer
  has not caught up (a written slice missing or older in the cache, a deleted one still
  there) a sync is refused and retried, so a lagging cache never makes the controller create
  duplicates or write over its own writes.
Moved: endpoint/slice values to endpointslice_endpoints.py, the tracker to endpointslice_tracker.py.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from typing import Any

from steersman.api.labels import selector_from_set
from steersman.api.resources import require
from steersman.client.events import WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import Informer, InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.endpoints import MAX_RETRIES
from steersman.controllers.endpoints_pods import (
    TriggerTimeTracker,
    service_selector,
    services_for_labels,
    services_to_update_on_pod_change,
    should_pod_be_in_endpoints,
)
from steersman.controllers.endpointslice_endpoints import (
    LABEL_SERVICE_NAME,
    address_types_for_service,
    endpoint_hash,
    endpoint_ports,
    endpoints_equal_beyond_hash,
    is_placeholder_like,
    managed_by_controller,
    new_endpoint_slice,
    owned_by,
    pod_to_endpoint,
    port_map_key,
    service_key_of_slice,
    set_trigger_time,
    slice_labels,
    slice_to_fill,
)
from steersman.controllers.endpointslice_tracker import EndpointSliceTracker

log = logging.getLogger("steersman.controllers.endpointslice")

Obj = dict[str, Any]

PODS = require("", "v1", "pods")
SERVICES = require("", "v1", "services")
NODES = require("", "v1", "nodes")
ENDPOINT_SLICES = require("discovery.k8s.io", "v1", "endpointslices")

EVENT_COMPONENT = "endpoint-slice-controller"  # the EventRecorder's component name
MAX_ENDPOINTS_PER_SLICE = 100
# A slice changed by someone else is looked at again after at least this long.
ENDPOINT_SLICE_CHANGE_MIN_SYNC_DELAY = 1.0


class StaleInformerCache(Exception):
    """The EndpointSlice cache is behind the controller's own writes; retry later."""


class ReconcileError(Exception):
    pass


def _has_cause(exc: ApiStatusError, reason: str) -> bool:
    causes = ((exc.status or {}).get("details") or {}).get("causes") or []
    return any(c.get("reason") == reason for c in causes)


# -- the controller -------------------------------------------------------------------------
class EndpointSliceController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 5,
        max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder
        self.workers = workers
        self.max_endpoints = max_endpoints_per_slice
        self.queue: WorkQueue[str] = WorkQueue()
        self.services = factory.informer(SERVICES)
        self.pods = factory.informer(PODS)
        self.nodes = factory.informer(NODES)
        self.slices = factory.informer(ENDPOINT_SLICES)
        self.tracker = EndpointSliceTracker()
        self.trigger_times = TriggerTimeTracker()
        self._handlers_added = False

    # -- wiring --------------------------------------------------------------------------
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
            self.slices.add_event_handler(
                on_add=self._slice_added,
                on_update=self._slice_updated,
                on_delete=self._slice_deleted,
            )
        self.factory.start()
        informers: tuple[Informer, ...] = (self.services, self.pods, self.nodes, self.slices)
        for informer in informers:
            await informer.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, obj: Obj) -> None:
        self.queue.add(object_key(obj))

    def _pod_added(self, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        for key in services_for_labels(
            self.services, meta.get("namespace", ""), dict(meta.get("labels") or {})
        ):
            self.queue.add(key)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        for key in services_to_update_on_pod_change(self.services, old, new):
            self.queue.add(key)

    def _queue_for_slice(self, slice_: Obj) -> None:
        key = service_key_of_slice(slice_)
        if key:
            self.queue.add_after(key, ENDPOINT_SLICE_CHANGE_MIN_SYNC_DELAY)

    def _slice_added(self, slice_: Obj) -> None:
        if managed_by_controller(slice_) and self.tracker.should_sync(slice_):
            self._queue_for_slice(slice_)

    def _slice_updated(self, old: Obj, new: Obj) -> None:
        if service_key_of_slice(old) != service_key_of_slice(new):
            self._queue_for_slice(new)
            self._queue_for_slice(old)
            return
        if managed_by_controller(old) != managed_by_controller(new) or (
            managed_by_controller(new) and self.tracker.should_sync(new)
        ):
            self._queue_for_slice(new)

    def _slice_deleted(self, slice_: Obj) -> None:
        if (
            managed_by_controller(slice_)
            and self.tracker.has(slice_)
            and not self.tracker.handle_deletion(slice_)
        ):
            self._queue_for_slice(slice_)

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
                if isinstance(exc, StaleInformerCache):
                    log.debug("sync endpoint slices %s: %s", key, exc)
                elif isinstance(exc, ApiStatusError | OSError | TimeoutError | ReconcileError):
                    log.info("sync endpoint slices %s: %s", key, exc)
                else:
                    log.exception("sync endpoint slices %s", key)
                if self.queue.num_requeues(key) < MAX_RETRIES:
                    self.queue.add_rate_limited(key)
                else:
                    self.queue.forget(key)
            finally:
                self.queue.done(key)

    # -- reconcile -----------------------------------------------------------------------
    async def sync_service(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.get(namespace, name)
        if service is None:
            # The garbage collector removes the slices through their ownerReferences.
            self.trigger_times.delete_service(namespace, name)
            self.tracker.delete_service(key)
            return
        selector = service_selector(service)
        if (service.get("spec") or {}).get("type") == "ExternalName" or selector is None:
            return
        matcher = selector_from_set(selector)
        pods = [
            p
            for p in self.pods.store.by_index("namespace", namespace)
            if matcher.matches((p.get("metadata") or {}).get("labels") or {})
        ]
        slices = [
            s
            for s in self.slices.store.by_index("namespace", namespace)
            if managed_by_controller(s)
            and ((s.get("metadata") or {}).get("labels") or {}).get(LABEL_SERVICE_NAME) == name
            and not (s.get("metadata") or {}).get("deletionTimestamp")
        ]
        if self.tracker.stale_slices(key, slices):
            raise StaleInformerCache("EndpointSlice informer cache is out of date")
        trigger_time = self.trigger_times.compute(namespace, service, pods)
        try:
            await self.reconcile(service, pods, slices, trigger_time)
        except (ReconcileError, ApiStatusError) as exc:
            self.recorder.event(
                service,
                WARNING,
                "FailedToUpdateEndpointSlices",
                f"Error updating Endpoint Slices for Service {namespace}/{name}: {exc}",
            )
            raise

    async def reconcile(
        self,
        service: Obj,
        pods: list[Obj],
        existing: list[Obj],
        trigger_time: datetime.datetime | None,
    ) -> None:
        supported = address_types_for_service(service)
        by_type: dict[str, list[Obj]] = {}
        unsupported: list[Obj] = []
        for slice_ in existing:
            if slice_.get("addressType") in supported:
                by_type.setdefault(slice_["addressType"], []).append(slice_)
            else:
                unsupported.append(slice_)
        errors: list[str] = []
        for address_type in sorted(supported):
            try:
                await self._reconcile_by_address_type(
                    service, pods, by_type.get(address_type, []), trigger_time, address_type
                )
            except ReconcileError as exc:
                errors.append(str(exc))
        meta = service["metadata"]
        for slice_ in unsupported:
            try:
                await self._delete(slice_)
            except ApiStatusError as exc:
                errors.append(
                    f"error deleting {slice_['metadata']['name']} EndpointSlice for Service "
                    f"{meta['namespace']}/{meta['name']}: {exc}"
                )
        if errors:
            raise ReconcileError(errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")

    async def _reconcile_by_address_type(
        self,
        service: Obj,
        pods: list[Obj],
        existing: list[Obj],
        trigger_time: datetime.datetime | None,
        address_type: str,
    ) -> None:
        meta = service["metadata"]
        publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
        errors: list[str] = []
        to_create: list[Obj] = []
        to_update: list[Obj] = []
        to_delete: list[Obj] = []
        existing_by_ports: dict[Any, list[Obj]] = {}
        for slice_ in existing:
            if owned_by(slice_, service):
                existing_by_ports.setdefault(port_map_key(slice_.get("ports")), []).append(slice_)
            else:
                to_delete.append(slice_)

        desired_ports: dict[Any, list[Obj]] = {}
        desired: dict[Any, dict[Any, Obj]] = {}
        for pod in pods:
            if not should_pod_be_in_endpoints(pod, True):
                continue
            ports = endpoint_ports(service, pod)
            key = port_map_key(ports)
            wanted = desired.setdefault(key, {})
            desired_ports.setdefault(key, ports)
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            node = self.nodes.get("", node_name) if node_name else None
            if node is None and not publish:
                # Requeue, but publish the others now: a dangling node must not block them.
                errors.append(
                    f"skipping Pod {pod['metadata']['name']} for Service "
                    f"{meta['namespace']}/{meta['name']}: Node {node_name} Not Found"
                )
                continue
            endpoint = pod_to_endpoint(pod, node, service, address_type)
            if endpoint["addresses"]:
                wanted[endpoint_hash(endpoint)] = endpoint

        for key, wanted in desired.items():
            created, updated, deleted = self._reconcile_by_port_mapping(
                service, existing_by_ports.get(key, []), wanted, desired_ports[key], address_type
            )
            to_create += created
            to_update += updated
            to_delete += deleted
        for key, slices in existing_by_ports.items():
            if key not in desired:
                to_delete += slices

        if len(existing) == len(to_delete) and not to_create:
            placeholder = new_endpoint_slice(service, [], address_type)
            if len(to_delete) == 1 and is_placeholder_like(to_delete[0], placeholder):
                to_delete = []  # the placeholder we have is the one we want
            else:
                to_create.append(placeholder)

        try:
            await self._finalize(service, to_create, to_update, to_delete, trigger_time)
        except ReconcileError as exc:
            errors.append(str(exc))
        if errors:
            raise ReconcileError(errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")

    def _reconcile_by_port_mapping(
        self,
        service: Obj,
        existing: list[Obj],
        desired: dict[Any, Obj],
        ports: list[Obj],
        address_type: str,
    ) -> tuple[list[Obj], list[Obj], list[Obj]]:
        by_name: dict[str, Obj] = {}
        unchanged: list[str] = []
        to_update: list[str] = []
        to_delete: list[str] = []
        # 1. Keep the endpoints still wanted where they are, refreshed; drop the others.
        for slice_ in existing:
            name = slice_["metadata"]["name"]
            by_name[name] = slice_
            kept: list[Obj] = []
            refreshed = False
            for endpoint in slice_.get("endpoints") or []:
                wanted = desired.pop(endpoint_hash(endpoint), None)
                if wanted is not None:
                    kept.append(wanted)
                    refreshed = refreshed or not endpoints_equal_beyond_hash(wanted, endpoint)
            labels, labels_changed = slice_labels(slice_, service)
            if refreshed or len(kept) != len(slice_.get("endpoints") or []):
                if not kept:
                    to_delete.append(name)
                    continue
                changed = copy.deepcopy(slice_)
                changed["endpoints"] = kept
                changed["metadata"]["labels"] = labels
                by_name[name] = changed
                to_update.append(name)
            elif labels_changed:
                changed = copy.deepcopy(slice_)
                changed["metadata"]["labels"] = labels
                by_name[name] = changed
                to_update.append(name)
            else:
                unchanged.append(name)

        # 2. New endpoints first fill slices that are being written anyway, fullest first.
        if desired and to_update:
            for slice_ in sorted(
                (by_name[n] for n in to_update), key=lambda s: -len(s["endpoints"])
            ):
                self._fill(slice_, desired)

        # 3. Then the unchanged slice they fit best, or new slices.
        to_create: list[Obj] = []
        while desired:
            target: Obj | None = None
            if len(desired) < self.max_endpoints and unchanged:
                target = slice_to_fill(
                    (by_name[n] for n in unchanged), len(desired), self.max_endpoints
                )
            if target is None:
                target = new_endpoint_slice(service, ports, address_type)
            else:
                target = copy.deepcopy(target)
                by_name[target["metadata"]["name"]] = target
            self._fill(target, desired)
            name = target["metadata"].get("name")
            if name:
                to_update.append(name)
                unchanged.remove(name)
            else:
                to_create.append(target)
        return to_create, [by_name[n] for n in to_update], [by_name[n] for n in to_delete]

    def _fill(self, slice_: Obj, desired: dict[Any, Obj]) -> None:
        endpoints = slice_.setdefault("endpoints", [])
        while desired and len(endpoints) < self.max_endpoints:
            endpoints.append(desired.pop(next(iter(desired))))

    async def _finalize(
        self,
        service: Obj,
        to_create: list[Obj],
        to_update: list[Obj],
        to_delete: list[Obj],
        trigger_time: datetime.datetime | None,
    ) -> None:
        meta = service["metadata"]
        where = f"Service {meta['namespace']}/{meta['name']}"
        # A create and a delete together are one update of the slice that would go.
        i = 0
        while i < len(to_delete) and to_create:
            doomed = to_delete[i]
            fresh = to_create[-1]
            if doomed.get("addressType") == fresh["addressType"] and owned_by(doomed, service):
                fresh["metadata"]["name"] = doomed["metadata"]["name"]
                to_create.pop()
                to_update.append(fresh)
                del to_delete[i]
            else:
                i += 1

        # No new slices for a Service being deleted: the garbage collector is removing them.
        if not meta.get("deletionTimestamp"):
            for slice_ in to_create:
                set_trigger_time(slice_, trigger_time)
                try:
                    created = await self.client.create(
                        collection_path(ENDPOINT_SLICES, meta["namespace"]), slice_
                    )
                except ApiStatusError as exc:
                    if _has_cause(exc, "NamespaceTerminating"):
                        return
                    raise ReconcileError(
                        f"failed to create EndpointSlice for {where}: {exc}"
                    ) from exc
                self.tracker.update(created)
        for slice_ in to_update:
            set_trigger_time(slice_, trigger_time)
            name = slice_["metadata"]["name"]
            try:
                updated = await self.client.update(
                    object_path(ENDPOINT_SLICES, meta["namespace"], name), slice_
                )
            except ApiStatusError as exc:
                raise ReconcileError(
                    f"failed to update {name} EndpointSlice for {where}: {exc}"
                ) from exc
            self.tracker.update(updated)
        for slice_ in to_delete:
            try:
                await self._delete(slice_)
            except ApiStatusError as exc:
                raise ReconcileError(
                    f"failed to delete {slice_['metadata']['name']} EndpointSlice for "
                    f"{where}: {exc}"
                ) from exc

    async def _delete(self, slice_: Obj) -> None:
        meta = slice_["metadata"]
        try:
            await self.client.delete(object_path(ENDPOINT_SLICES, meta["namespace"], meta["name"]))
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
            return
        self.tracker.expect_deletion(slice_)
