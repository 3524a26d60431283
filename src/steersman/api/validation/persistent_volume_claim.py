"""PersistentVolumeClaim specs (also used by ephemeral volumes) and the PersistentVolumeClaim
kind (core/v1).

Invariants:
- `validate_pvc_spec` is public: ephemeral volume claim templates use it.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import copy
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.quantity import Quantity
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    is_dns1123_label,
    is_dns1123_subdomain,
    key,
    validate_immutable,
    validate_label_selector,
    validate_object_meta,
    validate_object_meta_update,
    validate_quantity,
)
from steersman.api.validation.helpers import (
    IS_NOT_POSITIVE,
    Obj,
    _d,
    _l,
    _meta,
    _name_errs,
    _s,
    _semantic_equal,
    _spec_diff,
)

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_VOLUME_MODES = ("Block", "Filesystem")


def _validate_access_modes(modes: list[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    rwop = other = False
    for mode in modes:
        if mode not in _ACCESS_MODES:
            out.append(errors.not_supported(path, mode, _ACCESS_MODES))
        elif mode == "ReadWriteOncePod":
            rwop = True
        else:
            other = True
    if rwop and other:
        out.append(errors.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return out


def validate_pvc_spec(spec: Obj, path: str) -> list[FieldError]:
    """ValidatePersistentVolumeClaimSpec (also used for ephemeral volume templates)."""
    out: list[FieldError] = []
    modes = _l(spec.get("accessModes"))
    if not modes:
        out.append(
            errors.required(child(path, "accessModes"), "at least 1 access mode is required")
        )
    if isinstance(spec.get("selector"), dict):
        out.extend(validate_label_selector(spec["selector"], child(path, "selector")))
    out.extend(_validate_access_modes(modes, child(path, "accessModes")))
    requests = _d(_d(spec.get("resources")).get("requests"))
    storage_path = key(child(path, "resources"), "storage")
    if "storage" not in requests:
        out.append(errors.required(storage_path))
    else:
        q, errs = validate_quantity(requests["storage"], storage_path)
        out.extend(errs)
        if q is not None and q.sign() <= 0:
            out.append(errors.invalid(storage_path, str(q), IS_NOT_POSITIVE))
    sc_name = spec.get("storageClassName")
    if isinstance(sc_name, str) and sc_name:
        out.extend(
            _name_errs(child(path, "storageClassName"), sc_name, is_dns1123_subdomain(sc_name))
        )
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        out.append(errors.not_supported(child(path, "volumeMode"), mode, _VOLUME_MODES))
    for field in ("dataSource", "dataSourceRef"):
        ref = spec.get(field)
        if not isinstance(ref, dict):
            continue
        rp = child(path, field)
        if not _s(ref.get("name")):
            out.append(errors.required(child(rp, "name")))
        if not _s(ref.get("kind")):
            out.append(errors.required(child(rp, "kind")))
        group = _s(ref.get("apiGroup"))
        if not group and ref.get("kind") != "PersistentVolumeClaim":
            out.append(
                errors.invalid(
                    rp,
                    _s(ref.get("kind")),
                    "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
                )
            )
        if group:
            out.extend(_name_errs(child(rp, "apiGroup"), group, is_dns1123_subdomain(group)))
        ns = ref.get("namespace") if field == "dataSourceRef" else None
        if isinstance(ns, str) and ns:
            out.extend(_name_errs(child(rp, "namespace"), ns, is_dns1123_label(ns)))
    src, ref = spec.get("dataSource"), spec.get("dataSourceRef")
    if isinstance(ref, dict) and _s(ref.get("namespace")):
        if isinstance(src, dict):
            out.append(
                errors.invalid(
                    path,
                    child(path, "dataSource"),
                    "may not be specified when dataSourceRef.namespace is specified",
                )
            )
    elif (
        isinstance(src, dict)
        and isinstance(ref, dict)
        and any(src.get(k) != ref.get(k) for k in ("apiGroup", "kind", "name"))
    ):
        out.append(errors.invalid(path, child(path, "dataSource"), "must match dataSourceRef"))
    vac = spec.get("volumeAttributesClassName")
    if isinstance(vac, str) and vac:
        out.extend(
            _name_errs(child(path, "volumeAttributesClassName"), vac, is_dns1123_subdomain(vac))
        )
    return out


def validate_persistent_volume_claim(pvc: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(pvc), namespaced=True)
    out.extend(validate_pvc_spec(_d(pvc.get("spec")), "spec"))
    return out


_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"


def validate_persistent_volume_claim_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_persistent_volume_claim(new))
    new_spec = copy.deepcopy(_d(new.get("spec")))
    old_spec = copy.deepcopy(_d(old.get("spec")))
    new_ann = _d(_meta(new).get("annotations"))
    old_ann = _d(_meta(old).get("annotations"))
    if not _s(old_spec.get("volumeName")):
        old_spec["volumeName"] = new_spec.get("volumeName")
    old_sc, new_sc = old_spec.get("storageClassName"), new_spec.get("storageClassName")
    if (
        _BETA_STORAGE_CLASS in old_ann
        and old_sc is None
        and new_sc == old_ann[_BETA_STORAGE_CLASS]
        and new_ann.get(_BETA_STORAGE_CLASS, old_ann[_BETA_STORAGE_CLASS])
        == old_ann[_BETA_STORAGE_CLASS]
    ):
        new_spec.pop("storageClassName", None)
    else:
        out.extend(
            validate_immutable(
                _s(new_ann.get(_BETA_STORAGE_CLASS)),
                _s(old_ann.get(_BETA_STORAGE_CLASS)),
                f"metadata.annotations.{_BETA_STORAGE_CLASS}",
            )
        )
        if (
            new_sc is not None
            and old_sc is None
            and (_BETA_STORAGE_CLASS not in old_ann or new_sc == old_ann[_BETA_STORAGE_CLASS])
        ):
            new_spec.pop("storageClassName", None)
    bound = _d(new.get("status")).get("phase") == "Bound"
    if bound:
        requests = _d(_d(new_spec.get("resources")).get("requests"))
        if requests:
            requests["storage"] = _d(_d(old_spec.get("resources")).get("requests")).get("storage")
        if new_spec.get("volumeAttributesClassName") is not None:
            new_spec["volumeAttributesClassName"] = old_spec.get("volumeAttributesClassName")
    if not _semantic_equal(new_spec, old_spec):
        out.append(
            errors.forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for "
                f"bound claims\n{_spec_diff(old_spec, new_spec)}",
            )
        )
    new_size = _storage_request(new)
    old_size = _storage_request(old)
    status_size = _storage_quantity(_d(_d(old.get("status")).get("capacity")).get("storage"))
    shrunk = new_size is not None and old_size is not None and new_size < old_size
    # With RecoverVolumeExpansionFailure (GA) a claim may shrink back above its capacity.
    if shrunk and (status_size is None or (new_size is not None and new_size <= status_size)):
        out.append(
            errors.forbidden(
                "spec.resources.requests.storage", "field can not be less than status.capacity"
            )
        )
    out.extend(
        validate_immutable(
            _d(new.get("spec")).get("volumeMode"),
            _d(old.get("spec")).get("volumeMode"),
            "volumeMode",
        )
    )
    if not _semantic_equal(new.get("status"), old.get("status")):
        out.extend(_validate_pvc_status(new))
    return out


def _storage_quantity(value: Any) -> Quantity | None:
    if value is None:
        return None
    return validate_quantity(value, "")[0]


def _storage_request(pvc: Obj) -> Quantity | None:
    return _storage_quantity(
        _d(_d(_d(pvc.get("spec")).get("resources")).get("requests")).get("storage")
    )


def _validate_pvc_status(pvc: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    if not _l(_d(pvc.get("spec")).get("accessModes")):
        out.append(errors.required("Spec.accessModes"))
    for name, value in _d(_d(pvc.get("status")).get("capacity")).items():
        q, errs = validate_quantity(value, key("status.capacity", name))
        out.extend(errs)
        if q is not None and q.sign() < 0:
            out.append(
                errors.invalid(
                    key("status.capacity", name), q.value(), "must be a valid resource quantity"
                )
            )
    return out


register(
    "",
    "PersistentVolumeClaim",
    validate_persistent_volume_claim,
    validate_persistent_volume_claim_update,
)
