"""EndpointsController: one core/v1 Endpoints object per Service with a selector, listing the
addresses of the pods it selects (Kubernetes' pkg/controller/endpoint), plus the pod/service
helpers it shares with the EndpointSlice controller (k8s.io/endpointslice/util).

Invariants:
- Level-based: `sync_service(key)` rebuilds the Endpoints from the informer caches alone.
- Services without a selector, and ExternalName services, are never touched: their Endpoints
  belong to whoever wrote them. A Service that is gone takes its Endpoints with it (also those
  left behind while the controller was down: every Endpoints is checked once at start, except
  leader-election records).
- Subsets are in canonical form (RepackSubsets): addresses grouped by identical port sets,
  ready and not-ready addresses apart, everything sorted, so equal content compares equal and
  an unchanged Service causes no write. Pod resourceVersions in targetRefs are ignored.
- At most 1000 addresses are kept; beyond that the Endpoints is truncated (ready addresses
  first) and annotated `endpoints.kubernetes.io/over-capacity: truncated`.
- The Endpoints carries the Service's labels, `service.kubernetes.io/headless` for headless
  Services and `endpoints.kubernetes.io/managed-by: endpoint-controller`.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import ipaddress
import logging
import math
from collections.abc import Iterable
from typing import Any

import orjson

from steersman.api.labels import selector_from_set
from steersman.api.resources import require
from steersman.client.events import WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import Informer, InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.pods import is_pod_ready, parse_time, pod_condition

log = logging.getLogger("steersman.controllers.endpoints")

Obj = dict[str, Any]

PODS = require("", "v1", "pods")
SERVICES = require("", "v1", "services")
ENDPOINTS = require("", "v1", "endpoints")

CONTROLLER_NAME = "endpoint-controller"
MAX_CAPACITY = 1000
LABEL_MANAGED_BY = "endpoints.kubernetes.io/managed-by"
LABEL_HEADLESS = "service.kubernetes.io/headless"
ANNOTATION_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
ANNOTATION_LEADER = "control-plane.alpha.kubernetes.io/leader"
MAX_RETRIES = 15


# -- shared with the EndpointSlice controller (k8s.io/endpointslice/util) --------------------
def service_selector(service: Obj) -> dict[str, str] | None:
    """spec.selector; None (and an empty map, which the API cannot tell from nil) selects
    nothing, leaving the Service's endpoints to whoever writes them."""
    selector = (service.get("spec") or {}).get("selector")
    return dict(selector) if selector else None


def is_service_ip_set(service: Obj) -> bool:
    cluster_ip = (service.get("spec") or {}).get("clusterIP") or ""
    return cluster_ip not in ("", "None")


def services_for_labels(services: Informer, namespace: str, labels: dict[str, str]) -> set[str]:
    """Keys of the Services in `namespace` whose selector matches `labels`."""
    out: set[str] = set()
    for service in services.store.by_index("namespace", namespace):
        selector = service_selector(service)
        if selector is not None and selector_from_set(selector).matches(labels):
            out.add(object_key(service))
    return out


def _pod_labels(pod: Obj) -> dict[str, str]:
    return dict((pod.get("metadata") or {}).get("labels") or {})


def _pod_ips(pod: Obj) -> list[str]:
    status = pod.get("status") or {}
    ips = [str(p.get("ip")) for p in status.get("podIPs") or [] if p.get("ip")]
    if not ips and status.get("podIP"):
        ips = [str(status["podIP"])]
    return ips


def pod_endpoints_changed(old: Obj, new: Obj) -> tuple[bool, bool]:
    """(the pod's endpoint may differ, the pod's service membership may differ)."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    labels_changed = (
        _pod_labels(old) != _pod_labels(new)
        or old_spec.get("hostname") != new_spec.get("hostname")
        or old_spec.get("subdomain") != new_spec.get("subdomain")
    )
    changed = (
        (old.get("metadata") or {}).get("deletionTimestamp")
        != (new.get("metadata") or {}).get("deletionTimestamp")
        or is_pod_ready(old) != is_pod_ready(new)
        or _pod_ips(old) != _pod_ips(new)
    )
    return changed, labels_changed


def services_to_update_on_pod_change(services: Informer, old: Obj, new: Obj) -> set[str]:
    """GetServicesToUpdateOnPodChange: the Services whose endpoints a pod update can change."""
    if (old.get("metadata") or {}).get("resourceVersion") == (new.get("metadata") or {}).get(
        "resourceVersion"
    ):
        return set()
    changed, labels_changed = pod_endpoints_changed(old, new)
    if not changed and not labels_changed:
        return set()
    namespace = (new.get("metadata") or {}).get("namespace", "")
    now = services_for_labels(services, namespace, _pod_labels(new))
    if not labels_changed:
        return now
    before = services_for_labels(services, namespace, _pod_labels(old))
    # Only the Services the pod joined or left, unless the pod itself changed too.
    return now | before if changed else now ^ before


def should_pod_be_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """Terminal pods and pods without an IP never are; terminating ones only on request."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not _pod_ips(pod):
        return False
    return include_terminating or not (pod.get("metadata") or {}).get("deletionTimestamp")


