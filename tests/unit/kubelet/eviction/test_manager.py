"""EvictionManager over a real StatsProvider on FakeRuntime usage and a fake node."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from steersman.kubelet.eviction import (
    EvictionManager,
    TerminatePodOptions,
    apply_termination_status,
    parse_eviction_hard,
)
from steersman.kubelet.eviction import manager as manager_module
from steersman.kubelet.node_status import Pressure
from steersman.kubelet.runtime.fake import FakeRuntime
from steersman.kubelet.stats import StatsProvider
from tests.unit.kubelet.stats.fake_node import GI, MI, Clock, FakeNodeReader, pod, run_pod

Obj = dict[str, Any]


@dataclass
class Recorder:
    events: list[tuple[str, str, str, str]] = field(default_factory=list)

    def event(
        self, obj: Obj, type_: str, reason: str, message: str, *, field_path: str = ""
    ) -> None:
        self.events.append((obj["metadata"]["name"], type_, reason, message))


@dataclass
class Node:
    """A kubelet in miniature: pods running in FakeRuntime, the stats, the manager."""

    tmp: Path
    clock: Clock = field(default_factory=Clock)
    reader: FakeNodeReader = field(default_factory=FakeNodeReader)
    recorder: Recorder = field(default_factory=Recorder)
    pods: list[Obj] = field(default_factory=list)
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    terminated: list[tuple[str, TerminatePodOptions]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rt = FakeRuntime(clock=self.clock.ns)
        self.stats = StatsProvider(
            runtime=self.rt,
            pods=lambda: self.pods,
            root_dir=self.tmp,
            node_name="node-a",
            reader=self.reader,
            clock=self.clock,
        )

    def manager(self, flag: str | None = None, **kw: Any) -> EvictionManager:
        return EvictionManager(
            thresholds=parse_eviction_hard(flag),
            summary_provider=self.stats.summary,
            active_pods=lambda: [p for p in self.pods if p["status"]["phase"] == "Running"],
            terminate_pod=self.terminate,
            recorder=self.recorder,
            node_name="node-a",
            clock=self.clock,
            **kw,
        )

    async def add(self, p: Obj, working_set: int = 0) -> Obj:
        self.pods.append(p)
        self.ids[p["metadata"]["name"]] = await run_pod(self.rt, p)
        for cid in self.ids[p["metadata"]["name"]].values():
            self.rt.set_usage(cid, working_set_bytes=working_set)
        return p

    async def terminate(self, p: Obj, options: TerminatePodOptions) -> None:
        self.terminated.append((p["metadata"]["name"], options))
        p["status"] = apply_termination_status(p["status"], options, "2023-11-14T23:13:20Z")
        for cid in self.ids[p["metadata"]["name"]].values():
            await self.rt.stop_container(cid, 0)

    def tick(self, seconds: float = 10.0) -> None:
        self.clock.now += seconds


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(tmp_path)


async def test_no_pressure_no_eviction(node: Node) -> None:
    await node.add(pod("web"), 10 * MI)
    manager = node.manager()
    assert await manager.synchronize() == []
    assert manager.pressure() == Pressure()
    assert node.recorder.events == [] and node.terminated == []


async def test_memory_pressure_evicts_one_pod_per_cycle(node: Node) -> None:
    await node.add(pod("guaranteed", containers={"app": {"requests": {"memory": "1Gi"}}}), 500 * MI)
    await node.add(pod("hog", containers={"app": {"requests": {"memory": "64Mi"}}}), 900 * MI)
    await node.add(pod("besteffort"), 200 * MI)
    node.reader.set_memory_available(50 * MI)
    manager = node.manager()

    evicted = await manager.synchronize()
    assert [p["metadata"]["name"] for p in evicted] == ["hog"]
    assert manager.pressure() == Pressure(memory=True)
    message = (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. "
        "Container app was using 900Mi, request is 64Mi, has larger consumption of memory. "
    )
    assert node.recorder.events == [
        ("node-a", "Warning", "EvictionThresholdMet", "Attempting to reclaim memory"),
        ("hog", "Warning", "Evicted", message),
    ]
    _, options = node.terminated[0]
    assert options == TerminatePodOptions(
        evict=True,
        grace_period_seconds_override=1,
        reason="Evicted",
        message=message,
        conditions=(
            {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "TerminationByKubelet",
                "message": message,
            },
        ),
    )
    status = node.pods[1]["status"]
    assert (status["phase"], status["reason"], status["message"]) == ("Failed", "Evicted", message)

    # The same observation is not acted upon twice; a fresh one evicts the next pod.
    assert await manager.synchronize() == []
    node.tick()
    assert [p["metadata"]["name"] for p in await manager.synchronize()] == ["besteffort"]


async def test_pressure_outlasts_the_threshold_for_the_transition_period(node: Node) -> None:
    await node.add(pod("web"), 10 * MI)
    manager = node.manager()
    node.reader.set_memory_available(50 * MI)
    await manager.synchronize()
    node.reader.set_memory_available(2 * GI)
    node.tick(299)
    assert await manager.synchronize() == []
    assert manager.pressure().memory
    node.tick(1)
    await manager.synchronize()
    assert manager.pressure() == Pressure()


async def test_critical_pods_are_never_evicted(node: Node) -> None:
    await node.add(pod("system", priority=2_000_000_000), 900 * MI)
    await node.add(pod("static", annotations={"kubernetes.io/config.source": "file"}), 800 * MI)
    await node.add(pod("user"), 10 * MI)
    node.reader.set_memory_available(50 * MI)
    evicted = await node.manager().synchronize()
    assert [p["metadata"]["name"] for p in evicted] == ["user"]


async def test_disk_pressure_ranks_by_ephemeral_storage(node: Node) -> None:
    quiet = await node.add(pod("quiet"))
    noisy = await node.add(pod("noisy"))
    logs = node.tmp / "logs" / "pods"
    node.reader.usage[logs / "default_noisy_uid-noisy" / "app"] = (3 * GI, 10)
    node.reader.usage[logs / "default_quiet_uid-quiet" / "app"] = (1 * MI, 1)
    node.reader.set_fs_available(5 * GI)  # < 10% of 100Gi
    manager = node.manager()
    evicted = await manager.synchronize()
    assert [p["metadata"]["name"] for p in evicted] == ["noisy"]
    assert manager.pressure() == Pressure(disk=True)
    assert node.recorder.events[0][3] == "Attempting to reclaim ephemeral-storage"
    # FakeRuntime reports no writable layer: without rootfs stats upstream names no container.
    assert node.recorder.events[1][3] == (
        "The node was low on resource: ephemeral-storage. Threshold quantity: 10737418400, "
        "available: 5Gi. "
    )
    assert quiet["status"]["phase"] == "Running" and noisy["status"]["phase"] == "Failed"


async def test_inodes_pressure(node: Node) -> None:
    await node.add(pod("web"))
    node.reader.set_fs_available(50 * GI, inodes_free=10_000)  # < 5% of 1M inodes
    manager = node.manager()
    await manager.synchronize()
    assert manager.pressure() == Pressure(disk=True)
    assert node.recorder.events[0][3] == "Attempting to reclaim inodes"


async def test_node_level_reclaim_comes_first(node: Node) -> None:
    await node.add(pod("web"))
    node.reader.set_fs_available(5 * GI)
    reclaimed: list[str] = []

    async def image_gc() -> None:
        reclaimed.append("images")
        node.reader.set_fs_available(50 * GI)

    manager = node.manager(node_reclaimers=[image_gc])
    assert await manager.synchronize() == []
    assert reclaimed == ["images"] and node.terminated == []
    assert manager.pressure().disk  # the condition was observed this cycle


async def test_empty_dir_over_its_size_limit_is_evicted_without_pressure(node: Node) -> None:
    p = await node.add(
        pod("scratchy", volumes=[{"name": "scratch", "emptyDir": {"sizeLimit": "1Mi"}}])
    )
    volume = node.tmp / "pods" / "uid-scratchy" / "volumes" / "kubernetes.io~empty-dir" / "scratch"
    volume.mkdir(parents=True)
    node.reader.usage[volume] = (2 * MI, 3)
    evicted = await node.manager().synchronize()
    assert evicted == [p]
    _, options = node.terminated[0]
    assert options.message == 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". '
    assert options.conditions == () and options.grace_period_seconds_override == 1


async def test_a_failing_summary_changes_nothing(node: Node) -> None:
    from steersman.kubelet.runtime.interface import Unavailable

    node.reader.set_memory_available(50 * MI)
    manager = node.manager()
    node.rt.inject_error("list_pod_sandbox", Unavailable("down"))
    assert await manager.synchronize() == []
    assert manager.pressure() == Pressure()


async def test_admission_under_pressure(node: Node) -> None:
    manager = node.manager()
    besteffort = pod("be")
    burstable = pod("burst", containers={"c": {"requests": {"memory": "1Mi"}}})
    tolerant = pod("tolerant")
    tolerant["spec"]["tolerations"] = [
        {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}
    ]
    critical = pod("critical", priority=2_000_001_000)
    assert manager.admit(besteffort).admit
    manager.state.node_conditions = ["MemoryPressure"]
    rejected = manager.admit(besteffort)
    assert (rejected.admit, rejected.reason, rejected.message) == (
        False,
        "Evicted",
        "The node had condition: [MemoryPressure]. ",
    )
    assert manager.admit(burstable).admit and manager.admit(tolerant).admit
    manager.state.node_conditions = ["MemoryPressure", "DiskPressure"]
    assert (
        manager.admit(burstable).message
        == "The node had condition: [MemoryPressure DiskPressure]. "
    )
    assert manager.admit(critical).admit


def test_apply_termination_status_keeps_unchanged_transition_times() -> None:
    options = TerminatePodOptions(
        reason="Evicted",
        message="m",
        conditions=(
            {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "TerminationByKubelet",
                "message": "m",
            },
        ),
    )
    before = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "T0"}],
    }
    after = apply_termination_status(before, options, "T1")
    assert before["phase"] == "Running"  # not modified in place
    assert (after["phase"], after["reason"], after["message"]) == ("Failed", "Evicted", "m")
    assert after["conditions"][1] == {
        "type": "DisruptionTarget",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": "T1",
        "reason": "TerminationByKubelet",
        "message": "m",
    }
    again = apply_termination_status(after, options, "T2")
    assert again["conditions"][1]["lastTransitionTime"] == "T1"
    assert len(again["conditions"]) == 2


async def test_run_evicts_then_waits_for_cleanup(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manager_module, "POD_CLEANUP_POLL", 0.01)
    await node.add(pod("web"), 10 * MI)
    node.reader.set_memory_available(50 * MI)
    cleaned: list[str] = []

    def cleaned_up(p: Obj) -> bool:
        cleaned.append(p["metadata"]["name"])
        return len(cleaned) >= 2

    import time

    manager = node.manager(monitoring_interval=0.01, pod_cleaned_up=cleaned_up)
    manager.clock = time.monotonic
    task = asyncio.create_task(manager.run())
    try:
        for _ in range(200):
            if len(cleaned) >= 2:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [name for name, _ in node.terminated] == ["web"]
    assert cleaned[:2] == ["web", "web"]
