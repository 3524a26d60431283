"""Semantic validation of apps/v1 kinds, worded as Kubernetes' pkg/apis/apps/validation words it.

Invariants:
- Validators take the JSON form after defaulting and never mutate it; errors come in the
  order Kubernetes reports them, with its field paths and quirks (a Deployment's or
  ReplicaSet's empty selector is "invalid for deployment"; a Deployment's template with an
  `activeDeadlineSeconds` is "not Supported" in a ReplicaSet; a StatefulSet's pod spec is not
  validated beyond its annotations, labels and restart policy).
- Bad values that Kubernetes prints with Go's `%#v` (label selectors, `intstr.IntOrString`,
  strategy structs) are rendered the same way through `GoRaw`; pointer addresses, which
  differ on every Kubernetes call, are rendered as a fixed placeholder address.
- One registered validator serves both main-resource and `/status` writes (see
  `validation.core`): status rules run only when the status changed.
- Selector immutability on update (a strategy rule in Kubernetes for apps/v1) is enforced
  here, since steersman serves only apps/v1.
Pure data: no I/O; the module's only state is its registrations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    regex_error,
    selector_from_label_selector,
    validate_label_selector,
)
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    index,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_label_value,
    validate_annotations,
    validate_labels,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.core import (
    GoRaw,
    validate_pod_specific_annotations,
    validate_pod_template_spec,
)

Obj = Mapping[str, Any]

__all__ = [
    "GoRaw",
    "changed",
    "get_int_or_percent_value",
    "go_int_or_string",
    "go_label_selector",
    "go_ptr",
    "go_string_map",
    "is_not_more_than_100_percent",
    "label_selector_has_invalid_label_value",
    "validate_positive_int_or_percent",
    "validate_selector_matches_template",
]

# Go prints pointers inside %#v structs by address; any fixed address reads the same to users.
GO_PTR_ADDRESS = "0xc000a0c000"
_PERCENT_FMT = "[0-9]+%"
_PERCENT_ERR = "a valid percent string must be a numeric string followed by an ending '%'"
_PERCENT_RE = re.compile(_PERCENT_FMT)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _i(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def changed(new: Any, old: Any) -> bool:
    """Whether a field changed, counting unset, null and empty as the same (Go zero values)."""
    return (new or None) != (old or None)


# ---------------------------------------------------------------------------
# Go %#v rendering of the values Kubernetes prints verbatim


def go_ptr(type_name: str, present: bool) -> str:
    return f"(*{type_name})({GO_PTR_ADDRESS if present else 'nil'})"


def go_string_map(value: Any) -> GoRaw:
    """map[string]string as %#v prints it: keys sorted, `(nil)` when unset."""
    if not isinstance(value, dict):
        return GoRaw("map[string]string(nil)")
    pairs = ", ".join(
        f"{errors.go_value(str(k))}:{errors.go_value(str(v))}" for k, v in sorted(value.items())
    )
    return GoRaw("map[string]string{" + pairs + "}")


def go_string_slice(value: Any, type_name: str = "[]string") -> str:
    if not isinstance(value, list):
        return f"{type_name}(nil)"
    return type_name + "{" + ", ".join(errors.go_value(str(v)) for v in value) + "}"


def go_label_selector(selector: Any) -> GoRaw:
    """A metav1.LabelSelector as %#v prints it."""
    sel = _d(selector)
    exprs = sel.get("matchExpressions")
    if isinstance(exprs, list):
        items = ", ".join(
            "v1.LabelSelectorRequirement{"
            f"Key:{errors.go_value(_s(_d(e).get('key')))}, "
            f"Operator:{errors.go_value(_s(_d(e).get('operator')))}, "
            f"Values:{go_string_slice(_d(e).get('values'))}"
            "}"
            for e in exprs
        )
        exprs_text = "[]v1.LabelSelectorRequirement{" + items + "}"
    else:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    labels = go_string_map(sel.get("matchLabels"))
    return GoRaw(f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs_text}}}")


def go_int_or_string(value: Any) -> GoRaw:
    """An intstr.IntOrString as %#v prints it (Type 0 = Int, 1 = String)."""
    if isinstance(value, str):
        return GoRaw(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{errors.go_value(value)}}}")
    return GoRaw(f'intstr.IntOrString{{Type:0, IntVal:{_i(value)}, StrVal:""}}')


