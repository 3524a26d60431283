"""core/v1 rows: Service, Endpoints, Node, Event (both APIs), Namespace, Secret,
ServiceAccount, ConfigMap, PersistentVolume(Claim) and ResourceQuota.

Invariants: columns and cells are those of Kubernetes' printers; Events of both APIs share
one printer over the stored core shape (events.k8s.io Events are stored as core Events).
"""

from __future__ import annotations

import datetime
from typing import Any

from steersman.api import labels
from steersman.api.tables.columns import (
    AGE,
    NAME,
    Cells,
    Column,
    Obj,
    Printers,
)
from steersman.api.tables.columns import META as _META
from steersman.api.tables.columns import SELECTOR as _SELECTOR
from steersman.api.tables.columns import Printer as _Printer
from steersman.api.tables.columns import s as _s
from steersman.api.tables.format import access_modes as _access_modes
from steersman.api.tables.format import age as _age
from steersman.api.tables.format import first_non_empty as _first_non_empty
from steersman.api.tables.format import get as _get
from steersman.api.tables.format import integer as _int
from steersman.api.tables.format import items as _list
from steersman.api.tables.format import lb_status as _lb_status
from steersman.api.tables.format import mapping as _map
from steersman.api.tables.format import name as _name
from steersman.api.tables.format import parse_time, translate_timestamp_since
from steersman.api.tables.format import quantity_string as _quantity_string
from steersman.api.tables.format import string as _str


def _service_external_ip(svc: Obj) -> str:
    spec = _map(svc.get("spec"))
    external = [_str(x) for x in _list(spec.get("externalIPs"))]
    svc_type = spec.get("type")
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if svc_type == "LoadBalancer":
        lb = _lb_status(_get(svc, "status", "loadBalancer"))
        if external:
            return ",".join([*(lb.split(",") if lb else []), *external])
        return lb or "<pending>"
    if svc_type == "ExternalName":
        return _str(spec.get("externalName"))
    return "<unknown>"


def _service_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    cluster_ips = _list(spec.get("clusterIPs"))
    internal_ip = _str(cluster_ips[0]) if cluster_ips else _str(spec.get("clusterIP"))
    pieces = []
    for p in _list(spec.get("ports")):
        port, node_port, proto = (
            _int(_get(p, "port")),
            _int(_get(p, "nodePort")),
            _str(_get(p, "protocol")),
        )
        pieces.append(f"{port}:{node_port}/{proto}" if node_port > 0 else f"{port}/{proto}")
    return [
        _name(o),
        _str(spec.get("type")),
        internal_ip or "<none>",
        _service_external_ip(o),
        ",".join(pieces) or "<none>",
        _age(o, now),
        labels.format_labels(spec.get("selector")),
    ]


