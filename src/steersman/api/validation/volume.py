"""Pod volumes: the volume source checks of ValidateVolumes (core/v1).

Invariants:
- The first volume source present wins, in Kubernetes' order; a second one is reported as
  "may not specify more than 1 volume type".
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    index,
    is_dns1123_subdomain,
    validate_annotations,
    validate_dns1123_label,
    validate_labels,
    validate_quantity,
)
from steersman.api.validation.downward_api import (
    _VOLUME_DOWNWARD_FIELDS,
    _validate_object_field_selector,
    _validate_resource_field_selector,
)
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _file_mode,
    _l,
    _local_descending_path,
    _local_non_reserved_path,
    _name_errs,
    _no_backsteps,
    _s,
    _validate_pull_policy,
)
from steersman.api.validation.persistent_volume_claim import validate_pvc_spec

# The order in which Kubernetes tests volume sources: the first one present wins, later ones
# are "may not specify more than 1 volume type". Entry: (json key, path used in the Forbidden
# error — Kubernetes misspells a few).
_VOLUME_SOURCES: tuple[tuple[str, str], ...] = (
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
)

# Legacy in-tree sources: (path segment Kubernetes validates under, required fields).
_LEGACY_REQUIRED: dict[str, tuple[str, tuple[str, ...]]] = {
    "gcePersistentDisk": ("persistentDisk", ("pdName",)),
    "awsElasticBlockStore": ("awsElasticBlockStore", ("volumeID",)),
    "iscsi": ("iscsi", ("targetPortal", "iqn")),
    "glusterfs": ("glusterfs", ("endpoints", "path")),
    "rbd": ("rbd", ("monitors", "image")),
    "cinder": ("cinder", ("volumeID",)),
    "cephfs": ("cephfs", ("monitors",)),
    "quobyte": ("quobyte", ("registry", "volume")),
    "flexVolume": ("flexVolume", ("driver",)),
    "azureFile": ("azureFile", ("secretName", "shareName")),
    "vsphereVolume": ("vsphereVolume", ("volumePath",)),
    "photonPersistentDisk": ("photonPersistentDisk", ("pdID",)),
    "portworxVolume": ("portworxVolume", ("volumeID",)),
    "azureDisk": ("azureDisk", ("diskName", "diskURI")),
    "storageos": ("storageos", ("volumeName",)),
    "scaleIO": ("scaleIO", ("gateway", "system", "volumeName")),
}

_HOST_PATH_TYPES = (
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
)


def _validate_key_to_path(item: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if not _s(item.get("key")):
        out.append(errors.required(child(path, "key")))
    target = _s(item.get("path"))
    if not target:
        out.append(errors.required(child(path, "path")))
    out.extend(_local_non_reserved_path(target, child(path, "path")))
    out.extend(_file_mode(item.get("mode"), child(path, "mode")))
    return out


def _validate_downward_file(item: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    target = _s(item.get("path"))
    if not target:
        out.append(errors.required(child(path, "path")))
    out.extend(_local_non_reserved_path(target, child(path, "path")))
    field_ref = item.get("fieldRef")
    res_ref = item.get("resourceFieldRef")
    if isinstance(field_ref, dict):
        out.extend(
            _validate_object_field_selector(
                field_ref, _VOLUME_DOWNWARD_FIELDS, child(path, "fieldRef")
            )
        )
        if isinstance(res_ref, dict):
            out.append(
                errors.invalid(
                    path,
                    "resource",
                    "fieldRef and resourceFieldRef can not be specified simultaneously",
                )
            )
    elif isinstance(res_ref, dict):
        out.extend(
            _validate_resource_field_selector(res_ref, child(path, "resourceFieldRef"), True)
        )
    else:
        out.append(errors.required(path, "one of fieldRef and resourceFieldRef is required"))
    out.extend(_file_mode(item.get("mode"), child(path, "mode")))
    return out


def _validate_projected(src: Obj, path: str) -> list[FieldError]:
    out = _file_mode(src.get("defaultMode"), child(path, "defaultMode"))
    all_paths: set[str] = set()

    def note_path(p: str, value: str) -> None:
        if p in all_paths:
            out.append(errors.invalid(path, value, "conflicting duplicate paths"))
        all_paths.add(p)

    for i, source in enumerate(_l(src.get("sources"))):
        source = _d(source)
        src_path = index(child(path, "sources"), i)
        count = 0
        for kind in ("secret", "configMap"):
            if not isinstance(source.get(kind), dict):
                continue
            count += 1
            proj = source[kind]
            if not _s(proj.get("name")):
                out.append(errors.required(child(src_path, kind, "name")))
            for j, item in enumerate(_l(proj.get("items"))):
                item = _d(item)
                out.extend(_validate_key_to_path(item, index(child(src_path, kind, "items"), j)))
                if _s(item.get("path")):
                    note_path(item["path"], _s(proj.get("name")))
        if isinstance(source.get("downwardAPI"), dict):
            count += 1
            for item in _l(source["downwardAPI"].get("items")):
                item = _d(item)
                out.extend(_validate_downward_file(item, child(src_path, "downwardAPI")))
                if _s(item.get("path")):
                    note_path(item["path"], item["path"])
        sat = source.get("serviceAccountToken")
        if isinstance(sat, dict):
            count += 1
            exp = sat.get("expirationSeconds")
            exp_path = child(src_path, "serviceAccountToken", "expirationSeconds")
            if isinstance(exp, int) and exp < 600:
                out.append(
                    errors.invalid(exp_path, exp, "may not specify a duration less than 10 minutes")
                )
            if isinstance(exp, int) and exp > 1 << 32:
                out.append(
                    errors.invalid(
                        exp_path, exp, "may not specify a duration larger than 2^32 seconds"
                    )
                )
            if not _s(sat.get("path")):
                out.append(errors.required(child(path, "path")))
            else:
                out.extend(_local_non_reserved_path(sat["path"], child(path, "path")))
        ctb = source.get("clusterTrustBundle")
        if isinstance(ctb, dict):
            count += 1
            ctb_path = child(src_path, "clusterTrustBundle")
            if "name" not in ctb and "signerName" not in ctb:
                out.append(errors.required(ctb_path, "either name or signerName must be specified"))
            if not _s(ctb.get("path")):
                out.append(errors.required(child(ctb_path, "path")))
            out.extend(_local_non_reserved_path(_s(ctb.get("path")), child(ctb_path, "path")))
            note_path(_s(ctb.get("path")), _s(ctb.get("path")))
        if count > 1:
            out.append(
                errors.forbidden(src_path, "may not specify more than 1 volume type per source")
            )
    return out


def validate_csi_driver_name(name: str, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if not name:
        out.append(errors.required(path))
    if len(name) > 63:
        out.append(errors.too_long(path, 63))
    out.extend(_name_errs(path, name, is_dns1123_subdomain(name.lower())))
    return out


def _validate_volume_source(
    vol: Obj, path: str, vol_name: str, pod_meta: Obj | None, resource_is_pod: bool
) -> list[FieldError]:
    out: list[FieldError] = []
    count = 0
    for field, forbidden_name in _VOLUME_SOURCES:
        src = vol.get(field)
        if not isinstance(src, dict):
            continue
        if count > 0:
            out.append(
                errors.forbidden(
                    child(path, forbidden_name), "may not specify more than 1 volume type"
                )
            )
            continue
        count += 1
        out.extend(_validate_one_source(field, src, path, vol_name, pod_meta, resource_is_pod))
    if count == 0:
        out.append(errors.required(path, "must specify a volume type"))
    return out


def _validate_one_source(
    field: str, src: Obj, path: str, vol_name: str, pod_meta: Obj | None, resource_is_pod: bool
) -> list[FieldError]:
    p = child(path, field)
    out: list[FieldError] = []
    if field == "emptyDir":
        limit = src.get("sizeLimit")
        if limit is not None:
            q, errs = validate_quantity(limit, child(p, "sizeLimit"))
            out.extend(errs)
            if q is not None and q.sign() < 0:
                out.append(
                    errors.forbidden(
                        child(p, "sizeLimit"), "SizeLimit field must be a valid resource quantity"
                    )
                )
    elif field == "hostPath":
        out.extend(_validate_host_path(src, p))
    elif field == "gitRepo":
        if not _s(src.get("repository")):
            out.append(errors.required(child(p, "repository")))
        out.extend(_local_descending_path(_s(src.get("directory")), child(p, "directory")))
    elif field == "secret":
        if not _s(src.get("secretName")):
            out.append(errors.required(child(p, "secretName")))
        out.extend(_validate_mode_and_items(src, p))
    elif field == "configMap":
        if not _s(src.get("name")):
            out.append(errors.required(child(p, "name")))
        out.extend(_validate_mode_and_items(src, p))
    elif field == "nfs":
        out.extend(_validate_nfs(src, p))
    elif field == "persistentVolumeClaim":
        if not _s(src.get("claimName")):
            out.append(errors.required(child(p, "claimName")))
    elif field == "downwardAPI":
        out.extend(_file_mode(src.get("defaultMode"), child(p, "defaultMode")))
        for item in _l(src.get("items")):
            out.extend(_validate_downward_file(_d(item), p))
    elif field == "projected":
        out.extend(_validate_projected(src, p))
    elif field == "csi":
        out.extend(validate_csi_driver_name(_s(src.get("driver")), child(p, "driver")))
        ref = src.get("nodePublishSecretRef")
        if isinstance(ref, dict):
            if not _s(ref.get("name")):
                out.append(errors.required(child(p, "nodePublishSecretRef", "name")))
            else:
                out.extend(
                    _name_errs(child(p, "name"), ref["name"], is_dns1123_subdomain(ref["name"]))
                )
    elif field == "ephemeral":
        out.extend(_validate_ephemeral(src, p, path, vol_name, pod_meta))
    elif field == "image":
        if resource_is_pod and not _s(src.get("reference")):
            out.append(errors.required(child(p, "reference")))
        out.extend(_validate_pull_policy(src.get("pullPolicy"), child(p, "pullPolicy")))
    elif field in _LEGACY_REQUIRED:
        segment, required = _LEGACY_REQUIRED[field]
        lp = child(path, segment)
        out.extend(errors.required(child(lp, f)) for f in required if not src.get(f))
    return out


def _validate_host_path(src: Obj, path: str) -> list[FieldError]:
    target = _s(src.get("path"))
    if not target:
        return [errors.required(child(path, "path"))]
    out = _no_backsteps(target, child(path, "path"))
    kind = src.get("type")
    if kind is not None and kind not in _HOST_PATH_TYPES:
        out.append(errors.not_supported(child(path, "type"), kind, _HOST_PATH_TYPES))
    return out


def _validate_nfs(src: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if not _s(src.get("server")):
        out.append(errors.required(child(path, "server")))
    target = _s(src.get("path"))
    if not target:
        out.append(errors.required(child(path, "path")))
    if not target.startswith("/"):
        out.append(errors.invalid(child(path, "path"), target, "must be an absolute path"))
    return out


def _validate_mode_and_items(src: Obj, path: str) -> list[FieldError]:
    out = _file_mode(src.get("defaultMode"), child(path, "defaultMode"))
    for i, item in enumerate(_l(src.get("items"))):
        out.extend(_validate_key_to_path(_d(item), index(child(path, "items"), i)))
    return out


def _validate_ephemeral(
    src: Obj, path: str, vol_path: str, vol_name: str, pod_meta: Obj | None
) -> list[FieldError]:
    template = src.get("volumeClaimTemplate")
    if not isinstance(template, dict):
        return [errors.required(child(path, "volumeClaimTemplate"))]
    tp = child(path, "volumeClaimTemplate")
    meta = _d(template.get("metadata"))
    out = validate_annotations(meta.get("annotations"), child(tp, "metadata", "annotations"))
    out.extend(validate_labels(meta.get("labels"), child(tp, "metadata", "labels")))
    for field in sorted(meta):
        if field not in ("labels", "annotations") and meta[field] not in (None, "", [], {}):
            out.append(errors.forbidden(child(tp, "metadata", field), "cannot be set"))
    out.extend(validate_pvc_spec(_d(template.get("spec")), child(tp, "spec")))
    pod_name = _s(_d(pod_meta).get("name"))
    if pod_name and vol_name:
        pvc_name = f"{pod_name}-{vol_name}"
        out.extend(
            errors.invalid(
                child(vol_path, "name"), vol_name, f"PVC name {json.dumps(pvc_name)}: {m}"
            )
            for m in is_dns1123_subdomain(pvc_name)
        )
    return out


def validate_volumes(
    volumes: Sequence[Any],
    path: str,
    *,
    pod_meta: Obj | None = None,
    resource_is_pod: bool = False,
) -> tuple[dict[str, Obj], list[FieldError]]:
    """ValidateVolumes: returns the valid volumes by name (mounts may refer only to those)."""
    out: list[FieldError] = []
    names: set[str] = set()
    valid: dict[str, Obj] = {}
    pod_name = _s(_d(pod_meta).get("name"))
    created_pvcs = {
        f"{pod_name}-{_s(_d(v).get('name'))}"
        for v in volumes
        if pod_name and isinstance(_d(v).get("ephemeral"), dict)
    }
    for i, vol in enumerate(volumes):
        vol = _d(vol)
        p = index(path, i)
        name = _s(vol.get("name"))
        el = _validate_volume_source(vol, p, name, pod_meta, resource_is_pod)
        if not name:
            el.append(errors.required(child(p, "name")))
        else:
            el.extend(validate_dns1123_label(name, child(p, "name")))
        if name in names:
            el.append(errors.duplicate(child(p, "name"), name))
        if not el:
            names.add(name)
            valid[name] = vol
        else:
            out.extend(el)
        claim = _d(vol.get("persistentVolumeClaim")).get("claimName")
        if isinstance(claim, str) and claim in created_pvcs:
            out.append(
                errors.invalid(
                    child(p, "persistentVolumeClaim", "claimName"),
                    claim,
                    "must not reference a PVC that gets created for an ephemeral volume",
                )
            )
    return valid, out
