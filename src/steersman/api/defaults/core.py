"""Defaulting of core/v1 kinds, as Kubernetes' SetDefaults_* (and generated defaulters) do.

Invariants:
- Every defaulter mutates the object in place, only fills what is unset, and is idempotent:
  applying it twice gives the same object. They run on the whole object on create and update.
- Templates get PodSpec defaults only (`default_pod_template`); the extra Pod defaults
  (requests from limits, enableServiceLinks, host-network ports, preemptionPolicy) apply to
  Pods alone, as in Kubernetes, so that template changes do not churn workloads.
- Resource quantities are rounded up to milli-units and re-serialized the way Kubernetes
  serializes them (`0.5` -> `500m`); a value that does not parse is left for validation.
- Namespace `spec.finalizers` is deliberately NOT defaulted: that is done once, on create, by
  the namespace strategy; defaulting it on update would undo `/finalize`.
- What Kubernetes' service registry does to a Service update before validating it (patch
  allocated values back in, drop fields the new type cannot use) is in
  `defaults.service_update`, which imports this module; this module never imports it.
Pure data: no I/O.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from steersman.api.defaults import register
from steersman.api.quantity import Quantity, quantity_from_json

__all__ = [
    "canonicalize_resource_list",
    "default_container",
    "default_pod",
    "default_pod_spec",
    "default_pod_template",
    "default_service",
    "image_pull_policy_for",
]

DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30
DEFAULT_SCHEDULER_NAME = "default-scheduler"
TERMINATION_MESSAGE_PATH_DEFAULT = "/dev/termination-log"
DEFAULT_FILE_MODE = 0o644
DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800
DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600

_NANOS_PER_MILLI = 10**6

Obj = dict[str, Any]


def _dict(parent: Obj, field: str) -> Obj | None:
    value = parent.get(field)
    return value if isinstance(value, dict) else None


def _dicts(parent: Obj, field: str) -> list[Obj]:
    value = parent.get(field)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# ---------------------------------------------------------------------------
# Quantities


def _round_up_milli(q: Quantity) -> Quantity:
    """Quantity.RoundUp(Milli): keeps the parsed string when nothing is lost."""
    rem = q.nanos % _NANOS_PER_MILLI
    if rem == 0:
        return q
    return Quantity(q.nanos + (_NANOS_PER_MILLI - rem), q.format)


def canonicalize_resource_list(resources: Any) -> None:
    """SetDefaults_ResourceList plus Kubernetes' serialization of each quantity."""
    if not isinstance(resources, dict):
        return
    for name, value in list(resources.items()):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        try:
            q = quantity_from_json(value)
        except ValueError:
            continue  # validation reports it
        resources[name] = str(_round_up_milli(q))


def _canonicalize_requirements(req: Any) -> None:
    if isinstance(req, dict):
        canonicalize_resource_list(req.get("limits"))
        canonicalize_resource_list(req.get("requests"))


# ---------------------------------------------------------------------------
# Containers

_REPO_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


def image_pull_policy_for(image: str) -> str:
    """Always for `:latest` or an untagged, undigested image; IfNotPresent otherwise.

    As parsers.ParseImageName: a reference that does not parse has no tag (IfNotPresent).
    """
    name, at, _digest = image.partition("@")
    last_slash = name.rfind("/")
    repo, colon, tag = name[last_slash + 1 :].partition(":")
    path = name[: last_slash + 1] + repo
    components = path.split("/")
    if components and (
        "." in components[0] or ":" in components[0] or components[0] == "localhost"
    ):
        components = components[1:] if len(components) > 1 else components
    if not repo or any(_REPO_COMPONENT_RE.fullmatch(c) is None for c in components):
        return "IfNotPresent"
    if colon:
        return "Always" if tag == "latest" else "IfNotPresent"
    return "IfNotPresent" if at else "Always"


