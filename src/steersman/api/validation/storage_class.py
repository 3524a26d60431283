"""The storage.k8s.io StorageClass kind.

Invariants:
- Parameters, provisioner, reclaim policy and binding mode are immutable.
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
    is_qualified_name,
    validate_label_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import _immutable
from steersman.api.validation.helpers import Obj, _d, _l, _meta, _name_errs, _s

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


register("storage.k8s.io", "StorageClass", validate_storage_class, validate_storage_class_update)
