"""Pod ranking for eviction (helpers.go rank*): the order in which pods are evicted for each
signal.

Invariants: pure; a comparator returns <0 when its first pod is to be evicted first; pods
without stats go first; ties keep the input order (a stable sort).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from steersman.kubelet.eviction.observations import StatsFunc
from steersman.kubelet.eviction.pods import (
    FS_IMAGES,
    FS_LOCAL_VOLUMES,
    FS_LOGS,
    FS_ROOT,
    memory_usage,
    pod_disk_usage,
    pod_priority,
    pod_request,
)
from steersman.kubelet.eviction.thresholds import (
    RESOURCE_EPHEMERAL_STORAGE,
    RESOURCE_INODES,
    RESOURCE_MEMORY,
    SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE,
    SIGNAL_CONTAINERFS_AVAILABLE,
    SIGNAL_CONTAINERFS_INODES_FREE,
    SIGNAL_IMAGEFS_AVAILABLE,
    SIGNAL_IMAGEFS_INODES_FREE,
    SIGNAL_MEMORY_AVAILABLE,
    SIGNAL_NODEFS_AVAILABLE,
    SIGNAL_NODEFS_INODES_FREE,
    SIGNAL_PID_AVAILABLE,
)

Obj = dict[str, Any]

Cmp = Callable[[Obj, Obj], int]
RankFunc = Callable[[Sequence[Obj], StatsFunc], list[Obj]]


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def cmp_bool(a: bool, b: bool) -> int:
    """true sorts before false."""
    if a == b:
        return 0
    return -1 if not b else 1


def priority(p1: Obj, p2: Obj) -> int:
    return _sign(pod_priority(p1) - pod_priority(p2))


def _with_stats(stats: StatsFunc, compare: Callable[[Obj, Obj, Obj, Obj], int]) -> Cmp:
    def cmp(p1: Obj, p2: Obj) -> int:
        s1, s2 = stats(p1), stats(p2)
        if s1 is None or s2 is None:
            return cmp_bool(s1 is None, s2 is None)  # no stats: evict first
        return compare(p1, p2, s1, s2)

    return cmp


def exceed_memory_requests(stats: StatsFunc) -> Cmp:
    def compare(p1: Obj, p2: Obj, s1: Obj, s2: Obj) -> int:
        return cmp_bool(
            memory_usage(s1) > pod_request(p1, RESOURCE_MEMORY),
            memory_usage(s2) > pod_request(p2, RESOURCE_MEMORY),
        )

    return _with_stats(stats, compare)


def memory(stats: StatsFunc) -> Cmp:
    def compare(p1: Obj, p2: Obj, s1: Obj, s2: Obj) -> int:
        above1 = memory_usage(s1) - pod_request(p1, RESOURCE_MEMORY)
        above2 = memory_usage(s2) - pod_request(p2, RESOURCE_MEMORY)
        return _sign(above2 - above1)  # the larger consumer first

    return _with_stats(stats, compare)


def process(stats: StatsFunc) -> Cmp:
    def compare(p1: Obj, p2: Obj, s1: Obj, s2: Obj) -> int:
        count1 = int((s1.get("process_stats") or {}).get("process_count") or 0)
        count2 = int((s2.get("process_stats") or {}).get("process_count") or 0)
        return _sign(count2 - count1)

    return _with_stats(stats, compare)


def exceed_disk_requests(stats: StatsFunc, measure: Sequence[str], resource: str) -> Cmp:
    def compare(p1: Obj, p2: Obj, s1: Obj, s2: Obj) -> int:
        return cmp_bool(
            pod_disk_usage(s1, p1, measure)[resource] > pod_request(p1, resource),
            pod_disk_usage(s2, p2, measure)[resource] > pod_request(p2, resource),
        )

    return _with_stats(stats, compare)


def disk(stats: StatsFunc, measure: Sequence[str], resource: str) -> Cmp:
    def compare(p1: Obj, p2: Obj, s1: Obj, s2: Obj) -> int:
        # Upstream subtracts the ephemeral-storage request even when ranking by inodes.
        above1 = pod_disk_usage(s1, p1, measure)[resource] - pod_request(
            p1, RESOURCE_EPHEMERAL_STORAGE
        )
        above2 = pod_disk_usage(s2, p2, measure)[resource] - pod_request(
            p2, RESOURCE_EPHEMERAL_STORAGE
        )
        return _sign(above2 - above1)

    return _with_stats(stats, compare)


def ordered_by(pods: Sequence[Obj], *cmps: Cmp) -> list[Obj]:
    def combined(p1: Obj, p2: Obj) -> int:
        for cmp in cmps:
            result = cmp(p1, p2)
            if result:
                return result
        return 0

    return sorted(pods, key=functools.cmp_to_key(combined))


def rank_memory_pressure(pods: Sequence[Obj], stats: StatsFunc) -> list[Obj]:
    return ordered_by(pods, exceed_memory_requests(stats), priority, memory(stats))


def rank_pid_pressure(pods: Sequence[Obj], stats: StatsFunc) -> list[Obj]:
    return ordered_by(pods, priority, process(stats))


def rank_disk_pressure_func(measure: Sequence[str], resource: str) -> RankFunc:
    def rank(pods: Sequence[Obj], stats: StatsFunc) -> list[Obj]:
        return ordered_by(
            pods,
            exceed_disk_requests(stats, measure, resource),
            priority,
            disk(stats, measure, resource),
        )

    return rank


def build_signal_to_rank_func(with_image_fs: bool) -> dict[str, RankFunc]:
    """Which pod usage counts for which signal (no separate containerfs here)."""
    out: dict[str, RankFunc] = {
        SIGNAL_MEMORY_AVAILABLE: rank_memory_pressure,
        SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE: rank_memory_pressure,
        SIGNAL_PID_AVAILABLE: rank_pid_pressure,
    }
    if with_image_fs:
        # nodefs holds logs and volumes; imagefs the writable layers.
        node_measure: tuple[str, ...] = (FS_LOGS, FS_LOCAL_VOLUMES)
        image_measure: tuple[str, ...] = (FS_ROOT, FS_IMAGES)
    else:
        node_measure = image_measure = (FS_IMAGES, FS_ROOT, FS_LOGS, FS_LOCAL_VOLUMES)
    for bytes_signal, inodes_signal, measure in (
        (SIGNAL_NODEFS_AVAILABLE, SIGNAL_NODEFS_INODES_FREE, node_measure),
        (SIGNAL_IMAGEFS_AVAILABLE, SIGNAL_IMAGEFS_INODES_FREE, image_measure),
        (SIGNAL_CONTAINERFS_AVAILABLE, SIGNAL_CONTAINERFS_INODES_FREE, image_measure),
    ):
        out[bytes_signal] = rank_disk_pressure_func(measure, RESOURCE_EPHEMERAL_STORAGE)
        out[inodes_signal] = rank_disk_pressure_func(measure, RESOURCE_INODES)
    return out
