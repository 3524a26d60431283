"""Pod-specific annotations, pod template specs and the PodTemplate kind (core/v1).

Invariants:
- `validate_pod_template_spec` and `validate_pod_specific_annotations` are public: apps and
  batch validators build on them; a template's labels are reported at `spec.template.labels`
  (Kubernetes' historical path).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    child,
    index,
    key,
    validate_annotations,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _l,
    _local_descending_path,
    _meta,
    _s,
)
from steersman.api.validation.pod_spec import validate_pod_spec

MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"


def _valid_deletion_cost(value: str) -> bool:
    if not value or not (value[0] == "-" or value == "0" or value[0] in "123456789"):
        return False
    try:
        n = int(value, 10)
    except ValueError:
        return False
    return -(2**31) <= n < 2**31 and value.lstrip("-").isdigit()


def _validate_seccomp_annotation(profile: str, path: str) -> list[FieldError]:
    if profile in ("runtime/default", "docker/default", "unconfined"):
        return []
    if profile.startswith("localhost/"):
        return _local_descending_path(profile.removeprefix("localhost/"), path)
    return [errors.invalid(path, profile, "must be a valid seccomp profile")]


def _container_names(spec: Obj) -> set[str]:
    return {
        _s(_d(c).get("name"))
        for field in ("initContainers", "containers", "ephemeralContainers")
        for c in _l(spec.get(field))
    }


def validate_pod_specific_annotations(
    annotations: Mapping[str, str],
    spec: Obj,
    path: str,
    *,
    allow_invalid_deletion_cost: bool = False,
) -> list[FieldError]:
    out: list[FieldError] = []
    if MIRROR_POD_ANNOTATION in annotations and not _s(spec.get("nodeName")):
        out.append(
            errors.invalid(
                key(path, MIRROR_POD_ANNOTATION),
                annotations[MIRROR_POD_ANNOTATION],
                "must set spec.nodeName if mirror pod annotation is set",
            )
        )
    if not allow_invalid_deletion_cost and POD_DELETION_COST in annotations:
        cost = _s(annotations[POD_DELETION_COST])
        if not _valid_deletion_cost(cost):
            out.append(
                errors.invalid(key(path, POD_DELETION_COST), cost, "must be a 32bit integer")
            )
    if SECCOMP_POD_ANNOTATION in annotations:
        out.extend(
            _validate_seccomp_annotation(
                _s(annotations[SECCOMP_POD_ANNOTATION]), child(path, SECCOMP_POD_ANNOTATION)
            )
        )
    for k, v in annotations.items():
        if k.startswith(SECCOMP_CONTAINER_PREFIX):
            out.extend(_validate_seccomp_annotation(_s(v), child(path, k)))
    names = _container_names(spec)
    for k, v in annotations.items():
        if not k.startswith(APPARMOR_PREFIX):
            continue
        cname = k.removeprefix(APPARMOR_PREFIX)
        if cname not in names:
            out.append(errors.invalid(key(path, k), cname, "container not found"))
        profile = _s(v)
        if profile not in ("", "runtime/default", "unconfined") and not profile.startswith(
            "localhost/"
        ):
            out.append(
                errors.invalid(
                    key(path, k), profile, f"invalid AppArmor profile name: {json.dumps(profile)}"
                )
            )
    return out


def _validate_pod_specific_annotation_updates(new: Obj, old: Obj, path: str) -> list[FieldError]:
    new_ann = _d(_d(new.get("metadata")).get("annotations"))
    old_ann = _d(_d(old.get("metadata")).get("annotations"))
    out: list[FieldError] = []
    for k, old_v in old_ann.items():
        if k in new_ann and new_ann[k] == old_v:
            continue
        if k.startswith(APPARMOR_PREFIX):
            out.append(
                errors.forbidden(key(path, k), "may not remove or update AppArmor annotations")
            )
        if k == MIRROR_POD_ANNOTATION:
            out.append(
                errors.forbidden(key(path, k), "may not remove or update mirror pod annotation")
            )
    for k in new_ann:
        if k in old_ann:
            continue
        if k.startswith(APPARMOR_PREFIX):
            out.append(errors.forbidden(key(path, k), "may not add AppArmor annotations"))
        if k == MIRROR_POD_ANNOTATION:
            out.append(errors.forbidden(key(path, k), "may not add mirror pod annotation"))
    out.extend(validate_pod_specific_annotations(new_ann, _d(new.get("spec")), path))
    return out


def _validate_security_annotations_match(meta: Obj, spec: Obj, spec_path: str) -> list[FieldError]:
    """On create, seccomp/AppArmor fields and their legacy annotations must agree."""
    ann = _d(meta.get("annotations"))
    out: list[FieldError] = []
    pod_sc = _d(spec.get("securityContext"))
    seccomp_names = {
        "Unconfined": ("unconfined",),
        "RuntimeDefault": ("runtime/default", "docker/default"),
    }

    def seccomp_match(annotation: str, profile: Obj, p: str) -> None:
        kind = _s(profile.get("type"))
        if kind in seccomp_names and annotation not in seccomp_names[kind]:
            out.append(
                errors.forbidden(
                    child(p, "type"), "seccomp type in annotation and field must match"
                )
            )
        elif kind == "Localhost":
            if not annotation.startswith("localhost/"):
                out.append(
                    errors.forbidden(
                        child(p, "type"), "seccomp type in annotation and field must match"
                    )
                )
            elif annotation.removeprefix("localhost/") != profile.get("localhostProfile"):
                out.append(
                    errors.forbidden(
                        child(p, "localhostProfile"),
                        "seccomp profile in annotation and field must match",
                    )
                )

    if isinstance(pod_sc.get("seccompProfile"), dict) and SECCOMP_POD_ANNOTATION in ann:
        seccomp_match(
            _s(ann[SECCOMP_POD_ANNOTATION]),
            pod_sc["seccompProfile"],
            child(spec_path, "securityContext", "seccompProfile"),
        )
    is_windows = _d(spec.get("os")).get("name") == "windows"
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, ctr in enumerate(_l(spec.get(field))):
            ctr = _d(ctr)
            cname = _s(ctr.get("name"))
            csc = _d(ctr.get("securityContext"))
            cpath = child(index(child(spec_path, field), i), "securityContext")
            if (
                isinstance(csc.get("seccompProfile"), dict)
                and SECCOMP_CONTAINER_PREFIX + cname in ann
            ):
                seccomp_match(
                    _s(ann[SECCOMP_CONTAINER_PREFIX + cname]),
                    csc["seccompProfile"],
                    child(cpath, "seccompProfile"),
                )
            profile = csc.get("appArmorProfile") or pod_sc.get("appArmorProfile")
            annotation = ann.get(APPARMOR_PREFIX + cname)
            if is_windows or not isinstance(profile, dict) or annotation is None:
                continue
            ap = child(cpath, "appArmorProfile")
            kind = _s(profile.get("type"))
            expected = {"Unconfined": "unconfined", "RuntimeDefault": "runtime/default"}
            if kind in expected and annotation != expected[kind]:
                out.append(
                    errors.forbidden(
                        child(ap, "type"), "apparmor type in annotation and field must match"
                    )
                )
            elif kind == "Localhost":
                if not _s(annotation).startswith("localhost/"):
                    out.append(
                        errors.forbidden(
                            child(ap, "type"), "apparmor type in annotation and field must match"
                        )
                    )
                elif _s(annotation).removeprefix("localhost/") != profile.get("localhostProfile"):
                    out.append(
                        errors.forbidden(
                            child(ap, "localhostProfile"),
                            "apparmor profile in annotation and field must match",
                        )
                    )
    return out


def validate_pod_template_spec(template: Obj, path: str) -> list[FieldError]:
    """ValidatePodTemplateSpec: the template's labels/annotations (reported without
    `metadata`, as Kubernetes does) and its pod spec; used by every workload kind."""
    meta = _d(template.get("metadata"))
    spec = _d(template.get("spec"))
    annotations = _d(meta.get("annotations"))
    out = validate_labels(_d(meta.get("labels")), child(path, "labels"))
    out.extend(validate_annotations(annotations, child(path, "annotations")))
    out.extend(validate_pod_specific_annotations(annotations, spec, child(path, "annotations")))
    out.extend(validate_pod_spec(spec, child(path, "spec")))
    out.extend(_validate_security_annotations_match(meta, spec, child(path, "spec")))
    if _l(spec.get("ephemeralContainers")):
        out.append(
            errors.forbidden(
                child(path, "spec", "ephemeralContainers"),
                "ephemeral containers not allowed in pod template",
            )
        )
    return out


def validate_pod_template(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_pod_template_spec(_d(obj.get("template")), "template"))
    return out


def validate_pod_template_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_pod_template_spec(_d(new.get("template")), "template"))
    return out


register("", "PodTemplate", validate_pod_template, validate_pod_template_update)
