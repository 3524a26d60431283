"""ValidatePodSpec: the pod spec as a whole, including DNS config and pod-level resources.

Invariants:
- `validate_pod_spec` is public: pod templates (workloads, jobs) build on it.
- Feature gates at their v1.36 defaults (relaxed DNS search paths, sidecar containers).
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.affinity import (
    _validate_topology_spread,
    validate_affinity,
    validate_tolerations,
)
from steersman.api.validation.common import (
    child,
    inclusive_range_error,
    index,
    is_dns1123_subdomain,
    is_valid_ip,
    regex_error,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_labels,
    validate_qualified_name,
)
from steersman.api.validation.container import (
    _validate_containers,
    _validate_ephemeral_containers,
    _validate_init_containers,
)
from steersman.api.validation.helpers import MAX_INT32, Obj, _d, _i, _l, _name_errs, _s
from steersman.api.validation.resource_requirements import (
    _validate_pod_level_resource_name,
    _validate_resource_requirements,
    validate_container_resources,
)
from steersman.api.validation.security_context import _validate_pod_security_context
from steersman.api.validation.volume import validate_volumes

MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_LIST_CHARS = 2048


_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_SUBDOMAIN_UNDERSCORE_LABEL = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_UNDERSCORE_FMT = (
    _SUBDOMAIN_UNDERSCORE_LABEL + "(\\." + _SUBDOMAIN_UNDERSCORE_LABEL + ")*"
)
_SUBDOMAIN_UNDERSCORE_RE = re.compile(_SUBDOMAIN_UNDERSCORE_FMT)


def _is_dns1123_subdomain_with_underscore(value: str) -> list[str]:
    out: list[str] = []
    if len(value) > 253:
        out.append("must be no more than 253 characters")
    if _SUBDOMAIN_UNDERSCORE_RE.fullmatch(value) is None:
        out.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', "
                "'-' or '.', and must start and end with an alphanumeric character",
                _SUBDOMAIN_UNDERSCORE_FMT,
                "example.com",
            )
        )
    return out


def _validate_dns_config(config: Any, policy: Any, path: str) -> list[FieldError]:
    if policy == "None":
        if not isinstance(config, dict):
            return [errors.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not _l(config.get("nameservers")):
            return [
                errors.required(
                    child(path, "nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )
            ]
    if not isinstance(config, dict):
        return []
    out: list[FieldError] = []
    nameservers = _l(config.get("nameservers"))
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        out.append(
            errors.invalid(
                child(path, "nameservers"),
                nameservers,
                f"must not have more than {MAX_DNS_NAMESERVERS} nameservers",
            )
        )
    for i, ns in enumerate(nameservers):
        out.extend(_name_errs(index(child(path, "nameservers"), i), _s(ns), is_valid_ip(_s(ns))))
    searches = [_s(s) for s in _l(config.get("searches"))]
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        out.append(
            errors.invalid(
                child(path, "searches"),
                searches,
                f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths",
            )
        )
    if len(" ".join(searches)) > MAX_DNS_SEARCH_LIST_CHARS:
        out.append(
            errors.invalid(
                child(path, "searches"),
                searches,
                f"must not have more than {MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list",
            )
        )
    for i, search in enumerate(searches):
        if search != ".":
            trimmed = search.removesuffix(".")
            out.extend(
                _name_errs(
                    index(child(path, "searches"), i),
                    trimmed,
                    _is_dns1123_subdomain_with_underscore(trimmed),
                )
            )
    for i, option in enumerate(_l(config.get("options"))):
        if not _s(_d(option).get("name")):
            out.append(errors.required(index(child(path, "options"), i), "must not be empty"))
    return out


def _validate_pod_resources(spec: Obj, claim_names: set[str], path: str) -> list[FieldError]:
    res = spec.get("resources")
    if not isinstance(res, dict):
        return []
    out: list[FieldError] = []
    if res.get("claims") is not None:
        out.append(
            errors.forbidden(
                child(path, "claims"), "claims cannot be set for Resources at pod-level"
            )
        )
    out.extend(
        _validate_resource_requirements(
            {k: v for k, v in res.items() if k != "claims"}, path, _validate_pod_level_resource_name
        )
    )
    return out


def _validate_host_network_ports(spec: Obj, path: str, resource_is_pod: bool) -> list[FieldError]:
    if spec.get("hostNetwork") is not True:
        return []
    out: list[FieldError] = []
    for i, ctr in enumerate(_l(spec.get("containers"))):
        for j, port in enumerate(_l(_d(ctr).get("ports"))):
            port = _d(port)
            hp, cp = _i(port.get("hostPort")), _i(port.get("containerPort"))
            if (resource_is_pod or hp != 0) and hp != cp:
                out.append(
                    errors.invalid(
                        child(
                            index(child(index(child(path, "containers"), i), "ports"), j),
                            "hostPort",
                        ),
                        hp,
                        "must match `containerPort` when `hostNetwork` is true",
                    )
                )
    return out


def validate_pod_spec(
    spec: Obj,
    path: str = "spec",
    *,
    pod_meta: Obj | None = None,
    resource_is_pod: bool = False,
) -> list[FieldError]:
    """ValidatePodSpec for a Pod's spec or a template's. `pod_meta` only for real pods."""
    out: list[FieldError] = []
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        out.append(errors.required(child(path, "terminationGracePeriodSeconds")))
    restart_policy = _s(spec.get("restartPolicy"))
    sc = spec.get("securityContext")
    host_users = _d(sc).get("hostUsers") is not False
    volumes, vol_errs = validate_volumes(
        _l(spec.get("volumes")),
        child(path, "volumes"),
        pod_meta=pod_meta,
        resource_is_pod=resource_is_pod,
    )
    out.extend(vol_errs)
    claims = [_d(c) for c in _l(spec.get("resourceClaims"))]
    claim_names = {_s(c.get("name")) for c in claims if _s(c.get("name"))}
    out.extend(_validate_pod_resource_claims(claims, child(path, "resourceClaims")))
    containers = _l(spec.get("containers"))
    init = _l(spec.get("initContainers"))
    out.extend(
        _validate_containers(
            containers,
            volumes,
            claim_names,
            grace,
            child(path, "containers"),
            restart_policy,
            host_users,
        )
    )
    out.extend(
        _validate_init_containers(
            init,
            containers,
            volumes,
            claim_names,
            grace,
            child(path, "initContainers"),
            restart_policy,
            host_users,
        )
    )
    out.extend(
        _validate_ephemeral_containers(
            _l(spec.get("ephemeralContainers")),
            containers,
            init,
            volumes,
            claim_names,
            child(path, "ephemeralContainers"),
            restart_policy,
            host_users,
        )
    )
    out.extend(_validate_pod_resources(spec, claim_names, child(path, "resources")))
    out.extend(_validate_host_network_ports(spec, path, resource_is_pod))
    if restart_policy not in _RESTART_POLICIES:
        rp = child(path, "restartPolicy")
        out.append(
            errors.required(rp)
            if not restart_policy
            else errors.not_supported(rp, restart_policy, _RESTART_POLICIES)
        )
    dns_policy = _s(spec.get("dnsPolicy"))
    if dns_policy not in _DNS_POLICIES:
        dp = child(path, "dnsPolicy")
        out.append(
            errors.required(dp)
            if not dns_policy
            else errors.not_supported(dp, dns_policy, _DNS_POLICIES)
        )
    out.extend(validate_labels(_d(spec.get("nodeSelector")), child(path, "nodeSelector")))
    out.extend(_validate_pod_security_context(sc, spec, child(path, "securityContext")))
    for i, secret in enumerate(_l(spec.get("imagePullSecrets"))):
        if isinstance(secret, dict) and set(secret) - {"name"}:
            out.append(
                errors.invalid(
                    index(child(path, "imagePullSecrets"), i), dict(secret), "only name may be set"
                )
            )
    out.extend(validate_affinity(spec.get("affinity"), child(path, "affinity")))
    out.extend(_validate_dns_config(spec.get("dnsConfig"), dns_policy, child(path, "dnsConfig")))
    for i, gate in enumerate(_l(spec.get("readinessGates"))):
        out.extend(
            validate_qualified_name(
                _s(_d(gate).get("conditionType")),
                child(index(child(path, "readinessGates"), i), "conditionType"),
            )
        )
    seen_gates: set[str] = set()
    for i, gate in enumerate(_l(spec.get("schedulingGates"))):
        gname = _s(_d(gate).get("name"))
        gp = index(child(path, "schedulingGates"), i)
        out.extend(validate_qualified_name(gname, gp))
        if gname in seen_gates:
            out.append(errors.duplicate(gp, gname))
        seen_gates.add(gname)
    out.extend(
        _validate_topology_spread(
            _l(spec.get("topologySpreadConstraints")), child(path, "topologySpreadConstraints")
        )
    )
    if _d(sc).get("hostUsers") is False:
        for field, label in (
            ("hostNetwork", "hostNetwork"),
            ("hostPID", "HostPID"),
            ("hostIPC", "HostIPC"),
        ):
            if spec.get(field) is True:
                out.append(
                    errors.forbidden(child(path, label), "when `pod.Spec.HostUsers` is false")
                )
    for field in ("serviceAccountName", "nodeName"):
        value = _s(spec.get(field))
        if value:
            out.extend(_name_errs(child(path, field), value, is_dns1123_subdomain(value)))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not (isinstance(ads, int) and 1 <= ads <= MAX_INT32):
        out.append(
            errors.invalid(
                child(path, "activeDeadlineSeconds"), ads, inclusive_range_error(1, MAX_INT32)
            )
        )
    for field in ("hostname", "subdomain"):
        value = _s(spec.get(field))
        if value:
            out.extend(validate_dns1123_label(value, child(path, field)))
    out.extend(validate_tolerations(_l(spec.get("tolerations")), child(path, "tolerations")))
    for i, alias in enumerate(_l(spec.get("hostAliases"))):
        alias = _d(alias)
        ap = index(child(path, "hostAliases"), i)
        ip = _s(alias.get("ip"))
        out.extend(_name_errs(child(ap, "ip"), ip, is_valid_ip(ip)))
        for j, host in enumerate(_l(alias.get("hostnames"))):
            out.extend(validate_dns1123_subdomain(_s(host), index(child(ap, "hostnames"), j)))
    for field in ("priorityClassName", "runtimeClassName"):
        class_name = spec.get(field)
        if isinstance(class_name, str) and (class_name or field == "runtimeClassName"):
            out.extend(_name_errs(child(path, field), class_name, is_dns1123_subdomain(class_name)))
    preemption = spec.get("preemptionPolicy")
    if preemption is not None and preemption not in ("PreemptLowerPriority", "Never"):
        pp = child(path, "preemptionPolicy")
        out.append(
            errors.required(pp)
            if not preemption
            else errors.not_supported(pp, preemption, ["PreemptLowerPriority", "Never"])
        )
    if isinstance(spec.get("overhead"), dict):
        out.extend(
            validate_container_resources({"limits": spec["overhead"]}, child(path, "overhead"))
        )
    os_spec = spec.get("os")
    if isinstance(os_spec, dict):
        os_name = _s(os_spec.get("name"))
        if os_name not in ("linux", "windows"):
            out.append(
                errors.not_supported(child(path, "os", "name"), os_name, ["linux", "windows"])
            )
    return out


def _validate_pod_resource_claims(claims: Sequence[Obj], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    names: set[str] = set()
    for i, claim in enumerate(claims):
        p = index(path, i)
        name = _s(claim.get("name"))
        if not name:
            out.append(errors.required(child(p, "name")))
        elif name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        else:
            out.extend(validate_dns1123_label(name, child(p, "name")))
            names.add(name)
        has_claim = claim.get("resourceClaimName") is not None
        has_template = claim.get("resourceClaimTemplateName") is not None
        if has_claim and has_template:
            out.append(
                errors.invalid(
                    p,
                    dict(claim),
                    "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
                )
            )
        if not has_claim and not has_template:
            out.append(
                errors.invalid(
                    p,
                    dict(claim),
                    "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
                )
            )
        for field in ("resourceClaimName", "resourceClaimTemplateName"):
            value = claim.get(field)
            if isinstance(value, str):
                out.extend(_name_errs(child(p, field), value, is_dns1123_subdomain(value)))
    return out
