"""The kubelet's view of its Node: the object it registers and the status it keeps posting
(Kubernetes' kubelet_node_status.go and nodestatus setters).

Invariants:
- Pure functions of their inputs (host facts, configuration, pressure observations, runtime
  facts, the clock): no I/O, so the wording and shapes are unit-testable.
- Conditions keep their lastTransitionTime while their status stays the same; every post
  refreshes lastHeartbeatTime.
- Allocatable = capacity - reserved - hard eviction thresholds, as Kubernetes computes it
  (memory.available 100Mi, nodefs.available 10% by default).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from steersman.api.quantity import BINARY_SI, DECIMAL_SI, Quantity
from steersman.kubelet.host import HostInfo

KUBELET_VERSION = "v1.36.0+steersman"
KUBELET_PORT = 10250
MAX_PODS = 110
EVICTION_MEMORY_BYTES = 100 * 1024 * 1024  # memory.available<100Mi
EVICTION_NODEFS_FRACTION = 0.10  # nodefs.available<10%


@dataclass(frozen=True)
class Pressure:
    memory: bool = False
    disk: bool = False
    pid: bool = False


@dataclass(frozen=True)
class RuntimeFacts:
    """What the container runtime reports (CRI Version/Status, ImageService.ListImages)."""

    name: str = "containerd"
    version: str = ""
    ready: bool = True
    not_ready_message: str = ""
    images: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class NodeConfig:
    name: str
    node_ip: str
    pod_cidr: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, Any]] = field(default_factory=list)
    max_pods: int = MAX_PODS
    port: int = KUBELET_PORT


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_labels(cfg: NodeConfig, host: HostInfo) -> dict[str, str]:
    labels = {
        "beta.kubernetes.io/arch": host.architecture,
        "beta.kubernetes.io/os": host.operating_system,
        "kubernetes.io/arch": host.architecture,
        "kubernetes.io/hostname": cfg.name,
        "kubernetes.io/os": host.operating_system,
    }
    labels.update(cfg.labels)
    return labels


def capacity(cfg: NodeConfig, host: HostInfo) -> dict[str, str]:
    return {
        "cpu": str(host.cpus),
        "ephemeral-storage": str(
            Quantity.from_int(host.ephemeral_storage_bytes // 1024 * 1024, BINARY_SI)
        ),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": str(Quantity.from_int(host.memory_bytes // 1024 * 1024, BINARY_SI)),
        "pods": str(cfg.max_pods),
    }


def allocatable(cfg: NodeConfig, host: HostInfo) -> dict[str, str]:
    out = capacity(cfg, host)
    memory = max(host.memory_bytes // 1024 * 1024 - EVICTION_MEMORY_BYTES, 0)
    out["memory"] = str(Quantity.from_int(memory, BINARY_SI))
    disk = host.ephemeral_storage_bytes // 1024 * 1024
    out["ephemeral-storage"] = str(
        Quantity.from_int(disk - int(disk * EVICTION_NODEFS_FRACTION), DECIMAL_SI)
    )
    return out


_CONDITIONS: tuple[tuple[str, str, tuple[str, str], tuple[str, str]], ...] = (
    # type, Pressure attribute, (reason, message) when fine, when under pressure
    (
        "MemoryPressure",
        "memory",
        ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
    ),
    (
        "DiskPressure",
        "disk",
        ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("KubeletHasDiskPressure", "kubelet has disk pressure"),
    ),
    (
        "PIDPressure",
        "pid",
        ("KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
    ),
)


def _condition(
    previous: dict[str, dict[str, Any]],
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: str,
) -> dict[str, Any]:
    old = previous.get(type_)
    transition = old["lastTransitionTime"] if old and old.get("status") == status else now
    return {
        "type": type_,
        "status": status,
        "lastHeartbeatTime": now,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    }


def conditions(
    previous: list[dict[str, Any]], pressure: Pressure, runtime: RuntimeFacts, now: str
) -> list[dict[str, Any]]:
    by_type = {c.get("type", ""): c for c in previous}
    out = []
    for type_, attr, fine, bad in _CONDITIONS:
        under = getattr(pressure, attr)
        reason, message = bad if under else fine
        out.append(_condition(by_type, type_, "True" if under else "False", reason, message, now))
    if runtime.ready:
        out.append(
            _condition(
                by_type, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now
            )
        )
    else:
        out.append(
            _condition(by_type, "Ready", "False", "KubeletNotReady", runtime.not_ready_message, now)
        )
    return out


def node_status(
    cfg: NodeConfig,
    host: HostInfo,
    *,
    previous: dict[str, Any] | None = None,
    pressure: Pressure = Pressure(),
    runtime: RuntimeFacts = RuntimeFacts(),
    now: str | None = None,
) -> dict[str, Any]:
    now = now or now_rfc3339()
    status: dict[str, Any] = {
        "capacity": capacity(cfg, host),
        "allocatable": allocatable(cfg, host),
        "conditions": conditions((previous or {}).get("conditions") or [], pressure, runtime, now),
        "addresses": [
            {"type": "InternalIP", "address": cfg.node_ip},
            {"type": "Hostname", "address": host.hostname},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": cfg.port}},
        "nodeInfo": {
            "machineID": host.machine_id,
            "systemUUID": host.system_uuid,
            "bootID": host.boot_id,
            "kernelVersion": host.kernel_version,
            "osImage": host.os_image,
            "containerRuntimeVersion": f"{runtime.name}://{runtime.version}"
            if runtime.version
            else "",
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "",
            "operatingSystem": host.operating_system,
            "architecture": host.architecture,
        },
    }
    if runtime.images:
        status["images"] = runtime.images
    return status


def initial_node(
    cfg: NodeConfig, host: HostInfo, runtime: RuntimeFacts = RuntimeFacts()
) -> dict[str, Any]:
    """The Node a kubelet registers (kubelet_node_status.go initialNode)."""
    spec: dict[str, Any] = {}
    if cfg.pod_cidr:
        spec["podCIDR"] = cfg.pod_cidr
        spec["podCIDRs"] = [cfg.pod_cidr]
    if cfg.taints:
        spec["taints"] = list(cfg.taints)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": cfg.name,
            "labels": default_labels(cfg, host),
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": node_status(cfg, host, runtime=runtime),
    }
