"""The `scale` subresource (autoscaling/v1 Scale) of deployments, replicasets, statefulsets
and replicationcontrollers.

Invariants: reading builds a Scale from the stored object; writing changes only
`spec.replicas` of the stored object, through the normal update path (generation, validation).
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors, labels
from steersman.api.resources import ResourceInfo
from steersman.apiserver.objects import deep_copy


def _selector_string(info: ResourceInfo, obj: dict[str, Any]) -> str:
    """Scale's status.selector: the selector in label-query form ("" when empty)."""
    sel = (obj.get("spec") or {}).get("selector") or {}
    try:
        if info.group == "":  # ReplicationController: a plain map
            return str(labels.selector_from_set(sel))
        return str(labels.selector_from_label_selector(sel))
    except ValueError:
        return ""


def scale_of(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    scale_meta = {
        k: meta[k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in meta
    }
    spec_replicas = (obj.get("spec") or {}).get("replicas", 1)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": spec_replicas},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": _selector_string(info, obj),
        },
    }


def apply_scale(scale: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The stored object with the Scale's spec.replicas (and its resourceVersion as precondition)."""
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise errors.bad_request_error(
            f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal {type(replicas).__name__} into Go struct field ScaleSpec.spec.replicas of type int32'
        )
    if replicas < 0:
        raise errors.invalid_error(
            "Scale",
            current["metadata"]["name"],
            [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
            "autoscaling",
        )
    new = deep_copy(current)
    new.setdefault("spec", {})["replicas"] = replicas
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv:
        new["metadata"]["resourceVersion"] = rv
    else:
        new["metadata"].pop("resourceVersion", None)
    return new
