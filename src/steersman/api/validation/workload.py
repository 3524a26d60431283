"""Selectors and templates shared by the apps/v1 workload kinds.

Invariants:
- Selector immutability on update (a strategy rule in Kubernetes for apps/v1) is enforced by
  the kinds' validators, since steersman serves only apps/v1.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    selector_from_label_selector,
    validate_label_selector,
)
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    index,
    validate_nonnegative,
)
from steersman.api.validation.go_values import go_label_selector, go_string_map
from steersman.api.validation.helpers import Obj, _d, _i, _l, _s
from steersman.api.validation.pod_template import validate_pod_template_spec


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
