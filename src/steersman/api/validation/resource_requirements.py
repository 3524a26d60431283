"""Resource names and quantities of containers and pods (pkg/apis/core/helper and
ValidateResourceRequirements).

Invariants:
- Standard, hugepage and extended resource names are told apart as Kubernetes' helpers do;
  limits and requests are validated in Kubernetes' order (limits first).
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.quantity import Quantity
from steersman.api.validation.common import (
    IS_NEGATIVE,
    child,
    index,
    is_qualified_name,
    key,
    validate_quantity,
)
from steersman.api.validation.go_values import GoRaw
from steersman.api.validation.helpers import IS_NOT_INTEGER, Obj, _d, _l, _name_errs, _s

_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "persistentvolumeclaims",
        "configmaps",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
_STANDARD_QUOTA_RESOURCES = _STANDARD_RESOURCES - {"storage"}
_INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def is_hugepage_resource(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_quota_hugepage_resource(name: str) -> bool:
    return name.startswith("hugepages-") or name.startswith("requests.hugepages-")


def is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_extended_resource(name: str) -> bool:
    if is_native_resource(name) or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


def is_overcommit_allowed(name: str) -> bool:
    return is_native_resource(name) and not is_hugepage_resource(name)


def _is_integer_resource(name: str) -> bool:
    return name in _INTEGER_RESOURCES or is_extended_resource(name)


def _validate_resource_name(name: str, path: str) -> list[FieldError]:
    out = _name_errs(path, name, is_qualified_name(name))
    if out:
        return out
    if "/" not in name and not (name in _STANDARD_RESOURCES or _is_quota_hugepage_resource(name)):
        out.append(
            errors.invalid(path, name, "must be a standard resource type or fully qualified")
        )
    return out


def _validate_container_resource_name(name: str, path: str) -> list[FieldError]:
    out = _validate_resource_name(name, path)
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not is_hugepage_resource(name):
            out.append(errors.invalid(path, name, "must be a standard resource for containers"))
    elif not is_native_resource(name) and not is_extended_resource(name):
        out.append(errors.invalid(path, name, "doesn't follow extended resource name standard"))
    return out


def _validate_pod_level_resource_name(name: str, path: str) -> list[FieldError]:
    out = _validate_resource_name(name, path)
    if not out and name not in ("cpu", "memory") and not is_hugepage_resource(name):
        out.append(errors.not_supported(path, name, ["cpu", "hugepages-", "memory"]))
    return out


def validate_resource_quantity_value(
    name: str, value: Any, path: str
) -> tuple[Quantity | None, list[FieldError]]:
    """ValidateResourceQuantityValue: non-negative, and whole for integer resources."""
    q, out = validate_quantity(value, path)
    if q is None:
        return None, out
    if q.sign() < 0:
        out.append(errors.invalid(path, str(q), IS_NEGATIVE))
    if _is_integer_resource(name) and q.milli_value() % 1000 != 0:
        out.append(errors.invalid(path, GoRaw(str(q)), IS_NOT_INTEGER))
    return q, out


def _validate_resource_requirements(
    req: Obj,
    path: str,
    name_fn: Callable[[str, str], list[FieldError]],
    claim_names: set[str] | None = None,
) -> list[FieldError]:
    out: list[FieldError] = []
    lim_path, req_path = child(path, "limits"), child(path, "requests")
    limits = _d(req.get("limits"))
    requests = _d(req.get("requests"))
    lim_q: dict[str, Quantity] = {}
    lim_cpu_mem = req_cpu_mem = lim_huge = req_huge = False
    for name, value in limits.items():
        p = key(lim_path, name)
        out.extend(name_fn(name, p))
        q, errs = validate_resource_quantity_value(name, value, p)
        out.extend(errs)
        if q is not None:
            lim_q[name] = q
        if is_hugepage_resource(name):
            lim_huge = True
        if name in ("cpu", "memory"):
            lim_cpu_mem = True
    for name, value in requests.items():
        p = key(req_path, name)
        out.extend(name_fn(name, p))
        q, errs = validate_resource_quantity_value(name, value, p)
        out.extend(errs)
        limit = lim_q.get(name)
        if q is not None and limit is not None:
            if q != limit and not is_overcommit_allowed(name):
                out.append(
                    errors.invalid(req_path, str(q), f"must be equal to {name} limit of {limit}")
                )
            elif q > limit:
                out.append(
                    errors.invalid(
                        req_path, str(q), f"must be less than or equal to {name} limit of {limit}"
                    )
                )
        elif name not in limits and not is_overcommit_allowed(name):
            out.append(
                errors.required(lim_path, "Limit must be set for non overcommitable resources")
            )
        if is_hugepage_resource(name):
            req_huge = True
        if name in ("cpu", "memory"):
            req_cpu_mem = True
    if not lim_cpu_mem and not req_cpu_mem and (req_huge or lim_huge):
        out.append(errors.forbidden(path, "HugePages require cpu or memory"))
    out.extend(_validate_resource_claim_refs(_l(req.get("claims")), claim_names, path))
    return out


def _validate_resource_claim_refs(
    claims: list[Any], pod_claims: set[str] | None, path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    claims_path = child(path, "claims")
    for i, claim in enumerate(claims):
        name = _s(_d(claim).get("name"))
        if not name:
            out.append(errors.required(index(claims_path, i)))
            continue
        if name in seen:
            out.append(errors.duplicate(index(claims_path, i), name))
        seen.add(name)
        if pod_claims is not None and name not in pod_claims:
            detail = "must be one of the names in pod.spec.resourceClaims"
            detail += (": " + ", ".join(sorted(pod_claims))) if pod_claims else " which is empty"
            out.append(
                FieldError(errors.FIELD_VALUE_NOT_FOUND, index(claims_path, i), detail, name)
            )
    return out


def validate_container_resources(
    req: Obj, path: str, claim_names: set[str] | None = None
) -> list[FieldError]:
    return _validate_resource_requirements(
        req, path, _validate_container_resource_name, claim_names
    )
