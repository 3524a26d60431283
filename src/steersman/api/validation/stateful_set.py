"""The apps/v1 StatefulSet kind.

Invariants:
- A StatefulSet's pod spec is not validated beyond its annotations, labels and restart
  policy; only the spec fields Kubernetes lists may change on update.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    validate_label_selector,
)
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    is_dns1123_label,
    validate_annotations,
    validate_labels,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import (
    GoRaw,
    get_int_or_percent_value,
    go_int_or_string,
    go_label_selector,
    go_ptr,
    is_not_more_than_100_percent,
    validate_positive_int_or_percent,
)
from steersman.api.validation.helpers import Obj, _d, _i, _l, _meta, _s, changed
from steersman.api.validation.pod_template import validate_pod_specific_annotations
from steersman.api.validation.workload import (
    _collision_decremented,
    _nonneg_fields,
    _not_above,
    _selector_parses,
    validate_selector_matches_template,
)

STATEFUL_SET_SPEC_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)
# The StatefulSet spec fields an update may change.
_STS_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def _go_sts_rolling_update(ru: Any) -> str:
    r = _d(ru)
    return (
        f"apps.RollingUpdateStatefulSetStrategy{{Partition:{_i(r.get('partition'))}, "
        f"MaxUnavailable:{go_ptr('intstr.IntOrString', r.get('maxUnavailable') is not None)}}}"
    )


def _validate_sts_rolling_update(ru: Obj, path: str) -> list[FieldError]:
    out = validate_nonnegative(ru.get("partition"), child(path, "partition"))
    mu = ru.get("maxUnavailable")
    if mu is not None:
        mp = child(path, "maxUnavailable")
        out.extend(validate_positive_int_or_percent(mu, mp))
        if get_int_or_percent_value(mu) == 0:
            out.append(errors.invalid(mp, go_int_or_string(mu), "cannot be 0"))
        out.extend(is_not_more_than_100_percent(mu, mp))
    return out


def _validate_sts_update_strategy(strategy: Obj, path: str) -> list[FieldError]:
    kind = _s(strategy.get("type"))
    ru = strategy.get("rollingUpdate")
    if kind == "":
        return [errors.required(path)]
    if kind == "OnDelete":
        if ru is not None:
            return [
                errors.invalid(
                    child(path, "rollingUpdate"),
                    GoRaw(_go_sts_rolling_update(ru)),
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        return (
            _validate_sts_rolling_update(ru, child(path, "rollingUpdate"))
            if isinstance(ru, dict)
            else []
        )
    present = isinstance(ru, dict)
    bad = GoRaw(
        f"apps.StatefulSetUpdateStrategy{{Type:{errors.go_value(kind)}, "
        f"RollingUpdate:{go_ptr('apps.RollingUpdateStatefulSetStrategy', present)}}}"
    )
    return [errors.invalid(path, bad, "must be 'RollingUpdate' or 'OnDelete'")]


def _validate_retention_policy(policy: Any, path: str) -> list[FieldError]:
    if not isinstance(policy, dict):
        return []
    out: list[FieldError] = []
    for field in ("whenDeleted", "whenScaled"):
        value = _s(policy.get(field))
        if value not in ("Retain", "Delete"):
            out.append(errors.not_supported(child(path, field), value, ["Retain", "Delete"]))
    return out


def _validate_sts_template(spec: Obj, path: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForStatefulSet: only labels and annotations, as upstream (its
    pod spec validation is a long-standing TODO there)."""
    template = _d(spec.get("template"))
    meta = _d(template.get("metadata"))
    annotations = _d(meta.get("annotations"))
    out = validate_selector_matches_template(spec.get("selector"), template, path)
    out.extend(validate_labels(_d(meta.get("labels")), child(path, "labels")))
    out.extend(validate_annotations(annotations, child(path, "annotations")))
    out.extend(
        validate_pod_specific_annotations(
            annotations, _d(template.get("spec")), child(path, "annotations")
        )
    )
    return out


