"""Semantic validation of the smaller API groups, worded as Kubernetes' validation packages:
coordination.k8s.io Lease, discovery.k8s.io EndpointSlice, events.k8s.io Event,
networking.k8s.io Ingress/IngressClass/NetworkPolicy, policy PodDisruptionBudget,
rbac.authorization.k8s.io Role/ClusterRole/RoleBinding/ClusterRoleBinding,
scheduling.k8s.io PriorityClass and storage.k8s.io StorageClass.

Invariants:
- Validators take the JSON form after defaulting and never mutate it; errors come in
  Kubernetes' order with its field paths. events.k8s.io Events are validated through
  Kubernetes' internal Event, so their paths use internal names (`involvedObject`,
  `message`, `source`, `firstTimestamp`, `count`) where the v1 JSON says `regarding`, `note`,
  `deprecatedSource`, ...; that is what Kubernetes reports.
- RBAC names need only be safe URL path segments; ClusterRoles, ClusterRoleBindings,
  IngressClasses, PriorityClasses and StorageClasses are cluster-scoped.
- Bad values Kubernetes prints with Go's `%#v` are rendered alike (`GoRaw`).
- One registered validator serves both main-resource and `/status` writes: status rules run
  only when the status changed.
Pure data: no I/O; the module's only state is its registrations.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import regex_error, validate_label_selector
from steersman.api.validation import register
from steersman.api.validation.apps import (
    changed,
    go_label_selector,
    go_ptr,
    is_not_more_than_100_percent,
    label_selector_has_invalid_label_value,
    validate_positive_int_or_percent,
)
from steersman.api.validation.batch import is_domain_prefixed_path
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    index,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_cidr,
    is_valid_ip,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    key,
    parse_ip_sloppy,
    path_segment_name,
    validate_dns1123_label,
    validate_label_name,
    validate_labels,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
)
from steersman.api.validation.core import GoRaw

Obj = Mapping[str, Any]
Validators = tuple[Callable[[Obj], list[FieldError]], Callable[[Obj, Obj], list[FieldError]]]

__all__ = ["validate_condition", "validate_conditions"]


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _i(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _meta(obj: Obj) -> dict[str, Any]:
    return _d(obj.get("metadata"))


def _name_errs(path: str, value: str, msgs: Sequence[str]) -> list[FieldError]:
    return [errors.invalid(path, value, m) for m in msgs]


def _nullable(value: Any) -> Any:
    return GoRaw("null") if value is None else value


def _immutable(
    new: Any, old: Any, path: str, render: Callable[[Any], Any] = _nullable
) -> list[FieldError]:
    return [] if new == old else [errors.invalid(path, render(new), FIELD_IMMUTABLE)]


# ---------------------------------------------------------------------------
# metav1.Condition (apimachinery's ValidateConditions)

_CONDITION_STATUSES = ("False", "True", "Unknown")
_REASON_FMT = "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?"
_REASON_ERR = (
    "a condition reason must start with alphabetic character, optionally followed by a string "
    "of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'"
)
_MAX_REASON_LENGTH = 1024
_MAX_CONDITION_MESSAGE_LENGTH = 32768


def validate_condition(condition: Obj, path: str) -> list[FieldError]:
    out = validate_label_name(_s(condition.get("type")), child(path, "type"))
    status = _s(condition.get("status"))
    if status not in _CONDITION_STATUSES:
        out.append(errors.not_supported(child(path, "status"), status, _CONDITION_STATUSES))
    generation = condition.get("observedGeneration")
    if _i(generation) < 0:
        msg = "must be greater than or equal to zero"
        out.append(errors.invalid(child(path, "observedGeneration"), generation, msg))
    if not condition.get("lastTransitionTime"):
        out.append(errors.required(child(path, "lastTransitionTime"), "must be set"))
    reason = _s(condition.get("reason"))
    if not reason:
        out.append(errors.required(child(path, "reason"), "must be set"))
    else:
        if re.fullmatch(_REASON_FMT, reason) is None:
            out.append(
                errors.invalid(child(path, "reason"), reason, regex_error(_REASON_ERR, _REASON_FMT))
            )
        if len(reason) > _MAX_REASON_LENGTH:
            out.append(errors.too_long(child(path, "reason"), _MAX_REASON_LENGTH))
    if len(_s(condition.get("message"))) > _MAX_CONDITION_MESSAGE_LENGTH:
        out.append(errors.too_long(child(path, "message"), _MAX_CONDITION_MESSAGE_LENGTH))
    return out


def validate_conditions(conditions: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for i, condition in enumerate(conditions):
        kind = _s(_d(condition).get("type"))
        if kind in seen:
            out.append(errors.duplicate(child(index(path, i), "type"), kind))
        seen.add(kind)
        out.extend(validate_condition(_d(condition), index(path, i)))
    return out


# ---------------------------------------------------------------------------
# coordination.k8s.io Lease

_LEASE_STRATEGIES = ("OldestEmulationVersion",)


def _validate_lease_spec(spec: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and _i(duration) <= 0:
        out.append(errors.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if transitions is not None and _i(transitions) < 0:
        out.append(
            errors.invalid(
                "spec.leaseTransitions", transitions, "must be greater than or equal to 0"
            )
        )
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        if "/" not in strategy:
            if strategy not in _LEASE_STRATEGIES:
                out.append(errors.not_supported("spec.strategy", strategy, _LEASE_STRATEGIES))
        else:
            out.extend(_name_errs("spec.strategy", strategy, is_qualified_name(strategy)))
    if _s(spec.get("preferredHolder")) and not _s(strategy):
        out.append(
            errors.forbidden(
                "spec.preferredHolder", "may only be specified if `strategy` is defined"
            )
        )
    return out


def validate_lease(obj: Obj) -> list[FieldError]:
    return validate_object_meta(_meta(obj), namespaced=True) + _validate_lease_spec(
        _d(obj.get("spec"))
    )


def validate_lease_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + _validate_lease_spec(
        _d(new.get("spec"))
    )


# ---------------------------------------------------------------------------
# discovery.k8s.io EndpointSlice

_ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
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


# ---------------------------------------------------------------------------
# events.k8s.io Event (validated as Kubernetes' internal Event)

REPORTING_INSTANCE_LENGTH_LIMIT = 128
ACTION_LENGTH_LIMIT = 128
REASON_LENGTH_LIMIT = 128
NOTE_LENGTH_LIMIT = 1024


def _go_object_reference(ref: Any) -> GoRaw:
    r = _d(ref)
    fields = (
        ("Kind", "kind"),
        ("Namespace", "namespace"),
        ("Name", "name"),
        ("UID", "uid"),
        ("APIVersion", "apiVersion"),
        ("ResourceVersion", "resourceVersion"),
        ("FieldPath", "fieldPath"),
    )
    parts = ", ".join(f"{go}:{errors.go_value(_s(r.get(js)))}" for go, js in fields)
    return GoRaw(f"core.ObjectReference{{{parts}}}")


def _go_time(value: Any, *, micro: bool = False) -> GoRaw:
    t: datetime.datetime | None = None
    if isinstance(value, str) and value:
        try:
            t = datetime.datetime.fromisoformat(value).astimezone(datetime.UTC)
        except ValueError:
            t = None
    if t is None:
        return GoRaw("0001-01-01 00:00:00 +0000 UTC")
    frac = f".{t.microsecond:06d}".rstrip("0") if (micro and t.microsecond) else ""
    return GoRaw(t.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC")


def _validate_event_legacy(ev: Obj) -> list[FieldError]:
    """legacyValidateEvent for a request through events.k8s.io/v1."""
    out: list[FieldError] = []
    namespace = _s(_meta(ev).get("namespace"))
    involved_ns = _s(_d(ev.get("regarding")).get("namespace"))
    mismatch = errors.invalid(
        "involvedObject.namespace", involved_ns, "does not match event.namespace"
    )
    if not ev.get("eventTime"):
        if not involved_ns:
            if namespace not in ("", "default"):
                out.append(mismatch)
        elif namespace != involved_ns:
            out.append(mismatch)
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            out.append(mismatch)
        controller = _s(ev.get("reportingController"))
        if not controller:
            out.append(errors.required("reportingController"))
        out.extend(_name_errs("reportingController", controller, is_qualified_name(controller)))
        for field, json_field, limit in (
            ("reportingInstance", "reportingInstance", REPORTING_INSTANCE_LENGTH_LIMIT),
            ("action", "action", ACTION_LENGTH_LIMIT),
            ("reason", "reason", REASON_LENGTH_LIMIT),
        ):
            value = _s(ev.get(json_field))
            if not value:
                out.append(errors.required(field))
            if len(value) > limit:
                out.append(errors.invalid(field, "", f"can have at most {limit} characters"))
        if len(_s(ev.get("note"))) > NOTE_LENGTH_LIMIT:
            out.append(
                errors.invalid("message", "", f"can have at most {NOTE_LENGTH_LIMIT} characters")
            )
    out.extend(_name_errs("namespace", namespace, is_dns1123_subdomain(namespace)))
    return out


def _validate_event_series(ev: Obj) -> list[FieldError]:
    series = ev.get("series")
    if not isinstance(series, dict):
        return []
    out: list[FieldError] = []
    if _i(series.get("count")) < 2:
        out.append(errors.invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        out.append(errors.required("series.lastObservedTime"))
    return out


def validate_event(ev: Obj) -> list[FieldError]:
    """ValidateEventCreate for events.k8s.io/v1: legacy checks, then the strict ones."""
    out = _validate_event_legacy(ev)
    out.extend(validate_object_meta(_meta(ev), namespaced=True))
    out.extend(_validate_event_series(ev))
    if not ev.get("eventTime"):
        out.append(errors.required("eventTime"))
    kind = _s(ev.get("type"))
    if kind not in ("Normal", "Warning"):
        out.append(errors.invalid("type", "", f"has invalid value: {kind}"))
    for field, internal in (
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
    ):
        if ev.get(field):
            out.append(errors.invalid(internal, "", "needs to be unset"))
    if _i(ev.get("deprecatedCount")) != 0:
        out.append(errors.invalid("count", "", "needs to be unset"))
    source = _d(ev.get("deprecatedSource"))
    if _s(source.get("component")) or _s(source.get("host")):
        out.append(errors.invalid("source", "", "needs to be unset"))
    return out


def _go_event_source(source: Any) -> GoRaw:
    src = _d(source)
    return GoRaw(
        f"core.EventSource{{Component:{errors.go_value(_s(src.get('component')))}, "
        f"Host:{errors.go_value(_s(src.get('host')))}}}"
    )


def _go_related(ref: Any) -> GoRaw:
    return GoRaw("null") if ref is None else _go_object_reference(ref)


# (v1 field, internal path, renderer) in the order ValidateEventUpdate checks them; `reason`
# is checked twice upstream. eventTime is compared separately (microsecond precision).
_EVENT_IMMUTABLE: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("regarding", "involvedObject", _go_object_reference),
    ("reason", "reason", _s),
    ("note", "message", _s),
    ("deprecatedSource", "source", _go_event_source),
    ("deprecatedFirstTimestamp", "firstTimestamp", _go_time),
    ("deprecatedLastTimestamp", "lastTimestamp", _go_time),
    ("deprecatedCount", "count", _i),
    ("reason", "reason", _s),
    ("type", "type", _s),
    ("eventTime", "eventTime", lambda v: _go_time(v, micro=True)),
    ("action", "action", _s),
    ("related", "related", _go_related),
    ("reportingController", "reportingController", _s),
    ("reportingInstance", "reportingInstance", _s),
)


def _zeroless(value: Any) -> Any:
    """Go struct equality: unset, null, empty and zero are the same value."""
    if isinstance(value, dict):
        items = {k: _zeroless(v) for k, v in value.items()}
        value = {k: v for k, v in items.items() if v is not None}
    return None if value in ("", 0, [], {}, False) else value


def _event_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def validate_event_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateEventUpdate for events.k8s.io/v1."""
    out = _validate_event_legacy(new)
    out.extend(validate_object_meta_update(_meta(new), _meta(old)))
    if new.get("series") != old.get("series"):
        out.extend(_validate_event_series(new))
    for field, internal, render in _EVENT_IMMUTABLE:
        if field == "eventTime":
            # Sub-microsecond differences are tolerated (clients truncate differently);
            # JSON carries microseconds at most.
            same = _event_time(new.get(field)) == _event_time(old.get(field))
        else:
            same = _zeroless(new.get(field)) == _zeroless(old.get(field))
        if not same:
            out.append(errors.invalid(internal, render(new.get(field)), FIELD_IMMUTABLE))
    return out


