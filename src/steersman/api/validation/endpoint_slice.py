"""The discovery.k8s.io EndpointSlice kind.

Invariants:
- Addresses are validated by the slice's address type; the address type is immutable.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    index,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_ip,
    is_valid_label_value,
    key,
    parse_ip_sloppy,
    validate_dns1123_label,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
)
from steersman.api.validation.go_values import _immutable
from steersman.api.validation.helpers import (
    _PROTOCOLS,
    Obj,
    _d,
    _l,
    _meta,
    _name_errs,
    _s,
)

_ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_TOPOLOGY_LABELS = 16
MAX_ZONE_HINTS = 8
MAX_NODE_HINTS = 8
ZONE_LABEL = "topology.kubernetes.io/zone"


def validate_endpoint_ip(address: str, path: str) -> list[FieldError]:
    """ValidateEndpointIP: addresses that can never be a pod's."""
    ip = parse_ip_sloppy(address)
    if ip is None:
        return [errors.invalid(path, address, "must be a valid IP address")]
    out: list[FieldError] = []
    if ip.is_unspecified:
        out.append(errors.invalid(path, address, f"may not be unspecified ({address})"))
    if ip.is_loopback:
        out.append(
            errors.invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)")
        )
    if ip.is_link_local:
        msg = "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
        out.append(errors.invalid(path, address, msg))
    packed = ip.packed
    if (ip.version == 4 and packed[:3] == b"\xe0\x00\x00") or (
        ip.version == 6 and packed[0] == 0xFF and packed[1] & 0x0F == 0x02
    ):
        msg = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
        out.append(errors.invalid(path, address, msg))
    return out


def _is_fqdn(path: str, name: str) -> list[FieldError]:
    """validation.IsFullyQualifiedDomainName."""
    if not name:
        return [errors.required(path)]
    name = name.removesuffix(".")
    msgs = is_dns1123_subdomain(name)
    if msgs:
        return [errors.invalid(path, name, ",".join(msgs))]
    if len(name.split(".")) < 2:
        return [
            errors.invalid(
                path, name, "should be a domain with at least two segments separated by dots"
            )
        ]
    for label in name.split("."):
        msgs = is_dns1123_label(label)
        if msgs:
            return [errors.invalid(path, label, ",".join(msgs))]
    return []


def _validate_endpoint_address(address: str, address_type: str, path: str) -> list[FieldError]:
    if address_type in ("IPv4", "IPv6"):
        ip_errs = _name_errs(path, address, is_valid_ip(address))
        if ip_errs:
            return ip_errs
        ip = parse_ip_sloppy(address)
        out: list[FieldError] = []
        want = 4 if address_type == "IPv4" else 6
        if ip is not None and ip.version != want:
            out.append(errors.invalid(path, address, f"must be an {address_type} address"))
        return out + validate_endpoint_ip(address, path)
    if address_type == "FQDN":
        return _is_fqdn(path, address)
    return []


def _validate_hints(hints: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for field, limit, check in (
        ("forZones", MAX_ZONE_HINTS, is_valid_label_value),
        ("forNodes", MAX_NODE_HINTS, is_dns1123_subdomain),
    ):
        items = _l(hints.get(field))
        fp = child(path, field)
        if len(items) > limit:
            out.append(errors.too_many(fp, len(items), limit))
            return out
        seen: set[str] = set()
        for i, item in enumerate(items):
            name = _s(_d(item).get("name"))
            np_ = child(index(fp, i), "name")
            if name in seen:
                out.append(errors.duplicate(np_, name))
            seen.add(name)
            out.extend(_name_errs(np_, name, check(name)))
    return out


def _validate_endpoints(slice_: Obj, path: str) -> list[FieldError]:
    endpoints = _l(slice_.get("endpoints"))
    if len(endpoints) > MAX_ENDPOINTS:
        return [errors.too_many(path, len(endpoints), MAX_ENDPOINTS)]
    address_type = _s(slice_.get("addressType"))
    out: list[FieldError] = []
    for i, ep in enumerate(endpoints):
        ep = _d(ep)
        ip_ = index(path, i)
        ap = child(ip_, "addresses")
        addresses = _l(ep.get("addresses"))
        if not addresses:
            out.append(errors.required(ap, "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            out.append(errors.too_many(ap, len(addresses), MAX_ADDRESSES))
        for j, address in enumerate(addresses):
            out.extend(_validate_endpoint_address(_s(address), address_type, index(ap, j)))
        node = ep.get("nodeName")
        if isinstance(node, str):
            out.extend(_name_errs(child(ip_, "nodeName"), node, is_dns1123_subdomain(node)))
        topology = ep.get("deprecatedTopology")
        tp = child(ip_, "deprecatedTopology")
        if len(_d(topology)) > MAX_TOPOLOGY_LABELS:
            out.append(errors.too_many(tp, len(_d(topology)), MAX_TOPOLOGY_LABELS))
        out.extend(validate_labels(_d(topology), tp))
        if ZONE_LABEL in _d(topology):
            # v1 carries the zone in its own field; the label form is reserved.
            out.append(
                errors.internal(key(tp, ZONE_LABEL), "reserved key was not removed in conversion")
            )
        hostname = ep.get("hostname")
        if isinstance(hostname, str):
            out.extend(validate_dns1123_label(hostname, child(ip_, "hostname")))
        if isinstance(ep.get("hints"), dict):
            out.extend(_validate_hints(ep["hints"], child(ip_, "hints")))
    return out


def _validate_endpoint_ports(ports: list[Any], path: str) -> list[FieldError]:
    if len(ports) > MAX_PORTS:
        return [errors.too_many(path, len(ports), MAX_PORTS)]
    out: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = _d(port)
        pp = index(path, i)
        name = _s(port.get("name"))
        if name:
            out.extend(validate_dns1123_label(name, child(pp, "name")))
        if name in names:
            out.append(errors.duplicate(child(pp, "name"), name))
        names.add(name)
        protocol = port.get("protocol")
        if protocol is None:
            out.append(errors.required(child(pp, "protocol")))
        elif protocol not in _PROTOCOLS:
            out.append(errors.not_supported(child(pp, "protocol"), protocol, _PROTOCOLS))
        if isinstance(port.get("appProtocol"), str):
            out.extend(validate_qualified_name(port["appProtocol"], child(pp, "appProtocol")))
    return out


def validate_endpoint_slice(obj: Obj) -> list[FieldError]:
    """ValidateEndpointSlice (run on update too, object meta included)."""
    out = validate_object_meta(_meta(obj), namespaced=True)
    address_type = _s(obj.get("addressType"))
    if not address_type:
        out.append(errors.required("addressType"))
    elif address_type not in _ADDRESS_TYPES:
        out.append(errors.not_supported("addressType", address_type, _ADDRESS_TYPES))
    out.extend(_validate_endpoints(obj, "endpoints"))
    out.extend(_validate_endpoint_ports(_l(obj.get("ports")), "ports"))
    return out


def validate_endpoint_slice_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_endpoint_slice(new))
    out.extend(_immutable(_s(new.get("addressType")), _s(old.get("addressType")), "addressType"))
    return out


register(
    "discovery.k8s.io", "EndpointSlice", validate_endpoint_slice, validate_endpoint_slice_update
)
