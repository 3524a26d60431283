"""ObjectMeta validation shared by every kind, worded as apimachinery's `validation` packages:
metadata on create and update, annotations, owner references, finalizers and managed fields.

Invariants:
- `validate_*` helpers return `FieldError` lists whose field paths render like apimachinery's
  `field.Path` (`metadata.name`, `metadata.annotations[key]`).
- Nothing here mutates its input; all functions are pure.
- The name and format validators (`is_*`) live in `formats`, field paths and single-value
  field checks in `field_checks`; the names other modules import from here are re-exported
  (`__all__`), so importers need not know the split.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    is_dns1123_subdomain,
    regex_error,
    validate_label_name,
    validate_label_selector,
    validate_labels,
)
from steersman.api.validation.field_checks import (
    FIELD_IMMUTABLE,
    IS_NEGATIVE,
    child,
    index,
    key,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_immutable,
    validate_nonnegative,
    validate_qualified_name,
    validate_quantity,
)
from steersman.api.validation.formats import (
    _blen,
    inclusive_range_error,
    is_c_identifier,
    is_config_map_key,
    is_dns1035_label,
    is_dns1123_label,
    is_env_var_name,
    is_qualified_name,
    is_relaxed_env_var_name,
    is_valid_cidr,
    is_valid_group_id,
    is_valid_ip,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    is_valid_user_id,
    mask_trailing_dash,
    parse_ip_sloppy,
    path_segment_name,
)

__all__ = [
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
    "NameValidator",
    "child",
    "inclusive_range_error",
    "index",
    "is_c_identifier",
    "is_config_map_key",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_env_var_name",
    "is_qualified_name",
    "is_relaxed_env_var_name",
    "is_valid_cidr",
    "is_valid_group_id",
    "is_valid_ip",
    "is_valid_label_value",
    "is_valid_port_name",
    "is_valid_port_num",
    "is_valid_user_id",
    "key",
    "mask_trailing_dash",
    "parse_ip_sloppy",
    "path_segment_name",
    "regex_error",
    "validate_annotations",
    "validate_dns1123_label",
    "validate_dns1123_subdomain",
    "validate_finalizers",
    "validate_immutable",
    "validate_label_name",
    "validate_label_selector",
    "validate_labels",
    "validate_nonnegative",
    "validate_object_meta",
    "validate_object_meta_update",
    "validate_owner_references",
    "validate_qualified_name",
    "validate_quantity",
]

NameValidator = Callable[[str], list[str]]

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
FIELD_MANAGER_MAX_LENGTH = 128
MAX_SUBRESOURCE_NAME_LENGTH = 256

# Finalizer names without a domain that Kubernetes accepts (core's validateKubeFinalizerName).
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})

# ---------------------------------------------------------------------------
# Annotations, owner references, finalizers, managed fields


def validate_annotations(annotations: Mapping[str, str] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    total = 0
    for k, v in (annotations or {}).items():
        # Annotation keys are qualified names, but case does not matter.
        out.extend(errors.invalid(path, k, m) for m in is_qualified_name(k.lower()))
        total += _blen(k) + _blen(str(v))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        out.append(errors.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return out


def _parse_api_version(api_version: str) -> tuple[str, str]:
    """schema.ParseGroupVersion, with a malformed value read as empty (as FromAPIVersionAndKind)."""
    if not api_version:
        return "", ""
    parts = api_version.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    return "", ""


def validate_owner_references(refs: Sequence[Any] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    first_controller = ""
    for ref in refs or []:
        if not isinstance(ref, Mapping):
            out.append(errors.invalid(path, ref, "must be an object"))
            continue
        group, version = _parse_api_version(ref.get("apiVersion") or "")
        kind = ref.get("kind") or ""
        if not version:
            out.append(
                errors.invalid(
                    child(path, "apiVersion"),
                    ref.get("apiVersion") or "",
                    "version must not be empty",
                )
            )
        if not kind:
            out.append(errors.invalid(child(path, "kind"), kind, "must not be empty"))
        if not ref.get("name"):
            out.append(errors.invalid(child(path, "name"), "", "must not be empty"))
        if not ref.get("uid"):
            out.append(errors.invalid(child(path, "uid"), "", "must not be empty"))
        if (group, version, kind) == ("", "v1", "Event"):
            out.append(
                errors.invalid(path, dict(ref), "/v1, Kind=Event is disallowed from being an owner")
            )
        if ref.get("controller") is True:
            current = f"{kind}/{ref.get('name') or ''}"
            if first_controller:
                out.append(
                    errors.invalid(
                        path,
                        list(refs or []),
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return out


def validate_finalizers(
    finalizers: Sequence[str] | None, path: str, *, kube_finalizers: bool = True
) -> list[FieldError]:
    """Qualified names; `orphan` and `foregroundDeletion` exclude each other.

    With `kube_finalizers` (every built-in kind), a name without a '/' must also be one of
    Kubernetes' standard finalizers.
    """
    out: list[FieldError] = []
    names = list(finalizers or [])
    for f in names:
        out.extend(errors.invalid(path, f, m) for m in is_qualified_name(f))
    if "orphan" in names and "foregroundDeletion" in names:
        out.append(
            errors.invalid(
                path, names, "finalizer orphan and foregroundDeletion cannot be both set"
            )
        )
    if kube_finalizers:
        out.extend(_validate_kube_finalizer_names(names, path))
    return out


def _validate_kube_finalizer_names(names: Sequence[str], path: str) -> list[FieldError]:
    return [
        errors.invalid(
            index(path, i),
            f,
            "name is neither a standard finalizer name nor is it fully qualified",
        )
        for i, f in enumerate(names)
        if "/" not in f and f not in STANDARD_FINALIZERS
    ]


def validate_kube_finalizer_name(name: str, path: str) -> list[FieldError]:
    """Core's validateFinalizerName: a qualified name that is standard or domain-prefixed."""
    out = [errors.invalid(path, name, m) for m in is_qualified_name(name)]
    if "/" not in name and name not in STANDARD_FINALIZERS:
        out.append(
            errors.invalid(
                path, name, "name is neither a standard finalizer name nor is it fully qualified"
            )
        )
    return out