def should_set_hostname(pod: Obj, service: Obj) -> bool:
    spec = pod.get("spec") or {}
    return (
        bool(spec.get("hostname"))
        and spec.get("subdomain") == service["metadata"]["name"]
        and (pod.get("metadata") or {}).get("namespace") == service["metadata"].get("namespace")
    )


def find_port(pod: Obj, service_port: Obj) -> int | None:
    """FindPort: a numeric targetPort as is; a named one looked up among the pod's container
    (and sidecar) ports of the same protocol; None when the pod has no such port."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + [
        c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
    ]
    for container in containers:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port["containerPort"])
    return None


def is_ipv6(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).version == 6
    except ValueError:
        return ":" in address


def target_ref(pod: Obj) -> Obj:
    meta = pod.get("metadata") or {}
    ref = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
    }
    return {k: v for k, v in ref.items() if v}


def format_trigger_time(when: datetime.datetime) -> str:
    """time.RFC3339Nano in UTC: fractional seconds without trailing zeros."""
    when = when.astimezone(datetime.UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += "." + f"{when.microsecond:06d}".rstrip("0")
    return text + "Z"


class TriggerTimeTracker:
    """The time of the earliest change (pod readiness transition, service creation) not yet
    exported; `compute` must run once per sync of a service, before deciding to write."""

    def __init__(self) -> None:
        self._states: dict[tuple[str, str], tuple[datetime.datetime | None, dict[str, Any]]] = {}

    def compute(
        self, namespace: str, service: Obj, pods: Iterable[Obj]
    ) -> datetime.datetime | None:
        key = (namespace, service["metadata"]["name"])
        known = key in self._states
        last_service, last_pods = self._states.get(key, (None, {}))
        earliest: datetime.datetime | None = None
        pod_times: dict[str, datetime.datetime] = {}
        for pod in pods:
            ready = pod_condition(pod, "Ready")
            when = parse_time((ready or {}).get("lastTransitionTime"))
            if when is None:
                continue
            name = pod["metadata"]["name"]
            pod_times[name] = when
            previous = last_pods.get(name)
            if previous is None or when > previous:
                earliest = when if earliest is None else min(earliest, when)
        created = parse_time(service["metadata"].get("creationTimestamp"))
        if created is not None and (last_service is None or created > last_service):
            earliest = created if earliest is None else min(earliest, created)
        self._states[key] = (created, pod_times)
        return created if not known else earliest

    def delete_service(self, namespace: str, name: str) -> None:
        self._states.pop((namespace, name), None)


# -- subsets -------------------------------------------------------------------------------
_NO_PORT: tuple[str, int, str, str] = ("", -1, "", "")


def _port_key(port: Obj) -> tuple[str, int, str, str]:
    return (
        str(port.get("name") or ""),
        int(port.get("port") or 0),
        str(port.get("protocol") or "TCP"),
        str(port.get("appProtocol") or ""),
    )


def _port_obj(key: tuple[str, int, str, str]) -> Obj:
    name, port, protocol, app_protocol = key
    out: Obj = {}
    if name:
        out["name"] = name
    out["port"] = port
    out["protocol"] = protocol
    if app_protocol:
        out["appProtocol"] = app_protocol
    return out


def _address_key(address: Obj) -> tuple[str, str]:
    return str(address.get("ip", "")), str((address.get("targetRef") or {}).get("uid", ""))


def _address_order(address: Obj) -> tuple[bytes, int, str]:
    """LessEndpointAddress: by IP (bytewise), then addresses without a targetRef, then UID."""
    ref = address.get("targetRef")
    return str(address.get("ip", "")).encode(), 1 if ref else 0, str((ref or {}).get("uid", ""))


def repack_subsets(subsets: Iterable[Obj]) -> list[Obj]:
    """RepackSubsets: expand to (address, port) pairs, then regroup addresses that offer the
    same ports. An address not ready on some port is not ready there (not-ready wins)."""
    addresses: dict[tuple[str, str], Obj] = {}
    by_port: dict[tuple[str, int, str, str], dict[tuple[str, str], bool]] = {}
    for subset in subsets:
        ports = [_port_key(p) for p in subset.get("ports") or []] or [_NO_PORT]
        for port in ports:
            readiness = by_port.setdefault(port, {})
            for ready, field in ((True, "addresses"), (False, "notReadyAddresses")):
                for address in subset.get(field) or []:
                    key = _address_key(address)
                    addresses.setdefault(key, address)
                    if readiness.get(key, True):
                        readiness[key] = ready
    groups: dict[frozenset[tuple[tuple[str, str], bool]], list[tuple[str, int, str, str]]] = {}
    for port, readiness in by_port.items():
        ports = groups.setdefault(frozenset(readiness.items()), [])
        if port != _NO_PORT:
            ports.append(port)
    final: list[Obj] = []
    for members, ports in groups.items():
        packed: Obj = {}
        ready_list = sorted((addresses[k] for k, r in members if r), key=_address_order)
        not_ready = sorted((addresses[k] for k, r in members if not r), key=_address_order)
        if ready_list:
            packed["addresses"] = ready_list
        if not_ready:
            packed["notReadyAddresses"] = not_ready
        if ports:
            packed["ports"] = [_port_obj(p) for p in sorted(ports)]
        final.append(packed)
    # Kubernetes orders subsets by a hash of their content; any fixed order of content works.
    return sorted(final, key=lambda s: orjson.dumps(s, option=orjson.OPT_SORT_KEYS))


def _without_ref_versions(subsets: Iterable[Obj]) -> list[Obj]:
    out = []
    for subset in subsets:
        clean: Obj = {}
        for field, value in subset.items():
            if field in ("addresses", "notReadyAddresses"):
                value = [
                    dict(
                        a,
                        targetRef={
                            k: v for k, v in a["targetRef"].items() if k != "resourceVersion"
                        },
                    )
                    if a.get("targetRef")
                    else a
                    for a in value
                ]
            if value:
                clean[field] = value
        if clean:
            out.append(clean)
    return out


def subsets_equal_ignoring_resource_version(a: Iterable[Obj], b: Iterable[Obj]) -> bool:
    return _without_ref_versions(a) == _without_ref_versions(b)


def _count_addresses(subsets: Iterable[Obj]) -> int:
    return sum(
        len(s.get("addresses") or []) + len(s.get("notReadyAddresses") or []) for s in subsets
    )


def truncate_subsets(subsets: list[Obj]) -> bool:
    """truncateEndpoints: keep MAX_CAPACITY addresses, ready ones first, each subset keeping
    its share (rounded up, the last one taking what is left). True when it cut anything."""
    total_ready = sum(len(s.get("addresses") or []) for s in subsets)
    total_not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    if total_ready + total_not_ready <= MAX_CAPACITY:
        return False
    truncate_ready = total_ready > MAX_CAPACITY
    limit = MAX_CAPACITY if truncate_ready else MAX_CAPACITY - total_ready
    total = total_ready if truncate_ready else total_not_ready
    room = limit
    for subset in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        mine = len(subset.get(field) or [])
        share = min(math.ceil(mine / total * limit) if total else 0, room)
        kept = (subset.get(field) or [])[:share]
        if kept:
            subset[field] = kept
        else:
            subset.pop(field, None)
        if truncate_ready:
            subset.pop("notReadyAddresses", None)
        room -= len(kept)
    return True


def _capacity_annotation_correct(annotations: dict[str, str], subsets: list[Obj]) -> bool:
    if _count_addresses(subsets) > MAX_CAPACITY:
        return False
    return ANNOTATION_OVER_CAPACITY not in annotations


def pod_to_endpoint_address(service: Obj, pod: Obj) -> Obj | None:
    """The pod's address in the Service's (first) IP family, or None if it has none."""
    spec = service.get("spec") or {}
    families = spec.get("ipFamilies") or []
    if families:
        want_v6 = families[0] == "IPv6"
    elif is_service_ip_set(service):
        want_v6 = is_ipv6(str(spec.get("clusterIP")))
    else:
        want_v6 = is_ipv6(str((pod.get("status") or {}).get("podIP") or ""))
    for ip in _pod_ips(pod):
        if is_ipv6(ip) == want_v6:
            address: Obj = {"ip": ip}
            node = (pod.get("spec") or {}).get("nodeName")
            # Kubernetes always sets it; "" would fail validation, and a pod with an IP has a node.
            if node:
                address["nodeName"] = node
            address["targetRef"] = target_ref(pod)
            return address
    return None


def desired_subsets(service: Obj, pods: Iterable[Obj]) -> list[Obj]:
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    ports = spec.get("ports") or []
    subsets: list[Obj] = []
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, publish):
            continue
        address = pod_to_endpoint_address(service, pod)
        if address is None:
            continue
        if should_set_hostname(pod, service):
            address = {"ip": address["ip"], "hostname": pod["spec"]["hostname"], **address}
        field = "addresses" if publish or is_pod_ready(pod) else "notReadyAddresses"
        if not ports:
            # Only headless Services may have no ports; their addresses stand alone.
            if spec.get("clusterIP") == "None":
                subsets.append({field: [address]})
            continue
        for service_port in ports:
            number = find_port(pod, service_port)
            if number is None:
                continue
            port: Obj = {"name": service_port.get("name") or "", "port": number}
            port["protocol"] = service_port.get("protocol") or "TCP"
            if service_port.get("appProtocol"):
                port["appProtocol"] = service_port["appProtocol"]
            subsets.append({field: [address], "ports": [port]})
    return repack_subsets(subsets)


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
