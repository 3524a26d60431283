"""The ResourceQuota kind (core/v1): hard limits, scopes and scope selectors.

Invariants:
- Quota resource names follow Kubernetes' standard-quota rules (hugepages, and extended
  resources only as `requests.*`).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    key,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _l, _meta, _s, _semantic_equal
from steersman.api.validation.resource_requirements import (
    _STANDARD_QUOTA_RESOURCES,
    _is_quota_hugepage_resource,
    _validate_resource_name,
    validate_resource_quantity_value,
)

_QUOTA_SCOPES = frozenset(
    {
        "Terminating",
        "NotTerminating",
        "BestEffort",
        "NotBestEffort",
        "PriorityClass",
        "CrossNamespacePodAffinity",
        "VolumeAttributesClass",
    }
)
_POD_COMPUTE = frozenset(
    {"pods", "cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"}
)
_SCOPE_RESOURCES: dict[str, frozenset[str]] = {
    "Terminating": _POD_COMPUTE,
    "NotTerminating": _POD_COMPUTE,
    "NotBestEffort": _POD_COMPUTE,
    "PriorityClass": _POD_COMPUTE,
    "BestEffort": frozenset({"pods"}),
    "CrossNamespacePodAffinity": frozenset({"pods"}),
    "VolumeAttributesClass": frozenset({"persistentvolumeclaims", "requests.storage"}),
}


def _validate_quota_resource_name(name: str, path: str) -> list[FieldError]:
    out = _validate_resource_name(name, path)
    if (
        "/" not in name
        and name not in _STANDARD_QUOTA_RESOURCES
        and not _is_quota_hugepage_resource(name)
    ):
        out.append(errors.invalid(path, name, "must be a standard resource for quota"))
    return out


def _is_standard_quota_name(name: str) -> bool:
    return name in _STANDARD_QUOTA_RESOURCES or _is_quota_hugepage_resource(name)


def _validate_quota_list(values: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for name, value in _d(values).items():
        p = key(path, name)
        out.extend(_validate_quota_resource_name(name, p))
        out.extend(validate_resource_quantity_value(name, value, p)[1])
    return out


def _validate_quota_spec(spec: Obj) -> list[FieldError]:
    out = _validate_quota_list(spec.get("hard"), "spec.hard")
    hard = sorted(_d(spec.get("hard")))
    scopes = [_s(s) for s in _l(spec.get("scopes"))]
    for scope in scopes:
        if scope not in _QUOTA_SCOPES:
            out.append(errors.invalid("spec.scopes", scopes, "unsupported scope"))
        for name in hard:
            if _is_standard_quota_name(name) and name not in _SCOPE_RESOURCES.get(
                scope, frozenset()
            ):
                out.append(
                    errors.invalid("spec.scopes", scopes, "unsupported scope applied to resource")
                )
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if all(s in scopes for s in pair):
            out.append(errors.invalid("spec.scopes", scopes, "conflicting scopes"))
    selector = spec.get("scopeSelector")
    if isinstance(selector, dict):
        path = "spec.scopeSelector.matchExpressions"
        names: list[str] = []
        for req in _l(selector.get("matchExpressions")):
            req = _d(req)
            scope, op, values = (
                _s(req.get("scopeName")),
                _s(req.get("operator")),
                _l(req.get("values")),
            )
            names.append(scope)
            if scope not in _QUOTA_SCOPES:
                out.append(errors.invalid(child(path, "scopeName"), scope, "unsupported scope"))
            for name in hard:
                if _is_standard_quota_name(name) and name not in _SCOPE_RESOURCES.get(
                    scope, frozenset()
                ):
                    out.append(
                        errors.invalid(
                            path, dict(selector), "unsupported scope applied to resource"
                        )
                    )
            if (
                scope
                in (
                    "BestEffort",
                    "NotBestEffort",
                    "Terminating",
                    "NotTerminating",
                    "CrossNamespacePodAffinity",
                )
                and op != "Exists"
            ):
                out.append(
                    errors.invalid(
                        child(path, "operator"),
                        op,
                        "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                        "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
                    )
                )
            if op in ("In", "NotIn"):
                if not values:
                    out.append(
                        errors.required(
                            child(path, "values"),
                            "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                        )
                    )
            elif op in ("Exists", "DoesNotExist"):
                if values:
                    out.append(
                        errors.invalid(
                            child(path, "values"),
                            values,
                            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                        )
                    )
            else:
                out.append(
                    errors.invalid(child(path, "operator"), op, "not a valid selector operator")
                )
        for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
            if all(s in names for s in pair):
                out.append(errors.invalid(path, scopes, "conflicting scopes"))
    return out


def validate_resource_quota(rq: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(rq), namespaced=True)
    out.extend(_validate_quota_spec(_d(rq.get("spec"))))
    status = _d(rq.get("status"))
    out.extend(_validate_quota_list(status.get("hard"), "status.hard"))
    out.extend(_validate_quota_list(status.get("used"), "status.used"))
    return out


def validate_resource_quota_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    spec = _d(new.get("spec"))
    out.extend(_validate_quota_spec(spec))
    new_scopes = set(_l(spec.get("scopes")))
    if new_scopes != set(_l(_d(old.get("spec")).get("scopes"))):
        out.append(errors.invalid("spec.scopes", _l(spec.get("scopes")), FIELD_IMMUTABLE))
    if not _semantic_equal(new.get("status"), old.get("status")):
        status = _d(new.get("status"))
        out.extend(_validate_quota_list(status.get("hard"), "status.hard"))
        out.extend(_validate_quota_list(status.get("used"), "status.used"))
    return out


register("", "ResourceQuota", validate_resource_quota, validate_resource_quota_update)