def go_raw_extension(value: Any) -> GoRaw:
    """A runtime.RawExtension (ControllerRevision.data) as %#v prints it."""
    if value is None:
        return GoRaw("runtime.RawExtension{Raw:[]uint8(nil), Object:runtime.Object(nil)}")
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    data = ", ".join(f"0x{b:x}" for b in raw)
    return GoRaw(f"runtime.RawExtension{{Raw:[]uint8{{{data}}}, Object:runtime.Object(nil)}}")


# ---------------------------------------------------------------------------
# intstr helpers (ValidatePositiveIntOrPercent and friends)


def _percent_value(value: Any) -> int | None:
    if isinstance(value, str) and _PERCENT_RE.fullmatch(value):
        return int(value[:-1])
    return None


def _int_value(value: Any) -> int:
    """intstr.IntValue: a string is parsed as a decimal integer, 0 when it is not one."""
    if isinstance(value, str):
        return int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else 0
    return _i(value)


def get_int_or_percent_value(value: Any) -> int:
    pct = _percent_value(value)
    return pct if pct is not None else _int_value(value)


def validate_positive_int_or_percent(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, str):
        if _PERCENT_RE.fullmatch(value) is None:
            msg = regex_error(_PERCENT_ERR, _PERCENT_FMT, "1%", "93%")
            return [errors.invalid(path, go_int_or_string(value), msg)]
        return []
    return validate_nonnegative(_int_value(value), path)


def is_not_more_than_100_percent(value: Any, path: str) -> list[FieldError]:
    pct = _percent_value(value)
    if pct is None or pct <= 100:
        return []
    return [errors.invalid(path, go_int_or_string(value), "must not be greater than 100%")]


# ---------------------------------------------------------------------------
# Selectors and templates shared by the workload kinds


def label_selector_has_invalid_label_value(selector: Any) -> bool:
    """metav1validation.LabelSelectorHasInvalidLabelValue (old objects keep legacy values)."""
    return any(
        is_valid_label_value(v)
        for expr in _l(_d(selector).get("matchExpressions"))
        for v in _l(_d(expr).get("values"))
        if isinstance(v, str)
    )


def _validate_required_selector(spec: Obj, path: str, kind: str) -> list[FieldError]:
    selector = spec.get("selector")
    sp = child(path, "selector")
    if selector is None:
        return [errors.required(sp)]
    out = validate_label_selector(_d(selector), sp)
    sel = _d(selector)
    if not _d(sel.get("matchLabels")) and not _l(sel.get("matchExpressions")):
        out.append(
            errors.invalid(sp, go_label_selector(selector), f"empty selector is invalid for {kind}")
        )
    return out


def validate_selector_matches_template(selector: Any, template: Obj, path: str) -> list[FieldError]:
    """The template's labels must satisfy the selector (an unset selector matches nothing,
    an empty one everything)."""
    try:
        sel = selector_from_label_selector(selector if isinstance(selector, dict) else None)
    except ValueError:
        return []
    labels = _d(_d(template.get("metadata")).get("labels"))
    if sel.matches({k: str(v) for k, v in labels.items()}):
        return []
    bad = go_string_map(_d(template.get("metadata")).get("labels"))
    return [
        errors.invalid(
            child(path, "metadata", "labels"), bad, "`selector` does not match template `labels`"
        )
    ]


def _selector_parses(selector: Any) -> bool:
    try:
        selector_from_label_selector(selector if isinstance(selector, dict) else None)
    except ValueError:
        return False
    return True


