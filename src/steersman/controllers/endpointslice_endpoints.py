"""Endpoints and EndpointSlices as values, for the EndpointSliceController: an endpoint built
from a pod (`pod_to_endpoint`, `endpoint_ports`), the identity of endpoints and port sets
(`endpoint_hash`, `port_map_key`), and the slices' labels, owners, placeholders and
trigger-time annotation.

Invariants:
- No I/O: nothing here reads a cache or talks to the API server; only `set_trigger_time`
  changes its argument.
- Endpoints are the same endpoint when addresses, hostname and target agree; everything else
  (conditions, node, zone) is updated in place. Port sets are the same in any order.
- Every slice is owned (controller ownerReference) by its Service and labelled
  `kubernetes.io/service-name=<svc>` and
  `endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io`.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable
from typing import Any

from steersman.controllers.endpoints import ANNOTATION_TRIGGER_TIME, LABEL_HEADLESS
from steersman.controllers.endpoints_pods import (
    find_port,
    format_trigger_time,
    is_ipv6,
    is_service_ip_set,
    should_set_hostname,
    target_ref,
)
from steersman.controllers.pods import is_pod_ready

Obj = dict[str, Any]

CONTROLLER_NAME = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_ZONE = "topology.kubernetes.io/zone"
_RESERVED_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)


def address_types_for_service(service: Obj) -> set[str]:
    """The service's IP families as address types; without them, the ClusterIP's family, and
    both families for a headless Service (as an old API server would leave it)."""
    spec = service.get("spec") or {}
    families = spec.get("ipFamilies") or []
    types = {f for f in families if f in ("IPv4", "IPv6")}
    if types:
        return types
    if is_service_ip_set(service):
        return {"IPv6" if is_ipv6(str(spec.get("clusterIP"))) else "IPv4"}
    return {"IPv4", "IPv6"}


def endpoint_ports(service: Obj, pod: Obj) -> list[Obj]:
    spec = service.get("spec") or {}
    out: list[Obj] = []
    for service_port in spec.get("ports") or []:
        number = find_port(pod, service_port)
        if number is None:
            continue
        port: Obj = {
            "name": service_port.get("name") or "",
            "protocol": service_port.get("protocol") or "TCP",
            "port": number,
        }
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        out.append(port)
    return out


def _norm_port(port: Obj) -> tuple[str, str, int, str]:
    return (
        str(port.get("name") or ""),
        str(port.get("protocol") or "TCP"),
        int(port.get("port") or 0),
        str(port.get("appProtocol") or ""),
    )


def port_map_key(ports: Iterable[Obj] | None) -> tuple[tuple[str, str, int, str], ...]:
    """NewPortMapKey: the identity of a port set, in any order."""
    return tuple(sorted(_norm_port(p) for p in ports or []))


def pod_to_endpoint(pod: Obj, node: Obj | None, service: Obj, address_type: str) -> Obj:
    spec = pod.get("spec") or {}
    serving = is_pod_ready(pod)
    terminating = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    # Compatibility: a terminating endpoint is never ready, unless not-ready ones are published.
    ready = publish or (serving and not terminating)
    want_v6 = address_type == "IPv6"
    status = pod.get("status") or {}
    ips = [str(p.get("ip")) for p in status.get("podIPs") or [] if p.get("ip")]
    if not ips and status.get("podIP"):
        ips = [str(status["podIP"])]
    endpoint: Obj = {
        "addresses": [ip for ip in ips if is_ipv6(ip) == want_v6],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
    }
    if should_set_hostname(pod, service):
        endpoint["hostname"] = spec["hostname"]
    endpoint["targetRef"] = target_ref(pod)
    if spec.get("nodeName"):
        endpoint["nodeName"] = spec["nodeName"]
    zone = ((node or {}).get("metadata") or {}).get("labels", {}).get(LABEL_ZONE)
    if zone:
        endpoint["zone"] = zone
    return endpoint


def endpoint_hash(endpoint: Obj) -> tuple[tuple[str, ...], str, str, str]:
    """Endpoints are the same endpoint when addresses, hostname and target agree; everything
    else (conditions, node, zone) is updated in place."""
    ref = endpoint.get("targetRef") or {}
    return (
        tuple(sorted(endpoint.get("addresses") or [])),
        str(endpoint.get("hostname") or ""),
        str(ref.get("namespace") or ""),
        str(ref.get("name") or ""),
    )


def endpoints_equal_beyond_hash(a: Obj, b: Obj) -> bool:
    for field in ("nodeName", "zone"):
        if a.get(field) != b.get(field):
            return False
    ca, cb = a.get("conditions") or {}, b.get("conditions") or {}
    for field in ("ready", "serving", "terminating"):
        if ca.get(field) != cb.get(field):
            return False
    ref_a = {k: v for k, v in (a.get("targetRef") or {}).items() if k != "resourceVersion"}
    ref_b = {k: v for k, v in (b.get("targetRef") or {}).items() if k != "resourceVersion"}
    return ref_a == ref_b


def slice_labels(slice_: Obj, service: Obj) -> tuple[dict[str, str], bool]:
    """The slice's labels: the Service's (reserved keys aside) plus the reserved ones; and
    whether the Service's own labels differ from the slice's."""
    current = {
        k: v
        for k, v in ((slice_.get("metadata") or {}).get("labels") or {}).items()
        if k not in _RESERVED_LABELS
    }
    wanted = {
        k: v
        for k, v in ((service.get("metadata") or {}).get("labels") or {}).items()
        if k not in _RESERVED_LABELS
    }
    changed = current != wanted
    if not is_service_ip_set(service):
        wanted[LABEL_HEADLESS] = ""
    wanted[LABEL_SERVICE_NAME] = service["metadata"]["name"]
    wanted[LABEL_MANAGED_BY] = CONTROLLER_NAME
    return wanted, changed


def service_owner_reference(service: Obj) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "name": service["metadata"]["name"],
        "uid": service["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned_by(slice_: Obj, service: Obj) -> bool:
    uid = service["metadata"].get("uid")
    return any(
        ref.get("uid") == uid and ref.get("kind") == "Service" and ref.get("apiVersion") == "v1"
        for ref in (slice_.get("metadata") or {}).get("ownerReferences") or []
    )


def new_endpoint_slice(service: Obj, ports: list[Obj], address_type: str) -> Obj:
    slice_: Obj = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "generateName": f"{service['metadata']['name']}-",
            "namespace": service["metadata"]["namespace"],
            "ownerReferences": [service_owner_reference(service)],
        },
        "addressType": address_type,
        "endpoints": [],
        "ports": copy.deepcopy(ports),
    }
    slice_["metadata"]["labels"], _ = slice_labels(slice_, service)
    return slice_


def is_placeholder_like(existing: Obj, placeholder: Obj) -> bool:
    """placeholderSliceCompare: namespace, labels, owners and content agree (empty lists and
    missing ones are the same)."""
    em, pm = existing.get("metadata") or {}, placeholder["metadata"]
    return (
        em.get("namespace") == pm.get("namespace")
        and (em.get("labels") or {}) == (pm.get("labels") or {})
        and (em.get("ownerReferences") or []) == pm["ownerReferences"]
        and existing.get("addressType") == placeholder["addressType"]
        and not existing.get("endpoints")
        and not existing.get("ports")
    )


def slice_to_fill(slices: Iterable[Obj], count: int, maximum: int) -> Obj | None:
    """getSliceToFill: the slice that `count` more endpoints bring closest to full."""
    best: Obj | None = None
    best_gap = maximum
    for candidate in slices:
        gap = maximum - (count + len(candidate.get("endpoints") or []))
        if 0 <= gap < best_gap:
            best, best_gap = candidate, gap
            if gap == 0:
                break
    return best


def service_key_of_slice(slice_: Obj) -> str | None:
    meta = slice_.get("metadata") or {}
    name = (meta.get("labels") or {}).get(LABEL_SERVICE_NAME)
    return f"{meta.get('namespace', '')}/{name}" if name else None


def managed_by_controller(slice_: Obj) -> bool:
    return ((slice_.get("metadata") or {}).get("labels") or {}).get(
        LABEL_MANAGED_BY
    ) == CONTROLLER_NAME


def set_trigger_time(slice_: Obj, trigger_time: datetime.datetime | None) -> None:
    meta = slice_.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    if trigger_time is not None:
        annotations[ANNOTATION_TRIGGER_TIME] = format_trigger_time(trigger_time)
    else:
        annotations.pop(ANNOTATION_TRIGGER_TIME, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
