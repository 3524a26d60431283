"""What eviction needs to know about a pod: priority, criticality, requests, QoS, tolerations
and its usage in a stats summary.

Invariants: pure; unparsable quantities count as absent, never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api.quantity import Quantity, parse_quantity
from steersman.kubelet.eviction.thresholds import (
    RESOURCE_EPHEMERAL_STORAGE,
    RESOURCE_INODES,
    SYSTEM_CRITICAL_PRIORITY,
)
from steersman.kubelet.sources.static import is_mirror_pod, is_static_pod

Obj = dict[str, Any]


def quantity_or_none(raw: Any) -> Quantity | None:
    try:
        return parse_quantity(str(raw))
    except ValueError:
        return None


def pod_priority(pod: Obj) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def is_critical_pod(pod: Obj) -> bool:
    return is_static_pod(pod) or is_mirror_pod(pod) or pod_priority(pod) >= SYSTEM_CRITICAL_PRIORITY


def pod_request(pod: Obj, resource: str) -> int:
    """GetResourceRequestQuantity: sum of containers, at least the largest init container,
    plus overhead when non-zero; a pod-level request wins when set."""
    spec = pod.get("spec") or {}
    pod_level = ((spec.get("resources") or {}).get("requests") or {}).get(resource)
    if pod_level is not None and (q := quantity_or_none(pod_level)) is not None:
        return q.value()

    def request(c: Obj) -> int:
        raw = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        q = quantity_or_none(raw) if raw is not None else None
        return q.value() if q is not None else 0

    total = sum(request(c) for c in spec.get("containers") or [])
    for c in spec.get("initContainers") or []:
        total = max(total, request(c))
    overhead = (spec.get("overhead") or {}).get(resource)
    if total and overhead is not None and (q := quantity_or_none(overhead)) is not None:
        total += q.value()
    return total


def is_best_effort(pod: Obj) -> bool:
    qos = (pod.get("status") or {}).get("qosClass")
    if qos:
        return bool(qos == "BestEffort")
    spec = pod.get("spec") or {}
    resources = [spec.get("resources") or {}] + [
        c.get("resources") or {}
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
    ]
    for res in resources:
        for kind in ("requests", "limits"):
            for name in ("cpu", "memory"):
                raw = (res.get(kind) or {}).get(name)
                q = quantity_or_none(raw) if raw is not None else None
                if q is not None and q.sign() > 0:
                    return False
    return True


def tolerates_taint(tolerations: Sequence[Obj], key: str, effect: str, value: str = "") -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != effect:
            continue
        if t.get("key") and t.get("key") != key:
            continue
        operator = t.get("operator") or "Equal"
        if operator == "Exists" or (operator == "Equal" and (t.get("value") or "") == value):
            return True
    return False


def memory_usage(stats: Obj) -> int:
    return int((stats.get("memory") or {}).get("workingSetBytes") or 0)


def local_volume_names(pod: Obj) -> list[str]:
    """hostPath and local ephemeral volumes (gitRepo, disk-backed emptyDir, configMap)."""
    names = []
    for v in (pod.get("spec") or {}).get("volumes") or []:
        empty_dir = v.get("emptyDir")
        if (
            v.get("hostPath") is not None
            or v.get("gitRepo") is not None
            or v.get("configMap") is not None
            or (empty_dir is not None and not (empty_dir or {}).get("medium"))
        ):
            names.append(v.get("name", ""))
    return names


FS_IMAGES, FS_ROOT, FS_LOGS, FS_LOCAL_VOLUMES = "images", "root", "logs", "localVolumeSource"


def pod_disk_usage(stats: Obj, pod: Obj, measure: Sequence[str]) -> dict[str, int]:
    """podDiskUsage: bytes and inodes of the pod on the measured filesystems."""
    disk = inodes = 0
    for c in stats.get("containers") or []:
        for kind, key in ((FS_ROOT, "rootfs"), (FS_LOGS, "logs")):
            if kind in measure:
                disk += int((c.get(key) or {}).get("usedBytes") or 0)
                inodes += int((c.get(key) or {}).get("inodesUsed") or 0)
    if FS_LOCAL_VOLUMES in measure:
        volumes = {v.get("name"): v for v in stats.get("volume") or []}
        for name in local_volume_names(pod):
            if name in volumes:
                disk += int(volumes[name].get("usedBytes") or 0)
                inodes += int(volumes[name].get("inodesUsed") or 0)
    return {RESOURCE_EPHEMERAL_STORAGE: disk, RESOURCE_INODES: inodes}
