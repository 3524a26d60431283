"""The Endpoints kind (core/v1).

Invariants:
- Addresses must be valid IPs outside the special ranges (unspecified, loopback, link-local);
  ports need a protocol Kubernetes supports, and a name when there are several.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    is_dns1123_subdomain,
    is_valid_ip,
    is_valid_port_num,
    validate_dns1123_label,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
)
from steersman.api.validation.helpers import (
    _PROTOCOLS,
    Obj,
    _d,
    _l,
    _meta,
    _name_errs,
    _s,
    _validate_non_special_ip,
)


def _validate_endpoint_address(addr: Obj, path: str) -> list[FieldError]:
    ip = _s(addr.get("ip"))
    out = _name_errs(child(path, "ip"), ip, is_valid_ip(ip))
    hostname = _s(addr.get("hostname"))
    if hostname:
        out.extend(validate_dns1123_label(hostname, child(path, "hostname")))
    node_name = addr.get("nodeName")
    if isinstance(node_name, str):
        out.extend(_name_errs(child(path, "nodeName"), node_name, is_dns1123_subdomain(node_name)))
    out.extend(_validate_non_special_ip(ip, child(path, "ip")))
    return out


def validate_endpoints(ep: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(ep), namespaced=True)
    for i, subset in enumerate(_l(ep.get("subsets"))):
        subset = _d(subset)
        p = f"subsets[{i}]"
        addresses, not_ready = _l(subset.get("addresses")), _l(subset.get("notReadyAddresses"))
        if not addresses and not not_ready:
            out.append(errors.required(p, "must specify `addresses` or `notReadyAddresses`"))
        for field, addrs in (("addresses", addresses), ("notReadyAddresses", not_ready)):
            for j, addr in enumerate(addrs):
                out.extend(_validate_endpoint_address(_d(addr), f"{p}.{field}[{j}]"))
        ports = _l(subset.get("ports"))
        for j, port in enumerate(ports):
            port = _d(port)
            pp = f"{p}.ports[{j}]"
            name = _s(port.get("name"))
            if len(ports) > 1 and not name:
                out.append(errors.required(child(pp, "name")))
            elif name:
                out.extend(validate_dns1123_label(name, child(pp, "name")))
            out.extend(
                errors.invalid(child(pp, "port"), port.get("port"), m)
                for m in is_valid_port_num(port.get("port"))
            )
            proto = _s(port.get("protocol"))
            if not proto:
                out.append(errors.required(child(pp, "protocol")))
            elif proto not in _PROTOCOLS:
                out.append(errors.not_supported(child(pp, "protocol"), proto, _PROTOCOLS))
            if isinstance(port.get("appProtocol"), str):
                out.extend(validate_qualified_name(port["appProtocol"], child(pp, "appProtocol")))
    return out


def validate_endpoints_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + validate_endpoints(new)


register("", "Endpoints", validate_endpoints, validate_endpoints_update)
