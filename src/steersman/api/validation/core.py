"""Semantic validation of core/v1 kinds, worded as Kubernetes' pkg/apis/core/validation words it.

Invariants:
- Validators take the JSON form (dicts, after defaulting) and never mutate it; they return
  `FieldError`s in the order Kubernetes reports them, with Kubernetes' field paths (including
  its historical quirks, e.g. `spec.template.labels` for a template's labels, or
  `metadata.taints` for a node's taints).
- `validate_pod_spec` and `validate_pod_template_spec` are public: apps/batch validators build
  on them. Feature gates are taken at their v1.36 defaults (relaxed env var names, relaxed DNS
  search paths, zero-second sleep hooks, sidecar containers).
- One registered validator handles both main-resource and `/status` writes: the registry hands
  a status write a new object whose spec equals the old one, and a spec write one whose status
  equals the old one, so status rules run only when status changed.
- Service validation runs before the registry allocates cluster IPs and node ports (Kubernetes
  allocates first), so an absent clusterIP, nodePort or healthCheckNodePort is accepted.
Pure data: no I/O, no module state besides the registrations at the bottom.
"""

from __future__ import annotations

import base64
import binascii
import copy
import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.quantity import Quantity
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    IS_NEGATIVE,
    child,
    inclusive_range_error,
    index,
    is_config_map_key,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_relaxed_env_var_name,
    is_valid_cidr,
    is_valid_group_id,
    is_valid_ip,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    is_valid_user_id,
    key,
    mask_trailing_dash,
    parse_ip_sloppy,
    regex_error,
    validate_annotations,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_immutable,
    validate_kube_finalizer_name,
    validate_label_name,
    validate_label_selector,
    validate_labels,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
    validate_qualified_name,
    validate_quantity,
)

Obj = Mapping[str, Any]

MAX_INT32 = 2**31 - 1
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
IS_NOT_POSITIVE = "must be greater than zero"
IS_NOT_INTEGER = "must be an integer"
MAX_SECRET_SIZE = 1024 * 1024
MAX_CLIENT_IP_AFFINITY_SECONDS = 86400
MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_LIST_CHARS = 2048
SYSCTL_MAX_LENGTH = 253
_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_FMT = "^(" + _SYSCTL_SEGMENT + "[\\./])*" + _SYSCTL_SEGMENT + "$"
_SYSCTL_RE = re.compile(_SYSCTL_FMT)

MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"


