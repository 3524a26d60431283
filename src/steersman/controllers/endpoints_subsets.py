"""Endpoints subsets as values, for the EndpointsController: the subsets a Service's pods
call for (`desired_subsets`), their canonical form (`repack_subsets`), their comparison, and
the over-capacity truncation.

Invariants:
- No I/O; only `truncate_subsets` changes its argument.
- Subsets are in canonical form (RepackSubsets): addresses grouped by identical port sets,
  ready and not-ready addresses apart (an address both ready and not ready on a port is not
  ready there), and everything sorted, so equal content compares equal.
- Comparison ignores the pods' resourceVersions in targetRefs.
- At most MAX_CAPACITY (1000) addresses are kept, ready addresses first; more is what
  ANNOTATION_OVER_CAPACITY marks.
- An address is in the Service's (first) IP family; a Service without ports gets addresses
  only when it is headless, and a pod without the named targetPort offers no such port.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import orjson

from steersman.controllers.endpoints_pods import (
    _pod_ips,
    find_port,
    is_ipv6,
    is_service_ip_set,
    should_pod_be_in_endpoints,
    should_set_hostname,
    target_ref,
)
from steersman.controllers.pods import is_pod_ready

Obj = dict[str, Any]

MAX_CAPACITY = 1000
ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"

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
