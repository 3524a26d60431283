"""Downward API field and resource selectors, shared by env vars and downwardAPI volumes.

Invariants:
- Volume and env selectors differ as in Kubernetes: the supported field paths, and a volume's
  resource selector requires `containerName`.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

from collections.abc import Sequence

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    validate_qualified_name,
    validate_quantity,
)
from steersman.api.validation.helpers import Obj, _s

_VOLUME_DOWNWARD_FIELDS = (
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
)
_ENV_DOWNWARD_FIELDS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
_CONTAINER_RESOURCE_FIELDS = (
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
)
_DOWNWARD_LABELS = frozenset(
    {
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.serviceAccountName",
        "spec.schedulerName",
        "status.phase",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    }
)


def _split_subscript(field_path: str) -> tuple[str, str] | None:
    """fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['key']` -> (path, key)."""
    if not field_path.endswith("']"):
        return None
    head, sep, sub = field_path[:-2].partition("['")
    if not sep or not head:
        return None
    return head, sub


def _convert_downward_label(api_version: str, label: str) -> tuple[str, str | None]:
    """ConvertDownwardAPIFieldLabel; returns (internal path, error text)."""
    if api_version != "v1":
        return "", f"unsupported pod version: {api_version}"
    split = _split_subscript(label)
    if split is not None:
        if split[0] in ("metadata.annotations", "metadata.labels"):
            return label, None
        return "", f"field label does not support subscript: {label}"
    if label in _DOWNWARD_LABELS:
        return label, None
    if label == "spec.host":
        return "spec.nodeName", None
    return "", f"field label not supported: {label}"


def _validate_object_field_selector(
    ref: Obj, expressions: Sequence[str], path: str
) -> list[FieldError]:
    api_version = _s(ref.get("apiVersion"))
    field_path = _s(ref.get("fieldPath"))
    if not api_version:
        return [errors.required(child(path, "apiVersion"))]
    if not field_path:
        return [errors.required(child(path, "fieldPath"))]
    internal, err = _convert_downward_label(api_version, field_path)
    if err is not None:
        return [
            errors.invalid(
                child(path, "fieldPath"), field_path, f"error converting fieldPath: {err}"
            )
        ]
    split = _split_subscript(internal)
    if split is not None:
        head, sub = split
        if head == "metadata.annotations":
            return validate_qualified_name(sub.lower(), path)
        if head == "metadata.labels":
            return validate_qualified_name(sub, path)
        return [errors.invalid(path, head, "does not support subscript")]
    if internal not in expressions:
        return [errors.not_supported(child(path, "fieldPath"), internal, expressions)]
    return []


_CPU_DIVISORS = frozenset({"1m", "1"})
_BYTE_DIVISORS = frozenset(
    {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
)
_BYTE_DIVISOR_TEXT = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei"


def _validate_resource_field_selector(ref: Obj, path: str, volume: bool) -> list[FieldError]:
    out: list[FieldError] = []
    resource = _s(ref.get("resource"))
    if volume and not _s(ref.get("containerName")):
        out.append(errors.required(child(path, "containerName")))
    elif not resource:
        out.append(errors.required(child(path, "resource")))
    elif resource not in _CONTAINER_RESOURCE_FIELDS and not resource.startswith(
        ("requests.hugepages-", "limits.hugepages-")
    ):
        out.append(
            errors.not_supported(child(path, "resource"), resource, _CONTAINER_RESOURCE_FIELDS)
        )
    divisor = ref.get("divisor")
    if divisor is None:
        return out
    q, errs = validate_quantity(divisor, child(path, "divisor"))
    if q is None:
        return out + errs
    if q.is_zero():
        return out
    text = str(q)
    div_path = child(path, "divisor")
    if resource in ("limits.cpu", "requests.cpu") and text not in _CPU_DIVISORS:
        out.append(
            errors.invalid(
                div_path,
                resource,
                "only divisor's values 1m and 1 are supported with the cpu resource",
            )
        )
    for names, what in (
        (("limits.memory", "requests.memory"), "the memory resource"),
        (
            ("limits.ephemeral-storage", "requests.ephemeral-storage"),
            "the local ephemeral storage resource",
        ),
    ):
        if resource in names and text not in _BYTE_DIVISORS:
            out.append(
                errors.invalid(
                    div_path,
                    resource,
                    f"only divisor's values {_BYTE_DIVISOR_TEXT} are supported with {what}",
                )
            )
    if (
        resource.startswith(("requests.hugepages-", "limits.hugepages-"))
        and text not in _BYTE_DIVISORS
    ):
        out.append(
            errors.invalid(
                div_path,
                resource,
                f"only divisor's values {_BYTE_DIVISOR_TEXT} are supported with the hugepages resource",
            )
        )
    return out
