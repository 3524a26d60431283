"""The PersistentVolume kind (core/v1).

Invariants:
- Exactly one volume source; the source and volumeMode are immutable after creation (the
  error shows a diff of the source).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.affinity import validate_node_selector
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    is_dns1123_subdomain,
    key,
    validate_immutable,
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
    _no_backsteps,
    _s,
    _semantic_equal,
    _spec_diff,
)
from steersman.api.validation.persistent_volume_claim import (
    _VOLUME_MODES,
    _validate_access_modes,
)
from steersman.api.validation.volume import (
    _LEGACY_REQUIRED,
    _validate_host_path,
    _validate_nfs,
    validate_csi_driver_name,
)

_RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
_PV_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "glusterfs",
    "flocker",
    "nfs",
    "rbd",
    "quobyte",
    "cephfs",
    "iscsi",
    "cinder",
    "fc",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "scaleIO",
    "local",
    "storageos",
    "csi",
)


def _validate_pv_source(spec: Obj, node_affinity_set: bool) -> list[FieldError]:
    out: list[FieldError] = []
    count = 0
    for field in _PV_SOURCES:
        src = spec.get(field)
        if not isinstance(src, dict):
            continue
        p = child("spec", "cephFS" if field == "cephfs" else field)
        # FlexVolume is not counted against the others, as in Kubernetes.
        if count > 0 and field != "flexVolume":
            out.append(errors.forbidden(p, "may not specify more than 1 volume type"))
            continue
        count += 1
        vp = child("spec", field)
        if field == "hostPath":
            out.extend(_validate_host_path(src, vp))
        elif field == "nfs":
            out.extend(_validate_nfs(src, vp))
        elif field == "local":
            if not _s(src.get("path")):
                out.append(errors.required(child(vp, "path")))
            else:
                out.extend(_no_backsteps(_s(src.get("path")), child(vp, "path")))
            if not node_affinity_set:
                out.append(
                    errors.required("spec.nodeAffinity", "Local volume requires node affinity")
                )
        elif field == "csi":
            out.extend(validate_csi_driver_name(_s(src.get("driver")), child(vp, "driver")))
            if not _s(src.get("volumeHandle")):
                out.append(errors.required(child(vp, "volumeHandle")))
        elif field in _LEGACY_REQUIRED:
            segment, required = _LEGACY_REQUIRED[field]
            lp = child("spec", segment)
            out.extend(errors.required(child(lp, f)) for f in required if not src.get(f))
    if count == 0:
        out.append(errors.required("spec", "must specify a volume type"))
    return out


def validate_persistent_volume(pv: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(pv), namespaced=False)
    spec = _d(pv.get("spec"))
    modes = _l(spec.get("accessModes"))
    if not modes:
        out.append(errors.required("spec.accessModes"))
    out.extend(_validate_access_modes(modes, "spec.accessModes"))
    capacity = _d(spec.get("capacity"))
    if not capacity:
        out.append(errors.required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        out.append(errors.not_supported("spec.capacity", capacity, ["storage"]))
    for name, value in capacity.items():
        p = key("spec.capacity", name)
        q, errs = validate_quantity(value, p)
        out.extend(errs)
        if q is not None and q.sign() <= 0:
            out.append(errors.invalid(p, str(q), IS_NOT_POSITIVE))
    policy = _s(spec.get("persistentVolumeReclaimPolicy"))
    if policy and policy not in _RECLAIM_POLICIES:
        out.append(
            errors.not_supported("spec.persistentVolumeReclaimPolicy", policy, _RECLAIM_POLICIES)
        )
    affinity = spec.get("nodeAffinity")
    if isinstance(affinity, dict):
        required = affinity.get("required")
        if isinstance(required, dict):
            out.extend(validate_node_selector(required, "spec.nodeAffinity.required"))
        else:
            out.append(
                errors.required(
                    "spec.nodeAffinity.required", "must specify required node constraints"
                )
            )
    out.extend(_validate_pv_source(spec, isinstance(affinity, dict)))
    host_path = _s(_d(spec.get("hostPath")).get("path"))
    if host_path and host_path.rstrip("/") == "" and policy == "Recycle":
        out.append(
            errors.forbidden(
                "spec.persistentVolumeReclaimPolicy",
                "may not be 'recycle' for a hostPath mount of '/'",
            )
        )
    sc_name = _s(spec.get("storageClassName"))
    if sc_name:
        out.extend(_name_errs("spec.storageClassName", sc_name, is_dns1123_subdomain(sc_name)))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        out.append(errors.not_supported("spec.volumeMode", mode, _VOLUME_MODES))
    vac = spec.get("volumeAttributesClassName")
    if vac is not None:
        if not vac:
            out.append(
                errors.required("spec.volumeAttributesClassName", "an empty string is disallowed")
            )
        else:
            out.extend(
                _name_errs("spec.volumeAttributesClassName", _s(vac), is_dns1123_subdomain(_s(vac)))
            )
        if not isinstance(spec.get("csi"), dict):
            out.append(
                errors.required(
                    "spec.csi", "has to be specified when using volumeAttributesClassName"
                )
            )
    return out


def _pv_source(spec: Obj) -> dict[str, Any]:
    return {k: spec.get(k) for k in _PV_SOURCES if spec.get(k) is not None}


def validate_persistent_volume_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_persistent_volume(new))
    spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    new_source, old_source = _pv_source(spec), _pv_source(old_spec)
    csi, old_csi = new_source.get("csi"), old_source.get("csi")
    if (
        isinstance(csi, dict)
        and isinstance(old_csi, dict)
        and old_csi.get("controllerExpandSecretRef") is None
    ):
        # Setting the expand secret later is allowed.
        new_source["csi"] = {k: v for k, v in csi.items() if k != "controllerExpandSecretRef"}
    if not _semantic_equal(new_source, old_source):
        out.append(
            errors.forbidden(
                "spec.persistentvolumesource",
                f"spec.persistentvolumesource is immutable after creation\n{_spec_diff(old_source, new_source)}",
            )
        )
    out.extend(validate_immutable(spec.get("volumeMode"), old_spec.get("volumeMode"), "volumeMode"))
    if old_spec.get("nodeAffinity") is not None and not _semantic_equal(
        spec.get("nodeAffinity"), old_spec.get("nodeAffinity")
    ):
        out.append(
            errors.invalid(
                "nodeAffinity",
                spec.get("nodeAffinity"),
                FIELD_IMMUTABLE + ", except for updating from beta label to GA",
            )
        )
    if (
        old_spec.get("volumeAttributesClassName") is not None
        and spec.get("volumeAttributesClassName") is None
    ):
        out.append(
            errors.forbidden(
                "spec.volumeAttributesClassName", "update from non-nil value to nil is forbidden"
            )
        )
    return out


register("", "PersistentVolume", validate_persistent_volume, validate_persistent_volume_update)
