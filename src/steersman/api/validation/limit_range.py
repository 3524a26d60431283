"""The LimitRange kind (core/v1).

Invariants:
- The relations between min, max, default, defaultRequest and maxLimitRequestRatio are
  checked per resource, in Kubernetes' order.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.quantity import Quantity
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    is_qualified_name,
    key,
    validate_object_meta,
    validate_object_meta_update,
    validate_quantity,
)
from steersman.api.validation.go_values import GoRaw
from steersman.api.validation.helpers import Obj, _d, _l, _meta, _name_errs, _s
from steersman.api.validation.resource_requirements import (
    _validate_container_resource_name,
    _validate_resource_name,
    is_overcommit_allowed,
)

_LIMIT_TYPES = frozenset({"Pod", "Container", "PersistentVolumeClaim"})


def _parse_list(
    values: Any, path: str, name_fn: Callable[[str, str], list[FieldError]]
) -> tuple[dict[str, Quantity], list[FieldError]]:
    parsed: dict[str, Quantity] = {}
    out: list[FieldError] = []
    for name, value in _d(values).items():
        p = key(path, name)
        out.extend(name_fn(name, p))
        q, errs = validate_quantity(value, p)
        out.extend(errs)
        if q is not None:
            parsed[name] = q
    return parsed, out


def validate_limit_range(lr: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(lr), namespaced=True)
    types: set[str] = set()
    for i, item in enumerate(_l(_d(lr.get("spec")).get("limits"))):
        item = _d(item)
        p = f"spec.limits[{i}]"
        kind = _s(item.get("type"))
        type_errs = _name_errs(child(p, "type"), kind, is_qualified_name(kind))
        if not type_errs and "/" not in kind and kind not in _LIMIT_TYPES:
            type_errs.append(
                errors.invalid(
                    child(p, "type"), kind, "must be a standard limit type or fully qualified"
                )
            )
        out.extend(type_errs)
        if kind in types:
            out.append(errors.duplicate(child(p, "type"), kind))
        types.add(kind)

        def name_fn(name: str, path: str, kind: str = kind) -> list[FieldError]:
            if kind in ("Pod", "Container"):
                return _validate_container_resource_name(name, path)
            return _validate_resource_name(name, path)

        maxes, errs = _parse_list(item.get("max"), child(p, "max"), name_fn)
        out.extend(errs)
        mins, errs = _parse_list(item.get("min"), child(p, "min"), name_fn)
        out.extend(errs)
        defaults: dict[str, Quantity] = {}
        requests: dict[str, Quantity] = {}
        if kind == "Pod":
            if _d(item.get("default")):
                out.append(
                    errors.forbidden(
                        child(p, "default"), "may not be specified when `type` is 'Pod'"
                    )
                )
            if _d(item.get("defaultRequest")):
                out.append(
                    errors.forbidden(
                        child(p, "defaultRequest"), "may not be specified when `type` is 'Pod'"
                    )
                )
        else:
            defaults, errs = _parse_list(item.get("default"), child(p, "default"), name_fn)
            out.extend(errs)
            requests, errs = _parse_list(
                item.get("defaultRequest"), child(p, "defaultRequest"), name_fn
            )
            out.extend(errs)
        if kind == "PersistentVolumeClaim" and "storage" not in mins and "storage" not in maxes:
            out.append(
                errors.required(
                    child(p, "limits"),
                    "either minimum or maximum storage value is required, but neither was provided",
                )
            )
        ratios, errs = _parse_list(
            item.get("maxLimitRequestRatio"), child(p, "maxLimitRequestRatio"), name_fn
        )
        out.extend(errs)
        for name in sorted(set(maxes) | set(mins) | set(defaults) | set(requests) | set(ratios)):
            out.extend(
                _limit_range_relations(
                    p,
                    name,
                    mins.get(name),
                    maxes.get(name),
                    defaults.get(name),
                    requests.get(name),
                    ratios.get(name),
                )
            )
    return out


def _limit_range_relations(
    p: str,
    name: str,
    lo: Quantity | None,
    hi: Quantity | None,
    dflt: Quantity | None,
    req: Quantity | None,
    ratio: Quantity | None,
) -> list[FieldError]:
    out: list[FieldError] = []
    raw = GoRaw
    if lo is not None and hi is not None and lo > hi:
        out.append(
            errors.invalid(
                key(child(p, "min"), name),
                raw(str(lo)),
                f"min value {lo} is greater than max value {hi}",
            )
        )
    if req is not None and lo is not None and lo > req:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"min value {lo} is greater than default request value {req}",
            )
        )
    if req is not None and hi is not None and req > hi:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"default request value {req} is greater than max value {hi}",
            )
        )
    if req is not None and dflt is not None and req > dflt:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"default request value {req} is greater than default limit value {dflt}",
            )
        )
    if dflt is not None and lo is not None and lo > dflt:
        out.append(
            errors.invalid(
                key(child(p, "default"), name),
                raw(str(lo)),
                f"min value {lo} is greater than default value {dflt}",
            )
        )
    if dflt is not None and hi is not None and dflt > hi:
        out.append(
            errors.invalid(
                key(child(p, "default"), name),
                raw(str(hi)),
                f"default value {dflt} is greater than max value {hi}",
            )
        )
    if ratio is not None and ratio < Quantity.from_int(1):
        out.append(
            errors.invalid(
                key(child(p, "maxLimitRequestRatio"), name),
                raw(str(ratio)),
                f"ratio {ratio} is less than 1",
            )
        )
    if ratio is not None and lo is not None and hi is not None and not lo.is_zero():
        limit = hi.as_decimal() / lo.as_decimal()
        if ratio.as_decimal() > limit:
            out.append(
                errors.invalid(
                    key(child(p, "maxLimitRequestRatio"), name),
                    raw(str(ratio)),
                    f"ratio {ratio} is greater than max/min = {float(limit):f}",
                )
            )
    if not is_overcommit_allowed(name) and dflt is not None and req is not None and dflt != req:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"default value {dflt} must equal to defaultRequest value {req} in {name}",
            )
        )
    return out


def validate_limit_range_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + validate_limit_range(new)


register("", "LimitRange", validate_limit_range, validate_limit_range_update)