class GoRaw:
    """A bad value printed verbatim (Go's %v/%#v output), not quoted like a string."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------------------
# Small accessors: the JSON form may hold nulls where Go holds zero values.


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _i(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _name_errs(path: str, value: str, msgs: Iterable[str]) -> list[FieldError]:
    return [errors.invalid(path, value, m) for m in msgs]


def _subdomain_prefix(name: str) -> list[str]:
    """NameIsDNSSubdomain(name, prefix=true)."""
    return is_dns1123_subdomain(mask_trailing_dash(name))


def _local_descending_path(target: str, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if target.startswith("/"):
        out.append(errors.invalid(path, target, "must be a relative path"))
    out.extend(_no_backsteps(target, path))
    return out


def _no_backsteps(target: str, path: str) -> list[FieldError]:
    if ".." in target.replace("\\", "/").split("/"):
        return [errors.invalid(path, target, "must not contain '..'")]
    return []


def _local_non_reserved_path(target: str, path: str) -> list[FieldError]:
    out = _local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        out.append(errors.invalid(path, target, "must not start with '..'"))
    return out


def _file_mode(mode: Any, path: str) -> list[FieldError]:
    if isinstance(mode, int) and not isinstance(mode, bool) and not 0 <= mode <= 0o777:
        return [errors.invalid(path, mode, FILE_MODE_ERROR)]
    return []


def _port_num_or_name(port: Any, path: str) -> list[FieldError]:
    if isinstance(port, str):
        return _name_errs(path, port, is_valid_port_name(port))
    return [errors.invalid(path, port, m) for m in is_valid_port_num(port)]


def _spec_diff(old: Any, new: Any) -> str:
    """A readable diff of two specs (Kubernetes prints go-cmp's; this is its analogue)."""
    a = json.dumps(old, indent=2, sort_keys=True, default=str).splitlines()
    b = json.dumps(new, indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join(line for line in difflib.ndiff(a, b) if line[:1] in "-+")


# ---------------------------------------------------------------------------
# Resource names and quantities (pkg/apis/core/helper)

_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "persistentvolumeclaims",
        "configmaps",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
_STANDARD_QUOTA_RESOURCES = _STANDARD_RESOURCES - {"storage"}
_INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def is_hugepage_resource(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_quota_hugepage_resource(name: str) -> bool:
    return name.startswith("hugepages-") or name.startswith("requests.hugepages-")


def is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_extended_resource(name: str) -> bool:
    if is_native_resource(name) or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


def is_overcommit_allowed(name: str) -> bool:
    return is_native_resource(name) and not is_hugepage_resource(name)


def _is_integer_resource(name: str) -> bool:
    return name in _INTEGER_RESOURCES or is_extended_resource(name)


def _validate_resource_name(name: str, path: str) -> list[FieldError]:
    out = _name_errs(path, name, is_qualified_name(name))
    if out:
        return out
    if "/" not in name and not (name in _STANDARD_RESOURCES or _is_quota_hugepage_resource(name)):
        out.append(
            errors.invalid(path, name, "must be a standard resource type or fully qualified")
        )
    return out


def _validate_container_resource_name(name: str, path: str) -> list[FieldError]:
    out = _validate_resource_name(name, path)
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not is_hugepage_resource(name):
            out.append(errors.invalid(path, name, "must be a standard resource for containers"))
    elif not is_native_resource(name) and not is_extended_resource(name):
        out.append(errors.invalid(path, name, "doesn't follow extended resource name standard"))
    return out


def _validate_pod_level_resource_name(name: str, path: str) -> list[FieldError]:
    out = _validate_resource_name(name, path)
    if not out and name not in ("cpu", "memory") and not is_hugepage_resource(name):
        out.append(errors.not_supported(path, name, ["cpu", "hugepages-", "memory"]))
    return out


def validate_resource_quantity_value(
    name: str, value: Any, path: str
) -> tuple[Quantity | None, list[FieldError]]:
    """ValidateResourceQuantityValue: non-negative, and whole for integer resources."""
    q, out = validate_quantity(value, path)
    if q is None:
        return None, out
    if q.sign() < 0:
        out.append(errors.invalid(path, str(q), IS_NEGATIVE))
    if _is_integer_resource(name) and q.milli_value() % 1000 != 0:
        out.append(errors.invalid(path, GoRaw(str(q)), IS_NOT_INTEGER))
    return q, out


def _validate_resource_requirements(
    req: Obj,
    path: str,
    name_fn: Callable[[str, str], list[FieldError]],
    claim_names: set[str] | None = None,
) -> list[FieldError]:
    out: list[FieldError] = []
    lim_path, req_path = child(path, "limits"), child(path, "requests")
    limits = _d(req.get("limits"))
    requests = _d(req.get("requests"))
    lim_q: dict[str, Quantity] = {}
    lim_cpu_mem = req_cpu_mem = lim_huge = req_huge = False
    for name, value in limits.items():
        p = key(lim_path, name)
        out.extend(name_fn(name, p))
        q, errs = validate_resource_quantity_value(name, value, p)
        out.extend(errs)
        if q is not None:
            lim_q[name] = q
        if is_hugepage_resource(name):
            lim_huge = True
        if name in ("cpu", "memory"):
            lim_cpu_mem = True
    for name, value in requests.items():
        p = key(req_path, name)
        out.extend(name_fn(name, p))
        q, errs = validate_resource_quantity_value(name, value, p)
        out.extend(errs)
        limit = lim_q.get(name)
        if q is not None and limit is not None:
            if q != limit and not is_overcommit_allowed(name):
                out.append(
                    errors.invalid(req_path, str(q), f"must be equal to {name} limit of {limit}")
                )
            elif q > limit:
                out.append(
                    errors.invalid(
                        req_path, str(q), f"must be less than or equal to {name} limit of {limit}"
                    )
                )
        elif name not in limits and not is_overcommit_allowed(name):
            out.append(
                errors.required(lim_path, "Limit must be set for non overcommitable resources")
            )
        if is_hugepage_resource(name):
            req_huge = True
        if name in ("cpu", "memory"):
            req_cpu_mem = True
    if not lim_cpu_mem and not req_cpu_mem and (req_huge or lim_huge):
        out.append(errors.forbidden(path, "HugePages require cpu or memory"))
    out.extend(_validate_resource_claim_refs(_l(req.get("claims")), claim_names, path))
    return out


def _validate_resource_claim_refs(
    claims: list[Any], pod_claims: set[str] | None, path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    claims_path = child(path, "claims")
    for i, claim in enumerate(claims):
        name = _s(_d(claim).get("name"))
        if not name:
            out.append(errors.required(index(claims_path, i)))
            continue
        if name in seen:
            out.append(errors.duplicate(index(claims_path, i), name))
        seen.add(name)
        if pod_claims is not None and name not in pod_claims:
            detail = "must be one of the names in pod.spec.resourceClaims"
            detail += (": " + ", ".join(sorted(pod_claims))) if pod_claims else " which is empty"
            out.append(
                FieldError(errors.FIELD_VALUE_NOT_FOUND, index(claims_path, i), detail, name)
            )
    return out


def validate_container_resources(
    req: Obj, path: str, claim_names: set[str] | None = None
) -> list[FieldError]:
    return _validate_resource_requirements(
        req, path, _validate_container_resource_name, claim_names
    )


# ---------------------------------------------------------------------------
# Volumes

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


# ---------------------------------------------------------------------------
# Containers

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_MOUNT_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")
_RRO_MODES = ("Disabled", "Enabled", "IfPossible")
_HTTP_SCHEMES = ("HTTP", "HTTPS")
_HTTP_HEADER_FMT = "[-A-Za-z0-9]+"
_HTTP_HEADER_RE = re.compile(_HTTP_HEADER_FMT)


def _validate_pull_policy(policy: Any, path: str) -> list[FieldError]:
    if policy in _PULL_POLICIES:
        return []
    if not policy:
        return [errors.required(path)]
    return [errors.not_supported(path, policy, _PULL_POLICIES)]


def _validate_container_ports(ports: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = _d(port)
        p = index(path, i)
        name = _s(port.get("name"))
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                out.extend(_name_errs(child(p, "name"), name, msgs))
            elif name in names:
                out.append(errors.duplicate(child(p, "name"), name))
            else:
                names.add(name)
        cport = port.get("containerPort")
        if not cport:
            out.append(errors.required(child(p, "containerPort")))
        else:
            out.extend(
                errors.invalid(child(p, "containerPort"), cport, m)
                for m in is_valid_port_num(cport)
            )
        hport = port.get("hostPort")
        if hport:
            out.extend(
                errors.invalid(child(p, "hostPort"), hport, m) for m in is_valid_port_num(hport)
            )
        proto = port.get("protocol")
        if not proto:
            out.append(errors.required(child(p, "protocol")))
        elif proto not in _PROTOCOLS:
            out.append(errors.not_supported(child(p, "protocol"), proto, _PROTOCOLS))
    return out


def _validate_key_selector(ref: Obj, path: str) -> list[FieldError]:
    name = _s(ref.get("name"))
    out = _name_errs(child(path, "name"), name, is_dns1123_subdomain(name))
    k = _s(ref.get("key"))
    if not k:
        out.append(errors.required(child(path, "key")))
    else:
        out.extend(_name_errs(child(path, "key"), k, is_config_map_key(k)))
    return out


def validate_env(env: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, var in enumerate(env):
        var = _d(var)
        p = index(path, i)
        name = _s(var.get("name"))
        if not name:
            out.append(errors.required(child(p, "name")))
        else:
            out.extend(_name_errs(child(p, "name"), name, is_relaxed_env_var_name(name)))
        out.extend(_validate_env_value_from(var, child(p, "valueFrom")))
    return out


def _validate_env_value_from(var: Obj, path: str) -> list[FieldError]:
    src = var.get("valueFrom")
    if not isinstance(src, dict):
        return []
    out: list[FieldError] = []
    count = 0
    if isinstance(src.get("fieldRef"), dict):
        count += 1
        out.extend(
            _validate_object_field_selector(
                src["fieldRef"], _ENV_DOWNWARD_FIELDS, child(path, "fieldRef")
            )
        )
    if isinstance(src.get("resourceFieldRef"), dict):
        count += 1
        out.extend(
            _validate_resource_field_selector(
                src["resourceFieldRef"], child(path, "resourceFieldRef"), False
            )
        )
    for kind in ("configMapKeyRef", "secretKeyRef"):
        if isinstance(src.get(kind), dict):
            count += 1
            out.extend(_validate_key_selector(src[kind], child(path, kind)))
    if count == 0:
        out.append(
            errors.invalid(
                path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                "`secretKeyRef`",
            )
        )
    elif _s(var.get("value")):
        out.append(errors.invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        out.append(errors.invalid(path, "", "may not have more than one field specified at a time"))
    return out


def validate_env_from(sources: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, src in enumerate(sources):
        src = _d(src)
        p = index(path, i)
        prefix = _s(src.get("prefix"))
        if prefix:
            out.extend(_name_errs(child(p, "prefix"), prefix, is_relaxed_env_var_name(prefix)))
        count = 0
        for kind in ("configMapRef", "secretRef"):
            ref = src.get(kind)
            if not isinstance(ref, dict):
                continue
            count += 1
            name = _s(ref.get("name"))
            if not name:
                out.append(errors.required(child(p, kind, "name")))
            else:
                out.extend(_name_errs(child(p, kind, "name"), name, _subdomain_prefix(name)))
        if count == 0:
            out.append(
                errors.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`")
            )
        elif count > 1:
            out.append(
                errors.invalid(path, "", "may not have more than one field specified at a time")
            )
    return out


def _is_pvc_source(vol: Obj) -> bool:
    return isinstance(vol.get("persistentVolumeClaim"), dict) or isinstance(
        vol.get("ephemeral"), dict
    )


def _validate_volume_mounts(
    mounts: Sequence[Any],
    devices: Mapping[str, str],
    volumes: Mapping[str, Obj],
    ctr: Obj,
    path: str,
) -> list[FieldError]:
    out: list[FieldError] = []
    mount_points: set[str] = set()
    privileged = _d(ctr.get("securityContext")).get("privileged") is True
    for i, mnt in enumerate(mounts):
        mnt = _d(mnt)
        p = index(path, i)
        name = _s(mnt.get("name"))
        mount_path = _s(mnt.get("mountPath"))
        if not name:
            out.append(errors.required(child(p, "name")))
        if name not in volumes:
            out.append(errors.not_found(child(p, "name"), name))
        if not mount_path:
            out.append(errors.required(child(p, "mountPath")))
        if mount_path in mount_points:
            out.append(errors.invalid(child(p, "mountPath"), mount_path, "must be unique"))
        mount_points.add(mount_path)
        if name in devices:
            out.append(
                errors.invalid(child(p, "name"), name, "must not already exist in volumeDevices")
            )
        if mount_path in devices.values():
            out.append(
                errors.invalid(
                    child(p, "mountPath"),
                    mount_path,
                    "must not already exist as a path in volumeDevices",
                )
            )
        sub_path = _s(mnt.get("subPath"))
        sub_expr = _s(mnt.get("subPathExpr"))
        if isinstance(_d(volumes.get(name)).get("image"), dict):
            if sub_path:
                out.append(
                    errors.invalid(
                        child(p, "subPath"), sub_path, "not allowed in image volume sources"
                    )
                )
            if sub_expr:
                out.append(
                    errors.invalid(
                        child(p, "subPathExpr"), sub_expr, "not allowed in image volume sources"
                    )
                )
        # Kubernetes reports these two without the mount's index.
        if sub_path:
            out.extend(_local_descending_path(sub_path, child(path, "subPath")))
        if sub_expr:
            if sub_path:
                out.append(
                    errors.invalid(
                        child(p, "subPathExpr"),
                        sub_expr,
                        "subPathExpr and subPath are mutually exclusive",
                    )
                )
            out.extend(_local_descending_path(sub_expr, child(path, "subPathExpr")))
        prop = mnt.get("mountPropagation")
        if prop is not None:
            prop_path = child(path, "mountPropagation")
            if prop not in _MOUNT_PROPAGATIONS:
                out.append(errors.not_supported(prop_path, prop, _MOUNT_PROPAGATIONS))
            if prop == "Bidirectional" and not privileged:
                out.append(
                    errors.forbidden(
                        prop_path,
                        "Bidirectional mount propagation is available only to privileged containers",
                    )
                )
        rro = mnt.get("recursiveReadOnly")
        if rro is not None and rro != "Disabled":
            rro_path = child(path, "recursiveReadOnly")
            if rro in ("Enabled", "IfPossible"):
                if mnt.get("readOnly") is not True:
                    out.append(
                        errors.forbidden(rro_path, "may only be specified when readOnly is true")
                    )
                if prop not in (None, "None"):
                    out.append(
                        errors.forbidden(
                            rro_path,
                            "may only be specified when mountPropagation is None or not specified",
                        )
                    )
            else:
                out.append(errors.not_supported(rro_path, rro, _RRO_MODES))
    return out


def _validate_volume_devices(
    devices: Sequence[Any], mounts: Mapping[str, str], volumes: Mapping[str, Obj], path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    paths: set[str] = set()
    names: set[str] = set()
    for i, dev in enumerate(devices):
        dev = _d(dev)
        p = index(path, i)
        name = _s(dev.get("name"))
        dev_path = _s(dev.get("devicePath"))
        if not name:
            out.append(errors.required(child(p, "name")))
        if name in names:
            out.append(errors.invalid(child(p, "name"), name, "must be unique"))
        if name in volumes and not _is_pvc_source(volumes[name]):
            out.append(
                errors.invalid(
                    child(p, "name"),
                    name,
                    "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                )
            )
        if name not in volumes:
            out.append(errors.not_found(child(p, "name"), name))
        if not dev_path:
            out.append(errors.required(child(p, "devicePath")))
        if dev_path in paths:
            out.append(errors.invalid(child(p, "devicePath"), dev_path, "must be unique"))
        if dev_path and _no_backsteps(dev_path, ""):
            out.append(
                errors.invalid(child(p, "devicePath"), dev_path, "can not contain backsteps ('..')")
            )
        else:
            paths.add(dev_path)
        if name in mounts:
            out.append(
                errors.invalid(child(p, "name"), name, "must not already exist in volumeMounts")
            )
        if dev_path in mounts.values():
            out.append(
                errors.invalid(
                    child(p, "devicePath"),
                    dev_path,
                    "must not already exist as a path in volumeMounts",
                )
            )
        if name:
            names.add(name)
    return out


def _validate_handler(handler: Obj, grace: Any, path: str, *, lifecycle: bool) -> list[FieldError]:
    out: list[FieldError] = []
    count = 0
    kinds = (
        ("exec", "httpGet", "tcpSocket", "sleep")
        if lifecycle
        else ("exec", "httpGet", "tcpSocket", "grpc")
    )
    for kind in kinds:
        action = handler.get(kind)
        if not isinstance(action, dict):
            continue
        p = child(path, kind)
        if count > 0:
            out.append(errors.forbidden(p, "may not specify more than 1 handler type"))
            continue
        count += 1
        if kind == "exec":
            if not _l(action.get("command")):
                out.append(errors.required(child(p, "command")))
        elif kind == "httpGet":
            if not _s(action.get("path")):
                out.append(errors.required(child(p, "path")))
            out.extend(_port_num_or_name(action.get("port"), child(p, "port")))
            scheme = action.get("scheme")
            if scheme not in _HTTP_SCHEMES:
                out.append(errors.not_supported(child(p, "scheme"), scheme or "", _HTTP_SCHEMES))
            for header in _l(action.get("httpHeaders")):
                hname = _s(_d(header).get("name"))
                if _HTTP_HEADER_RE.fullmatch(hname) is None:
                    out.append(
                        errors.invalid(
                            child(p, "httpHeaders"),
                            hname,
                            regex_error(
                                "a valid HTTP header must consist of alphanumeric characters or '-'",
                                _HTTP_HEADER_FMT,
                                "X-Header-Name",
                            ),
                        )
                    )
        elif kind == "tcpSocket":
            out.extend(_port_num_or_name(action.get("port"), child(p, "port")))
        elif kind == "grpc":
            port = action.get("port")
            out.extend(errors.invalid(child(p, "port"), port, m) for m in is_valid_port_num(port))
        elif kind == "sleep" and isinstance(grace, int):
            seconds = _i(action.get("seconds"))
            if seconds < 0 or seconds > grace:
                out.append(
                    errors.invalid(
                        p,
                        seconds,
                        f"must be non-negative and less than terminationGracePeriodSeconds ({grace})",
                    )
                )
    if count == 0:
        out.append(errors.required(path, "must specify a handler type"))
    return out


def _validate_probe(probe: Any, grace: Any, path: str, kind: str) -> list[FieldError]:
    if not isinstance(probe, dict):
        return []
    out = _validate_handler(probe, grace, path, lifecycle=False)
    for field in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        out.extend(validate_nonnegative(probe.get(field), child(path, field)))
    tgps = probe.get("terminationGracePeriodSeconds")
    if isinstance(tgps, int) and tgps <= 0:
        out.append(
            errors.invalid(
                child(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"
            )
        )
    if kind in ("liveness", "startup") and probe.get("successThreshold", 1) != 1:
        out.append(
            errors.invalid(
                child(path, "successThreshold"), probe.get("successThreshold"), "must be 1"
            )
        )
    if kind == "readiness" and tgps is not None:
        out.append(
            errors.invalid(
                child(path, "terminationGracePeriodSeconds"),
                tgps,
                "must not be set for readinessProbes",
            )
        )
    return out


def _validate_lifecycle(lifecycle: Obj, grace: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for hook in ("postStart", "preStop"):
        if isinstance(lifecycle.get(hook), dict):
            out.extend(_validate_handler(lifecycle[hook], grace, child(path, hook), lifecycle=True))
    return out


def _validate_resize_policy(
    policies: Sequence[Any], path: str, restart_policy: str
) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for i, pol in enumerate(policies):
        pol = _d(pol)
        name = _s(pol.get("resourceName"))
        if name in seen:
            out.append(errors.duplicate(index(path, i), name))
        seen.add(name)
        if not name:
            out.append(errors.required(path))
        elif name not in ("cpu", "memory"):
            out.append(errors.not_supported(path, name, ["cpu", "memory"]))
        restart = _s(pol.get("restartPolicy"))
        if not restart:
            out.append(errors.required(path))
        elif restart not in ("NotRequired", "RestartContainer"):
            out.append(errors.not_supported(path, restart, ["NotRequired", "RestartContainer"]))
        if restart_policy == "Never" and restart != "NotRequired":
            out.append(
                errors.invalid(
                    path, restart, "must be 'NotRequired' when `restartPolicy` is 'Never'"
                )
            )
    return out


def _validate_seccomp_profile(profile: Any, path: str) -> list[FieldError]:
    if not isinstance(profile, dict):
        return []
    out: list[FieldError] = []
    kind = _s(profile.get("type"))
    supported = ("Localhost", "RuntimeDefault", "Unconfined")
    if not kind:
        out.append(
            errors.required(child(path, "type"), "type is required when seccompProfile is set")
        )
    elif kind not in supported:
        out.append(errors.not_supported(child(path, "type"), kind, supported))
    local = profile.get("localhostProfile")
    if kind == "Localhost":
        if local is None:
            out.append(
                errors.required(
                    child(path, "localhostProfile"), "must be set when seccomp type is Localhost"
                )
            )
        else:
            out.extend(_local_descending_path(_s(local), child(path, "localhostProfile")))
    elif local is not None:
        out.append(
            errors.invalid(
                child(path, "localhostProfile"),
                dict(profile),
                "can only be set when seccomp type is Localhost",
            )
        )
    return out


def _validate_apparmor_profile(profile: Any, path: str) -> list[FieldError]:
    if not isinstance(profile, dict):
        return []
    out: list[FieldError] = []
    kind = _s(profile.get("type"))
    local = profile.get("localhostProfile")
    lp = child(path, "localhostProfile")
    if kind == "Localhost":
        if local is None:
            out.append(errors.required(lp, "must be set when AppArmor type is Localhost"))
        else:
            text = _s(local)
            if text.strip() != text:
                out.append(errors.invalid(lp, text, "must not be padded with whitespace"))
            elif not text:
                out.append(errors.required(lp, "must be set when AppArmor type is Localhost"))
            if len(text) > 4095:
                out.append(errors.too_long(lp, 4095))
    elif kind in ("RuntimeDefault", "Unconfined"):
        if local is not None:
            out.append(errors.invalid(lp, local, "can only be set when AppArmor type is Localhost"))
    elif not kind:
        out.append(
            errors.required(child(path, "type"), "type is required when appArmorProfile is set")
        )
    else:
        out.append(
            errors.not_supported(
                child(path, "type"), kind, ["Localhost", "RuntimeDefault", "Unconfined"]
            )
        )
    return out


def _validate_container_security_context(sc: Any, path: str, host_users: bool) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    out: list[FieldError] = []
    for field, check in (("runAsUser", is_valid_user_id), ("runAsGroup", is_valid_group_id)):
        value = sc.get(field)
        if isinstance(value, int):
            out.extend(errors.invalid(child(path, field), value, m) for m in check(value))
    proc = sc.get("procMount")
    if proc is not None:
        if proc not in ("Default", "Unmasked"):
            out.append(
                errors.not_supported(child(path, "procMount"), proc, ["Default", "Unmasked"])
            )
        if host_users and proc == "Unmasked":
            out.append(
                errors.invalid(
                    child(path, "procMount"), proc, "`hostUsers` must be false to use `Unmasked`"
                )
            )
    out.extend(_validate_seccomp_profile(sc.get("seccompProfile"), child(path, "seccompProfile")))
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            out.append(
                errors.invalid(
                    path,
                    dict(sc),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                )
            )
        if "CAP_SYS_ADMIN" in _l(_d(sc.get("capabilities")).get("add")):
            out.append(
                errors.invalid(
                    path,
                    dict(sc),
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                )
            )
    out.extend(
        _validate_apparmor_profile(sc.get("appArmorProfile"), child(path, "appArmorProfile"))
    )
    return out


def _validate_container_common(
    ctr: Obj,
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    out: list[FieldError] = []
    name = _s(ctr.get("name"))
    if not name:
        out.append(errors.required(child(path, "name")))
    else:
        out.extend(validate_dns1123_label(name, child(path, "name")))
    if not _s(ctr.get("image")):
        out.append(errors.required(child(path, "image")))
    tmp = ctr.get("terminationMessagePolicy")
    if not tmp:
        out.append(errors.required(child(path, "terminationMessagePolicy")))
    elif tmp not in _TERMINATION_MESSAGE_POLICIES:
        out.append(
            errors.not_supported(
                child(path, "terminationMessagePolicy"), tmp, _TERMINATION_MESSAGE_POLICIES
            )
        )
    mounts = {
        _s(_d(m).get("name")): _s(_d(m).get("mountPath")) for m in _l(ctr.get("volumeMounts"))
    }
    devices = {
        _s(_d(d).get("name")): _s(_d(d).get("devicePath")) for d in _l(ctr.get("volumeDevices"))
    }
    out.extend(_validate_container_ports(_l(ctr.get("ports")), child(path, "ports")))
    out.extend(validate_env(_l(ctr.get("env")), child(path, "env")))
    out.extend(validate_env_from(_l(ctr.get("envFrom")), child(path, "envFrom")))
    out.extend(
        _validate_volume_mounts(
            _l(ctr.get("volumeMounts")), devices, volumes, ctr, child(path, "volumeMounts")
        )
    )
    out.extend(
        _validate_volume_devices(
            _l(ctr.get("volumeDevices")), mounts, volumes, child(path, "volumeDevices")
        )
    )
    out.extend(_validate_pull_policy(ctr.get("imagePullPolicy"), child(path, "imagePullPolicy")))
    out.extend(
        validate_container_resources(
            _d(ctr.get("resources")), child(path, "resources"), claim_names
        )
    )
    out.extend(
        _validate_resize_policy(
            _l(ctr.get("resizePolicy")), child(path, "resizePolicy"), restart_policy
        )
    )
    out.extend(
        _validate_container_security_context(
            ctr.get("securityContext"), child(path, "securityContext"), host_users
        )
    )
    return out


def _host_port_conflicts(containers: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(_l(_d(ctr).get("ports"))):
            port = _d(port)
            host_port = _i(port.get("hostPort"))
            if host_port == 0:
                continue
            text = f"{_s(port.get('protocol'))}/{_s(port.get('hostIP'))}/{host_port}"
            if text in seen:
                out.append(
                    errors.duplicate(
                        child(index(child(index(path, ci), "ports"), pi), "hostPort"), text
                    )
                )
            seen.add(text)
    return out


def _validate_containers(
    containers: Sequence[Any],
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    grace: Any,
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    if not containers:
        return [errors.required(path)]
    out: list[FieldError] = []
    names: set[str] = set()
    for i, ctr in enumerate(containers):
        ctr = _d(ctr)
        p = index(path, i)
        out.extend(
            _validate_container_common(ctr, volumes, claim_names, p, restart_policy, host_users)
        )
        name = _s(ctr.get("name"))
        if name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        names.add(name)
        if isinstance(ctr.get("lifecycle"), dict):
            out.extend(_validate_lifecycle(ctr["lifecycle"], grace, child(p, "lifecycle")))
        out.extend(
            _validate_probe(ctr.get("livenessProbe"), grace, child(p, "livenessProbe"), "liveness")
        )
        out.extend(
            _validate_probe(
                ctr.get("readinessProbe"), grace, child(p, "readinessProbe"), "readiness"
            )
        )
        out.extend(
            _validate_probe(ctr.get("startupProbe"), grace, child(p, "startupProbe"), "startup")
        )
        if ctr.get("restartPolicy") is not None:
            out.append(
                errors.forbidden(
                    child(p, "restartPolicy"), "may not be set for non-init containers"
                )
            )
    out.extend(_host_port_conflicts(containers, path))
    return out


def _validate_init_containers(
    containers: Sequence[Any],
    regular: Sequence[Any],
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    grace: Any,
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    out: list[FieldError] = []
    names = {_s(_d(c).get("name")) for c in regular}
    for i, ctr in enumerate(containers):
        ctr = _d(ctr)
        p = index(path, i)
        out.extend(
            _validate_container_common(ctr, volumes, claim_names, p, restart_policy, host_users)
        )
        policy = ctr.get("restartPolicy")
        if policy is not None and policy != "Always":
            out.append(errors.not_supported(child(p, "restartPolicy"), policy, ["Always"]))
        sidecar = policy == "Always"
        name = _s(ctr.get("name"))
        if name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        elif name:
            names.add(name)
        # Init containers run one by one, so each is checked for host port clashes alone.
        out.extend(_host_port_conflicts([ctr], path))
        if sidecar:
            if isinstance(ctr.get("lifecycle"), dict):
                out.extend(_validate_lifecycle(ctr["lifecycle"], grace, child(p, "lifecycle")))
            out.extend(
                _validate_probe(
                    ctr.get("livenessProbe"), grace, child(p, "livenessProbe"), "liveness"
                )
            )
            out.extend(
                _validate_probe(
                    ctr.get("readinessProbe"), grace, child(p, "readinessProbe"), "readiness"
                )
            )
            out.extend(
                _validate_probe(ctr.get("startupProbe"), grace, child(p, "startupProbe"), "startup")
            )
        else:
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if ctr.get(field) is not None:
                    out.append(
                        errors.forbidden(
                            child(p, field),
                            "may not be set for init containers without restartPolicy=Always",
                        )
                    )
    return out


_EPHEMERAL_ALLOWED = frozenset(
    {
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "envFrom",
        "env",
        "volumeMounts",
        "volumeDevices",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "imagePullPolicy",
        "securityContext",
        "stdin",
        "stdinOnce",
        "tty",
        "targetContainerName",
    }
)


def _validate_ephemeral_containers(
    ephemeral: Sequence[Any],
    containers: Sequence[Any],
    init: Sequence[Any],
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    out: list[FieldError] = []
    others = {_s(_d(c).get("name")) for c in [*containers, *init]}
    names = set(others)
    for i, ec in enumerate(ephemeral):
        ec = _d(ec)
        p = index(path, i)
        out.extend(
            _validate_container_common(ec, volumes, claim_names, p, restart_policy, host_users)
        )
        out.extend(_validate_image_whitespace(ec, p))
        name = _s(ec.get("name"))
        if name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        else:
            names.add(name)
        target = _s(ec.get("targetContainerName"))
        if target and target not in others:
            out.append(errors.not_found(child(p, "targetContainerName"), target))
        for field in sorted(ec):
            if field not in _EPHEMERAL_ALLOWED and ec[field] not in (None, "", [], {}, False, 0):
                out.append(
                    errors.forbidden(child(p, field), "cannot be set for an Ephemeral Container")
                )
        for j, vm in enumerate(_l(ec.get("volumeMounts"))):
            for field in ("subPath", "subPathExpr"):
                if _s(_d(vm).get(field)):
                    out.append(
                        errors.forbidden(
                            child(index(child(p, "volumeMounts"), j), field),
                            "cannot be set for an Ephemeral Container",
                        )
                    )
    return out


def _validate_image_whitespace(ctr: Obj, path: str) -> list[FieldError]:
    image = _s(ctr.get("image"))
    if image != image.strip():
        return [
            errors.invalid(
                child(path, "image"), image, "must not have leading or trailing whitespace"
            )
        ]
    return []


# ---------------------------------------------------------------------------
# Pod spec: scheduling, DNS, security


_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _validate_taint_effect(effect: Any, allow_empty: bool, path: str) -> list[FieldError]:
    if not allow_empty and not effect:
        return [errors.required(path)]
    if effect not in _TAINT_EFFECTS:
        return [errors.not_supported(path, effect, _TAINT_EFFECTS)]
    return []


def validate_tolerations(tolerations: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, tol in enumerate(tolerations):
        tol = _d(tol)
        p = index(path, i)
        k = _s(tol.get("key"))
        op = _s(tol.get("operator"))
        value = _s(tol.get("value"))
        effect = _s(tol.get("effect"))
        if k:
            out.extend(validate_label_name(k, child(p, "key")))
        if not k and op != "Exists":
            out.append(
                errors.invalid(
                    child(p, "operator"),
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            out.append(
                errors.invalid(
                    child(p, "effect"),
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if op in ("Equal", ""):
            msgs = is_valid_label_value(value)
            if msgs:
                out.append(errors.invalid(child(p, "operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                out.append(
                    errors.invalid(
                        child(p, "operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            out.append(errors.not_supported(child(p, "operator"), op, ["Equal", "Exists"]))
        if effect:
            out.extend(_validate_taint_effect(effect, True, child(p, "effect")))
    return out


def validate_node_selector_requirement(
    req: Obj, path: str, *, allow_invalid_values: bool = False
) -> list[FieldError]:
    out: list[FieldError] = []
    op = _s(req.get("operator"))
    values = _l(req.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            out.append(
                errors.required(
                    child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            out.append(
                errors.forbidden(
                    child(path, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    elif op in ("Gt", "Lt"):
        if len(values) != 1:
            out.append(
                errors.required(
                    child(path, "values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                )
            )
    else:
        out.append(errors.invalid(child(path, "operator"), op, "not a valid selector operator"))
    out.extend(validate_label_name(_s(req.get("key")), child(path, "key")))
    if not allow_invalid_values:
        for i, v in enumerate(values):
            out.extend(
                _name_errs(index(child(path, "values"), i), _s(v), is_valid_label_value(_s(v)))
            )
    return out


def _validate_node_field_requirement(req: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    op = _s(req.get("operator"))
    values = _l(req.get("values"))
    if op in ("In", "NotIn"):
        if len(values) != 1:
            out.append(
                errors.required(
                    child(path, "values"),
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                )
            )
    else:
        out.append(errors.invalid(child(path, "operator"), op, "not a valid selector operator"))
    k = _s(req.get("key"))
    if k != "metadata.name":
        out.append(errors.invalid(child(path, "key"), k, "not a valid field selector key"))
    else:
        for i, v in enumerate(values):
            out.extend(
                _name_errs(index(child(path, "values"), i), _s(v), is_dns1123_subdomain(_s(v)))
            )
    return out


def validate_node_selector_term(
    term: Obj, path: str, *, allow_invalid_values: bool = False
) -> list[FieldError]:
    out: list[FieldError] = []
    for j, req in enumerate(_l(term.get("matchExpressions"))):
        out.extend(
            validate_node_selector_requirement(
                _d(req),
                index(child(path, "matchExpressions"), j),
                allow_invalid_values=allow_invalid_values,
            )
        )
    for j, req in enumerate(_l(term.get("matchFields"))):
        out.extend(_validate_node_field_requirement(_d(req), index(child(path, "matchFields"), j)))
    return out


def validate_node_selector(selector: Obj, path: str) -> list[FieldError]:
    terms = _l(selector.get("nodeSelectorTerms"))
    term_path = child(path, "nodeSelectorTerms")
    if not terms:
        return [errors.required(term_path, "must have at least one node selector term")]
    out: list[FieldError] = []
    for i, term in enumerate(terms):
        out.extend(validate_node_selector_term(_d(term), index(term_path, i)))
    return out


def _validate_pod_affinity_term(term: Obj, path: str) -> list[FieldError]:
    out = validate_label_selector(
        term.get("labelSelector") if isinstance(term.get("labelSelector"), dict) else None,
        child(path, "labelSelector"),
    )
    out.extend(
        validate_label_selector(
            term.get("namespaceSelector")
            if isinstance(term.get("namespaceSelector"), dict)
            else None,
            child(path, "namespaceSelector"),
        )
    )
    for ns in _l(term.get("namespaces")):
        # Kubernetes names the field in the singular here.
        out.extend(_name_errs(child(path, "namespace"), _s(ns), is_dns1123_label(_s(ns))))
    selector = term.get("labelSelector")
    for field in ("matchLabelKeys", "mismatchLabelKeys"):
        keys = _l(term.get(field))
        if keys and not isinstance(selector, dict):
            out.append(
                errors.forbidden(
                    child(path, field), "must not be specified when labelSelector is not set"
                )
            )
            continue
        for i, k in enumerate(keys):
            out.extend(validate_label_name(_s(k), index(child(path, field), i)))
    mismatch = set(_l(term.get("mismatchLabelKeys")))
    for i, k in enumerate(_l(term.get("matchLabelKeys"))):
        if k in mismatch:
            out.append(
                errors.invalid(
                    index(child(path, "matchLabelKeys"), i),
                    k,
                    "exists in both matchLabelKeys and mismatchLabelKeys",
                )
            )
    topology_key = _s(term.get("topologyKey"))
    if not topology_key:
        out.append(errors.required(child(path, "topologyKey"), "can not be empty"))
    out.extend(validate_label_name(topology_key, child(path, "topologyKey")))
    return out


def _validate_pod_affinity(aff: Obj, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    req_path = child(path, "requiredDuringSchedulingIgnoredDuringExecution")
    for i, term in enumerate(_l(aff.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        out.extend(_validate_pod_affinity_term(_d(term), index(req_path, i)))
    pref_path = child(path, "preferredDuringSchedulingIgnoredDuringExecution")
    for i, wterm in enumerate(_l(aff.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        wterm = _d(wterm)
        weight = _i(wterm.get("weight"))
        if weight <= 0 or weight > 100:
            out.append(
                errors.invalid(
                    child(index(pref_path, i), "weight"), weight, "must be in the range 1-100"
                )
            )
        out.extend(
            _validate_pod_affinity_term(
                _d(wterm.get("podAffinityTerm")), child(index(pref_path, i), "podAffinityTerm")
            )
        )
    return out


def validate_affinity(affinity: Any, path: str) -> list[FieldError]:
    if not isinstance(affinity, dict):
        return []
    out: list[FieldError] = []
    node = affinity.get("nodeAffinity")
    if isinstance(node, dict):
        np = child(path, "nodeAffinity")
        required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(required, dict):
            out.extend(
                validate_node_selector(
                    required, child(np, "requiredDuringSchedulingIgnoredDuringExecution")
                )
            )
        pref_path = child(np, "preferredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(_l(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            term = _d(term)
            weight = _i(term.get("weight"))
            if weight <= 0 or weight > 100:
                out.append(
                    errors.invalid(
                        child(index(pref_path, i), "weight"), weight, "must be in the range 1-100"
                    )
                )
            # Preferred terms may carry invalid label values: they can still match.
            out.extend(
                validate_node_selector_term(
                    _d(term.get("preference")),
                    child(index(pref_path, i), "preference"),
                    allow_invalid_values=True,
                )
            )
    for field in ("podAffinity", "podAntiAffinity"):
        if isinstance(affinity.get(field), dict):
            out.extend(_validate_pod_affinity(affinity[field], child(path, field)))
    return out


_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_SUBDOMAIN_UNDERSCORE_LABEL = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_UNDERSCORE_FMT = (
    _SUBDOMAIN_UNDERSCORE_LABEL + "(\\." + _SUBDOMAIN_UNDERSCORE_LABEL + ")*"
)
_SUBDOMAIN_UNDERSCORE_RE = re.compile(_SUBDOMAIN_UNDERSCORE_FMT)


def _is_dns1123_subdomain_with_underscore(value: str) -> list[str]:
    out: list[str] = []
    if len(value) > 253:
        out.append("must be no more than 253 characters")
    if _SUBDOMAIN_UNDERSCORE_RE.fullmatch(value) is None:
        out.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', "
                "'-' or '.', and must start and end with an alphanumeric character",
                _SUBDOMAIN_UNDERSCORE_FMT,
                "example.com",
            )
        )
    return out


def _validate_dns_config(config: Any, policy: Any, path: str) -> list[FieldError]:
    if policy == "None":
        if not isinstance(config, dict):
            return [errors.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not _l(config.get("nameservers")):
            return [
                errors.required(
                    child(path, "nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )
            ]
    if not isinstance(config, dict):
        return []
    out: list[FieldError] = []
    nameservers = _l(config.get("nameservers"))
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        out.append(
            errors.invalid(
                child(path, "nameservers"),
                nameservers,
                f"must not have more than {MAX_DNS_NAMESERVERS} nameservers",
            )
        )
    for i, ns in enumerate(nameservers):
        out.extend(_name_errs(index(child(path, "nameservers"), i), _s(ns), is_valid_ip(_s(ns))))
    searches = [_s(s) for s in _l(config.get("searches"))]
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        out.append(
            errors.invalid(
                child(path, "searches"),
                searches,
                f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths",
            )
        )
    if len(" ".join(searches)) > MAX_DNS_SEARCH_LIST_CHARS:
        out.append(
            errors.invalid(
                child(path, "searches"),
                searches,
                f"must not have more than {MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list",
            )
        )
    for i, search in enumerate(searches):
        if search != ".":
            trimmed = search.removesuffix(".")
            out.extend(
                _name_errs(
                    index(child(path, "searches"), i),
                    trimmed,
                    _is_dns1123_subdomain_with_underscore(trimmed),
                )
            )
    for i, option in enumerate(_l(config.get("options"))):
        if not _s(_d(option).get("name")):
            out.append(errors.required(index(child(path, "options"), i), "must not be empty"))
    return out


def _sysctl_namespace(name: str) -> str:
    if name.startswith("net.") or name.startswith("net/"):
        return "net"
    if name.startswith(
        ("kernel.shm", "kernel.msg", "kernel/shm", "kernel/msg", "fs.mqueue.", "fs/mqueue/")
    ) or name in (
        "kernel.sem",
        "kernel/sem",
    ):
        return "ipc"
    return ""


def _validate_pod_security_context(sc: Any, spec: Obj, path: str) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    out: list[FieldError] = []
    for field, check in (
        ("fsGroup", is_valid_group_id),
        ("runAsUser", is_valid_user_id),
        ("runAsGroup", is_valid_group_id),
    ):
        value = sc.get(field)
        if isinstance(value, int):
            out.extend(errors.invalid(child(path, field), value, m) for m in check(value))
    for g, gid in enumerate(_l(sc.get("supplementalGroups"))):
        if isinstance(gid, int):
            out.extend(
                errors.invalid(index(child(path, "supplementalGroups"), g), gid, m)
                for m in is_valid_group_id(gid)
            )
    if spec.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        out.append(
            errors.invalid(
                child(path, "shareProcessNamespace"),
                True,
                "ShareProcessNamespace and HostPID cannot both be enabled",
            )
        )
    seen: set[str] = set()
    for i, sysctl in enumerate(_l(sc.get("sysctls"))):
        name = _s(_d(sysctl).get("name"))
        np = child(index(child(path, "sysctls"), i), "name")
        if not name:
            out.append(errors.required(np))
        elif len(name) > SYSCTL_MAX_LENGTH or _SYSCTL_RE.fullmatch(name) is None:
            out.append(
                errors.invalid(
                    np,
                    name,
                    f"must have at most {SYSCTL_MAX_LENGTH} characters and match regex {_SYSCTL_FMT}",
                )
            )
        elif name in seen:
            out.append(errors.duplicate(np, name))
        ns = _sysctl_namespace(name)
        if spec.get("hostNetwork") is True and ns == "net":
            out.append(errors.invalid(np, name, "may not be specified when 'hostNetwork' is true"))
        elif spec.get("hostIPC") is True and ns == "ipc":
            out.append(errors.invalid(np, name, "may not be specified when 'hostIPC' is true"))
        seen.add(name)
    policy = sc.get("fsGroupChangePolicy")
    if policy is not None and policy not in ("Always", "OnRootMismatch"):
        out.append(
            errors.not_supported(
                child(path, "fsGroupChangePolicy"), policy, ["Always", "OnRootMismatch"]
            )
        )
    out.extend(_validate_seccomp_profile(sc.get("seccompProfile"), child(path, "seccompProfile")))
    out.extend(
        _validate_apparmor_profile(sc.get("appArmorProfile"), child(path, "appArmorProfile"))
    )
    sgp = sc.get("supplementalGroupsPolicy")
    if sgp is not None and sgp not in ("Merge", "Strict"):
        out.append(
            errors.not_supported(child(path, "supplementalGroupsPolicy"), sgp, ["Merge", "Strict"])
        )
    selinux = sc.get("seLinuxChangePolicy")
    if selinux is not None and selinux not in ("MountOption", "Recursive"):
        out.append(
            errors.not_supported(
                child(path, "seLinuxChangePolicy"), selinux, ["MountOption", "Recursive"]
            )
        )
    return out


def _validate_topology_spread(constraints: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    items = [_d(c) for c in constraints]
    for i, c in enumerate(items):
        p = index(path, i)
        skew = _i(c.get("maxSkew"))
        if skew <= 0:
            out.append(errors.invalid(child(p, "maxSkew"), skew, IS_NOT_POSITIVE))
        tkey = _s(c.get("topologyKey"))
        if not tkey:
            out.append(errors.required(child(p, "topologyKey"), "can not be empty"))
        action = _s(c.get("whenUnsatisfiable"))
        if action not in ("DoNotSchedule", "ScheduleAnyway"):
            out.append(
                errors.not_supported(
                    child(p, "whenUnsatisfiable"), action, ["DoNotSchedule", "ScheduleAnyway"]
                )
            )
        for other in items[i + 1 :]:
            if (
                _s(other.get("topologyKey")) == tkey
                and _s(other.get("whenUnsatisfiable")) == action
            ):
                out.append(
                    errors.duplicate(
                        child(p, "{topologyKey, whenUnsatisfiable}"), f"{{{tkey}, {action}}}"
                    )
                )
                break
        min_domains = c.get("minDomains")
        if min_domains is not None:
            if _i(min_domains) <= 0:
                out.append(errors.invalid(child(p, "minDomains"), min_domains, IS_NOT_POSITIVE))
            if action != "DoNotSchedule":
                out.append(
                    errors.invalid(
                        child(p, "minDomains"),
                        min_domains,
                        f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}",
                    )
                )
        for field in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            policy = c.get(field)
            if policy is not None and policy not in ("Honor", "Ignore"):
                out.append(errors.not_supported(child(p, field), policy, ["Honor", "Ignore"]))
        selector = c.get("labelSelector")
        keys = _l(c.get("matchLabelKeys"))
        if keys:
            selector_keys: set[str] = set()
            if isinstance(selector, dict):
                selector_keys |= set(_d(selector.get("matchLabels")))
                selector_keys |= {
                    _s(_d(e).get("key")) for e in _l(selector.get("matchExpressions"))
                }
            else:
                out.append(
                    errors.forbidden(
                        child(p, "matchLabelKeys"),
                        "must not be specified when labelSelector is not set",
                    )
                )
            for j, k in enumerate(keys):
                kp = index(child(p, "matchLabelKeys"), j)
                out.extend(validate_label_name(_s(k), kp))
                if k in selector_keys:
                    out.append(
                        errors.invalid(kp, k, "exists in both matchLabelKeys and labelSelector")
                    )
        out.extend(
            validate_label_selector(
                selector if isinstance(selector, dict) else None, child(p, "labelSelector")
            )
        )
    return out


def _validate_pod_resources(spec: Obj, claim_names: set[str], path: str) -> list[FieldError]:
    res = spec.get("resources")
    if not isinstance(res, dict):
        return []
    out: list[FieldError] = []
    if res.get("claims") is not None:
        out.append(
            errors.forbidden(
                child(path, "claims"), "claims cannot be set for Resources at pod-level"
            )
        )
    out.extend(
        _validate_resource_requirements(
            {k: v for k, v in res.items() if k != "claims"}, path, _validate_pod_level_resource_name
        )
    )
    return out


def _validate_host_network_ports(spec: Obj, path: str, resource_is_pod: bool) -> list[FieldError]:
    if spec.get("hostNetwork") is not True:
        return []
    out: list[FieldError] = []
    for i, ctr in enumerate(_l(spec.get("containers"))):
        for j, port in enumerate(_l(_d(ctr).get("ports"))):
            port = _d(port)
            hp, cp = _i(port.get("hostPort")), _i(port.get("containerPort"))
            if (resource_is_pod or hp != 0) and hp != cp:
                out.append(
                    errors.invalid(
                        child(
                            index(child(index(child(path, "containers"), i), "ports"), j),
                            "hostPort",
                        ),
                        hp,
                        "must match `containerPort` when `hostNetwork` is true",
                    )
                )
    return out


def validate_pod_spec(
    spec: Obj,
    path: str = "spec",
    *,
    pod_meta: Obj | None = None,
    resource_is_pod: bool = False,
) -> list[FieldError]:
    """ValidatePodSpec for a Pod's spec or a template's. `pod_meta` only for real pods."""
    out: list[FieldError] = []
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        out.append(errors.required(child(path, "terminationGracePeriodSeconds")))
    restart_policy = _s(spec.get("restartPolicy"))
    sc = spec.get("securityContext")
    host_users = _d(sc).get("hostUsers") is not False
    volumes, vol_errs = validate_volumes(
        _l(spec.get("volumes")),
        child(path, "volumes"),
        pod_meta=pod_meta,
        resource_is_pod=resource_is_pod,
    )
    out.extend(vol_errs)
    claims = [_d(c) for c in _l(spec.get("resourceClaims"))]
    claim_names = {_s(c.get("name")) for c in claims if _s(c.get("name"))}
    out.extend(_validate_pod_resource_claims(claims, child(path, "resourceClaims")))
    containers = _l(spec.get("containers"))
    init = _l(spec.get("initContainers"))
    out.extend(
        _validate_containers(
            containers,
            volumes,
            claim_names,
            grace,
            child(path, "containers"),
            restart_policy,
            host_users,
        )
    )
    out.extend(
        _validate_init_containers(
            init,
            containers,
            volumes,
            claim_names,
            grace,
            child(path, "initContainers"),
            restart_policy,
            host_users,
        )
    )
    out.extend(
        _validate_ephemeral_containers(
            _l(spec.get("ephemeralContainers")),
            containers,
            init,
            volumes,
            claim_names,
            child(path, "ephemeralContainers"),
            restart_policy,
            host_users,
        )
    )
    out.extend(_validate_pod_resources(spec, claim_names, child(path, "resources")))
    out.extend(_validate_host_network_ports(spec, path, resource_is_pod))
    if restart_policy not in _RESTART_POLICIES:
        rp = child(path, "restartPolicy")
        out.append(
            errors.required(rp)
            if not restart_policy
            else errors.not_supported(rp, restart_policy, _RESTART_POLICIES)
        )
    dns_policy = _s(spec.get("dnsPolicy"))
    if dns_policy not in _DNS_POLICIES:
        dp = child(path, "dnsPolicy")
        out.append(
            errors.required(dp)
            if not dns_policy
            else errors.not_supported(dp, dns_policy, _DNS_POLICIES)
        )
    out.extend(validate_labels(_d(spec.get("nodeSelector")), child(path, "nodeSelector")))
    out.extend(_validate_pod_security_context(sc, spec, child(path, "securityContext")))
    for i, secret in enumerate(_l(spec.get("imagePullSecrets"))):
        if isinstance(secret, dict) and set(secret) - {"name"}:
            out.append(
                errors.invalid(
                    index(child(path, "imagePullSecrets"), i), dict(secret), "only name may be set"
                )
            )
    out.extend(validate_affinity(spec.get("affinity"), child(path, "affinity")))
    out.extend(_validate_dns_config(spec.get("dnsConfig"), dns_policy, child(path, "dnsConfig")))
    for i, gate in enumerate(_l(spec.get("readinessGates"))):
        out.extend(
            validate_qualified_name(
                _s(_d(gate).get("conditionType")),
                child(index(child(path, "readinessGates"), i), "conditionType"),
            )
        )
    seen_gates: set[str] = set()
    for i, gate in enumerate(_l(spec.get("schedulingGates"))):
        gname = _s(_d(gate).get("name"))
        gp = index(child(path, "schedulingGates"), i)
        out.extend(validate_qualified_name(gname, gp))
        if gname in seen_gates:
            out.append(errors.duplicate(gp, gname))
        seen_gates.add(gname)
    out.extend(
        _validate_topology_spread(
            _l(spec.get("topologySpreadConstraints")), child(path, "topologySpreadConstraints")
        )
    )
    if _d(sc).get("hostUsers") is False:
        for field, label in (
            ("hostNetwork", "hostNetwork"),
            ("hostPID", "HostPID"),
            ("hostIPC", "HostIPC"),
        ):
            if spec.get(field) is True:
                out.append(
                    errors.forbidden(child(path, label), "when `pod.Spec.HostUsers` is false")
                )
    for field in ("serviceAccountName", "nodeName"):
        value = _s(spec.get(field))
        if value:
            out.extend(_name_errs(child(path, field), value, is_dns1123_subdomain(value)))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not (isinstance(ads, int) and 1 <= ads <= MAX_INT32):
        out.append(
            errors.invalid(
                child(path, "activeDeadlineSeconds"), ads, inclusive_range_error(1, MAX_INT32)
            )
        )
    for field in ("hostname", "subdomain"):
        value = _s(spec.get(field))
        if value:
            out.extend(validate_dns1123_label(value, child(path, field)))
    out.extend(validate_tolerations(_l(spec.get("tolerations")), child(path, "tolerations")))
    for i, alias in enumerate(_l(spec.get("hostAliases"))):
        alias = _d(alias)
        ap = index(child(path, "hostAliases"), i)
        ip = _s(alias.get("ip"))
        out.extend(_name_errs(child(ap, "ip"), ip, is_valid_ip(ip)))
        for j, host in enumerate(_l(alias.get("hostnames"))):
            out.extend(validate_dns1123_subdomain(_s(host), index(child(ap, "hostnames"), j)))
    for field in ("priorityClassName", "runtimeClassName"):
        class_name = spec.get(field)
        if isinstance(class_name, str) and (class_name or field == "runtimeClassName"):
            out.extend(_name_errs(child(path, field), class_name, is_dns1123_subdomain(class_name)))
    preemption = spec.get("preemptionPolicy")
    if preemption is not None and preemption not in ("PreemptLowerPriority", "Never"):
        pp = child(path, "preemptionPolicy")
        out.append(
            errors.required(pp)
            if not preemption
            else errors.not_supported(pp, preemption, ["PreemptLowerPriority", "Never"])
        )
    if isinstance(spec.get("overhead"), dict):
        out.extend(
            validate_container_resources({"limits": spec["overhead"]}, child(path, "overhead"))
        )
    os_spec = spec.get("os")
    if isinstance(os_spec, dict):
        os_name = _s(os_spec.get("name"))
        if os_name not in ("linux", "windows"):
            out.append(
                errors.not_supported(child(path, "os", "name"), os_name, ["linux", "windows"])
            )
    return out


def _validate_pod_resource_claims(claims: Sequence[Obj], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    names: set[str] = set()
    for i, claim in enumerate(claims):
        p = index(path, i)
        name = _s(claim.get("name"))
        if not name:
            out.append(errors.required(child(p, "name")))
        elif name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        else:
            out.extend(validate_dns1123_label(name, child(p, "name")))
            names.add(name)
        has_claim = claim.get("resourceClaimName") is not None
        has_template = claim.get("resourceClaimTemplateName") is not None
        if has_claim and has_template:
            out.append(
                errors.invalid(
                    p,
                    dict(claim),
                    "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
                )
            )
        if not has_claim and not has_template:
            out.append(
                errors.invalid(
                    p,
                    dict(claim),
                    "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
                )
            )
        for field in ("resourceClaimName", "resourceClaimTemplateName"):
            value = claim.get(field)
            if isinstance(value, str):
                out.extend(_name_errs(child(p, field), value, is_dns1123_subdomain(value)))
    return out


# ---------------------------------------------------------------------------
# Pod-specific annotations


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


# ---------------------------------------------------------------------------
# Pod


def _meta(obj: Obj) -> dict[str, Any]:
    return _d(obj.get("metadata"))


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


def _semantic(value: Any) -> Any:
    """What Go's apiequality.Semantic compares: unset, null, empty and zero are alike."""
    if isinstance(value, dict):
        items = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v not in (None, "", [], {}, False, 0)}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _semantic_equal(a: Any, b: Any) -> bool:
    return bool(_semantic(a) == _semantic(b))


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


# ---------------------------------------------------------------------------
# PodTemplate and ReplicationController


def validate_pod_template(obj: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(obj), namespaced=True)
    out.extend(validate_pod_template_spec(_d(obj.get("template")), "template"))
    return out


def validate_pod_template_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_pod_template_spec(_d(new.get("template")), "template"))
    return out


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


# ---------------------------------------------------------------------------
# Service

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")


def _is_headless(spec: Obj) -> bool:
    return _l(spec.get("clusterIPs")) == ["None"]


def _externally_accessible(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (
        kind == "ClusterIP" and bool(_l(spec.get("externalIPs")))
    )


def _go_service_port_key(protocol: str, port: Any) -> GoRaw:
    # field.Duplicate prints the (protocol, port) key as Go's %#v of a core.ServicePort.
    return GoRaw(
        f'core.ServicePort{{Name:"", Protocol:{json.dumps(protocol)}, AppProtocol:(*string)(nil), '
        f'Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}'
    )


def _validate_non_special_ip(ip: str, path: str) -> list[FieldError]:
    addr = parse_ip_sloppy(ip)
    if addr is None:
        return [errors.invalid(path, ip, "must be a valid IP address")]
    out: list[FieldError] = []
    if addr.is_unspecified:
        out.append(errors.invalid(path, ip, f"may not be unspecified ({ip})"))
    if addr.is_loopback:
        out.append(
            errors.invalid(path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)")
        )
    if addr.is_link_local and not addr.is_multicast:
        out.append(
            errors.invalid(
                path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
            )
        )
    link_local_mc = (addr.version == 4 and str(addr).startswith("224.0.0.")) or (
        addr.version == 6 and addr.is_multicast and (int(addr) >> 112) & 0xF == 2
    )
    if link_local_mc:
        out.append(
            errors.invalid(
                path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
            )
        )
    return out


def _validate_service_port(
    sp: Obj, require_name: bool, names: set[str], path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    name = _s(sp.get("name"))
    if require_name and not name:
        out.append(errors.required(child(path, "name")))
    elif name:
        out.extend(validate_dns1123_label(name, child(path, "name")))
        if name in names:
            out.append(errors.duplicate(child(path, "name"), name))
        names.add(name)
    port = sp.get("port")
    out.extend(errors.invalid(child(path, "port"), port, m) for m in is_valid_port_num(port))
    proto = _s(sp.get("protocol"))
    if not proto:
        out.append(errors.required(child(path, "protocol")))
    elif proto not in _PROTOCOLS:
        out.append(errors.not_supported(child(path, "protocol"), proto, _PROTOCOLS))
    out.extend(_port_num_or_name(sp.get("targetPort"), child(path, "targetPort")))
    app = sp.get("appProtocol")
    if isinstance(app, str):
        out.extend(validate_qualified_name(app, child(path, "appProtocol")))
    return out


def _validate_cluster_ips(spec: Obj) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields."""
    if spec.get("type") == "ExternalName":
        return []
    out: list[FieldError] = []
    ip = _s(spec.get("clusterIP"))
    ips = [_s(x) for x in _l(spec.get("clusterIPs"))]
    if ip:
        if not ips:
            out.append(errors.required("spec.clusterIPs"))
        elif ips[0] != ip:
            out.append(errors.invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    elif ips:
        out.append(
            errors.invalid(
                "spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"
            )
        )
    families = _l(spec.get("ipFamilies"))
    seen: set[Any] = set()
    for i, fam in enumerate(families):
        if fam not in ("IPv4", "IPv6"):
            out.append(errors.not_supported(f"spec.ipFamilies[{i}]", fam, ["IPv4", "IPv6"]))
        if fam in seen:
            out.append(errors.duplicate(f"spec.ipFamilies[{i}]", fam))
        seen.add(fam)
    policy = spec.get("ipFamilyPolicy")
    supported_policies = ("PreferDualStack", "RequireDualStack", "SingleStack")
    if policy is not None and policy not in supported_policies:
        out.append(errors.not_supported("spec.ipFamilyPolicy", policy, supported_policies))
    invalid_ips = False
    for i, value in enumerate(ips):
        if i == 0 and value == "None":
            if len(ips) > 1:
                invalid_ips = True
                out.append(
                    errors.invalid(
                        "spec.clusterIPs", ips, "'None' must be the first and only value"
                    )
                )
            continue
        msgs = is_valid_ip(value)
        invalid_ips = invalid_ips or bool(msgs)
        out.extend(_name_errs(f"spec.clusterIPs[{i}]", value, msgs))
    if len(ips) > 2:
        out.append(errors.invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if invalid_ips:
        return out
    if len(ips) > 1:
        versions = {a.version for a in (parse_ip_sloppy(x) for x in ips) if a is not None}
        if versions != {4, 6}:
            out.append(
                errors.invalid(
                    "spec.clusterIPs", ips, "may specify no more than one IP for each IP family"
                )
            )
    if not _is_headless(spec) and ips and families:
        for i, value in enumerate(ips[: len(families)]):
            addr = parse_ip_sloppy(value)
            is6 = addr is not None and addr.version == 6
            if families[i] == "IPv4" and is6:
                out.append(
                    errors.invalid(
                        f"spec.clusterIPs[{i}]",
                        value,
                        f"expected an IPv4 value as indicated by `ipFamilies[{i}]`",
                    )
                )
            if families[i] == "IPv6" and not is6:
                out.append(
                    errors.invalid(
                        f"spec.clusterIPs[{i}]",
                        value,
                        f"expected an IPv6 value as indicated by `ipFamilies[{i}]`",
                    )
                )
    return out


def _validate_service_spec(svc: Obj) -> list[FieldError]:
    spec = _d(svc.get("spec"))
    ann = _d(_meta(svc).get("annotations"))
    out: list[FieldError] = []
    hints = "service.kubernetes.io/topology-aware-hints"
    mode = "service.kubernetes.io/topology-mode"
    if hints in ann and mode in ann and ann[hints] != ann[mode]:
        out.append(
            errors.invalid(
                f"metadata.annotations[{mode}]",
                ann[mode],
                f"must match annotations[{hints}] when both are specified",
            )
        )
    kind = _s(spec.get("type"))
    ports = [_d(p) for p in _l(spec.get("ports"))]
    headless = _is_headless(spec)
    if not ports and not headless and kind != "ExternalName":
        out.append(errors.required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and headless:
        out.append(
            errors.invalid(
                "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {kind} services"
            )
        )
    elif kind == "ExternalName":
        if _l(spec.get("clusterIPs")):
            out.append(
                errors.forbidden("spec.clusterIPs", "may not be set for ExternalName services")
            )
        if _l(spec.get("ipFamilies")):
            out.append(
                errors.forbidden("spec.ipFamilies", "may not be set for ExternalName services")
            )
        if spec.get("ipFamilyPolicy") is not None:
            out.append(
                errors.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services")
            )
        cname = _s(spec.get("externalName")).removesuffix(".")
        if cname:
            out.extend(validate_dns1123_subdomain(cname, "spec.externalName"))
        else:
            out.append(errors.required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        out.extend(_validate_service_port(port, len(ports) > 1, names, f"spec.ports[{i}]"))
    if spec.get("selector") is not None:
        out.extend(validate_labels(_d(spec.get("selector")), "spec.selector"))
    affinity = _s(spec.get("sessionAffinity"))
    if not affinity:
        out.append(errors.required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        out.append(errors.not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    config = spec.get("sessionAffinityConfig")
    if affinity == "ClientIP":
        out.extend(_validate_client_ip_config(config))
    elif affinity == "None" and config is not None:
        out.append(
            errors.forbidden(
                "spec.sessionAffinityConfig", "must not be set when session affinity is None"
            )
        )
    out.extend(_validate_cluster_ips(spec))
    for i, ip in enumerate(_l(spec.get("externalIPs"))):
        msgs = is_valid_ip(_s(ip))
        if msgs:
            out.extend(_name_errs(f"spec.externalIPs[{i}]", _s(ip), msgs))
        else:
            out.extend(_validate_non_special_ip(_s(ip), f"spec.externalIPs[{i}]"))
    if not kind:
        out.append(errors.required("spec.type"))
    elif kind not in _SERVICE_TYPES:
        out.append(errors.not_supported("spec.type", kind, _SERVICE_TYPES))
    if kind == "ClusterIP":
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                out.append(
                    errors.forbidden(
                        f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
    node_ports: set[tuple[str, Any]] = set()
    for i, port in enumerate(ports):
        if not port.get("nodePort"):
            continue
        npk = (_s(port.get("protocol")), port.get("nodePort"))
        if npk in node_ports:
            out.append(errors.duplicate(f"spec.ports[{i}].nodePort", port.get("nodePort")))
        node_ports.add(npk)
    port_keys: set[tuple[str, Any]] = set()
    for i, port in enumerate(ports):
        pk = (_s(port.get("protocol")), port.get("port"))
        if pk in port_keys:
            out.append(errors.duplicate(f"spec.ports[{i}]", _go_service_port_key(*pk)))
        port_keys.add(pk)
    out.extend(_validate_source_ranges(spec, ann, kind))
    if spec.get("allocateLoadBalancerNodePorts") is not None and kind != "LoadBalancer":
        out.append(
            errors.forbidden(
                "spec.allocateLoadBalancerNodePorts",
                "may only be used when `type` is 'LoadBalancer'",
            )
        )
    if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        out.append(errors.required("allocateLoadBalancerNodePorts"))
    lb_class = spec.get("loadBalancerClass")
    if kind == "LoadBalancer":
        if isinstance(lb_class, str):
            out.extend(validate_qualified_name(lb_class, "spec.loadBalancerClass"))
    elif lb_class is not None:
        out.append(
            errors.forbidden(
                "spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"
            )
        )
    out.extend(_validate_traffic_policies(spec, kind))
    return out


def _validate_client_ip_config(config: Any) -> list[FieldError]:
    when = "when session affinity type is ClientIP"
    if not isinstance(config, dict):
        return [errors.required("spec.sessionAffinityConfig", when)]
    client_ip = config.get("clientIP")
    if not isinstance(client_ip, dict):
        return [errors.required("spec.sessionAffinityConfig.clientIP", when)]
    timeout = client_ip.get("timeoutSeconds")
    path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds"
    if timeout is None:
        return [errors.required(path, when)]
    if not isinstance(timeout, int) or timeout <= 0 or timeout > MAX_CLIENT_IP_AFFINITY_SECONDS:
        return [
            errors.invalid(
                path,
                timeout,
                f"must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}",
            )
        ]
    return []


def _validate_source_ranges(spec: Obj, ann: Mapping[str, Any], kind: str) -> list[FieldError]:
    out: list[FieldError] = []
    ranges = _l(spec.get("loadBalancerSourceRanges"))
    annotation = "service.beta.kubernetes.io/load-balancer-source-ranges"
    if ranges:
        path = "spec.LoadBalancerSourceRanges"
        if kind != "LoadBalancer":
            out.append(errors.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
        for i, value in enumerate(ranges):
            value = _s(value).strip()
            out.extend(_name_errs(index(path, i), value, is_valid_cidr(value)))
    elif annotation in ann:
        path = f"metadata.annotations[{annotation}]"
        if kind != "LoadBalancer":
            out.append(errors.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
        text = _s(ann[annotation]).strip()
        if text:
            for value in text.split(","):
                value = value.strip()
                out.extend(_name_errs(path, value, is_valid_cidr(value)))
    return out


def _validate_traffic_policies(spec: Obj, kind: str) -> list[FieldError]:
    out: list[FieldError] = []
    etp = _s(spec.get("externalTrafficPolicy"))
    if not _externally_accessible(spec):
        if etp:
            out.append(
                errors.invalid(
                    "spec.externalTrafficPolicy",
                    etp,
                    "may only be set for externally-accessible services",
                )
            )
    elif not etp:
        out.append(errors.required("spec.externalTrafficPolicy"))
    elif etp not in ("Cluster", "Local"):
        out.append(errors.not_supported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
    hc = spec.get("healthCheckNodePort")
    if not (kind == "LoadBalancer" and etp == "Local"):
        if hc:
            out.append(
                errors.invalid(
                    "spec.healthCheckNodePort",
                    hc,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
                )
            )
    elif hc:
        # Zero is accepted: the port is allocated after validation here.
        out.extend(errors.invalid("spec.healthCheckNodePort", hc, m) for m in is_valid_port_num(hc))
    itp = spec.get("internalTrafficPolicy")
    if itp is None:
        if kind in ("NodePort", "LoadBalancer", "ClusterIP"):
            out.append(errors.required("spec.internalTrafficPolicy"))
    elif itp not in ("Cluster", "Local"):
        out.append(errors.not_supported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    td = spec.get("trafficDistribution")
    if td is not None and td not in _TRAFFIC_DISTRIBUTIONS:
        out.append(errors.not_supported("spec.trafficDistribution", td, _TRAFFIC_DISTRIBUTIONS))
    return out


def _validate_lb_status(svc: Obj) -> list[FieldError]:
    spec = _d(svc.get("spec"))
    ingress = _l(_d(_d(svc.get("status")).get("loadBalancer")).get("ingress"))
    path = "status.loadBalancer.ingress"
    if spec.get("type") != "LoadBalancer" and ingress:
        return [errors.forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'")]
    out: list[FieldError] = []
    for i, entry in enumerate(ingress):
        entry = _d(entry)
        p = index(path, i)
        ip = _s(entry.get("ip"))
        mode = entry.get("ipMode")
        if ip:
            out.extend(_name_errs(child(p, "ip"), ip, is_valid_ip(ip)))
        if mode is None:
            if ip:
                out.append(
                    errors.required(child(p, "ipMode"), "must be specified when `ip` is set")
                )
        elif not ip:
            out.append(
                errors.forbidden(child(p, "ipMode"), "may not be specified when `ip` is not set")
            )
        elif mode not in ("Proxy", "VIP"):
            out.append(errors.not_supported(child(p, "ipMode"), mode, ["Proxy", "VIP"]))
        hostname = _s(entry.get("hostname"))
        if hostname:
            out.extend(_name_errs(child(p, "hostname"), hostname, is_dns1123_subdomain(hostname)))
            if parse_ip_sloppy(hostname) is not None:
                out.append(
                    errors.invalid(
                        child(p, "hostname"), hostname, "must be a DNS name, not an IP address"
                    )
                )
    return out


def _service_for_create(svc: Obj) -> dict[str, Any]:
    from steersman.api.defaults.core import normalize_service_cluster_ips

    view = copy.deepcopy(dict(svc))
    normalize_service_cluster_ips(view, None)
    return view


def validate_service(svc: Obj) -> list[FieldError]:
    view = _service_for_create(svc)
    out = validate_object_meta(_meta(view), namespaced=True, name_validator=is_dns1035_label)
    out.extend(_validate_service_spec(view))
    return out


def _upgrade_downgrade_cluster_ips(new: Obj, old: Obj) -> list[FieldError]:
    if new.get("type") == "ExternalName" or old.get("type") == "ExternalName":
        return []
    if _is_headless(new) and _is_headless(old):
        return []
    new_ips, old_ips = _l(new.get("clusterIPs")), _l(old.get("clusterIPs"))
    out: list[FieldError] = []
    if len(old_ips) == len(new_ips):
        out.extend(
            errors.invalid(f"spec.clusterIPs[{i}]", new_ips, "may not change once set")
            for i, ip in enumerate(old_ips)
            if ip != new_ips[i]
        )
    elif len(old_ips) > len(new_ips):
        if not new_ips:
            out.append(
                errors.invalid("spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset")
            )
        if old_ips and new_ips and new_ips[0] != old_ips[0]:
            out.append(errors.invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
        if len(new_ips) == 1 and new.get("ipFamilyPolicy") != "SingleStack":
            out.append(
                errors.invalid(
                    "spec.ipFamilyPolicy",
                    new.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                )
            )
    elif old_ips and new_ips[0] != old_ips[0]:
        out.append(errors.invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
    return out


def _upgrade_downgrade_ip_families(new: Obj, old: Obj) -> list[FieldError]:
    if new.get("type") == "ExternalName" or old.get("type") == "ExternalName":
        return []
    if _is_headless(new) or _is_headless(old):
        return []
    new_f, old_f = _l(new.get("ipFamilies")), _l(old.get("ipFamilies"))
    ips = _l(new.get("clusterIPs"))
    out: list[FieldError] = []
    if len(old_f) == len(new_f):
        out.extend(
            errors.invalid("spec.ipFamilies[0]", new_f, "may not change once set")
            for i, fam in enumerate(old_f)
            if fam != new_f[i]
        )
    elif len(old_f) > len(new_f):
        if not ips:
            out.append(
                errors.invalid("spec.ipFamilies[0]", new_f, "primary ipFamily can not be unset")
            )
        if new_f and new_f[0] != old_f[0]:
            out.append(errors.invalid("spec.ipFamilies[0]", ips, "may not change once set"))
        if len(new_f) == 1 and new.get("ipFamilyPolicy") != "SingleStack":
            out.append(
                errors.invalid(
                    "spec.ipFamilyPolicy",
                    new.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary ipFamily",
                )
            )
    elif old_f and new_f and new_f[0] != old_f[0]:
        out.append(errors.invalid("spec.ipFamilies[0]", ips, "may not change once set"))
    return out


def validate_service_update(new: Obj, old: Obj) -> list[FieldError]:
    from steersman.api.defaults.core import prepare_service_for_update

    view = copy.deepcopy(dict(new))
    prepare_service_for_update(view, dict(old))
    # Status is not the registry's to clear on a /status write; judge what the client sent.
    if "status" in new:
        view["status"] = copy.deepcopy(new["status"])
    spec, old_spec = _d(view.get("spec")), _d(old.get("spec"))
    out = validate_object_meta_update(_meta(view), _meta(old))
    out.extend(_upgrade_downgrade_cluster_ips(spec, old_spec))
    out.extend(_upgrade_downgrade_ip_families(spec, old_spec))
    both_lb = spec.get("type") == "LoadBalancer" and old_spec.get("type") == "LoadBalancer"
    if both_lb and spec.get("loadBalancerClass") != old_spec.get("loadBalancerClass"):
        out.append(
            errors.invalid(
                "spec.loadBalancerClass",
                spec.get("loadBalancerClass"),
                "may not change once set",
            )
        )
    both_hc = all(
        s.get("type") == "LoadBalancer" and s.get("externalTrafficPolicy") == "Local"
        for s in (spec, old_spec)
    )
    if both_hc and spec.get("healthCheckNodePort") != old_spec.get("healthCheckNodePort"):
        out.append(errors.forbidden("spec.healthCheckNodePort", FIELD_IMMUTABLE))
    out.extend(validate_object_meta(_meta(view), namespaced=True, name_validator=is_dns1035_label))
    out.extend(_validate_service_spec(view))
    if not _semantic_equal(view.get("status"), old.get("status")):
        out.extend(_validate_lb_status(view))
    return out


# ---------------------------------------------------------------------------
# ConfigMap and Secret


def _b64_len(value: Any) -> int:
    """Decoded size of a base64 `[]byte` field (its raw length if it does not decode)."""
    text = _s(value)
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return len(text)


def _b64_bytes(value: Any) -> bytes:
    try:
        return base64.b64decode(_s(value), validate=True)
    except (binascii.Error, ValueError):
        return _s(value).encode()


def validate_config_map(cm: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(cm), namespaced=True)
    data = _d(cm.get("data"))
    binary = _d(cm.get("binaryData"))
    total = 0
    for k, v in data.items():
        out.extend(_name_errs(key("data", k), k, is_config_map_key(k)))
        if k in binary:
            out.append(errors.invalid(key("data", k), k, "duplicate of key present in binaryData"))
        total += len(_s(v).encode())
    for k, v in binary.items():
        out.extend(_name_errs(key("binaryData", k), k, is_config_map_key(k)))
        total += _b64_len(v)
    if total > MAX_SECRET_SIZE:
        out.append(errors.too_long("", MAX_SECRET_SIZE))
    return out


def validate_config_map_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            out.append(errors.forbidden("immutable", "field is immutable when `immutable` is set"))
        for field in ("data", "binaryData"):
            if (new.get(field) or {}) != (old.get(field) or {}):
                out.append(errors.forbidden(field, "field is immutable when `immutable` is set"))
    out.extend(validate_config_map(new))
    return out


def _innermost_open(text: str, pos: int) -> str:
    """The innermost bracket still open at `pos` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


# Python's json error -> the state Go's encoding/json scanner names in its error.
_GO_JSON_CONTEXT = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Extra data": "after top-level value",
}


def _go_json_error(raw: bytes) -> str | None:
    """What encoding/json says when unmarshalling `raw` into a map, or None if it is fine."""
    text = raw.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip(" \t\r\n")) or exc.msg.startswith("Unterminated"):
            return "unexpected end of JSON input"
        context = _GO_JSON_CONTEXT.get(exc.msg)
        if context is None:
            inner = _innermost_open(text, exc.pos)
            context = "after array element" if inner == "[" else "after object key:value pair"
        ch = text[exc.pos]
        shown = "'\\''" if ch == "'" else repr(ch)
        return f"invalid character {shown} {context}"
    if value is None or isinstance(value, dict):
        return None
    kinds = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}
    kind = kinds.get(type(value), "value")
    return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"


def validate_secret(secret: Obj) -> list[FieldError]:
    meta = _meta(secret)
    out = validate_object_meta(meta, namespaced=True)
    data = _d(secret.get("data"))
    total = 0
    for k, v in data.items():
        out.extend(_name_errs(key("data", k), k, is_config_map_key(k)))
        total += _b64_len(v)
    if total > MAX_SECRET_SIZE:
        out.append(errors.too_long("data", MAX_SECRET_SIZE))
    kind = _s(secret.get("type"))
    if kind == "kubernetes.io/service-account-token":
        sa_key = "kubernetes.io/service-account.name"
        if not _s(_d(meta.get("annotations")).get(sa_key)):
            out.append(errors.required(f"metadata.annotations[{sa_key}]"))
    elif kind in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        data_key = ".dockercfg" if kind == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if data_key not in data:
            out.append(errors.required(key("data", data_key)))
        else:
            err = _go_json_error(_b64_bytes(data[data_key]))
            if err is not None:
                out.append(errors.invalid(key("data", data_key), "<secret contents redacted>", err))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            out.append(errors.required("data[username]"))
            out.append(errors.required("data[password]"))
    elif kind == "kubernetes.io/ssh-auth":
        if not _b64_len(data.get("ssh-privatekey")):
            out.append(errors.required("data[ssh-privatekey]"))
    elif kind == "kubernetes.io/tls":
        for field in ("tls.crt", "tls.key"):
            if field not in data:
                out.append(errors.required(key("data", field)))
    return out


def validate_secret_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_immutable(_s(new.get("type")), _s(old.get("type")), "type"))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            out.append(errors.forbidden("immutable", "field is immutable when `immutable` is set"))
        if (new.get("data") or {}) != (old.get("data") or {}):
            out.append(errors.forbidden("data", "field is immutable when `immutable` is set"))
    out.extend(validate_secret(new))
    return out


# ---------------------------------------------------------------------------
# Namespace, ServiceAccount, Node


def validate_namespace(ns: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(ns), namespaced=False, name_validator=is_dns1123_label)
    for f in _l(_d(ns.get("spec")).get("finalizers")):
        out.extend(validate_kube_finalizer_name(_s(f), "spec.finalizers"))
    return out


def validate_namespace_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    new_finalizers = _l(_d(new.get("spec")).get("finalizers"))
    if new_finalizers != _l(_d(old.get("spec")).get("finalizers")):
        # A /finalize write.
        for i, f in enumerate(new_finalizers):
            out.extend(validate_kube_finalizer_name(_s(f), f"spec.finalizers[{i}]"))
    if not _semantic_equal(new.get("status"), old.get("status")):
        phase = _s(_d(new.get("status")).get("phase"))
        if not _meta(new).get("deletionTimestamp"):
            if phase != "Active":
                out.append(
                    errors.invalid(
                        "status.Phase",
                        phase,
                        "may only be 'Active' if `deletionTimestamp` is empty",
                    )
                )
        elif phase != "Terminating":
            out.append(
                errors.invalid(
                    "status.Phase",
                    phase,
                    "may only be 'Terminating' if `deletionTimestamp` is not empty",
                )
            )
    return out


def validate_service_account(sa: Obj) -> list[FieldError]:
    return validate_object_meta(_meta(sa), namespaced=True)


def validate_service_account_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + validate_service_account(new)


def _validate_taints(taints: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(taints):
        taint = _d(taint)
        p = index(path, i)
        k, value, effect = _s(taint.get("key")), _s(taint.get("value")), _s(taint.get("effect"))
        out.extend(validate_label_name(k, child(p, "key")))
        msgs = is_valid_label_value(value)
        if msgs:
            out.append(errors.invalid(child(p, "value"), value, ";".join(msgs)))
        out.extend(_validate_taint_effect(effect, False, child(p, "effect")))
        if (k, effect) in seen:
            out.append(
                FieldError(
                    errors.FIELD_VALUE_DUPLICATE,
                    p,
                    "taints must be unique by key and effect pair",
                    dict(taint),
                )
            )
            continue
        seen.add((k, effect))
    return out


def _validate_node_resources(node: Obj) -> list[FieldError]:
    out: list[FieldError] = []
    status = _d(node.get("status"))
    for field in ("capacity", "allocatable"):
        for name, value in _d(status.get(field)).items():
            out.extend(validate_resource_quantity_value(name, value, f"status.{field}.{name}")[1])
    return out


def _validate_pod_cidrs(cidrs: list[Any]) -> list[FieldError]:
    out: list[FieldError] = []
    for i, value in enumerate(cidrs):
        out.extend(_name_errs(f"spec.podCIDRs[{i}]", _s(value), is_valid_cidr(_s(value))))
    if len(cidrs) > 1 and not out:
        versions = {
            a.version
            for a in (parse_ip_sloppy(_s(c).partition("/")[0]) for c in cidrs)
            if a is not None
        }
        if len(cidrs) > 2 or versions != {4, 6}:
            out.append(
                errors.invalid(
                    "spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"
                )
            )
        seen: set[str] = set()
        for i, value in enumerate(cidrs):
            if value in seen:
                out.append(errors.duplicate(f"spec.podCIDRs[{i}]", value))
            seen.add(value)
    return out


def validate_node(node: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(node), namespaced=False)
    spec = _d(node.get("spec"))
    # Kubernetes reports a node's taints under metadata.
    out.extend(_validate_taints(_l(spec.get("taints")), "metadata.taints"))
    out.extend(_validate_node_resources(node))
    out.extend(_validate_pod_cidrs(_l(spec.get("podCIDRs"))))
    return out


def validate_node_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(_validate_node_resources(new))
    seen: list[Any] = []
    for i, addr in enumerate(_l(_d(new.get("status")).get("addresses"))):
        if addr in seen:
            out.append(errors.duplicate(f"status.addresses[{i}]", addr))
        seen.append(addr)
    spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    old_cidrs, new_cidrs = _l(old_spec.get("podCIDRs")), _l(spec.get("podCIDRs"))
    change_msg = 'node updates may not change podCIDR except from "" to valid'
    if old_cidrs:
        if len(old_cidrs) != len(new_cidrs):
            out.append(errors.forbidden("spec.podCIDRs", change_msg))
        else:
            out.extend(
                errors.forbidden("spec.podCIDRs", change_msg)
                for a, b in zip(old_cidrs, new_cidrs, strict=True)
                if a != b
            )
    old_provider = _s(old_spec.get("providerID"))
    if old_provider and old_provider != _s(spec.get("providerID")):
        out.append(
            errors.forbidden(
                "spec.providerID", 'node updates may not change providerID except from "" to valid'
            )
        )
    out.extend(_validate_taints(_l(spec.get("taints")), "metadata.taints"))
    if _s(spec.get("externalID")) != _s(old_spec.get("externalID")):
        out.append(errors.forbidden("spec.externalID", "may not be updated"))
    return out


# ---------------------------------------------------------------------------
# Endpoints and Event


def _validate_endpoint_address(addr: Obj, path: str) -> list[FieldError]:
    ip = _s(addr.get("ip"))
    out = _name_errs(child(path, "ip"), ip, is_valid_ip(ip))
    hostname = _s(addr.get("hostname"))
    if hostname:
        out.extend(validate_dns1123_label(hostname, child(path, "hostname")))
    node_name = addr.get("nodeName")
    if isinstance(node_name, str):
        out.extend(_name_errs(child(path, "nodeName"), node_name, is_dns1123_subdomain(node_name)))
    out.extend(_validate_non_special_ip(ip, child(path, "ip")))
    return out


def validate_endpoints(ep: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(ep), namespaced=True)
    for i, subset in enumerate(_l(ep.get("subsets"))):
        subset = _d(subset)
        p = f"subsets[{i}]"
        addresses, not_ready = _l(subset.get("addresses")), _l(subset.get("notReadyAddresses"))
        if not addresses and not not_ready:
            out.append(errors.required(p, "must specify `addresses` or `notReadyAddresses`"))
        for field, addrs in (("addresses", addresses), ("notReadyAddresses", not_ready)):
            for j, addr in enumerate(addrs):
                out.extend(_validate_endpoint_address(_d(addr), f"{p}.{field}[{j}]"))
        ports = _l(subset.get("ports"))
        for j, port in enumerate(ports):
            port = _d(port)
            pp = f"{p}.ports[{j}]"
            name = _s(port.get("name"))
            if len(ports) > 1 and not name:
                out.append(errors.required(child(pp, "name")))
            elif name:
                out.extend(validate_dns1123_label(name, child(pp, "name")))
            out.extend(
                errors.invalid(child(pp, "port"), port.get("port"), m)
                for m in is_valid_port_num(port.get("port"))
            )
            proto = _s(port.get("protocol"))
            if not proto:
                out.append(errors.required(child(pp, "protocol")))
            elif proto not in _PROTOCOLS:
                out.append(errors.not_supported(child(pp, "protocol"), proto, _PROTOCOLS))
            if isinstance(port.get("appProtocol"), str):
                out.extend(validate_qualified_name(port["appProtocol"], child(pp, "appProtocol")))
    return out


def validate_endpoints_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + validate_endpoints(new)


def validate_event(ev: Obj) -> list[FieldError]:
    """legacyValidateEvent: all Kubernetes checks for events written through core/v1."""
    out: list[FieldError] = []
    meta = _meta(ev)
    if not _s(meta.get("name")):
        out.append(errors.required("metadata.name", "name or generateName is required"))
    namespace = _s(meta.get("namespace"))
    involved_ns = _s(_d(ev.get("involvedObject")).get("namespace"))
    mismatch = errors.invalid(
        "involvedObject.namespace", involved_ns, "does not match event.namespace"
    )
    if not ev.get("eventTime"):
        if not involved_ns:
            if namespace not in ("", "default"):
                out.append(mismatch)
        elif namespace != involved_ns:
            out.append(mismatch)
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            out.append(mismatch)
        controller = _s(ev.get("reportingComponent"))
        if not controller:
            out.append(errors.required("reportingController"))
        out.extend(_name_errs("reportingController", controller, is_qualified_name(controller)))
        for field, json_field, limit in (
            ("reportingInstance", "reportingInstance", 128),
            ("action", "action", 128),
            ("reason", "reason", 128),
        ):
            value = _s(ev.get(json_field))
            if not value:
                out.append(errors.required(field))
            if len(value) > limit:
                out.append(errors.invalid(field, "", f"can have at most {limit} characters"))
        if len(_s(ev.get("message"))) > 1024:
            out.append(errors.invalid("message", "", "can have at most 1024 characters"))
    out.extend(_name_errs("namespace", namespace, is_dns1123_subdomain(namespace)))
    return out


def validate_event_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_event(new)


# ---------------------------------------------------------------------------
# LimitRange and ResourceQuota

_LIMIT_TYPES = frozenset({"Pod", "Container", "PersistentVolumeClaim"})


def _parse_list(
    values: Any, path: str, name_fn: Callable[[str, str], list[FieldError]]
) -> tuple[dict[str, Quantity], list[FieldError]]:
    parsed: dict[str, Quantity] = {}
    out: list[FieldError] = []
    for name, value in _d(values).items():
        p = key(path, name)
        out.extend(name_fn(name, p))
        q, errs = validate_quantity(value, p)
        out.extend(errs)
        if q is not None:
            parsed[name] = q
    return parsed, out


def validate_limit_range(lr: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(lr), namespaced=True)
    types: set[str] = set()
    for i, item in enumerate(_l(_d(lr.get("spec")).get("limits"))):
        item = _d(item)
        p = f"spec.limits[{i}]"
        kind = _s(item.get("type"))
        type_errs = _name_errs(child(p, "type"), kind, is_qualified_name(kind))
        if not type_errs and "/" not in kind and kind not in _LIMIT_TYPES:
            type_errs.append(
                errors.invalid(
                    child(p, "type"), kind, "must be a standard limit type or fully qualified"
                )
            )
        out.extend(type_errs)
        if kind in types:
            out.append(errors.duplicate(child(p, "type"), kind))
        types.add(kind)

        def name_fn(name: str, path: str, kind: str = kind) -> list[FieldError]:
            if kind in ("Pod", "Container"):
                return _validate_container_resource_name(name, path)
            return _validate_resource_name(name, path)

        maxes, errs = _parse_list(item.get("max"), child(p, "max"), name_fn)
        out.extend(errs)
        mins, errs = _parse_list(item.get("min"), child(p, "min"), name_fn)
        out.extend(errs)
        defaults: dict[str, Quantity] = {}
        requests: dict[str, Quantity] = {}
        if kind == "Pod":
            if _d(item.get("default")):
                out.append(
                    errors.forbidden(
                        child(p, "default"), "may not be specified when `type` is 'Pod'"
                    )
                )
            if _d(item.get("defaultRequest")):
                out.append(
                    errors.forbidden(
                        child(p, "defaultRequest"), "may not be specified when `type` is 'Pod'"
                    )
                )
        else:
            defaults, errs = _parse_list(item.get("default"), child(p, "default"), name_fn)
            out.extend(errs)
            requests, errs = _parse_list(
                item.get("defaultRequest"), child(p, "defaultRequest"), name_fn
            )
            out.extend(errs)
        if kind == "PersistentVolumeClaim" and "storage" not in mins and "storage" not in maxes:
            out.append(
                errors.required(
                    child(p, "limits"),
                    "either minimum or maximum storage value is required, but neither was provided",
                )
            )
        ratios, errs = _parse_list(
            item.get("maxLimitRequestRatio"), child(p, "maxLimitRequestRatio"), name_fn
        )
        out.extend(errs)
        for name in sorted(set(maxes) | set(mins) | set(defaults) | set(requests) | set(ratios)):
            out.extend(
                _limit_range_relations(
                    p,
                    name,
                    mins.get(name),
                    maxes.get(name),
                    defaults.get(name),
                    requests.get(name),
                    ratios.get(name),
                )
            )
    return out


def _limit_range_relations(
    p: str,
    name: str,
    lo: Quantity | None,
    hi: Quantity | None,
    dflt: Quantity | None,
    req: Quantity | None,
    ratio: Quantity | None,
) -> list[FieldError]:
    out: list[FieldError] = []
    raw = GoRaw
    if lo is not None and hi is not None and lo > hi:
        out.append(
            errors.invalid(
                key(child(p, "min"), name),
                raw(str(lo)),
                f"min value {lo} is greater than max value {hi}",
            )
        )
    if req is not None and lo is not None and lo > req:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"min value {lo} is greater than default request value {req}",
            )
        )
    if req is not None and hi is not None and req > hi:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"default request value {req} is greater than max value {hi}",
            )
        )
    if req is not None and dflt is not None and req > dflt:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"default request value {req} is greater than default limit value {dflt}",
            )
        )
    if dflt is not None and lo is not None and lo > dflt:
        out.append(
            errors.invalid(
                key(child(p, "default"), name),
                raw(str(lo)),
                f"min value {lo} is greater than default value {dflt}",
            )
        )
    if dflt is not None and hi is not None and dflt > hi:
        out.append(
            errors.invalid(
                key(child(p, "default"), name),
                raw(str(hi)),
                f"default value {dflt} is greater than max value {hi}",
            )
        )
    if ratio is not None and ratio < Quantity.from_int(1):
        out.append(
            errors.invalid(
                key(child(p, "maxLimitRequestRatio"), name),
                raw(str(ratio)),
                f"ratio {ratio} is less than 1",
            )
        )
    if ratio is not None and lo is not None and hi is not None and not lo.is_zero():
        limit = hi.as_decimal() / lo.as_decimal()
        if ratio.as_decimal() > limit:
            out.append(
                errors.invalid(
                    key(child(p, "maxLimitRequestRatio"), name),
                    raw(str(ratio)),
                    f"ratio {ratio} is greater than max/min = {float(limit):f}",
                )
            )
    if not is_overcommit_allowed(name) and dflt is not None and req is not None and dflt != req:
        out.append(
            errors.invalid(
                key(child(p, "defaultRequest"), name),
                raw(str(req)),
                f"default value {dflt} must equal to defaultRequest value {req} in {name}",
            )
        )
    return out


def validate_limit_range_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(_meta(new), _meta(old)) + validate_limit_range(new)


_QUOTA_SCOPES = frozenset(
    {
        "Terminating",
        "NotTerminating",
        "BestEffort",
        "NotBestEffort",
        "PriorityClass",
        "CrossNamespacePodAffinity",
        "VolumeAttributesClass",
    }
)
_POD_COMPUTE = frozenset(
    {"pods", "cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"}
)
_SCOPE_RESOURCES: dict[str, frozenset[str]] = {
    "Terminating": _POD_COMPUTE,
    "NotTerminating": _POD_COMPUTE,
    "NotBestEffort": _POD_COMPUTE,
    "PriorityClass": _POD_COMPUTE,
    "BestEffort": frozenset({"pods"}),
    "CrossNamespacePodAffinity": frozenset({"pods"}),
    "VolumeAttributesClass": frozenset({"persistentvolumeclaims", "requests.storage"}),
}


def _validate_quota_resource_name(name: str, path: str) -> list[FieldError]:
    out = _validate_resource_name(name, path)
    if (
        "/" not in name
        and name not in _STANDARD_QUOTA_RESOURCES
        and not _is_quota_hugepage_resource(name)
    ):
        out.append(errors.invalid(path, name, "must be a standard resource for quota"))
    return out


def _is_standard_quota_name(name: str) -> bool:
    return name in _STANDARD_QUOTA_RESOURCES or _is_quota_hugepage_resource(name)


def _validate_quota_list(values: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for name, value in _d(values).items():
        p = key(path, name)
        out.extend(_validate_quota_resource_name(name, p))
        out.extend(validate_resource_quantity_value(name, value, p)[1])
    return out


def _validate_quota_spec(spec: Obj) -> list[FieldError]:
    out = _validate_quota_list(spec.get("hard"), "spec.hard")
    hard = sorted(_d(spec.get("hard")))
    scopes = [_s(s) for s in _l(spec.get("scopes"))]
    for scope in scopes:
        if scope not in _QUOTA_SCOPES:
            out.append(errors.invalid("spec.scopes", scopes, "unsupported scope"))
        for name in hard:
            if _is_standard_quota_name(name) and name not in _SCOPE_RESOURCES.get(
                scope, frozenset()
            ):
                out.append(
                    errors.invalid("spec.scopes", scopes, "unsupported scope applied to resource")
                )
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if all(s in scopes for s in pair):
            out.append(errors.invalid("spec.scopes", scopes, "conflicting scopes"))
    selector = spec.get("scopeSelector")
    if isinstance(selector, dict):
        path = "spec.scopeSelector.matchExpressions"
        names: list[str] = []
        for req in _l(selector.get("matchExpressions")):
            req = _d(req)
            scope, op, values = (
                _s(req.get("scopeName")),
                _s(req.get("operator")),
                _l(req.get("values")),
            )
            names.append(scope)
            if scope not in _QUOTA_SCOPES:
                out.append(errors.invalid(child(path, "scopeName"), scope, "unsupported scope"))
            for name in hard:
                if _is_standard_quota_name(name) and name not in _SCOPE_RESOURCES.get(
                    scope, frozenset()
                ):
                    out.append(
                        errors.invalid(
                            path, dict(selector), "unsupported scope applied to resource"
                        )
                    )
            if (
                scope
                in (
                    "BestEffort",
                    "NotBestEffort",
                    "Terminating",
                    "NotTerminating",
                    "CrossNamespacePodAffinity",
                )
                and op != "Exists"
            ):
                out.append(
                    errors.invalid(
                        child(path, "operator"),
                        op,
                        "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                        "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
                    )
                )
            if op in ("In", "NotIn"):
                if not values:
                    out.append(
                        errors.required(
                            child(path, "values"),
                            "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                        )
                    )
            elif op in ("Exists", "DoesNotExist"):
                if values:
                    out.append(
                        errors.invalid(
                            child(path, "values"),
                            values,
                            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                        )
                    )
            else:
                out.append(
                    errors.invalid(child(path, "operator"), op, "not a valid selector operator")
                )
        for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
            if all(s in names for s in pair):
                out.append(errors.invalid(path, scopes, "conflicting scopes"))
    return out


def validate_resource_quota(rq: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(rq), namespaced=True)
    out.extend(_validate_quota_spec(_d(rq.get("spec"))))
    status = _d(rq.get("status"))
    out.extend(_validate_quota_list(status.get("hard"), "status.hard"))
    out.extend(_validate_quota_list(status.get("used"), "status.used"))
    return out


def validate_resource_quota_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    spec = _d(new.get("spec"))
    out.extend(_validate_quota_spec(spec))
    new_scopes = set(_l(spec.get("scopes")))
    if new_scopes != set(_l(_d(old.get("spec")).get("scopes"))):
        out.append(errors.invalid("spec.scopes", _l(spec.get("scopes")), FIELD_IMMUTABLE))
    if not _semantic_equal(new.get("status"), old.get("status")):
        status = _d(new.get("status"))
        out.extend(_validate_quota_list(status.get("hard"), "status.hard"))
        out.extend(_validate_quota_list(status.get("used"), "status.used"))
    return out


# ---------------------------------------------------------------------------
# PersistentVolume and PersistentVolumeClaim

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
_VOLUME_MODES = ("Block", "Filesystem")
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


# ---------------------------------------------------------------------------
# Binding


def validate_binding(binding: Obj) -> list[FieldError]:
    target = _d(binding.get("target"))
    out: list[FieldError] = []
    kind = _s(target.get("kind"))
    if kind and kind != "Node":
        out.append(errors.not_supported("target.kind", kind, ["Node", "<empty>"]))
    if not _s(target.get("name")):
        out.append(errors.required("target.name"))
    return out


def _no_update(
    validate: Callable[[Obj], list[FieldError]],
) -> Callable[[Obj, Obj], list[FieldError]]:
    def update(new: Obj, old: Obj) -> list[FieldError]:
        return validate_object_meta_update(_meta(new), _meta(old)) + validate(new)

    return update


_VALIDATORS: dict[
    str, tuple[Callable[[Obj], list[FieldError]], Callable[[Obj, Obj], list[FieldError]]]
] = {
    "Pod": (validate_pod, validate_pod_update),
    "PodTemplate": (validate_pod_template, validate_pod_template_update),
    "ReplicationController": (
        validate_replication_controller,
        validate_replication_controller_update,
    ),
    "Service": (validate_service, validate_service_update),
    "ConfigMap": (validate_config_map, validate_config_map_update),
    "Secret": (validate_secret, validate_secret_update),
    "Namespace": (validate_namespace, validate_namespace_update),
    "Node": (validate_node, validate_node_update),
    "ServiceAccount": (validate_service_account, validate_service_account_update),
    "Endpoints": (validate_endpoints, validate_endpoints_update),
    "Event": (validate_event, validate_event_update),
    "LimitRange": (validate_limit_range, validate_limit_range_update),
    "ResourceQuota": (validate_resource_quota, validate_resource_quota_update),
    "PersistentVolume": (validate_persistent_volume, validate_persistent_volume_update),
    "PersistentVolumeClaim": (
        validate_persistent_volume_claim,
        validate_persistent_volume_claim_update,
    ),
    "Binding": (validate_binding, lambda new, old: validate_binding(new)),
}

for _kind, (_create, _update) in _VALIDATORS.items():
    register("", _kind, _create, _update)