def _validate_managed_fields(entries: Sequence[Any] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, entry in enumerate(entries or []):
        p = index(path, i)
        if not isinstance(entry, Mapping):
            continue
        op = entry.get("operation") or ""
        if op not in ("Apply", "Update"):
            out.append(errors.invalid(child(p, "operation"), op, "must be `Apply` or `Update`"))
        ftype = entry.get("fieldsType") or ""
        if ftype and ftype != "FieldsV1":
            out.append(errors.invalid(child(p, "fieldsType"), ftype, "must be `FieldsV1`"))
        manager = entry.get("manager") or ""
        if _blen(manager) > FIELD_MANAGER_MAX_LENGTH:
            out.append(errors.too_long(child(p, "manager"), FIELD_MANAGER_MAX_LENGTH))
        for pos, ch in enumerate(manager):
            if not ch.isprintable():
                out.append(
                    errors.invalid(
                        child(p, "manager"),
                        manager,
                        f"invalid character U+{ord(ch):04X} (at position {pos})",
                    )
                )
        if _blen(entry.get("subresource") or "") > MAX_SUBRESOURCE_NAME_LENGTH:
            out.append(errors.too_long(child(p, "subresource"), MAX_SUBRESOURCE_NAME_LENGTH))
    return out


# ---------------------------------------------------------------------------
# ObjectMeta


def validate_object_meta(
    meta: Mapping[str, Any],
    *,
    namespaced: bool,
    name_validator: NameValidator = is_dns1123_subdomain,
    path: str = "metadata",
    kube_finalizers: bool = True,
) -> list[FieldError]:
    """ValidateObjectMeta (core's wrapper): run after name generation, on create."""
    out: list[FieldError] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        out.extend(
            errors.invalid(child(path, "generateName"), generate_name, m)
            for m in name_validator(mask_trailing_dash(generate_name))
        )
    name = meta.get("name") or ""
    if not name:
        out.append(errors.required(child(path, "name"), "name or generateName is required"))
    else:
        out.extend(errors.invalid(child(path, "name"), name, m) for m in name_validator(name))
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            out.append(errors.required(child(path, "namespace")))
        else:
            out.extend(
                errors.invalid(child(path, "namespace"), namespace, m)
                for m in is_dns1123_label(namespace)
            )
    elif namespace:
        out.append(errors.forbidden(child(path, "namespace"), "not allowed on this type"))
    out.extend(validate_nonnegative(meta.get("generation"), child(path, "generation")))
    out.extend(validate_labels(meta.get("labels"), child(path, "labels")))
    out.extend(validate_annotations(meta.get("annotations"), child(path, "annotations")))
    out.extend(
        validate_owner_references(meta.get("ownerReferences"), child(path, "ownerReferences"))
    )
    out.extend(
        validate_finalizers(
            meta.get("finalizers"), child(path, "finalizers"), kube_finalizers=kube_finalizers
        )
    )
    out.extend(_validate_managed_fields(meta.get("managedFields"), child(path, "managedFields")))
    return out


def _go_string_slice(values: Sequence[str]) -> str:
    return "[]string{" + ", ".join(errors.go_value(v) for v in values) + "}"


def validate_object_meta_update(
    new_meta: Mapping[str, Any],
    old_meta: Mapping[str, Any],
    path: str = "metadata",
    *,
    kube_finalizers: bool = True,
) -> list[FieldError]:
    """ValidateObjectMetaUpdate: identity fields are immutable; deleting objects gain no finalizers.

    Kubernetes also requires `resourceVersion` here, but its registry fills it in for
    unconditional updates before validating; ours does not, so that check is left out.
    """
    out: list[FieldError] = []
    new_finalizers = list(new_meta.get("finalizers") or [])
    if old_meta.get("deletionTimestamp"):
        extra = sorted(set(new_finalizers) - set(old_meta.get("finalizers") or []))
        if extra:
            out.append(
                errors.forbidden(
                    child(path, "finalizers"),
                    "no new finalizers can be added if the object is being deleted, found new "
                    f"finalizers {_go_string_slice(extra)}",
                )
            )
    new_gen = new_meta.get("generation") or 0
    if isinstance(new_gen, int) and new_gen < (old_meta.get("generation") or 0):
        out.append(errors.invalid(child(path, "generation"), new_gen, "must not be decremented"))
    for field in (
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ):
        new_v = new_meta.get(field)
        old_v = old_meta.get(field)
        if field in ("name", "namespace", "uid", "creationTimestamp"):
            # Unset and empty are the same value in Go.
            new_v, old_v = new_v or "", old_v or ""
        out.extend(validate_immutable(new_v, old_v, child(path, field)))
    out.extend(validate_labels(new_meta.get("labels"), child(path, "labels")))
    out.extend(validate_annotations(new_meta.get("annotations"), child(path, "annotations")))
    out.extend(
        validate_owner_references(new_meta.get("ownerReferences"), child(path, "ownerReferences"))
    )
    out.extend(
        _validate_managed_fields(new_meta.get("managedFields"), child(path, "managedFields"))
    )
    if kube_finalizers:
        out.extend(_validate_kube_finalizer_names(new_finalizers, child(path, "finalizers")))
    return out
