"""The Service kind (core/v1): ports, cluster IPs and IP families, traffic policies, load
balancer status.

Invariants:
- Service validation runs before the registry allocates cluster IPs and node ports
  (Kubernetes allocates first), so an absent clusterIP, nodePort or healthCheckNodePort is
  accepted.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    index,
    is_dns1035_label,
    is_dns1123_subdomain,
    is_valid_cidr,
    is_valid_ip,
    is_valid_port_num,
    parse_ip_sloppy,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
)
from steersman.api.validation.go_values import GoRaw
from steersman.api.validation.helpers import (
    _PROTOCOLS,
    Obj,
    _d,
    _l,
    _meta,
    _name_errs,
    _port_num_or_name,
    _s,
    _semantic_equal,
    _validate_non_special_ip,
)

MAX_CLIENT_IP_AFFINITY_SECONDS = 86400


_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")


def _is_headless(spec: Obj) -> bool:
    return _l(spec.get("clusterIPs")) == ["None"]


def _externally_accessible(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (
        kind == "ClusterIP" and bool(_l(spec.get("externalIPs")))
    )


def _go_service_port_key(protocol: str, port: Any) -> GoRaw:
    # field.Duplicate prints the (protocol, port) key as Go's %#v of a core.ServicePort.
    return GoRaw(
        f'core.ServicePort{{Name:"", Protocol:{json.dumps(protocol)}, AppProtocol:(*string)(nil), '
        f'Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}'
    )


def _validate_service_port(
    sp: Obj, require_name: bool, names: set[str], path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    name = _s(sp.get("name"))
    if require_name and not name:
        out.append(errors.required(child(path, "name")))
    elif name:
        out.extend(validate_dns1123_label(name, child(path, "name")))
        if name in names:
            out.append(errors.duplicate(child(path, "name"), name))
        names.add(name)
    port = sp.get("port")
    out.extend(errors.invalid(child(path, "port"), port, m) for m in is_valid_port_num(port))
    proto = _s(sp.get("protocol"))
    if not proto:
        out.append(errors.required(child(path, "protocol")))
    elif proto not in _PROTOCOLS:
        out.append(errors.not_supported(child(path, "protocol"), proto, _PROTOCOLS))
    out.extend(_port_num_or_name(sp.get("targetPort"), child(path, "targetPort")))
    app = sp.get("appProtocol")
    if isinstance(app, str):
        out.extend(validate_qualified_name(app, child(path, "appProtocol")))
    return out


def _validate_cluster_ips(spec: Obj) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields."""
    if spec.get("type") == "ExternalName":
        return []
    out: list[FieldError] = []
    ip = _s(spec.get("clusterIP"))
    ips = [_s(x) for x in _l(spec.get("clusterIPs"))]
    if ip:
        if not ips:
            out.append(errors.required("spec.clusterIPs"))
        elif ips[0] != ip:
            out.append(errors.invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    elif ips:
        out.append(
            errors.invalid(
                "spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"
            )
        )
    families = _l(spec.get("ipFamilies"))
    seen: set[Any] = set()
    for i, fam in enumerate(families):
        if fam not in ("IPv4", "IPv6"):
            out.append(errors.not_supported(f"spec.ipFamilies[{i}]", fam, ["IPv4", "IPv6"]))
        if fam in seen:
            out.append(errors.duplicate(f"spec.ipFamilies[{i}]", fam))
        seen.add(fam)
    policy = spec.get("ipFamilyPolicy")
    supported_policies = ("PreferDualStack", "RequireDualStack", "SingleStack")
    if policy is not None and policy not in supported_policies:
        out.append(errors.not_supported("spec.ipFamilyPolicy", policy, supported_policies))
    invalid_ips = False
    for i, value in enumerate(ips):
        if i == 0 and value == "None":
            if len(ips) > 1:
                invalid_ips = True
                out.append(
                    errors.invalid(
                        "spec.clusterIPs", ips, "'None' must be the first and only value"
                    )
                )
            continue
        msgs = is_valid_ip(value)
        invalid_ips = invalid_ips or bool(msgs)
        out.extend(_name_errs(f"spec.clusterIPs[{i}]", value, msgs))
    if len(ips) > 2:
        out.append(errors.invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if invalid_ips:
        return out
    if len(ips) > 1:
        versions = {a.version for a in (parse_ip_sloppy(x) for x in ips) if a is not None}
        if versions != {4, 6}:
            out.append(
                errors.invalid(
                    "spec.clusterIPs", ips, "may specify no more than one IP for each IP family"
                )
            )
    if not _is_headless(spec) and ips and families:
        for i, value in enumerate(ips[: len(families)]):
            addr = parse_ip_sloppy(value)
            is6 = addr is not None and addr.version == 6
            if families[i] == "IPv4" and is6:
                out.append(
                    errors.invalid(
                        f"spec.clusterIPs[{i}]",
                        value,
                        f"expected an IPv4 value as indicated by `ipFamilies[{i}]`",
                    )
                )
            if families[i] == "IPv6" and not is6:
                out.append(
                    errors.invalid(
                        f"spec.clusterIPs[{i}]",
                        value,
                        f"expected an IPv6 value as indicated by `ipFamilies[{i}]`",
                    )
                )
    return out


def _validate_service_spec(svc: Obj) -> list[FieldError]:
    spec = _d(svc.get("spec"))
    ann = _d(_meta(svc).get("annotations"))
    out: list[FieldError] = []
    hints = "service.kubernetes.io/topology-aware-hints"
    mode = "service.kubernetes.io/topology-mode"
    if hints in ann and mode in ann and ann[hints] != ann[mode]:
        out.append(
            errors.invalid(
                f"metadata.annotations[{mode}]",
                ann[mode],
                f"must match annotations[{hints}] when both are specified",
            )
        )
    kind = _s(spec.get("type"))
    ports = [_d(p) for p in _l(spec.get("ports"))]
    headless = _is_headless(spec)
    if not ports and not headless and kind != "ExternalName":
        out.append(errors.required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and headless:
        out.append(
            errors.invalid(
                "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {kind} services"
            )
        )
    elif kind == "ExternalName":
        if _l(spec.get("clusterIPs")):
            out.append(
                errors.forbidden("spec.clusterIPs", "may not be set for ExternalName services")
            )
        if _l(spec.get("ipFamilies")):
            out.append(
                errors.forbidden("spec.ipFamilies", "may not be set for ExternalName services")
            )
        if spec.get("ipFamilyPolicy") is not None:
            out.append(
                errors.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services")
            )
        cname = _s(spec.get("externalName")).removesuffix(".")
        if cname:
            out.extend(validate_dns1123_subdomain(cname, "spec.externalName"))
        else:
            out.append(errors.required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        out.extend(_validate_service_port(port, len(ports) > 1, names, f"spec.ports[{i}]"))
    if spec.get("selector") is not None:
        out.extend(validate_labels(_d(spec.get("selector")), "spec.selector"))
    affinity = _s(spec.get("sessionAffinity"))
    if not affinity:
        out.append(errors.required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        out.append(errors.not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    config = spec.get("sessionAffinityConfig")
    if affinity == "ClientIP":
        out.extend(_validate_client_ip_config(config))
    elif affinity == "None" and config is not None:
        out.append(
            errors.forbidden(
                "spec.sessionAffinityConfig", "must not be set when session affinity is None"
            )
        )
    out.extend(_validate_cluster_ips(spec))
    for i, ip in enumerate(_l(spec.get("externalIPs"))):
        msgs = is_valid_ip(_s(ip))
        if msgs:
            out.extend(_name_errs(f"spec.externalIPs[{i}]", _s(ip), msgs))
        else:
            out.extend(_validate_non_special_ip(_s(ip), f"spec.externalIPs[{i}]"))
    if not kind:
        out.append(errors.required("spec.type"))
    elif kind not in _SERVICE_TYPES:
        out.append(errors.not_supported("spec.type", kind, _SERVICE_TYPES))
    if kind == "ClusterIP":
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                out.append(
                    errors.forbidden(
                        f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
    node_ports: set[tuple[str, Any]] = set()
    for i, port in enumerate(ports):
        if not port.get("nodePort"):
            continue
        npk = (_s(port.get("protocol")), port.get("nodePort"))
        if npk in node_ports:
            out.append(errors.duplicate(f"spec.ports[{i}].nodePort", port.get("nodePort")))
        node_ports.add(npk)
    port_keys: set[tuple[str, Any]] = set()
    for i, port in enumerate(ports):
        pk = (_s(port.get("protocol")), port.get("port"))
        if pk in port_keys:
            out.append(errors.duplicate(f"spec.ports[{i}]", _go_service_port_key(*pk)))
        port_keys.add(pk)
    out.extend(_validate_source_ranges(spec, ann, kind))
    if spec.get("allocateLoadBalancerNodePorts") is not None and kind != "LoadBalancer":
        out.append(
            errors.forbidden(
                "spec.allocateLoadBalancerNodePorts",
                "may only be used when `type` is 'LoadBalancer'",
            )
        )
    if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        out.append(errors.required("allocateLoadBalancerNodePorts"))
    lb_class = spec.get("loadBalancerClass")
    if kind == "LoadBalancer":
        if isinstance(lb_class, str):
            out.extend(validate_qualified_name(lb_class, "spec.loadBalancerClass"))
    elif lb_class is not None:
        out.append(
            errors.forbidden(
                "spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"
            )
        )
    out.extend(_validate_traffic_policies(spec, kind))
    return out


def _validate_client_ip_config(config: Any) -> list[FieldError]:
    when = "when session affinity type is ClientIP"
    if not isinstance(config, dict):
        return [errors.required("spec.sessionAffinityConfig", when)]
    client_ip = config.get("clientIP")
    if not isinstance(client_ip, dict):
        return [errors.required("spec.sessionAffinityConfig.clientIP", when)]
    timeout = client_ip.get("timeoutSeconds")
    path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds"
    if timeout is None:
        return [errors.required(path, when)]
    if not isinstance(timeout, int) or timeout <= 0 or timeout > MAX_CLIENT_IP_AFFINITY_SECONDS:
        return [
            errors.invalid(
                path,
                timeout,
                f"must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}",
            )
        ]
    return []


def _validate_source_ranges(spec: Obj, ann: Mapping[str, Any], kind: str) -> list[FieldError]:
    out: list[FieldError] = []
    ranges = _l(spec.get("loadBalancerSourceRanges"))
    annotation = "service.beta.kubernetes.io/load-balancer-source-ranges"
    if ranges:
        path = "spec.LoadBalancerSourceRanges"
        if kind != "LoadBalancer":
            out.append(errors.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
        for i, value in enumerate(ranges):
            value = _s(value).strip()
            out.extend(_name_errs(index(path, i), value, is_valid_cidr(value)))
    elif annotation in ann:
        path = f"metadata.annotations[{annotation}]"
        if kind != "LoadBalancer":
            out.append(errors.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
        text = _s(ann[annotation]).strip()
        if text:
            for value in text.split(","):
                value = value.strip()
                out.extend(_name_errs(path, value, is_valid_cidr(value)))
    return out


def _validate_traffic_policies(spec: Obj, kind: str) -> list[FieldError]:
    out: list[FieldError] = []
    etp = _s(spec.get("externalTrafficPolicy"))
    if not _externally_accessible(spec):
        if etp:
            out.append(
                errors.invalid(
                    "spec.externalTrafficPolicy",
                    etp,
                    "may only be set for externally-accessible services",
                )
            )
    elif not etp:
        out.append(errors.required("spec.externalTrafficPolicy"))
    elif etp not in ("Cluster", "Local"):
        out.append(errors.not_supported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
    hc = spec.get("healthCheckNodePort")
    if not (kind == "LoadBalancer" and etp == "Local"):
        if hc:
            out.append(
                errors.invalid(
                    "spec.healthCheckNodePort",
                    hc,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
                )
            )
    elif hc:
        # Zero is accepted: the port is allocated after validation here.
        out.extend(errors.invalid("spec.healthCheckNodePort", hc, m) for m in is_valid_port_num(hc))
    itp = spec.get("internalTrafficPolicy")
    if itp is None:
        if kind in ("NodePort", "LoadBalancer", "ClusterIP"):
            out.append(errors.required("spec.internalTrafficPolicy"))
    elif itp not in ("Cluster", "Local"):
        out.append(errors.not_supported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    td = spec.get("trafficDistribution")
    if td is not None and td not in _TRAFFIC_DISTRIBUTIONS:
        out.append(errors.not_supported("spec.trafficDistribution", td, _TRAFFIC_DISTRIBUTIONS))
    return out


def _validate_lb_status(svc: Obj) -> list[FieldError]:
    spec = _d(svc.get("spec"))
    ingress = _l(_d(_d(svc.get("status")).get("loadBalancer")).get("ingress"))
    path = "status.loadBalancer.ingress"
    if spec.get("type") != "LoadBalancer" and ingress:
        return [errors.forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'")]
    out: list[FieldError] = []
    for i, entry in enumerate(ingress):
        entry = _d(entry)
        p = index(path, i)
        ip = _s(entry.get("ip"))
        mode = entry.get("ipMode")
        if ip:
            out.extend(_name_errs(child(p, "ip"), ip, is_valid_ip(ip)))
        if mode is None:
            if ip:
                out.append(
                    errors.required(child(p, "ipMode"), "must be specified when `ip` is set")
                )
        elif not ip:
            out.append(
                errors.forbidden(child(p, "ipMode"), "may not be specified when `ip` is not set")
            )
        elif mode not in ("Proxy", "VIP"):
            out.append(errors.not_supported(child(p, "ipMode"), mode, ["Proxy", "VIP"]))
        hostname = _s(entry.get("hostname"))
        if hostname:
            out.extend(_name_errs(child(p, "hostname"), hostname, is_dns1123_subdomain(hostname)))
            if parse_ip_sloppy(hostname) is not None:
                out.append(
                    errors.invalid(
                        child(p, "hostname"), hostname, "must be a DNS name, not an IP address"
                    )
                )
    return out


def _service_for_create(svc: Obj) -> dict[str, Any]:
    from steersman.api.defaults.service_update import normalize_service_cluster_ips

    view = copy.deepcopy(dict(svc))
    normalize_service_cluster_ips(view, None)
    return view


def validate_service(svc: Obj) -> list[FieldError]:
    view = _service_for_create(svc)
    out = validate_object_meta(_meta(view), namespaced=True, name_validator=is_dns1035_label)
    out.extend(_validate_service_spec(view))
    return out


def _upgrade_downgrade_cluster_ips(new: Obj, old: Obj) -> list[FieldError]:
    if new.get("type") == "ExternalName" or old.get("type") == "ExternalName":
        return []
    if _is_headless(new) and _is_headless(old):
        return []
    new_ips, old_ips = _l(new.get("clusterIPs")), _l(old.get("clusterIPs"))
    out: list[FieldError] = []
    if len(old_ips) == len(new_ips):
        out.extend(
            errors.invalid(f"spec.clusterIPs[{i}]", new_ips, "may not change once set")
            for i, ip in enumerate(old_ips)
            if ip != new_ips[i]
        )
    elif len(old_ips) > len(new_ips):
        if not new_ips:
            out.append(
                errors.invalid("spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset")
            )
        if old_ips and new_ips and new_ips[0] != old_ips[0]:
            out.append(errors.invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
        if len(new_ips) == 1 and new.get("ipFamilyPolicy") != "SingleStack":
            out.append(
                errors.invalid(
                    "spec.ipFamilyPolicy",
                    new.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                )
            )
    elif old_ips and new_ips[0] != old_ips[0]:
        out.append(errors.invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
    return out


def _upgrade_downgrade_ip_families(new: Obj, old: Obj) -> list[FieldError]:
    if new.get("type") == "ExternalName" or old.get("type") == "ExternalName":
        return []
    if _is_headless(new) or _is_headless(old):
        return []
    new_f, old_f = _l(new.get("ipFamilies")), _l(old.get("ipFamilies"))
    ips = _l(new.get("clusterIPs"))
    out: list[FieldError] = []
    if len(old_f) == len(new_f):
        out.extend(
            errors.invalid("spec.ipFamilies[0]", new_f, "may not change once set")
            for i, fam in enumerate(old_f)
            if fam != new_f[i]
        )
    elif len(old_f) > len(new_f):
        if not ips:
            out.append(
                errors.invalid("spec.ipFamilies[0]", new_f, "primary ipFamily can not be unset")
            )
        if new_f and new_f[0] != old_f[0]:
            out.append(errors.invalid("spec.ipFamilies[0]", ips, "may not change once set"))
        if len(new_f) == 1 and new.get("ipFamilyPolicy") != "SingleStack":
            out.append(
                errors.invalid(
                    "spec.ipFamilyPolicy",
                    new.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary ipFamily",
                )
            )
    elif old_f and new_f and new_f[0] != old_f[0]:
        out.append(errors.invalid("spec.ipFamilies[0]", ips, "may not change once set"))
    return out


def validate_service_update(new: Obj, old: Obj) -> list[FieldError]:
    from steersman.api.defaults.service_update import prepare_service_for_update

    view = copy.deepcopy(dict(new))
    prepare_service_for_update(view, dict(old))
    # Status is not the registry's to clear on a /status write; judge what the client sent.
    if "status" in new:
        view["status"] = copy.deepcopy(new["status"])
    spec, old_spec = _d(view.get("spec")), _d(old.get("spec"))
    out = validate_object_meta_update(_meta(view), _meta(old))
    out.extend(_upgrade_downgrade_cluster_ips(spec, old_spec))
    out.extend(_upgrade_downgrade_ip_families(spec, old_spec))
    both_lb = spec.get("type") == "LoadBalancer" and old_spec.get("type") == "LoadBalancer"
    if both_lb and spec.get("loadBalancerClass") != old_spec.get("loadBalancerClass"):
        out.append(
            errors.invalid(
                "spec.loadBalancerClass",
                spec.get("loadBalancerClass"),
                "may not change once set",
            )
        )
    both_hc = all(
        s.get("type") == "LoadBalancer" and s.get("externalTrafficPolicy") == "Local"
        for s in (spec, old_spec)
    )
    if both_hc and spec.get("healthCheckNodePort") != old_spec.get("healthCheckNodePort"):
        out.append(errors.forbidden("spec.healthCheckNodePort", FIELD_IMMUTABLE))
    out.extend(validate_object_meta(_meta(view), namespaced=True, name_validator=is_dns1035_label))
    out.extend(_validate_service_spec(view))
    if not _semantic_equal(view.get("status"), old.get("status")):
        out.extend(_validate_lb_status(view))
    return out


register("", "Service", validate_service, validate_service_update)
