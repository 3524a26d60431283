"""The rbac.authorization.k8s.io Role, ClusterRole, RoleBinding and ClusterRoleBinding kinds.

Invariants:
- RBAC names need only be safe URL path segments; roleRef is immutable.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import validate_label_selector
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    index,
    is_dns1123_subdomain,
    path_segment_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import GoRaw, go_label_selector
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _l,
    _meta,
    _name_errs,
    _s,
    label_selector_has_invalid_label_value,
)

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


register("rbac.authorization.k8s.io", "Role", validate_role, validate_role_update)
register(
    "rbac.authorization.k8s.io", "ClusterRole", validate_cluster_role, validate_cluster_role_update
)
register(
    "rbac.authorization.k8s.io", "RoleBinding", validate_role_binding, validate_role_binding_update
)
register(
    "rbac.authorization.k8s.io",
    "ClusterRoleBinding",
    validate_cluster_role_binding,
    validate_cluster_role_binding_update,
)