def validate_stateful_set_spec(spec: Obj, path: str = "spec") -> list[FieldError]:
    """ValidateStatefulSetSpec."""
    out: list[FieldError] = []
    policy = _s(spec.get("podManagementPolicy"))
    if policy == "":
        out.append(errors.required(child(path, "podManagementPolicy")))
    elif policy not in ("OrderedReady", "Parallel"):
        out.append(
            errors.invalid(
                child(path, "podManagementPolicy"), policy, "must be 'OrderedReady' or 'Parallel'"
            )
        )
    out.extend(
        _validate_sts_update_strategy(_d(spec.get("updateStrategy")), child(path, "updateStrategy"))
    )
    out.extend(
        _validate_retention_policy(
            spec.get("persistentVolumeClaimRetentionPolicy"),
            child(path, "persistentVolumeClaimRetentionPolicy"),
        )
    )
    out.extend(validate_nonnegative(spec.get("replicas"), child(path, "replicas")))
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(
        validate_nonnegative(spec.get("revisionHistoryLimit"), child(path, "revisionHistoryLimit"))
    )
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        # Upstream names this path with a literal dot.
        out.extend(validate_nonnegative(ordinals.get("start"), child(path, "ordinals.start")))
    selector = spec.get("selector")
    sp = child(path, "selector")
    if selector is None:
        out.append(errors.required(sp))
    else:
        out.extend(validate_label_selector(_d(selector), sp))
        if not _d(_d(selector).get("matchLabels")) and not _l(_d(selector).get("matchExpressions")):
            out.append(
                errors.invalid(
                    sp, go_label_selector(selector), "empty selector is invalid for statefulset"
                )
            )
    if _selector_parses(selector):
        out.extend(_validate_sts_template(spec, child(path, "template")))
    else:
        out.append(errors.invalid(sp, go_label_selector(selector), ""))
    tspec = _d(_d(spec.get("template")).get("spec"))
    tsp = child(path, "template", "spec")
    policy = _s(tspec.get("restartPolicy"))
    if policy != "Always":
        out.append(errors.not_supported(child(tsp, "restartPolicy"), policy, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(
            errors.forbidden(
                child(tsp, "activeDeadlineSeconds"),
                "activeDeadlineSeconds in StatefulSet is not Supported",
            )
        )
    return out


def _validate_stateful_set_status(status: Obj) -> list[FieldError]:
    counts = (
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
    )
    out = _nonneg_fields(status, "status", (*counts, "observedGeneration", "collisionCount"))
    out.extend(
        _not_above(
            status, "status", counts[1:], "replicas", "cannot be greater than status.replicas"
        )
    )
    out.extend(
        _not_above(
            status,
            "status",
            ("availableReplicas",),
            "readyReplicas",
            "cannot be greater than status.readyReplicas",
        )
    )
    return out


def validate_stateful_set(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True, name_validator=is_dns1123_label)
    out.extend(validate_stateful_set_spec(_d(obj.get("spec"))))
    return out


def _semantic(value: Any) -> Any:
    """What apiequality.Semantic compares: unset, null and empty values are alike."""
    if isinstance(value, dict):
        items = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def validate_stateful_set_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateStatefulSetUpdate: the name is not re-validated (old sets had subdomain names)."""
    out = validate_object_meta_update(_meta(new), _meta(old))
    new_spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    out.extend(validate_stateful_set_spec(new_spec))
    frozen_new = {k: v for k, v in new_spec.items() if k not in _STS_MUTABLE}
    frozen_old = {k: v for k, v in old_spec.items() if k not in _STS_MUTABLE}
    if _semantic(frozen_new) != _semantic(frozen_old):
        out.append(errors.forbidden("spec", STATEFUL_SET_SPEC_FORBIDDEN))
    if changed(new.get("status"), old.get("status")):
        out.extend(_validate_stateful_set_status(_d(new.get("status"))))
        out.extend(_collision_decremented(new, old))
    return out


register("apps", "StatefulSet", validate_stateful_set, validate_stateful_set_update)
