"""The networking.k8s.io NetworkPolicy kind.

Invariants:
- An update tolerates invalid values in the pod selector when the stored object already had
  them (the old object must stay updatable).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import ipaddress

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import validate_label_selector
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    index,
    is_valid_cidr,
    is_valid_port_name,
    is_valid_port_num,
    parse_ip_sloppy,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import GoRaw
from steersman.api.validation.helpers import Obj, _d, _i, _l, _meta, _name_errs, _s

_POLICY_TYPES = ("Ingress", "Egress")


def _validate_network_policy_port(port: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
        out.append(errors.not_supported(child(path, "protocol"), protocol, ["TCP", "UDP", "SCTP"]))
    value, end = port.get("port"), port.get("endPort")
    ep = child(path, "endPort")
    if value is None:
        if end is not None:
            out.append(errors.invalid(ep, end, "may not be specified when `port` is not specified"))
    elif isinstance(value, str):
        if end is not None:
            out.append(errors.invalid(ep, end, "may not be specified when `port` is non-numeric"))
        out.extend(_name_errs(child(path, "port"), value, is_valid_port_name(value)))
    else:
        out.extend(errors.invalid(child(path, "port"), value, m) for m in is_valid_port_num(value))
        if end is not None:
            if _i(end) < _i(value):
                out.append(errors.invalid(ep, value, "must be greater than or equal to `port`"))
            out.extend(errors.invalid(ep, end, m) for m in is_valid_port_num(end))
    return out


def _validate_ip_block(block: Obj, path: str) -> list[FieldError]:
    cidr = _s(block.get("cidr"))
    if not cidr:
        return [errors.required(child(path, "cidr"))]
    out = _name_errs(child(path, "cidr"), cidr, is_valid_cidr(cidr))
    if out:
        return out
    net = ipaddress.ip_network(_sloppy_cidr(cidr), strict=False)
    for i, except_cidr in enumerate(_l(block.get("except"))):
        ep = index(child(path, "except"), i)
        errs = _name_errs(ep, _s(except_cidr), is_valid_cidr(_s(except_cidr)))
        if errs:
            out.extend(errs)
            continue
        sub = ipaddress.ip_network(_sloppy_cidr(except_cidr), strict=False)
        if sub.network_address not in net or net.prefixlen >= sub.prefixlen:
            out.append(errors.invalid(ep, except_cidr, "must be a strict subset of `cidr`"))
    return out


def _sloppy_cidr(cidr: str) -> str:
    addr, _, bits = cidr.partition("/")
    return f"{parse_ip_sloppy(addr)}/{bits}"


def _validate_peer(peer: Obj, path: str, allow_invalid: bool) -> list[FieldError]:
    out: list[FieldError] = []
    count = 0
    for field in ("podSelector", "namespaceSelector"):
        if isinstance(peer.get(field), dict):
            count += 1
            out.extend(
                validate_label_selector(
                    peer[field],
                    child(path, field),
                    allow_invalid_label_value_in_selector=allow_invalid,
                )
            )
    if isinstance(peer.get("ipBlock"), dict):
        count += 1
        out.extend(_validate_ip_block(peer["ipBlock"], child(path, "ipBlock")))
    if count == 0:
        out.append(errors.required(path, "must specify a peer"))
    elif count > 1 and isinstance(peer.get("ipBlock"), dict):
        out.append(errors.forbidden(path, "may not specify both ipBlock and another peer"))
    return out


def _validate_network_policy_spec(spec: Obj, allow_invalid: bool) -> list[FieldError]:
    out = validate_label_selector(
        _d(spec.get("podSelector")),
        "spec.podSelector",
        allow_invalid_label_value_in_selector=allow_invalid,
    )
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(_l(spec.get(direction))):
            rp = index(child("spec", direction), i)
            for j, port in enumerate(_l(_d(rule).get("ports"))):
                out.extend(_validate_network_policy_port(_d(port), index(child(rp, "ports"), j)))
            for j, peer in enumerate(_l(_d(rule).get(peers))):
                out.extend(_validate_peer(_d(peer), index(child(rp, peers), j), allow_invalid))
    types = _l(spec.get("policyTypes"))
    if len(types) > len(_POLICY_TYPES):
        bad = GoRaw(
            "[]networking.PolicyType{" + ", ".join(errors.go_value(_s(t)) for t in types) + "}"
        )
        out.append(
            errors.invalid("spec.policyTypes", bad, "may not specify more than two policyTypes")
        )
        return out
    for i, kind in enumerate(types):
        if kind not in _POLICY_TYPES:
            out.append(errors.not_supported(index("spec.policyTypes", i), kind, _POLICY_TYPES))
    return out


def validate_network_policy(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    return out + _validate_network_policy_spec(_d(obj.get("spec")), False)


def validate_network_policy_update(new: Obj, old: Obj) -> list[FieldError]:
    old_selector = _d(_d(old.get("spec")).get("podSelector"))
    allow = bool(validate_label_selector(old_selector, "spec.podSelector"))
    out = validate_object_meta_update(_meta(new), _meta(old))
    return out + _validate_network_policy_spec(_d(new.get("spec")), allow)


register(
    "networking.k8s.io", "NetworkPolicy", validate_network_policy, validate_network_policy_update
)