def _default_http_get(action: Any) -> None:
    if isinstance(action, dict):
        if not action.get("path"):
            action["path"] = "/"
        if not action.get("scheme"):
            action["scheme"] = "HTTP"


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for field, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(field):
            probe[field] = value
    _default_http_get(probe.get("httpGet"))
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_field_ref(holder: Any) -> None:
    ref = holder.get("fieldRef") if isinstance(holder, dict) else None
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def default_container(ctr: Obj) -> None:
    """SetDefaults_Container and the generated defaults of a container's parts."""
    if not ctr.get("imagePullPolicy"):
        ctr["imagePullPolicy"] = image_pull_policy_for(ctr.get("image") or "")
    if not ctr.get("terminationMessagePath"):
        ctr["terminationMessagePath"] = TERMINATION_MESSAGE_PATH_DEFAULT
    if not ctr.get("terminationMessagePolicy"):
        ctr["terminationMessagePolicy"] = "File"
    for port in _dicts(ctr, "ports"):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
    for env in _dicts(ctr, "env"):
        _default_field_ref(env.get("valueFrom"))
    _canonicalize_requirements(ctr.get("resources"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(ctr.get(probe))
    lifecycle = _dict(ctr, "lifecycle")
    if lifecycle is not None:
        for hook in ("postStart", "preStop"):
            handler = _dict(lifecycle, hook)
            if handler is not None:
                _default_http_get(handler.get("httpGet"))


# ---------------------------------------------------------------------------
# Volumes

_VOLUME_SOURCES = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)

# Generated defaults of legacy sources: field -> value when unset.
_SOURCE_DEFAULTS: dict[str, tuple[tuple[str, Any], ...]] = {
    "iscsi": (("iscsiInterface", "default"),),
    "rbd": (("pool", "rbd"), ("user", "admin"), ("keyring", "/etc/ceph/keyring")),
    "azureDisk": (
        ("cachingMode", "ReadWrite"),
        ("fsType", "ext4"),
        ("readOnly", False),
        ("kind", "Shared"),
    ),
    "scaleIO": (("storageMode", "ThinProvisioned"), ("fsType", "xfs")),
}


def _default_volume(vol: Obj) -> None:
    if not any(isinstance(vol.get(s), dict) for s in _VOLUME_SOURCES):
        vol["emptyDir"] = {}
    host_path = _dict(vol, "hostPath")
    if host_path is not None and host_path.get("type") is None:
        host_path["type"] = ""
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        src = _dict(vol, source)
        if src is not None and src.get("defaultMode") is None:
            src["defaultMode"] = DEFAULT_FILE_MODE
    downward = _dict(vol, "downwardAPI")
    if downward is not None:
        for item in _dicts(downward, "items"):
            _default_field_ref(item)
    projected = _dict(vol, "projected")
    if projected is not None:
        for proj_source in _dicts(projected, "sources"):
            dapi = _dict(proj_source, "downwardAPI")
            if dapi is not None:
                for item in _dicts(dapi, "items"):
                    _default_field_ref(item)
            token = _dict(proj_source, "serviceAccountToken")
            if token is not None and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = DEFAULT_TOKEN_EXPIRATION_SECONDS
    for source, defaults in _SOURCE_DEFAULTS.items():
        src = _dict(vol, source)
        if src is not None:
            for field, value in defaults:
                if src.get(field) is None or src.get(field) == "":
                    src[field] = value
    ephemeral = _dict(vol, "ephemeral")
    template = _dict(ephemeral, "volumeClaimTemplate") if ephemeral is not None else None
    if template is not None:
        spec = template.setdefault("spec", {})
        if isinstance(spec, dict):
            _default_pvc_spec(spec)
    image = _dict(vol, "image")
    if image is not None and not image.get("pullPolicy"):
        image["pullPolicy"] = image_pull_policy_for(image.get("reference") or "")


# ---------------------------------------------------------------------------
# Pods and templates


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec and the generated defaults of everything a PodSpec holds."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
    if not spec.get("schedulerName"):
        spec["schedulerName"] = DEFAULT_SCHEDULER_NAME
    for vol in _dicts(spec, "volumes"):
        _default_volume(vol)
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for ctr in _dicts(spec, field):
            default_container(ctr)
    canonicalize_resource_list(spec.get("overhead"))
    _canonicalize_requirements(spec.get("resources"))


def default_pod_template(t: Obj) -> None:
    """Defaults of a PodTemplateSpec (a workload's `spec.template`)."""
    spec = t.get("spec")
    if spec is None:
        spec = t["spec"] = {}
    if isinstance(spec, dict):
        default_pod_spec(spec)


def _requests_from_limits(ctr: Obj) -> None:
    resources = _dict(ctr, "resources")
    limits = _dict(resources, "limits") if resources is not None else None
    if resources is None or limits is None:
        return
    requests = resources.get("requests")
    if not isinstance(requests, dict):
        requests = resources["requests"] = {}
    for name, value in limits.items():
        requests.setdefault(name, value)


def default_pod(pod: Obj) -> None:
    """SetDefaults_Pod on top of the PodSpec defaults."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        spec = pod["spec"] = {}
    default_pod_spec(spec)
    for field in ("containers", "initContainers"):
        for ctr in _dicts(spec, field):
            _requests_from_limits(ctr)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for field in ("containers", "initContainers"):
            for ctr in _dicts(spec, field):
                for port in _dicts(ctr, "ports"):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")
    # The Priority admission plugin sets this for every pod that names no PriorityClass
    # (there is no global default class here).
    if spec.get("preemptionPolicy") is None and not spec.get("priorityClassName"):
        spec["preemptionPolicy"] = "PreemptLowerPriority"


def default_pod_template_object(obj: Obj) -> None:
    template = obj.get("template")
    if isinstance(template, dict):
        default_pod_template(template)


def default_replication_controller(rc: Obj) -> None:
    spec = rc.get("spec")
    if not isinstance(spec, dict):
        spec = rc["spec"] = {}
    template = _dict(spec, "template")
    labels = _dict(_dict(template, "metadata") or {}, "labels") if template is not None else None
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = rc.setdefault("metadata", {})
        if isinstance(meta, dict) and not meta.get("labels"):
            meta["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if template is not None:
        default_pod_template(template)


# ---------------------------------------------------------------------------
# Services


def _externally_accessible(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (
        kind == "ClusterIP" and bool(spec.get("externalIPs"))
    )


def default_service(svc: Obj) -> None:
    """SetDefaults_Service. IP families and policy are the allocator's, not ours."""
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        spec = svc["spec"] = {}
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = _dict(spec, "sessionAffinityConfig")
        client_ip = _dict(config, "clientIP") if config is not None else None
        if client_ip is None or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {
                "clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_AFFINITY_SECONDS}
            }
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for port in _dicts(spec, "ports"):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if _externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in (
        "NodePort",
        "LoadBalancer",
        "ClusterIP",
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer":
        if spec.get("allocateLoadBalancerNodePorts") is None:
            spec["allocateLoadBalancerNodePorts"] = True
        status = _dict(svc, "status")
        lb = _dict(status, "loadBalancer") if status is not None else None
        for ingress in _dicts(lb, "ingress") if lb is not None else []:
            if ingress.get("ip") and ingress.get("ipMode") is None:
                ingress["ipMode"] = "VIP"


# ---------------------------------------------------------------------------
# Other kinds


def default_secret(secret: Obj) -> None:
    """Type Opaque; `stringData` is merged into `data` (as Kubernetes' conversion does)."""
    if not secret.get("type"):
        secret["type"] = "Opaque"
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.get("data")
        if not isinstance(data, dict):
            data = secret["data"] = {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode("ascii")


def default_namespace(ns: Obj) -> None:
    meta = ns.get("metadata")
    if isinstance(meta, dict) and meta.get("name"):
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = meta["labels"] = {}
        labels["kubernetes.io/metadata.name"] = meta["name"]
    status = ns.get("status")
    if isinstance(status, dict) and not status.get("phase"):
        status["phase"] = "Active"


def default_node(node: Obj) -> None:
    status = _dict(node, "status")
    if status is None:
        return
    canonicalize_resource_list(status.get("capacity"))
    canonicalize_resource_list(status.get("allocatable"))
    if status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])


def _default_pvc_spec(spec: Obj) -> None:
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    _canonicalize_requirements(spec.get("resources"))


def default_persistent_volume(pv: Obj) -> None:
    spec = pv.get("spec")
    if not isinstance(spec, dict):
        spec = pv["spec"] = {}
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    host_path = _dict(spec, "hostPath")
    if host_path is not None and host_path.get("type") is None:
        host_path["type"] = ""
    canonicalize_resource_list(spec.get("capacity"))
    status = pv.get("status")
    if not isinstance(status, dict):
        status = pv["status"] = {}
    if not status.get("phase"):
        status["phase"] = "Pending"


def default_persistent_volume_claim(pvc: Obj) -> None:
    spec = pvc.get("spec")
    if not isinstance(spec, dict):
        spec = pvc["spec"] = {}
    _default_pvc_spec(spec)
    status = pvc.get("status")
    if not isinstance(status, dict):
        status = pvc["status"] = {}
    if not status.get("phase"):
        status["phase"] = "Pending"
    canonicalize_resource_list(status.get("capacity"))
    canonicalize_resource_list(status.get("allocatedResources"))


def default_limit_range(lr: Obj) -> None:
    spec = _dict(lr, "spec")
    for item in _dicts(spec, "limits") if spec is not None else []:
        for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            canonicalize_resource_list(item.get(field))
        if item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for name, value in (item.get("max") or {}).items():
            default.setdefault(name, value)
        for name, value in default.items():
            request.setdefault(name, value)
        for name, value in (item.get("min") or {}).items():
            request.setdefault(name, value)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def default_resource_quota(rq: Obj) -> None:
    canonicalize_resource_list((_dict(rq, "spec") or {}).get("hard"))
    status = _dict(rq, "status")
    if status is not None:
        canonicalize_resource_list(status.get("hard"))
        canonicalize_resource_list(status.get("used"))


def default_endpoints(ep: Obj) -> None:
    for subset in _dicts(ep, "subsets"):
        for port in _dicts(subset, "ports"):
            if not port.get("protocol"):
                port["protocol"] = "TCP"


_DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "Pod": default_pod,
    "PodTemplate": default_pod_template_object,
    "ReplicationController": default_replication_controller,
    "Service": default_service,
    "Secret": default_secret,
    "Namespace": default_namespace,
    "Node": default_node,
    "PersistentVolume": default_persistent_volume,
    "PersistentVolumeClaim": default_persistent_volume_claim,
    "LimitRange": default_limit_range,
    "ResourceQuota": default_resource_quota,
    "Endpoints": default_endpoints,
}

for _kind, _fn in _DEFAULTERS.items():
    register("", _kind, _fn)
