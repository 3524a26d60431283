"""Scheduling constraints of a pod spec: tolerations, node selectors, affinity and topology
spread constraints (core/v1).

Invariants:
- The node selector validators are public: PersistentVolume node affinity uses them too.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    index,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_label_value,
    validate_label_name,
    validate_label_selector,
)
from steersman.api.validation.helpers import (
    IS_NOT_POSITIVE,
    Obj,
    _d,
    _i,
    _l,
    _name_errs,
    _s,
)

_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _validate_taint_effect(effect: Any, allow_empty: bool, path: str) -> list[FieldError]:
    if not allow_empty and not effect:
        return [errors.required(path)]
    if effect not in _TAINT_EFFECTS:
        return [errors.not_supported(path, effect, _TAINT_EFFECTS)]
    return []


def validate_tolerations(tolerations: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, tol in enumerate(tolerations):
        tol = _d(tol)
        p = index(path, i)
        k = _s(tol.get("key"))
        op = _s(tol.get("operator"))
        value = _s(tol.get("value"))
        effect = _s(tol.get("effect"))
        if k:
            out.extend(validate_label_name(k, child(p, "key")))
        if not k and op != "Exists":
            out.append(
                errors.invalid(
                    child(p, "operator"),
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            out.append(
                errors.invalid(
                    child(p, "effect"),
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if op in ("Equal", ""):
            msgs = is_valid_label_value(value)
            if msgs:
                out.append(errors.invalid(child(p, "operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                out.append(
                    errors.invalid(
                        child(p, "operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            out.append(errors.not_supported(child(p, "operator"), op, ["Equal", "Exists"]))
        if effect:
            out.extend(_validate_taint_effect(effect, True, child(p, "effect")))
    return out


def validate_node_selector_requirement(
    req: Obj, path: str, *, allow_invalid_values: bool = False
) -> list[FieldError]:
    out: list[FieldError] = []
    op = _s(req.get("operator"))
    values = _l(req.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            out.append(
                errors.required(
                    child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            out.append(
                errors.forbidden(
                    child(path, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    elif op in ("Gt", "Lt"):
        if len(values) != 1:
            out.append(
                errors.required(
                    child(path, "values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                )
            )
    else:
        out.append(errors.invalid(child(path, "operator"), op, "not a valid selector operator"))
    out.extend(validate_label_name(_s(req.get("key")), child(path, "key")))
    if not allow_invalid_values:
        for i, v in enumerate(values):
            out.extend(
                _name_errs(index(child(path, "values"), i), _s(v), is_valid_label_value(_s(v)))
            )
    return out


def _validate_node_field_requirement(req: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    op = _s(req.get("operator"))
    values = _l(req.get("values"))
    if op in ("In", "NotIn"):
        if len(values) != 1:
            out.append(
                errors.required(
                    child(path, "values"),
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                )
            )
    else:
        out.append(errors.invalid(child(path, "operator"), op, "not a valid selector operator"))
    k = _s(req.get("key"))
    if k != "metadata.name":
        out.append(errors.invalid(child(path, "key"), k, "not a valid field selector key"))
    else:
        for i, v in enumerate(values):
            out.extend(
                _name_errs(index(child(path, "values"), i), _s(v), is_dns1123_subdomain(_s(v)))
            )
    return out


def validate_node_selector_term(
    term: Obj, path: str, *, allow_invalid_values: bool = False
) -> list[FieldError]:
    out: list[FieldError] = []
    for j, req in enumerate(_l(term.get("matchExpressions"))):
        out.extend(
            validate_node_selector_requirement(
                _d(req),
                index(child(path, "matchExpressions"), j),
                allow_invalid_values=allow_invalid_values,
            )
        )
    for j, req in enumerate(_l(term.get("matchFields"))):
        out.extend(_validate_node_field_requirement(_d(req), index(child(path, "matchFields"), j)))
    return out


def validate_node_selector(selector: Obj, path: str) -> list[FieldError]:
    terms = _l(selector.get("nodeSelectorTerms"))
    term_path = child(path, "nodeSelectorTerms")
    if not terms:
        return [errors.required(term_path, "must have at least one node selector term")]
    out: list[FieldError] = []
    for i, term in enumerate(terms):
        out.extend(validate_node_selector_term(_d(term), index(term_path, i)))
    return out


def _validate_pod_affinity_term(term: Obj, path: str) -> list[FieldError]:
    out = validate_label_selector(
        term.get("labelSelector") if isinstance(term.get("labelSelector"), dict) else None,
        child(path, "labelSelector"),
    )
    out.extend(
        validate_label_selector(
            term.get("namespaceSelector")
            if isinstance(term.get("namespaceSelector"), dict)
            else None,
            child(path, "namespaceSelector"),
        )
    )
    for ns in _l(term.get("namespaces")):
        # Kubernetes names the field in the singular here.
        out.extend(_name_errs(child(path, "namespace"), _s(ns), is_dns1123_label(_s(ns))))
    selector = term.get("labelSelector")
    for field in ("matchLabelKeys", "mismatchLabelKeys"):
        keys = _l(term.get(field))
        if keys and not isinstance(selector, dict):
            out.append(
                errors.forbidden(
                    child(path, field), "must not be specified when labelSelector is not set"
                )
            )
            continue
        for i, k in enumerate(keys):
            out.extend(validate_label_name(_s(k), index(child(path, field), i)))
    mismatch = set(_l(term.get("mismatchLabelKeys")))
    for i, k in enumerate(_l(term.get("matchLabelKeys"))):
        if k in mismatch:
            out.append(
                errors.invalid(
                    index(child(path, "matchLabelKeys"), i),
                    k,
                    "exists in both matchLabelKeys and mismatchLabelKeys",
                )
            )
    topology_key = _s(term.get("topologyKey"))
    if not topology_key:
        out.append(errors.required(child(path, "topologyKey"), "can not be empty"))
    out.extend(validate_label_name(topology_key, child(path, "topologyKey")))
    return out


def _validate_pod_affinity(aff: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    req_path = child(path, "requiredDuringSchedulingIgnoredDuringExecution")
    for i, term in enumerate(_l(aff.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        out.extend(_validate_pod_affinity_term(_d(term), index(req_path, i)))
    pref_path = child(path, "preferredDuringSchedulingIgnoredDuringExecution")
    for i, wterm in enumerate(_l(aff.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        wterm = _d(wterm)
        weight = _i(wterm.get("weight"))
        if weight <= 0 or weight > 100:
            out.append(
                errors.invalid(
                    child(index(pref_path, i), "weight"), weight, "must be in the range 1-100"
                )
            )
        out.extend(
            _validate_pod_affinity_term(
                _d(wterm.get("podAffinityTerm")), child(index(pref_path, i), "podAffinityTerm")
            )
        )
    return out


def validate_affinity(affinity: Any, path: str) -> list[FieldError]:
    if not isinstance(affinity, dict):
        return []
    out: list[FieldError] = []
    node = affinity.get("nodeAffinity")
    if isinstance(node, dict):
        np = child(path, "nodeAffinity")
        required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(required, dict):
            out.extend(
                validate_node_selector(
                    required, child(np, "requiredDuringSchedulingIgnoredDuringExecution")
                )
            )
        pref_path = child(np, "preferredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(_l(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            term = _d(term)
            weight = _i(term.get("weight"))
            if weight <= 0 or weight > 100:
                out.append(
                    errors.invalid(
                        child(index(pref_path, i), "weight"), weight, "must be in the range 1-100"
                    )
                )
            # Preferred terms may carry invalid label values: they can still match.
            out.extend(
                validate_node_selector_term(
                    _d(term.get("preference")),
                    child(index(pref_path, i), "preference"),
                    allow_invalid_values=True,
                )
            )
    for field in ("podAffinity", "podAntiAffinity"):
        if isinstance(affinity.get(field), dict):
            out.extend(_validate_pod_affinity(affinity[field], child(path, field)))
    return out


def _validate_topology_spread(constraints: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    items = [_d(c) for c in constraints]
    for i, c in enumerate(items):
        p = index(path, i)
        skew = _i(c.get("maxSkew"))
        if skew <= 0:
            out.append(errors.invalid(child(p, "maxSkew"), skew, IS_NOT_POSITIVE))
        tkey = _s(c.get("topologyKey"))
        if not tkey:
            out.append(errors.required(child(p, "topologyKey"), "can not be empty"))
        action = _s(c.get("whenUnsatisfiable"))
        if action not in ("DoNotSchedule", "ScheduleAnyway"):
            out.append(
                errors.not_supported(
                    child(p, "whenUnsatisfiable"), action, ["DoNotSchedule", "ScheduleAnyway"]
                )
            )
        for other in items[i + 1 :]:
            if (
                _s(other.get("topologyKey")) == tkey
                and _s(other.get("whenUnsatisfiable")) == action
            ):
                out.append(
                    errors.duplicate(
                        child(p, "{topologyKey, whenUnsatisfiable}"), f"{{{tkey}, {action}}}"
                    )
                )
                break
        min_domains = c.get("minDomains")
        if min_domains is not None:
            if _i(min_domains) <= 0:
                out.append(errors.invalid(child(p, "minDomains"), min_domains, IS_NOT_POSITIVE))
            if action != "DoNotSchedule":
                out.append(
                    errors.invalid(
                        child(p, "minDomains"),
                        min_domains,
                        f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}",
                    )
                )
        for field in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            policy = c.get(field)
            if policy is not None and policy not in ("Honor", "Ignore"):
                out.append(errors.not_supported(child(p, field), policy, ["Honor", "Ignore"]))
        selector = c.get("labelSelector")
        keys = _l(c.get("matchLabelKeys"))
        if keys:
            selector_keys: set[str] = set()
            if isinstance(selector, dict):
                selector_keys |= set(_d(selector.get("matchLabels")))
                selector_keys |= {
                    _s(_d(e).get("key")) for e in _l(selector.get("matchExpressions"))
                }
            else:
                out.append(
                    errors.forbidden(
                        child(p, "matchLabelKeys"),
                        "must not be specified when labelSelector is not set",
                    )
                )
            for j, k in enumerate(keys):
                kp = index(child(p, "matchLabelKeys"), j)
                out.extend(validate_label_name(_s(k), kp))
                if k in selector_keys:
                    out.append(
                        errors.invalid(kp, k, "exists in both matchLabelKeys and labelSelector")
                    )
        out.extend(
            validate_label_selector(
                selector if isinstance(selector, dict) else None, child(p, "labelSelector")
            )
        )
    return out