# ---------------------------------------------------------------------------
# networking.k8s.io NetworkPolicy

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


# ---------------------------------------------------------------------------
# networking.k8s.io Ingress and IngressClass

_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
_INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_PATH_SUFFIXES = ("/..", "/.")
_INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
MAX_INGRESS_CLASS_CONTROLLER_LENGTH = 250
_WILDCARD_FMT = "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_WILDCARD_ERR = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
    "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
    "alphanumeric character"
)


def is_wildcard_dns1123_subdomain(value: str) -> list[str]:
    out: list[str] = []
    if len(value) > 253:
        out.append("must be no more than 253 characters")
    if re.fullmatch(_WILDCARD_FMT, value) is None:
        out.append(regex_error(_WILDCARD_ERR, _WILDCARD_FMT, "*.example.com"))
    return out


def _validate_typed_local_ref(ref: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if isinstance(ref.get("apiGroup"), str):
        out.extend(
            _name_errs(
                child(path, "apiGroup"), ref["apiGroup"], is_dns1123_subdomain(ref["apiGroup"])
            )
        )
    for field in ("kind", "name"):
        value = _s(ref.get(field))
        if not value:
            out.append(errors.required(child(path, field), f"{field} is required"))
        else:
            out.extend(_name_errs(child(path, field), value, path_segment_name(value)))
    return out


def _validate_ingress_backend(backend: Obj, path: str) -> list[FieldError]:
    resource, service = backend.get("resource"), backend.get("service")
    if isinstance(resource, dict) and isinstance(service, dict):
        return [errors.invalid(path, "", "cannot set both resource and service backends")]
    if isinstance(resource, dict):
        return _validate_typed_local_ref(resource, child(path, "resource"))
    if not isinstance(service, dict):
        return [errors.invalid(path, "", "resource or service backend is required")]
    out: list[FieldError] = []
    name = _s(service.get("name"))
    if not name:
        out.append(errors.required(child(path, "service", "name")))
    else:
        # ValidateServiceName: Service names are DNS-1035 labels.
        out.extend(_name_errs(child(path, "service", "name"), name, is_dns1035_label(name)))
    port = _d(service.get("port"))
    port_name, number = _s(port.get("name")), _i(port.get("number"))
    if port_name and number:
        out.append(errors.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        out.extend(
            _name_errs(
                child(path, "service", "port", "name"), port_name, is_valid_port_name(port_name)
            )
        )
    elif number:
        np_ = child(path, "service", "port", "number")
        out.extend(errors.invalid(np_, number, m) for m in is_valid_port_num(number))
    else:
        out.append(errors.required(path, "port name or number is required"))
    return out


def _validate_ingress_path(http_path: Obj, path: str) -> list[FieldError]:
    kind = http_path.get("pathType")
    if kind is None:
        return [errors.required(child(path, "pathType"), "pathType must be specified")]
    value = _s(http_path.get("path"))
    pp = child(path, "path")
    out: list[FieldError] = []
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            out.append(errors.invalid(pp, value, "must be an absolute path"))
        if value:
            out.extend(
                errors.invalid(pp, value, f"must not contain '{s}'")
                for s in _INVALID_PATH_SEQUENCES
                if s in value
            )
            out.extend(
                errors.invalid(pp, value, f"cannot end with '{s}'")
                for s in _INVALID_PATH_SUFFIXES
                if value.endswith(s)
            )
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            out.append(errors.invalid(pp, value, "must be an absolute path"))
    else:
        out.append(errors.not_supported(child(path, "pathType"), kind, _PATH_TYPES))
    return out + _validate_ingress_backend(_d(http_path.get("backend")), child(path, "backend"))


def _validate_ingress_rule_value(rule: Obj, path: str) -> list[FieldError]:
    http = rule.get("http")
    if not isinstance(http, dict):
        return []
    paths = _l(http.get("paths"))
    hp = child(path, "http")
    out = [errors.required(child(hp, "paths"))] if not paths else []
    for i, p in enumerate(paths):
        out.extend(_validate_ingress_path(_d(p), index(child(hp, "paths"), i)))
    return out


def _validate_host(host: str, path: str) -> list[FieldError]:
    if "*" in host:
        return _name_errs(path, host, is_wildcard_dns1123_subdomain(host))
    return _name_errs(path, host, is_dns1123_subdomain(host))


def _validate_ingress_rules(rules: list[Any], allow_invalid_wildcard: bool) -> list[FieldError]:
    out: list[FieldError] = []
    for i, rule in enumerate(rules):
        rule = _d(rule)
        rp = index("spec.rules", i)
        host = _s(rule.get("host"))
        if host:
            if parse_ip_sloppy(host) is not None:
                out.append(
                    errors.invalid(child(rp, "host"), host, "must be a DNS name, not an IP address")
                )
            out.extend(_validate_host(host, child(rp, "host")))
        if "*" not in host or not allow_invalid_wildcard:
            out.extend(_validate_ingress_rule_value(rule, rp))
    return out


def _validate_ingress_spec(
    spec: Obj, *, allow_invalid_secret: bool, allow_invalid_wildcard: bool
) -> list[FieldError]:
    out: list[FieldError] = []
    rules = _l(spec.get("rules"))
    backend = spec.get("defaultBackend")
    if not rules and not isinstance(backend, dict):
        bad = GoRaw(
            "[]networking.IngressRule(nil)"
            if spec.get("rules") is None
            else "[]networking.IngressRule{}"
        )
        out.append(
            errors.invalid("spec", bad, "either `defaultBackend` or `rules` must be specified")
        )
    if isinstance(backend, dict):
        out.extend(_validate_ingress_backend(backend, "spec.defaultBackend"))
    if rules:
        out.extend(_validate_ingress_rules(rules, allow_invalid_wildcard))
    for t, tls in enumerate(_l(spec.get("tls"))):
        tp = index("spec.tls", t)
        for i, host in enumerate(_l(_d(tls).get("hosts"))):
            out.extend(_validate_host(_s(host), index(child(tp, "hosts"), i)))
        secret = _s(_d(tls).get("secretName"))
        if secret and not allow_invalid_secret:
            out.extend(_name_errs(child(tp, "secretName"), secret, is_dns1123_subdomain(secret)))
    class_name = spec.get("ingressClassName")
    if isinstance(class_name, str):
        out.extend(
            _name_errs("spec.ingressClassName", class_name, is_dns1123_subdomain(class_name))
        )
    return out


def validate_ingress(obj: Obj) -> list[FieldError]:
    """ValidateIngressCreate."""
    spec = _d(obj.get("spec"))
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(
        _validate_ingress_spec(spec, allow_invalid_secret=False, allow_invalid_wildcard=False)
    )
    annotation = _d(_meta(obj).get("annotations")).get(_INGRESS_CLASS_ANNOTATION)
    class_name = spec.get("ingressClassName")
    if isinstance(annotation, str) and isinstance(class_name, str) and annotation != class_name:
        out.append(
            errors.invalid(
                child("annotations", _INGRESS_CLASS_ANNOTATION),
                annotation,
                "must match `ingressClassName` when both are specified",
            )
        )
    return out


def _validate_ingress_lb_status(status: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    for i, ing in enumerate(_l(_d(status.get("loadBalancer")).get("ingress"))):
        ip_ = index("status.loadBalancer.ingress", i)
        ip, hostname = _s(_d(ing).get("ip")), _s(_d(ing).get("hostname"))
        if ip:
            out.extend(_name_errs(child(ip_, "ip"), ip, is_valid_ip(ip)))
        if hostname:
            out.extend(_name_errs(child(ip_, "hostname"), hostname, is_dns1123_subdomain(hostname)))
            if parse_ip_sloppy(hostname) is not None:
                out.append(
                    errors.invalid(
                        child(ip_, "hostname"), hostname, "must be a DNS name, not an IP address"
                    )
                )
    return out


def validate_ingress_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateIngressUpdate, keeping legacy invalid secret names and wildcard rules."""
    old_spec = _d(old.get("spec"))
    allow_secret = any(
        is_dns1123_subdomain(_s(_d(t).get("secretName")))
        for t in _l(old_spec.get("tls"))
        if _s(_d(t).get("secretName"))
    )
    allow_wildcard = any(
        "*" in _s(_d(r).get("host")) and _validate_ingress_rule_value(_d(r), "")
        for r in _l(old_spec.get("rules"))
    )
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_object_meta(_meta(new), namespaced=True))
    out.extend(
        _validate_ingress_spec(
            _d(new.get("spec")),
            allow_invalid_secret=allow_secret,
            allow_invalid_wildcard=allow_wildcard,
        )
    )
    if changed(new.get("status"), old.get("status")):
        out.extend(_validate_ingress_lb_status(_d(new.get("status"))))
    return out


def _validate_ingress_class_spec(spec: Obj) -> list[FieldError]:
    controller = _s(spec.get("controller"))
    out: list[FieldError] = []
    if len(controller) > MAX_INGRESS_CLASS_CONTROLLER_LENGTH:
        out.append(errors.too_long("spec.controller", MAX_INGRESS_CLASS_CONTROLLER_LENGTH))
    out.extend(is_domain_prefixed_path("spec.controller", controller))
    params = spec.get("parameters")
    if not isinstance(params, dict):
        return out
    pp = "spec.parameters"
    out.extend(_validate_typed_local_ref(params, pp))
    scope = params.get("scope")
    if scope is None:
        out.append(errors.required(child(pp, "scope")))
        return out
    if scope not in ("Cluster", "Namespace"):
        out.append(errors.not_supported(child(pp, "scope"), scope, ["Cluster", "Namespace"]))
    elif scope == "Namespace":
        namespace = params.get("namespace")
        if namespace is None:
            out.append(
                errors.required(child(pp, "namespace"), "`parameters.scope` is set to 'Namespace'")
            )
        else:
            out.extend(
                _name_errs(child(pp, "namespace"), _s(namespace), is_dns1123_label(_s(namespace)))
            )
    elif params.get("namespace") is not None:
        out.append(
            errors.forbidden(child(pp, "namespace"), "`parameters.scope` is set to 'Cluster'")
        )
    return out


def validate_ingress_class(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=False)
    return out + _validate_ingress_class_spec(_d(obj.get("spec")))


def validate_ingress_class_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    controller = _s(_d(new.get("spec")).get("controller"))
    out.extend(_immutable(controller, _s(_d(old.get("spec")).get("controller")), "spec.controller"))
    return out + validate_ingress_class(new)


# ---------------------------------------------------------------------------
# policy PodDisruptionBudget

_UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def _go_pdb_spec(spec: Obj) -> GoRaw:
    return GoRaw(
        "policy.PodDisruptionBudgetSpec{"
        f"MinAvailable:{go_ptr('intstr.IntOrString', spec.get('minAvailable') is not None)}, "
        f"Selector:{go_ptr('v1.LabelSelector', spec.get('selector') is not None)}, "
        f"MaxUnavailable:{go_ptr('intstr.IntOrString', spec.get('maxUnavailable') is not None)}, "
        "UnhealthyPodEvictionPolicy:"
        f"{go_ptr('policy.UnhealthyPodEvictionPolicyType', spec.get('unhealthyPodEvictionPolicy') is not None)}"
        "}"
    )


def _validate_pdb_spec(spec: Obj, allow_invalid: bool) -> list[FieldError]:
    out: list[FieldError] = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        out.append(
            errors.invalid(
                "spec", _go_pdb_spec(spec), "minAvailable and maxUnavailable cannot be both set"
            )
        )
    for field in ("minAvailable", "maxUnavailable"):
        value = spec.get(field)
        if value is not None:
            out.extend(validate_positive_int_or_percent(value, child("spec", field)))
            out.extend(is_not_more_than_100_percent(value, child("spec", field)))
    selector = spec.get("selector")
    out.extend(
        validate_label_selector(
            selector if isinstance(selector, dict) else None,
            "spec.selector",
            allow_invalid_label_value_in_selector=allow_invalid,
        )
    )
    policy = spec.get("unhealthyPodEvictionPolicy")
    if isinstance(policy, str) and policy not in _UNHEALTHY_POD_EVICTION_POLICIES:
        out.append(
            errors.not_supported(
                "spec.unhealthyPodEvictionPolicy", policy, _UNHEALTHY_POD_EVICTION_POLICIES
            )
        )
    return out


def validate_pod_disruption_budget(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    return out + _validate_pdb_spec(_d(obj.get("spec")), False)


def validate_pod_disruption_budget_update(new: Obj, old: Obj) -> list[FieldError]:
    allow = label_selector_has_invalid_label_value(_d(old.get("spec")).get("selector"))
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(_validate_pdb_spec(_d(new.get("spec")), allow))
    if changed(new.get("status"), old.get("status")):
        status = _d(new.get("status"))
        out.extend(validate_conditions(_l(status.get("conditions")), "status.conditions"))
        for field in ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"):
            out.extend(validate_nonnegative(status.get(field), child("status", field)))
    return out


# ---------------------------------------------------------------------------
# rbac.authorization.k8s.io

RBAC_GROUP = "rbac.authorization.k8s.io"


def _validate_policy_rule(rule: Obj, namespaced: bool, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if not _l(rule.get("verbs")):
        out.append(errors.required(child(path, "verbs"), "verbs must contain at least one value"))
    urls = _l(rule.get("nonResourceURLs"))
    if urls:
        bad = GoRaw("[]string{" + ", ".join(errors.go_value(_s(u)) for u in urls) + "}")
        up = child(path, "nonResourceURLs")
        if namespaced:
            out.append(
                errors.invalid(up, bad, "namespaced rules cannot apply to non-resource URLs")
            )
        if _l(rule.get("apiGroups")) or _l(rule.get("resources")) or _l(rule.get("resourceNames")):
            out.append(
                errors.invalid(
                    up, bad, "rules cannot apply to both regular resources and non-resource URLs"
                )
            )
        return out
    if not _l(rule.get("apiGroups")):
        out.append(
            errors.required(
                child(path, "apiGroups"), "resource rules must supply at least one api group"
            )
        )
    if not _l(rule.get("resources")):
        out.append(
            errors.required(
                child(path, "resources"), "resource rules must supply at least one resource"
            )
        )
    return out


def _validate_rules(obj: Obj, namespaced: bool) -> list[FieldError]:
    out: list[FieldError] = []
    for i, rule in enumerate(_l(obj.get("rules"))):
        out.extend(_validate_policy_rule(_d(rule), namespaced, index("rules", i)))
    return out


def validate_role(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True, name_validator=path_segment_name)
    return out + _validate_rules(obj, True)


def validate_role_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_role(new) + validate_object_meta_update(_meta(new), _meta(old))


def validate_cluster_role(obj: Obj, *, allow_invalid: bool = False) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=False, name_validator=path_segment_name)
    out.extend(_validate_rules(obj, False))
    aggregation = obj.get("aggregationRule")
    if isinstance(aggregation, dict):
        selectors = _l(aggregation.get("clusterRoleSelectors"))
        sp = "aggregationRule.clusterRoleSelectors"
        if not selectors:
            out.append(
                errors.required(
                    sp, "at least one clusterRoleSelector required if aggregationRule is non-nil"
                )
            )
        for i, selector in enumerate(selectors):
            errs = validate_label_selector(
                _d(selector), index(sp, i), allow_invalid_label_value_in_selector=allow_invalid
            )
            out.extend(errs)
            if errs:
                out.append(
                    errors.invalid(
                        index(sp, i), go_label_selector(selector), "invalid label selector."
                    )
                )
    return out


def validate_cluster_role_update(new: Obj, old: Obj) -> list[FieldError]:
    old_selectors = _l(_d(old.get("aggregationRule")).get("clusterRoleSelectors"))
    allow = any(label_selector_has_invalid_label_value(s) for s in old_selectors)
    return validate_cluster_role(new, allow_invalid=allow) + validate_object_meta_update(
        _meta(new), _meta(old)
    )


def _validate_subject(subject: Obj, namespaced: bool, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    name, kind, group = (
        _s(subject.get("name")),
        _s(subject.get("kind")),
        _s(subject.get("apiGroup")),
    )
    if not name:
        out.append(errors.required(child(path, "name")))
    if kind == "ServiceAccount":
        if name:
            out.extend(_name_errs(child(path, "name"), name, is_dns1123_subdomain(name)))
        if group:
            out.append(errors.not_supported(child(path, "apiGroup"), group, [""]))
        if not namespaced and not _s(subject.get("namespace")):
            out.append(errors.required(child(path, "namespace")))
    elif kind in ("User", "Group"):
        if group != RBAC_GROUP:
            out.append(errors.not_supported(child(path, "apiGroup"), group, [RBAC_GROUP]))
    else:
        out.append(
            errors.not_supported(child(path, "kind"), kind, ["ServiceAccount", "User", "Group"])
        )
    return out


def _validate_binding(obj: Obj, namespaced: bool) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=namespaced, name_validator=path_segment_name)
    ref = _d(obj.get("roleRef"))
    group, kind, name = _s(ref.get("apiGroup")), _s(ref.get("kind")), _s(ref.get("name"))
    if group != RBAC_GROUP:
        out.append(errors.not_supported("roleRef.apiGroup", group, [RBAC_GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if kind not in kinds:
        out.append(errors.not_supported("roleRef.kind", kind, kinds))
    if not name:
        out.append(errors.required("roleRef.name"))
    else:
        out.extend(_name_errs("roleRef.name", name, path_segment_name(name)))
    for i, subject in enumerate(_l(obj.get("subjects"))):
        out.extend(_validate_subject(_d(subject), namespaced, index("subjects", i)))
    return out


def _role_ref_immutable(new: Obj, old: Obj) -> list[FieldError]:
    ref, old_ref = _d(new.get("roleRef")), _d(old.get("roleRef"))
    fields = ("apiGroup", "kind", "name")
    if all(_s(ref.get(f)) == _s(old_ref.get(f)) for f in fields):
        return []
    bad = GoRaw(
        f"rbac.RoleRef{{APIGroup:{errors.go_value(_s(ref.get('apiGroup')))}, "
        f"Kind:{errors.go_value(_s(ref.get('kind')))}, Name:{errors.go_value(_s(ref.get('name')))}}}"
    )
    return [errors.invalid("roleRef", bad, "cannot change roleRef")]


def validate_role_binding(obj: Obj) -> list[FieldError]:
    return _validate_binding(obj, True)


def validate_role_binding_update(new: Obj, old: Obj) -> list[FieldError]:
    out = _validate_binding(new, True) + validate_object_meta_update(_meta(new), _meta(old))
    return out + _role_ref_immutable(new, old)


def validate_cluster_role_binding(obj: Obj) -> list[FieldError]:
    return _validate_binding(obj, False)


def validate_cluster_role_binding_update(new: Obj, old: Obj) -> list[FieldError]:
    out = _validate_binding(new, False) + validate_object_meta_update(_meta(new), _meta(old))
    return out + _role_ref_immutable(new, old)


# ---------------------------------------------------------------------------
# scheduling.k8s.io PriorityClass

SYSTEM_PRIORITY_CLASS_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
# name -> (value, globalDefault) of the classes Kubernetes creates itself.
SYSTEM_PRIORITY_CLASSES = {
    "system-node-critical": (SYSTEM_CRITICAL_PRIORITY + 1000, False),
    "system-cluster-critical": (SYSTEM_CRITICAL_PRIORITY, False),
}


def _system_class_error(name: str, value: int, global_default: bool) -> str | None:
    known = SYSTEM_PRIORITY_CLASSES.get(name)
    if known is None:
        return f"{name} is not a known system priority class"
    if known[0] != value:
        return f"value of {name} PriorityClass must be {known[0]}"
    if known[1] != global_default:
        return f"globalDefault of {name} PriorityClass must be {'true' if known[1] else 'false'}"
    return None


def validate_priority_class(obj: Obj) -> list[FieldError]:
    meta = _meta(obj)
    out = validate_object_meta(meta, namespaced=False)
    name, value = _s(meta.get("name")), _i(obj.get("value"))
    if name.startswith(SYSTEM_PRIORITY_CLASS_PREFIX):
        err = _system_class_error(name, value, obj.get("globalDefault") is True)
        if err is not None:
            msg = (
                f"priority class names with '{SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for "
                f"system use only. error: {err}"
            )
            out.append(errors.forbidden("metadata.name", msg))
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        msg = (
            f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
        )
        out.append(errors.forbidden("value", msg))
    policy = obj.get("preemptionPolicy")
    if isinstance(policy, str):
        if policy == "":
            out.append(errors.required("preemptionPolicy"))
        elif policy not in ("PreemptLowerPriority", "Never"):
            out.append(
                errors.not_supported("preemptionPolicy", policy, ["PreemptLowerPriority", "Never"])
            )
    return out


def validate_priority_class_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    if _i(new.get("value")) != _i(old.get("value")):
        out.append(errors.forbidden("value", "may not be changed in an update."))
    out.extend(
        _immutable(new.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy")
    )
    return out


# ---------------------------------------------------------------------------
# storage.k8s.io StorageClass

MAX_PROVISIONER_PARAMETER_SIZE = 256 * 1024
MAX_PROVISIONER_PARAMETER_LEN = 512


def _validate_parameters(params: Obj) -> list[FieldError]:
    if len(params) > MAX_PROVISIONER_PARAMETER_LEN:
        return [errors.too_long("parameters", MAX_PROVISIONER_PARAMETER_LEN)]
    out: list[FieldError] = []
    total = 0
    for k, v in params.items():
        if not k:
            out.append(errors.invalid("parameters", k, "field can not be empty."))
        total += len(k.encode()) + len(str(v).encode())
    if total > MAX_PROVISIONER_PARAMETER_SIZE:
        out.append(errors.too_long("parameters", MAX_PROVISIONER_PARAMETER_SIZE))
    return out


def _validate_allowed_topologies(terms: list[Any]) -> list[FieldError]:
    out: list[FieldError] = []
    seen: list[dict[str, frozenset[str]]] = []
    for i, term in enumerate(terms):
        tp = index("allowedTopologies", i)
        ep = child(tp, "matchLabelExpressions")
        exprs: dict[str, frozenset[str]] = {}
        for j, req in enumerate(_l(_d(term).get("matchLabelExpressions"))):
            req = _d(req)
            rp = index(ep, j)
            values = [_s(v) for v in _l(req.get("values"))]
            if not values:
                out.append(errors.required(child(rp, "values")))
            for n, v in enumerate(values):
                if v in values[:n]:
                    out.append(errors.duplicate(index(child(rp, "values"), n), v))
            out.extend(validate_label_name(_s(req.get("key")), child(rp, "key")))
            if _s(req.get("key")) in exprs:
                out.append(errors.duplicate(child(rp, "key"), _s(req.get("key"))))
            exprs[_s(req.get("key"))] = frozenset(values)
        if exprs in seen:
            out.append(errors.duplicate(ep, ""))
        seen.append(exprs)
    return out


def validate_storage_class(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=False)
    provisioner = _s(obj.get("provisioner"))
    if not provisioner:
        out.append(errors.required("provisioner"))
    else:
        out.extend(
            _name_errs("provisioner", provisioner.lower(), is_qualified_name(provisioner.lower()))
        )
    out.extend(_validate_parameters(_d(obj.get("parameters"))))
    policy = _s(obj.get("reclaimPolicy"))
    if policy and policy not in ("Delete", "Retain"):
        out.append(errors.not_supported("reclaimPolicy", policy, ["Delete", "Retain"]))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        out.append(errors.required("volumeBindingMode"))
    elif mode not in ("Immediate", "WaitForFirstConsumer"):
        out.append(
            errors.not_supported("volumeBindingMode", mode, ["Immediate", "WaitForFirstConsumer"])
        )
    out.extend(_validate_allowed_topologies(_l(obj.get("allowedTopologies"))))
    return out


def validate_storage_class_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    if _d(new.get("parameters")) != _d(old.get("parameters")):
        out.append(errors.forbidden("parameters", "updates to parameters are forbidden."))
    if _s(new.get("provisioner")) != _s(old.get("provisioner")):
        out.append(errors.forbidden("provisioner", "updates to provisioner are forbidden."))
    if _s(new.get("reclaimPolicy")) != _s(old.get("reclaimPolicy")):
        out.append(errors.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    out.extend(
        _immutable(new.get("volumeBindingMode"), old.get("volumeBindingMode"), "volumeBindingMode")
    )
    return out


_VALIDATORS: dict[tuple[str, str], Validators] = {
    ("coordination.k8s.io", "Lease"): (validate_lease, validate_lease_update),
    ("discovery.k8s.io", "EndpointSlice"): (
        validate_endpoint_slice,
        validate_endpoint_slice_update,
    ),
    ("events.k8s.io", "Event"): (validate_event, validate_event_update),
    ("networking.k8s.io", "Ingress"): (validate_ingress, validate_ingress_update),
    ("networking.k8s.io", "IngressClass"): (validate_ingress_class, validate_ingress_class_update),
    ("networking.k8s.io", "NetworkPolicy"): (
        validate_network_policy,
        validate_network_policy_update,
    ),
    ("policy", "PodDisruptionBudget"): (
        validate_pod_disruption_budget,
        validate_pod_disruption_budget_update,
    ),
    (RBAC_GROUP, "Role"): (validate_role, validate_role_update),
    (RBAC_GROUP, "ClusterRole"): (validate_cluster_role, validate_cluster_role_update),
    (RBAC_GROUP, "RoleBinding"): (validate_role_binding, validate_role_binding_update),
    (RBAC_GROUP, "ClusterRoleBinding"): (
        validate_cluster_role_binding,
        validate_cluster_role_binding_update,
    ),
    ("scheduling.k8s.io", "PriorityClass"): (
        validate_priority_class,
        validate_priority_class_update,
    ),
    ("storage.k8s.io", "StorageClass"): (validate_storage_class, validate_storage_class_update),
}

for (_group, _kind), (_create, _update) in _VALIDATORS.items():
    register(_group, _kind, _create, _update)
