"""The Pod kind: create, update (the mutable fields), status, and the pods/binding subresource.

Invariants:
- One registered validator handles both main-resource and `/status` writes: status rules run
  only when the status changed (see the package docstring).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import copy
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.affinity import validate_tolerations
from steersman.api.validation.common import (
    child,
    inclusive_range_error,
    index,
    is_dns1123_subdomain,
    is_valid_ip,
    parse_ip_sloppy,
    validate_immutable,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
)
from steersman.api.validation.container import _validate_image_whitespace
from steersman.api.validation.helpers import (
    MAX_INT32,
    Obj,
    _d,
    _i,
    _l,
    _meta,
    _name_errs,
    _s,
    _semantic_equal,
    _spec_diff,
)
from steersman.api.validation.pod_spec import validate_pod_spec
from steersman.api.validation.pod_template import (
    _validate_pod_specific_annotation_updates,
    _validate_security_annotations_match,
    validate_pod_specific_annotations,
)


def _validate_pod_metadata_and_spec(pod: Obj) -> list[FieldError]:
    meta = _meta(pod)
    spec = _d(pod.get("spec"))
    out = validate_object_meta(meta, namespaced=True)
    out.extend(
        validate_pod_specific_annotations(_d(meta.get("annotations")), spec, "metadata.annotations")
    )
    out.extend(validate_pod_spec(spec, "spec", pod_meta=meta, resource_is_pod=True))
    if not _s(spec.get("serviceAccountName")):
        for vi, vol in enumerate(_l(spec.get("volumes"))):
            for si, source in enumerate(_l(_d(_d(vol).get("projected")).get("sources"))):
                if isinstance(_d(source).get("serviceAccountToken"), dict):
                    out.append(
                        errors.forbidden(
                            f"spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken",
                            "must not be specified when serviceAccountName is not set",
                        )
                    )
    for field in ("containers", "initContainers"):
        for i, ctr in enumerate(_l(spec.get(field))):
            out.extend(_validate_image_whitespace(_d(ctr), index(child("spec", field), i)))
    return out


def validate_pod(pod: Obj) -> list[FieldError]:
    """ValidatePodCreate."""
    spec = _d(pod.get("spec"))
    out = _validate_pod_metadata_and_spec(pod)
    if _l(spec.get("ephemeralContainers")):
        out.append(errors.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if _s(spec.get("nodeName")) and _l(spec.get("schedulingGates")):
        out.append(
            errors.forbidden(
                "spec.nodeName", "cannot be set until all schedulingGates have been cleared"
            )
        )
    out.extend(_validate_security_annotations_match(_meta(pod), spec, "spec"))
    return out


_UPDATABLE_POD_FIELDS = ",".join(
    (
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    )
)


def _container_updates(new: list[Any], old: list[Any], path: str) -> tuple[list[FieldError], bool]:
    if len(new) != len(old):
        return [errors.forbidden(path, "pod updates may not add or remove containers")], True
    out: list[FieldError] = []
    for i, ctr in enumerate(new):
        image = _s(_d(ctr).get("image"))
        if not image:
            out.append(errors.required(child(index(path, i), "image")))
        if image != image.strip():
            out.append(
                errors.invalid(
                    child(index(path, i), "image"),
                    image,
                    "must not have leading or trailing whitespace",
                )
            )
    return out, False


def _only_added_tolerations(new: list[Any], old: list[Any], path: str) -> list[FieldError]:
    for old_tol in old:
        old_tol = _d(old_tol)
        found = any(
            _semantic_equal({**old_tol, "tolerationSeconds": _d(n).get("tolerationSeconds")}, n)
            for n in new
        )
        if not found:
            return [
                errors.forbidden(
                    path, "existing toleration can not be modified except its tolerationSeconds"
                )
            ]
    return validate_tolerations(new, path)


def validate_pod_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidatePodUpdate (and ValidatePodStatusUpdate when the status changed)."""
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(_validate_pod_metadata_and_spec(new))
    out.extend(_validate_pod_specific_annotation_updates(new, old, "metadata.annotations"))
    new_spec = _d(new.get("spec"))
    old_spec = _d(old.get("spec"))
    if not _semantic_equal(new.get("status"), old.get("status")):
        out.extend(_validate_pod_status(new, old))
    for field in ("containers", "initContainers"):
        errs, stop = _container_updates(
            _l(new_spec.get(field)), _l(old_spec.get(field)), child("spec", field)
        )
        out.extend(errs)
        if stop:
            return out
    new_ads = new_spec.get("activeDeadlineSeconds")
    old_ads = old_spec.get("activeDeadlineSeconds")
    ads_path = "spec.activeDeadlineSeconds"
    if new_ads is not None:
        if not isinstance(new_ads, int) or not 0 <= new_ads <= MAX_INT32:
            return [*out, errors.invalid(ads_path, new_ads, inclusive_range_error(0, MAX_INT32))]
        if isinstance(old_ads, int) and old_ads < new_ads:
            return [
                *out,
                errors.invalid(ads_path, new_ads, "must be less than or equal to previous value"),
            ]
    elif old_ads is not None:
        out.append(
            errors.invalid(ads_path, None, "must not update from a positive integer to nil value")
        )
    out.extend(
        _only_added_tolerations(
            _l(new_spec.get("tolerations")), _l(old_spec.get("tolerations")), "spec.tolerations"
        )
    )
    old_gates = {_s(_d(g).get("name")) for g in _l(old_spec.get("schedulingGates"))}
    for i, gate in enumerate(_l(new_spec.get("schedulingGates"))):
        gname = _s(_d(gate).get("name"))
        if gname not in old_gates:
            out.append(
                errors.forbidden(
                    f"spec.schedulingGates[{i}].name",
                    f"only deletion is allowed, but found new scheduling gate '{gname}'",
                )
            )
    if _semantic_equal(new_spec, old_spec):
        return out
    munged = copy.deepcopy(dict(new_spec))
    for field in ("containers", "initContainers"):
        old_ctrs = _l(old_spec.get(field))
        for i, ctr in enumerate(_l(munged.get(field))):
            if isinstance(ctr, dict) and i < len(old_ctrs):
                ctr["image"] = _d(old_ctrs[i]).get("image")
    for field in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):
        munged.pop(field, None)
        if field in old_spec:
            munged[field] = old_spec[field]
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if (
        isinstance(old_grace, int)
        and old_grace < 0
        and munged.get("terminationGracePeriodSeconds") == 1
    ):
        munged["terminationGracePeriodSeconds"] = old_grace
    if old_spec.get("schedulingGates"):
        # A gated pod may gain node selector entries (never lose or change them).
        new_sel = _d(munged.get("nodeSelector"))
        old_sel = _d(old_spec.get("nodeSelector"))
        if new_sel != old_sel:
            if any(new_sel.get(k) != v for k, v in old_sel.items()):
                out.append(
                    errors.invalid(
                        "spec.nodeSelector",
                        new_sel,
                        "only additions to spec.nodeSelector are allowed (no mutations or deletions)",
                    )
                )
            munged["nodeSelector"] = old_spec.get("nodeSelector")
    if not _semantic_equal(munged, old_spec):
        out.append(
            errors.forbidden(
                "spec",
                f"pod updates may not change fields other than {_UPDATABLE_POD_FIELDS}\n{_spec_diff(old_spec, munged)}",
            )
        )
    return out


