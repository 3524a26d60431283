"""Which pod goes first."""

from __future__ import annotations

from typing import Any

from steersman.kubelet.eviction import build_signal_to_rank_func, rank_memory_pressure
from tests.unit.kubelet.stats.fake_node import MI, pod

Obj = dict[str, Any]


def stats_of(usage: dict[str, Obj]) -> Any:
    return lambda p: usage.get(p["metadata"]["name"])


def mem(working_set: int) -> Obj:
    return {"memory": {"workingSetBytes": working_set}}


def names(pods: list[Obj]) -> list[str]:
    return [p["metadata"]["name"] for p in pods]


def test_memory_over_requests_then_priority_then_usage_above_requests() -> None:
    pods = [
        pod("guaranteed-big", containers={"c": {"requests": {"memory": "1Gi"}}}),
        pod("burst-small", containers={"c": {"requests": {"memory": "10Mi"}}}),
        pod("burst-large", containers={"c": {"requests": {"memory": "10Mi"}}}),
        pod("besteffort-important", priority=1000),
        pod("no-stats", containers={"c": {"requests": {"memory": "1Gi"}}}),
    ]
    stats = stats_of(
        {
            "guaranteed-big": mem(900 * MI),  # under its request
            "burst-small": mem(20 * MI),
            "burst-large": mem(200 * MI),
            "besteffort-important": mem(500 * MI),
        }
    )
    assert names(rank_memory_pressure(pods, stats)) == [
        "no-stats",
        "burst-large",
        "burst-small",
        "besteffort-important",
        "guaranteed-big",
    ]


def test_init_containers_and_overhead_count_in_requests() -> None:
    with_init = pod("init", containers={"c": {"requests": {"memory": "10Mi"}}})
    with_init["spec"]["initContainers"] = [
        {"name": "i", "resources": {"requests": {"memory": "300Mi"}}}
    ]
    with_init["spec"]["overhead"] = {"memory": "10Mi"}
    plain = pod("plain", containers={"c": {"requests": {"memory": "10Mi"}}})
    stats = stats_of({"init": mem(300 * MI), "plain": mem(250 * MI)})
    # init: 300Mi used <= 310Mi requested, so plain (over its request) goes first.
    assert names(rank_memory_pressure([with_init, plain], stats)) == ["plain", "init"]


def disk_stats(rootfs: int, logs: int, volumes: dict[str, int] | None = None) -> Obj:
    return {
        "containers": [
            {
                "name": "c",
                "rootfs": {"usedBytes": rootfs, "inodesUsed": 1},
                "logs": {"usedBytes": logs},
            }
        ],
        "volume": [
            {"name": n, "usedBytes": b, "inodesUsed": 1} for n, b in (volumes or {}).items()
        ],
    }


def test_disk_pressure_ranks_by_ephemeral_usage_above_requests() -> None:
    cached = pod("cache", volumes=[{"name": "scratch", "emptyDir": {}}])
    tmpfs = pod("tmpfs", volumes=[{"name": "ram", "emptyDir": {"medium": "Memory"}}])
    requested = pod("requested", containers={"c": {"requests": {"ephemeral-storage": "1Gi"}}})
    stats = stats_of(
        {
            "cache": disk_stats(10 * MI, 0, {"scratch": 500 * MI}),
            "tmpfs": disk_stats(100 * MI, 0, {"ram": 900 * MI}),  # RAM, not disk
            "requested": disk_stats(800 * MI, 0),
        }
    )
    rank = build_signal_to_rank_func(False)["nodefs.available"]
    assert names(rank([requested, tmpfs, cached], stats)) == ["cache", "tmpfs", "requested"]


def test_with_an_imagefs_nodefs_counts_only_logs_and_volumes() -> None:
    a = pod("writes-layer")
    b = pod("writes-logs")
    stats = stats_of(
        {"writes-layer": disk_stats(900 * MI, 1 * MI), "writes-logs": disk_stats(0, 5 * MI)}
    )
    ranks = build_signal_to_rank_func(True)
    assert names(ranks["nodefs.available"]([a, b], stats)) == ["writes-logs", "writes-layer"]
    assert names(ranks["imagefs.available"]([b, a], stats)) == ["writes-layer", "writes-logs"]