def _validate_read_only_persistent_disks(volumes: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, vol in enumerate(volumes):
        gce = _d(vol).get("gcePersistentDisk")
        if isinstance(gce, dict) and not gce.get("readOnly"):
            out.append(
                errors.invalid(
                    child(index(path, i), "gcePersistentDisk", "readOnly"),
                    False,
                    "must be true for replicated pods > 1; GCE PD can only be mounted on "
                    "multiple machines if it is read-only",
                )
            )
    return out


def _restart_always(tspec: Obj, path: str, kind: str) -> list[FieldError]:
    """Workload pods restart Always and have no deadline."""
    out: list[FieldError] = []
    policy = _s(tspec.get("restartPolicy"))
    if policy != "Always":
        out.append(errors.not_supported(child(path, "restartPolicy"), policy, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(
            errors.forbidden(
                child(path, "activeDeadlineSeconds"),
                f"activeDeadlineSeconds in {kind} is not Supported",
            )
        )
    return out


def _validate_template_for_replica_set(spec: Obj, path: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet (Deployments use it too)."""
    template = _d(spec.get("template"))
    tp = child(path, "template")
    out = validate_selector_matches_template(spec.get("selector"), template, tp)
    out.extend(validate_pod_template_spec(template, tp))
    tspec = _d(template.get("spec"))
    if _i(spec.get("replicas")) > 1:
        out.extend(
            _validate_read_only_persistent_disks(
                _l(tspec.get("volumes")), child(tp, "spec", "volumes")
            )
        )
    out.extend(_restart_always(tspec, child(tp, "spec"), "ReplicaSet"))
    return out


def _selector_immutable(new: Obj, old: Obj) -> list[FieldError]:
    sel = _d(new.get("spec")).get("selector")
    if sel == _d(old.get("spec")).get("selector"):
        return []
    return [errors.invalid("spec.selector", go_label_selector(sel), FIELD_IMMUTABLE)]


def _meta(obj: Obj) -> dict[str, Any]:
    return _d(obj.get("metadata"))


def _nonneg_fields(status: Obj, path: str, fields: Sequence[str]) -> list[FieldError]:
    out: list[FieldError] = []
    for field in fields:
        out.extend(validate_nonnegative(status.get(field), child(path, field)))
    return out


def _not_above(
    status: Obj, path: str, fields: Sequence[str], limit: str, msg: str
) -> list[FieldError]:
    return [
        errors.invalid(child(path, f), _i(status.get(f)), msg)
        for f in fields
        if _i(status.get(f)) > _i(status.get(limit))
    ]


def _collision_decremented(new: Obj, old: Obj) -> list[FieldError]:
    """IsDecremented: collisionCount may not go down or be unset once set."""
    old_count = _d(old.get("status")).get("collisionCount")
    new_count = _d(new.get("status")).get("collisionCount")
    if old_count is None or (new_count is not None and _i(new_count) >= _i(old_count)):
        return []
    return [errors.invalid("status.collisionCount", _i(new_count), "cannot be decremented")]


# ---------------------------------------------------------------------------
# Deployment


def _validate_rolling_update_deployment(ru: Obj, path: str) -> list[FieldError]:
    unavailable, surge = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    out = validate_positive_int_or_percent(unavailable, child(path, "maxUnavailable"))
    out.extend(validate_positive_int_or_percent(surge, child(path, "maxSurge")))
    if get_int_or_percent_value(unavailable) == 0 and get_int_or_percent_value(surge) == 0:
        out.append(
            errors.invalid(
                child(path, "maxUnavailable"),
                go_int_or_string(unavailable),
                "may not be 0 when `maxSurge` is 0",
            )
        )
    out.extend(is_not_more_than_100_percent(unavailable, child(path, "maxUnavailable")))
    return out


def _validate_deployment_strategy(strategy: Obj, path: str) -> list[FieldError]:
    kind = _s(strategy.get("type"))
    ru = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if ru is not None:
            return [
                errors.forbidden(
                    child(path, "rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        if not isinstance(ru, dict):
            return [
                errors.required(
                    child(path, "rollingUpdate"), "this should be defaulted and never be nil"
                )
            ]
        return _validate_rolling_update_deployment(ru, child(path, "rollingUpdate"))
    bad = GoRaw(
        f"apps.DeploymentStrategy{{Type:{errors.go_value(kind)}, "
        f"RollingUpdate:{go_ptr('apps.RollingUpdateDeployment', isinstance(ru, dict))}}}"
    )
    return [errors.not_supported(path, bad, ["Recreate", "RollingUpdate"])]


def validate_deployment_spec(spec: Obj, path: str = "spec") -> list[FieldError]:
    """ValidateDeploymentSpec."""
    out = validate_nonnegative(spec.get("replicas"), child(path, "replicas"))
    out.extend(_validate_required_selector(spec, path, "deployment"))
    if _selector_parses(spec.get("selector")):
        out.extend(_validate_template_for_replica_set(spec, path))
    else:
        bad = go_label_selector(spec.get("selector"))
        out.append(errors.invalid(child(path, "selector"), bad, "invalid label selector"))
    out.extend(_validate_deployment_strategy(_d(spec.get("strategy")), child(path, "strategy")))
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(
        validate_nonnegative(spec.get("revisionHistoryLimit"), child(path, "revisionHistoryLimit"))
    )
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool):
        pp = child(path, "progressDeadlineSeconds")
        out.extend(validate_nonnegative(deadline, pp))
        if deadline <= _i(spec.get("minReadySeconds")):
            out.append(errors.invalid(pp, deadline, "must be greater than minReadySeconds"))
    return out


_DEPLOYMENT_STATUS_COUNTS = (
    "observedGeneration",
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "terminatingReplicas",
    "collisionCount",
)


def _validate_deployment_status(status: Obj) -> list[FieldError]:
    out = _nonneg_fields(status, "status", _DEPLOYMENT_STATUS_COUNTS)
    out.extend(
        _not_above(
            status,
            "status",
            ("updatedReplicas", "readyReplicas", "availableReplicas"),
            "replicas",
            "cannot be greater than status.replicas",
        )
    )
    out.extend(
        _not_above(
            status,
            "status",
            ("availableReplicas",),
            "readyReplicas",
            "cannot be greater than readyReplicas",
        )
    )
    return out


def validate_deployment(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_deployment_spec(_d(obj.get("spec"))))
    return out


def validate_deployment_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_deployment_spec(_d(new.get("spec"))))
    out.extend(_selector_immutable(new, old))
    if changed(new.get("status"), old.get("status")):
        out.extend(_validate_deployment_status(_d(new.get("status"))))
        out.extend(_collision_decremented(new, old))
    return out


# ---------------------------------------------------------------------------
# ReplicaSet


def validate_replica_set_spec(spec: Obj, path: str = "spec") -> list[FieldError]:
    """ValidateReplicaSetSpec (its empty-selector message says "deployment", as upstream's)."""
    out = validate_nonnegative(spec.get("replicas"), child(path, "replicas"))
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(_validate_required_selector(spec, path, "deployment"))
    if _selector_parses(spec.get("selector")):
        out.extend(_validate_template_for_replica_set(spec, path))
    else:
        bad = go_label_selector(spec.get("selector"))
        out.append(errors.invalid(child(path, "selector"), bad, "invalid label selector"))
    return out


def _validate_replica_set_status(status: Obj) -> list[FieldError]:
    fields = (
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
    )
    out = _nonneg_fields(status, "status", (*fields, "terminatingReplicas"))
    out.extend(
        _not_above(
            status,
            "status",
            ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"),
            "replicas",
            "cannot be greater than status.replicas",
        )
    )
    out.extend(
        _not_above(
            status,
            "status",
            ("availableReplicas",),
            "readyReplicas",
            "cannot be greater than readyReplicas",
        )
    )
    return out


def validate_replica_set(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_replica_set_spec(_d(obj.get("spec"))))
    return out


def validate_replica_set_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_replica_set_spec(_d(new.get("spec"))))
    out.extend(_selector_immutable(new, old))
    if changed(new.get("status"), old.get("status")):
        out.extend(_validate_replica_set_status(_d(new.get("status"))))
    return out


# ---------------------------------------------------------------------------
# StatefulSet

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


# ---------------------------------------------------------------------------
# DaemonSet


def _validate_rolling_update_daemon_set(ru: Obj, path: str) -> list[FieldError]:
    unavailable, surge = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    up, sp = child(path, "maxUnavailable"), child(path, "maxSurge")
    out = validate_positive_int_or_percent(unavailable, up)
    out.extend(validate_positive_int_or_percent(surge, sp))
    out.extend(is_not_more_than_100_percent(unavailable, up))
    out.extend(is_not_more_than_100_percent(surge, sp))
    has_unavailable = get_int_or_percent_value(unavailable) != 0
    has_surge = get_int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        out.append(
            errors.invalid(
                sp, go_int_or_string(surge), "may not be set when maxUnavailable is non-zero"
            )
        )
    elif not has_unavailable and not has_surge:
        out.append(errors.required(up, "cannot be 0 when maxSurge is 0"))
    return out


def _validate_daemon_set_update_strategy(strategy: Obj, path: str) -> list[FieldError]:
    kind = _s(strategy.get("type"))
    ru = strategy.get("rollingUpdate")
    if kind == "OnDelete":
        return []
    if kind == "RollingUpdate":
        if not isinstance(ru, dict):
            return [errors.required(child(path, "rollingUpdate"))]
        return _validate_rolling_update_daemon_set(ru, child(path, "rollingUpdate"))
    bad = GoRaw(
        f"apps.DaemonSetUpdateStrategy{{Type:{errors.go_value(kind)}, "
        f"RollingUpdate:{go_ptr('apps.RollingUpdateDaemonSet', isinstance(ru, dict))}}}"
    )
    return [errors.not_supported(path, bad, ["RollingUpdate", "OnDelete"])]


def validate_daemon_set_spec(
    spec: Obj, path: str = "spec", *, allow_invalid_values: bool = False
) -> list[FieldError]:
    """ValidateDaemonSetSpec (an unset selector is only reported as not matching)."""
    selector = spec.get("selector")
    sp = child(path, "selector")
    out = validate_label_selector(
        selector if isinstance(selector, dict) else None,
        sp,
        allow_invalid_label_value_in_selector=allow_invalid_values,
    )
    template = _d(spec.get("template"))
    out.extend(validate_selector_matches_template(selector, template, child(path, "template")))
    sel = _d(selector)
    if (
        isinstance(selector, dict)
        and not _d(sel.get("matchLabels"))
        and not _l(sel.get("matchExpressions"))
    ):
        out.append(
            errors.invalid(
                sp, go_label_selector(selector), "empty selector is invalid for daemonset"
            )
        )
    out.extend(validate_pod_template_spec(template, child(path, "template")))
    out.extend(
        _restart_always(_d(template.get("spec")), child(path, "template", "spec"), "DaemonSet")
    )
    out.extend(validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds")))
    out.extend(
        _validate_daemon_set_update_strategy(
            _d(spec.get("updateStrategy")), child(path, "updateStrategy")
        )
    )
    out.extend(
        validate_nonnegative(spec.get("revisionHistoryLimit"), child(path, "revisionHistoryLimit"))
    )
    return out


_DAEMON_SET_STATUS_COUNTS = (
    "currentNumberScheduled",
    "numberMisscheduled",
    "desiredNumberScheduled",
    "numberReady",
    "observedGeneration",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
    "collisionCount",
)


def validate_daemon_set(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_daemon_set_spec(_d(obj.get("spec"))))
    return out


def validate_daemon_set_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    allow = label_selector_has_invalid_label_value(_d(old.get("spec")).get("selector"))
    out.extend(validate_daemon_set_spec(_d(new.get("spec")), allow_invalid_values=allow))
    out.extend(_selector_immutable(new, old))
    if changed(new.get("status"), old.get("status")):
        out.extend(_nonneg_fields(_d(new.get("status")), "status", _DAEMON_SET_STATUS_COUNTS))
        out.extend(_collision_decremented(new, old))
    return out


# ---------------------------------------------------------------------------
# ControllerRevision


def validate_controller_revision(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True, name_validator=is_dns1123_subdomain)
    if obj.get("data") is None:
        out.append(errors.required("data", "data is mandatory"))
    out.extend(validate_nonnegative(obj.get("revision"), "revision"))
    return out


def validate_controller_revision_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_controller_revision(new))
    if new.get("data") != old.get("data"):
        out.append(errors.invalid("data", go_raw_extension(new.get("data")), FIELD_IMMUTABLE))
    return out


_VALIDATORS: dict[
    str, tuple[Callable[[Obj], list[FieldError]], Callable[[Obj, Obj], list[FieldError]]]
] = {
    "Deployment": (validate_deployment, validate_deployment_update),
    "ReplicaSet": (validate_replica_set, validate_replica_set_update),
    "StatefulSet": (validate_stateful_set, validate_stateful_set_update),
    "DaemonSet": (validate_daemon_set, validate_daemon_set_update),
    "ControllerRevision": (validate_controller_revision, validate_controller_revision_update),
}

for _kind, (_create, _update) in _VALIDATORS.items():
    register("apps", _kind, _create, _update)
