"""The ReplicationController kind (core/v1).

Invariants:
- The selector must match the template's labels; status rules run only when the status
  changed.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _i, _meta, _s, _semantic_equal
from steersman.api.validation.pod_template import validate_pod_template_spec


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def validate_replication_controller_spec(spec: Obj, path: str = "spec") -> list[FieldError]:
    out = validate_nonnegative(spec.get("minReadySeconds"), child(path, "minReadySeconds"))
    selector = _d(spec.get("selector"))
    if not selector:
        out.append(errors.required(child(path, "selector")))
    out.extend(validate_nonnegative(spec.get("replicas"), child(path, "replicas")))
    template = spec.get("template")
    tp = child(path, "template")
    if not isinstance(template, dict):
        out.append(errors.required(tp))
        return out
    labels = _d(_d(template.get("metadata")).get("labels"))
    if selector and not _selector_matches(selector, labels):
        out.append(
            errors.invalid(
                child(tp, "metadata", "labels"),
                labels,
                "`selector` does not match template `labels`",
            )
        )
    out.extend(validate_pod_template_spec(template, tp))
    tspec = _d(template.get("spec"))
    if tspec.get("restartPolicy") != "Always":
        out.append(
            errors.not_supported(
                child(tp, "spec", "restartPolicy"), _s(tspec.get("restartPolicy")), ["Always"]
            )
        )
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(
            errors.forbidden(
                child(tp, "spec", "activeDeadlineSeconds"),
                "activeDeadlineSeconds in ReplicationController is not Supported",
            )
        )
    return out


def _validate_rc_status(status: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    for field in (
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
    ):
        out.extend(validate_nonnegative(status.get(field), child("status", field)))
    replicas = _i(status.get("replicas"))
    msg = "cannot be greater than status.replicas"
    for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if _i(status.get(field)) > replicas:
            out.append(errors.invalid(child("status", field), _i(status.get(field)), msg))
    if _i(status.get("availableReplicas")) > _i(status.get("readyReplicas")):
        out.append(
            errors.invalid(
                "status.availableReplicas",
                _i(status.get("availableReplicas")),
                "cannot be greater than readyReplicas",
            )
        )
    return out


def validate_replication_controller(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_replication_controller_spec(_d(obj.get("spec"))))
    return out


def validate_replication_controller_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_replication_controller_spec(_d(new.get("spec"))))
    if not _semantic_equal(new.get("status"), old.get("status")):
        out.extend(_validate_rc_status(_d(new.get("status"))))
    return out


register(
    "",
    "ReplicationController",
    validate_replication_controller,
    validate_replication_controller_update,
)