def _state_transitions(
    new: list[Any], old: list[Any], path: str, restart_policy: str, sidecars: set[str]
) -> list[FieldError]:
    if restart_policy == "Always":
        return []
    out: list[FieldError] = []
    for i, old_status in enumerate(old):
        old_status = _d(old_status)
        terminated = _d(old_status.get("state")).get("terminated")
        if not isinstance(terminated, dict):
            continue
        if _i(terminated.get("exitCode")) != 0 and restart_policy == "OnFailure":
            continue
        if old_status.get("name") in sidecars:
            continue
        for new_status in new:
            new_status = _d(new_status)
            if new_status.get("name") == old_status.get("name") and not isinstance(
                _d(new_status.get("state")).get("terminated"), dict
            ):
                out.append(
                    errors.forbidden(
                        child(index(path, i), "state"),
                        "may not be transitioned to non-terminated state",
                    )
                )
    return out


def _validate_ip_list(entries: list[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    ips = [_s(_d(e).get("ip")) for e in entries]
    for i, ip in enumerate(ips):
        out.extend(_name_errs(index(path, i), ip, is_valid_ip(ip)))
    if len(ips) > 1:
        parsed = [parse_ip_sloppy(ip) for ip in ips]
        versions = {p.version for p in parsed if p is not None}
        if len(ips) > 2 or versions != {4, 6}:
            out.append(
                errors.invalid(path, entries, "may specify no more than one IP for each IP family")
            )
        seen: set[str] = set()
        for i, ip in enumerate(ips):
            if ip in seen:
                out.append(errors.duplicate(index(path, i), entries[i]))
            seen.add(ip)
    return out


def _validate_pod_status(new: Obj, old: Obj) -> list[FieldError]:
    """ValidatePodStatusUpdate's status rules (metadata rules are shared with spec updates)."""
    out: list[FieldError] = []
    status = _d(new.get("status"))
    old_status = _d(old.get("status"))
    new_spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    system = {"PodScheduled", "Ready", "Initialized"}
    for i, cond in enumerate(_l(status.get("conditions"))):
        ctype = _s(_d(cond).get("type"))
        if ctype not in system:
            # Kubernetes reports these under metadata.
            out.extend(validate_qualified_name(ctype, f"metadata.conditions[{i}].Type"))
    if _s(new_spec.get("nodeName")) != _s(old_spec.get("nodeName")):
        out.append(errors.forbidden("status.nodeName", "may not be changed directly"))
    nominated = _s(status.get("nominatedNodeName"))
    if nominated and nominated != _s(old_status.get("nominatedNodeName")):
        out.extend(
            _name_errs("status.nominatedNodeName", nominated, is_dns1123_subdomain(nominated))
        )
    out.extend(
        validate_immutable(
            _s(status.get("qosClass")), _s(old_status.get("qosClass")), "status.qosClass"
        )
    )
    restart = _s(old_spec.get("restartPolicy"))
    sidecars = {
        _s(_d(c).get("name"))
        for c in _l(old_spec.get("initContainers"))
        if _d(c).get("restartPolicy") == "Always"
    }
    for field, policy, side in (
        ("containerStatuses", restart, set()),
        ("initContainerStatuses", restart, sidecars),
        ("ephemeralContainerStatuses", "Never", set()),
    ):
        out.extend(
            _state_transitions(
                _l(status.get(field)),
                _l(old_status.get(field)),
                child("status", field),
                policy,
                side,
            )
        )
    out.extend(_validate_ip_list(_l(status.get("podIPs")), "status.podIPs"))
    host_ips = _l(status.get("hostIPs"))
    if host_ips:
        first = _s(_d(host_ips[0]).get("ip"))
        if _s(status.get("hostIP")) != first:
            out.append(errors.invalid("status.hostIPs[0].ip", first, "must be equal to `hostIP`"))
        out.extend(_validate_ip_list(host_ips, "status.hostIPs"))
    return out


def validate_binding(binding: Obj) -> list[FieldError]:
    target = _d(binding.get("target"))
    out: list[FieldError] = []
    kind = _s(target.get("kind"))
    if kind and kind != "Node":
        out.append(errors.not_supported("target.kind", kind, ["Node", "<empty>"]))
    if not _s(target.get("name")):
        out.append(errors.required("target.name"))
    return out


register("", "Pod", validate_pod, validate_pod_update)
register("", "Binding", validate_binding, lambda new, old: validate_binding(new))
