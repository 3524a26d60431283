"""The Node kind (core/v1): taints, pod CIDRs, capacity.

Invariants:
- A node's taints are reported at `metadata.taints` (Kubernetes' historical path).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.affinity import _validate_taint_effect
from steersman.api.validation.common import (
    child,
    index,
    is_valid_cidr,
    is_valid_label_value,
    parse_ip_sloppy,
    validate_label_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _l, _meta, _name_errs, _s
from steersman.api.validation.resource_requirements import (
    validate_resource_quantity_value,
)


def _validate_taints(taints: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(taints):
        taint = _d(taint)
        p = index(path, i)
        k, value, effect = _s(taint.get("key")), _s(taint.get("value")), _s(taint.get("effect"))
        out.extend(validate_label_name(k, child(p, "key")))
        msgs = is_valid_label_value(value)
        if msgs:
            out.append(errors.invalid(child(p, "value"), value, ";".join(msgs)))
        out.extend(_validate_taint_effect(effect, False, child(p, "effect")))
        if (k, effect) in seen:
            out.append(
                FieldError(
                    errors.FIELD_VALUE_DUPLICATE,
                    p,
                    "taints must be unique by key and effect pair",
                    dict(taint),
                )
            )
            continue
        seen.add((k, effect))
    return out


def _validate_node_resources(node: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    status = _d(node.get("status"))
    for field in ("capacity", "allocatable"):
        for name, value in _d(status.get(field)).items():
            out.extend(validate_resource_quantity_value(name, value, f"status.{field}.{name}")[1])
    return out


def _validate_pod_cidrs(cidrs: list[Any]) -> list[FieldError]:
    out: list[FieldError] = []
    for i, value in enumerate(cidrs):
        out.extend(_name_errs(f"spec.podCIDRs[{i}]", _s(value), is_valid_cidr(_s(value))))
    if len(cidrs) > 1 and not out:
        versions = {
            a.version
            for a in (parse_ip_sloppy(_s(c).partition("/")[0]) for c in cidrs)
            if a is not None
        }
        if len(cidrs) > 2 or versions != {4, 6}:
            out.append(
                errors.invalid(
                    "spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"
                )
            )
        seen: set[str] = set()
        for i, value in enumerate(cidrs):
            if value in seen:
                out.append(errors.duplicate(f"spec.podCIDRs[{i}]", value))
            seen.add(value)
    return out


def validate_node(node: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(node), namespaced=False)
    spec = _d(node.get("spec"))
    # Kubernetes reports a node's taints under metadata.
    out.extend(_validate_taints(_l(spec.get("taints")), "metadata.taints"))
    out.extend(_validate_node_resources(node))
    out.extend(_validate_pod_cidrs(_l(spec.get("podCIDRs"))))
    return out


def validate_node_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(_validate_node_resources(new))
    seen: list[Any] = []
    for i, addr in enumerate(_l(_d(new.get("status")).get("addresses"))):
        if addr in seen:
            out.append(errors.duplicate(f"status.addresses[{i}]", addr))
        seen.append(addr)
    spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    old_cidrs, new_cidrs = _l(old_spec.get("podCIDRs")), _l(spec.get("podCIDRs"))
    change_msg = 'node updates may not change podCIDR except from "" to valid'
    if old_cidrs:
        if len(old_cidrs) != len(new_cidrs):
            out.append(errors.forbidden("spec.podCIDRs", change_msg))
        else:
            out.extend(
                errors.forbidden("spec.podCIDRs", change_msg)
                for a, b in zip(old_cidrs, new_cidrs, strict=True)
                if a != b
            )
    old_provider = _s(old_spec.get("providerID"))
    if old_provider and old_provider != _s(spec.get("providerID")):
        out.append(
            errors.forbidden(
                "spec.providerID", 'node updates may not change providerID except from "" to valid'
            )
        )
    out.extend(_validate_taints(_l(spec.get("taints")), "metadata.taints"))
    if _s(spec.get("externalID")) != _s(old_spec.get("externalID")):
        out.append(errors.forbidden("spec.externalID", "may not be updated"))
    return out


register("", "Node", validate_node, validate_node_update)
