"""Node status shapes and wording (pure functions)."""

from __future__ import annotations

from steersman.kubelet.host import HostInfo
from steersman.kubelet.node_status import (
    NodeConfig,
    Pressure,
    RuntimeFacts,
    allocatable,
    capacity,
    conditions,
    initial_node,
    node_status,
)

HOST = HostInfo(
    cpus=2,
    memory_bytes=4 * 1024**3,
    ephemeral_storage_bytes=100 * 1024**3,
    machine_id="m",
    system_uuid="s",
    boot_id="b",
    kernel_version="6.1.0",
    os_image="Debian GNU/Linux 12 (bookworm)",
    operating_system="linux",
    architecture="amd64",
    hostname="node-a",
)
CFG = NodeConfig(name="node-a", node_ip="10.0.0.5", pod_cidr="10.244.1.0/24")


def test_capacity_and_allocatable_subtract_eviction_thresholds() -> None:
    cap = capacity(CFG, HOST)
    assert cap == {
        "cpu": "2",
        "ephemeral-storage": "100Gi",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "4Gi",
        "pods": "110",
    }
    alloc = allocatable(CFG, HOST)
    assert alloc["memory"] == "3996Mi"  # 4Gi - 100Mi
    assert alloc["ephemeral-storage"] == str(100 * 1024**3 - 100 * 1024**3 // 10)
    assert alloc["cpu"] == "2" and alloc["pods"] == "110"


def test_conditions_wording_and_transitions() -> None:
    first = conditions([], Pressure(), RuntimeFacts(), "T1")
    assert [(c["type"], c["status"], c["reason"]) for c in first] == [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    second = conditions(first, Pressure(disk=True), RuntimeFacts(), "T2")
    by_type = {c["type"]: c for c in second}
    assert by_type["DiskPressure"] == {
        "type": "DiskPressure",
        "status": "True",
        "lastHeartbeatTime": "T2",
        "lastTransitionTime": "T2",
        "reason": "KubeletHasDiskPressure",
        "message": "kubelet has disk pressure",
    }
    assert by_type["Ready"]["lastTransitionTime"] == "T1"
    assert by_type["Ready"]["lastHeartbeatTime"] == "T2"
    third = conditions(second, Pressure(), RuntimeFacts(ready=False, not_ready_message="cni"), "T3")
    ready = {c["type"]: c for c in third}["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "KubeletNotReady",
        "cni",
    )
    assert ready["lastTransitionTime"] == "T3"


def test_initial_node_and_runtime_version() -> None:
    node = initial_node(CFG, HOST)
    assert node["spec"] == {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]}
    assert node["metadata"]["labels"]["kubernetes.io/arch"] == "amd64"
    assert node["metadata"]["annotations"]["node.alpha.kubernetes.io/ttl"] == "0"
    status = node_status(CFG, HOST, runtime=RuntimeFacts(version="1.6.20"), now="T")
    assert status["nodeInfo"]["containerRuntimeVersion"] == "containerd://1.6.20"
    assert status["addresses"] == [
        {"type": "InternalIP", "address": "10.0.0.5"},
        {"type": "Hostname", "address": "node-a"},
    ]
