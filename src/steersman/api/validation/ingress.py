"""The networking.k8s.io Ingress and IngressClass kinds.

Invariants:
- An update keeps accepting invalid secret names and wildcard hosts the stored object already
  had; IngressClasses are cluster-scoped.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import re
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import regex_error
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    index,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_ip,
    is_valid_port_name,
    is_valid_port_num,
    parse_ip_sloppy,
    path_segment_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import GoRaw, _immutable
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _i,
    _l,
    _meta,
    _name_errs,
    _s,
    changed,
    is_domain_prefixed_path,
)

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


register("networking.k8s.io", "Ingress", validate_ingress, validate_ingress_update)
register("networking.k8s.io", "IngressClass", validate_ingress_class, validate_ingress_class_update)