def _endpoints_text(o: Obj) -> str:
    """formatEndpoints: up to three `ip:port`, then `+ N more...`; `<none>` without subsets."""
    subsets = _list(o.get("subsets"))
    if not subsets:
        return "<none>"
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for ss in subsets:
        addresses = _list(_get(ss, "addresses"))
        ports = _list(_get(ss, "ports"))
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(_str(_get(a, "ip")))
            continue
        for port in ports:
            count += len(addresses)
            for a in addresses:
                if len(shown) == limit:
                    more = True
                    break
                ip = _str(_get(a, "ip"))
                host = f"[{ip}]" if ":" in ip else ip
                shown.append(f"{host}:{_int(_get(port, 'port'))}")
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _node_cells(o: Obj, now: datetime.datetime) -> Cells:
    conditions: dict[str, Any] = {}
    for c in _list(_get(o, "status", "conditions")):
        conditions[_str(_get(c, "type"))] = c
    status: list[str] = []
    ready = conditions.get("Ready")
    if ready is not None:
        status.append("Ready" if _get(ready, "status") == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if _get(o, "spec", "unschedulable") is True:
        status.append("SchedulingDisabled")
    roles: set[str] = set()
    for k, v in _map(_get(o, "metadata", "labels")).items():
        if k.startswith("node-role.kubernetes.io/") and k.removeprefix("node-role.kubernetes.io/"):
            roles.add(k.removeprefix("node-role.kubernetes.io/"))
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    info = _map(_get(o, "status", "nodeInfo"))

    def address(kind: str) -> str:
        for a in _list(_get(o, "status", "addresses")):
            if _get(a, "type") == kind:
                return _str(_get(a, "address"))
        return "<none>"

    return [
        _name(o),
        ",".join(status),
        ",".join(sorted(roles)) or "<none>",
        _age(o, now),
        _str(info.get("kubeletVersion")),
        address("InternalIP"),
        address("ExternalIP"),
        _str(info.get("osImage")) or "<unknown>",
        _str(info.get("kernelVersion")) or "<unknown>",
        _str(info.get("containerRuntimeVersion")) or "<unknown>",
    ]


def _event_cells(ev: Obj, now: datetime.datetime) -> Cells:
    first = translate_timestamp_since(ev.get("firstTimestamp"), now)
    if parse_time(ev.get("firstTimestamp")) is None:
        first = translate_timestamp_since(ev.get("eventTime"), now)
    last = translate_timestamp_since(ev.get("lastTimestamp"), now)
    if parse_time(ev.get("lastTimestamp")) is None:
        last = first
    count = _int(ev.get("count"))
    series = ev.get("series")
    if series is not None:
        last = translate_timestamp_since(_get(series, "lastObservedTime"), now)
        count = _int(_get(series, "count"))
    elif count == 0:
        count = 1  # singleton events of the new API carry no count
    ref = _map(ev.get("involvedObject"))
    kind = _str(ref.get("kind")).lower()
    target = f"{kind}/{_str(ref.get('name'))}" if _str(ref.get("name")) else kind
    component = _first_non_empty(
        _str(_get(ev, "source", "component")), _str(ev.get("reportingComponent"))
    )
    host = _first_non_empty(_str(_get(ev, "source", "host")), _str(ev.get("reportingInstance")))
    return [
        last,
        _str(ev.get("type")),
        _str(ev.get("reason")),
        target,
        _str(ref.get("fieldPath")),
        f"{component}, {host}" if host else component,
        _str(ev.get("message")).strip(),
        first,
        count,
        _name(ev),
    ]


def _pv_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    claim = ""
    if spec.get("claimRef") is not None:
        claim = (
            f"{_str(_get(spec, 'claimRef', 'namespace'))}/{_str(_get(spec, 'claimRef', 'name'))}"
        )
    annotations = _map(_get(o, "metadata", "annotations"))
    storage_class = annotations.get(
        "volume.beta.kubernetes.io/storage-class", _str(spec.get("storageClassName"))
    )
    phase = _str(_get(o, "status", "phase"))
    if _get(o, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(o),
        _quantity_string(_get(spec, "capacity", "storage")),
        _access_modes(spec.get("accessModes")),
        _str(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        storage_class,
        "<unset>" if vac is None else _str(vac),
        _str(_get(o, "status", "reason")),
        _age(o, now),
        "<unset>" if spec.get("volumeMode") is None else _str(spec.get("volumeMode")),
    ]


def _pvc_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec, st = _map(o.get("spec")), _map(o.get("status"))
    phase = _str(st.get("phase"))
    if _get(o, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    capacity = access = ""
    if _str(spec.get("volumeName")):
        access = _access_modes(st.get("accessModes"))
        capacity = _quantity_string(_get(st, "capacity", "storage"))
    annotations = _map(_get(o, "metadata", "annotations"))
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        storage_class = _str(annotations["volume.beta.kubernetes.io/storage-class"])
    else:
        storage_class = _str(spec.get("storageClassName"))
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(o),
        phase,
        _str(spec.get("volumeName")),
        capacity,
        access,
        storage_class,
        "<unset>" if vac is None else _str(vac),
        _age(o, now),
        "<unset>" if spec.get("volumeMode") is None else _str(spec.get("volumeMode")),
    ]


def _resource_quota_cells(o: Obj, now: datetime.datetime) -> Cells:
    hard, used = _map(_get(o, "status", "hard")), _map(_get(o, "status", "used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        pieces = resource.split(".")
        target = limits if len(pieces) > 1 and pieces[0] == "limits" else requests
        target.append(
            f"{resource}: {_quantity_string(used.get(resource))}/{_quantity_string(hard[resource])}"
        )
    return [_name(o), ", ".join(requests), ", ".join(limits), _age(o, now)]


PRINTERS: Printers = {
    ("", "Service"): _Printer(
        (
            NAME,
            _s("Type", ("core.v1.ServiceSpec", "type")),
            _s("Cluster-IP", ("core.v1.ServiceSpec", "clusterIP")),
            _s("External-IP", ("core.v1.ServiceSpec", "externalIPs")),
            _s("Port(s)", ("core.v1.ServiceSpec", "ports")),
            AGE,
            _s(_SELECTOR, ("core.v1.ServiceSpec", "selector"), 1),
        ),
        _service_cells,
    ),
    ("", "Endpoints"): _Printer(
        (NAME, _s("Endpoints", ("core.v1.Endpoints", "subsets")), AGE),
        lambda o, now: [_name(o), _endpoints_text(o), _age(o, now)],
    ),
    ("", "Node"): _Printer(
        (
            NAME,
            _s("Status", "The status of the node"),
            _s("Roles", "The roles of the node"),
            AGE,
            _s("Version", ("core.v1.NodeSystemInfo", "kubeletVersion")),
            _s("Internal-IP", ("core.v1.NodeStatus", "addresses"), 1),
            _s("External-IP", ("core.v1.NodeStatus", "addresses"), 1),
            _s("OS-Image", ("core.v1.NodeSystemInfo", "osImage"), 1),
            _s("Kernel-Version", ("core.v1.NodeSystemInfo", "kernelVersion"), 1),
            _s("Container-Runtime", ("core.v1.NodeSystemInfo", "containerRuntimeVersion"), 1),
        ),
        _node_cells,
    ),
    ("", "Namespace"): _Printer(
        (NAME, _s("Status", "The status of the namespace"), AGE),
        lambda o, now: [_name(o), _str(_get(o, "status", "phase")), _age(o, now)],
    ),
    ("", "Secret"): _Printer(
        (NAME, _s("Type", ("core.v1.Secret", "type")), _s("Data", ("core.v1.Secret", "data")), AGE),
        lambda o, now: [_name(o), _str(o.get("type")), len(_map(o.get("data"))), _age(o, now)],
    ),
    ("", "ServiceAccount"): _Printer(
        (NAME, _s("Secrets", ("core.v1.ServiceAccount", "secrets")), AGE),
        lambda o, now: [_name(o), len(_list(o.get("secrets"))), _age(o, now)],
    ),
    ("", "PersistentVolume"): _Printer(
        (
            NAME,
            _s("Capacity", ("core.v1.PersistentVolumeSpec", "capacity")),
            _s("Access Modes", ("core.v1.PersistentVolumeSpec", "accessModes")),
            _s("Reclaim Policy", ("core.v1.PersistentVolumeSpec", "persistentVolumeReclaimPolicy")),
            _s("Status", ("core.v1.PersistentVolumeStatus", "phase")),
            _s("Claim", ("core.v1.PersistentVolumeSpec", "claimRef")),
            _s("StorageClass", "StorageClass of the pv"),
            _s("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
            _s("Reason", ("core.v1.PersistentVolumeStatus", "reason")),
            AGE,
            _s("VolumeMode", ("core.v1.PersistentVolumeSpec", "volumeMode"), 1),
        ),
        _pv_cells,
    ),
    ("", "PersistentVolumeClaim"): _Printer(
        (
            NAME,
            _s("Status", ("core.v1.PersistentVolumeClaimStatus", "phase")),
            _s("Volume", ("core.v1.PersistentVolumeClaimSpec", "volumeName")),
            _s("Capacity", ("core.v1.PersistentVolumeClaimStatus", "capacity")),
            _s("Access Modes", ("core.v1.PersistentVolumeClaimStatus", "accessModes")),
            _s("StorageClass", "StorageClass of the pvc"),
            _s("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
            AGE,
            _s("VolumeMode", ("core.v1.PersistentVolumeClaimSpec", "volumeMode"), 1),
        ),
        _pvc_cells,
    ),
    ("", "ConfigMap"): _Printer(
        (NAME, _s("Data", ("core.v1.ConfigMap", "data")), AGE),
        lambda o, now: [
            _name(o),
            len(_map(o.get("data"))) + len(_map(o.get("binaryData"))),
            _age(o, now),
        ],
    ),
    ("", "ResourceQuota"): _Printer(
        (
            NAME,
            _s(
                "Request",
                "Request represents a minimum amount of cpu/memory that a container may consume.",
            ),
            _s(
                "Limit",
                "Limits control the maximum amount of cpu/memory that a container may use "
                "independent of contention on the node.",
            ),
            AGE,
        ),
        _resource_quota_cells,
    ),
}

_EVENT_COLUMNS = (
    _s("Last Seen", ("core.v1.Event", "lastTimestamp")),
    _s("Type", ("core.v1.Event", "type")),
    _s("Reason", ("core.v1.Event", "reason")),
    _s("Object", ("core.v1.Event", "involvedObject")),
    _s("Subobject", ("core.v1.ObjectReference", "fieldPath"), 1),
    _s("Source", ("core.v1.Event", "source"), 1),
    _s("Message", ("core.v1.Event", "message")),
    _s("First Seen", ("core.v1.Event", "firstTimestamp"), 1),
    _s("Count", ("core.v1.Event", "count"), 1),
    Column("Name", "string", (_META, "name"), 1, "name"),
)
# Both Event APIs share one storage (core Events), hence this one printer.
PRINTERS[("", "Event")] = _Printer(_EVENT_COLUMNS, _event_cells)
