"""Eviction observations from a stats summary, and the bookkeeping of which thresholds are
met, since when, and which node conditions they raise (helpers.go).

Invariants: pure functions of their inputs (the summary, previous bookkeeping, `now`);
node conditions come out in the fixed order MemoryPressure, DiskPressure, PIDPressure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steersman.api.quantity import BINARY_SI, DECIMAL_SI, Quantity
from steersman.kubelet.eviction.thresholds import (
    CONDITION_ORDER,
    SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE,
    SIGNAL_CONTAINERFS_AVAILABLE,
    SIGNAL_CONTAINERFS_INODES_FREE,
    SIGNAL_IMAGEFS_AVAILABLE,
    SIGNAL_IMAGEFS_INODES_FREE,
    SIGNAL_MEMORY_AVAILABLE,
    SIGNAL_NODEFS_AVAILABLE,
    SIGNAL_NODEFS_INODES_FREE,
    SIGNAL_PID_AVAILABLE,
    SIGNAL_TO_CONDITION,
    SIGNAL_TO_RESOURCE,
    Threshold,
    ThresholdValue,
)
from steersman.kubelet.stats.helpers import parse_time

Obj = dict[str, Any]


@dataclass(frozen=True)
class Observation:
    available: int
    capacity: int
    time: float | None = None
    format: str = BINARY_SI  # how upstream's Quantity for it prints (inodes: DecimalSI)

    def available_quantity(self) -> Quantity:
        return Quantity.from_int(self.available, self.format)


Observations = dict[str, Observation]
StatsFunc = Callable[[Obj], Obj | None]


def threshold_quantity(value: ThresholdValue, capacity: int) -> Quantity:
    """GetThresholdQuantity."""
    if value.quantity is not None:
        return value.quantity
    return Quantity.from_int(int(float(capacity) * value.percentage), BINARY_SI)


def _fs_observations(
    fs: Obj | None, bytes_signal: str, inodes_signal: str, out: Observations
) -> None:
    if not fs:
        return
    when = parse_time(fs.get("time"))
    if "availableBytes" in fs and "capacityBytes" in fs:
        out[bytes_signal] = Observation(fs["availableBytes"], fs["capacityBytes"], when)
    if "inodesFree" in fs and "inodes" in fs:
        out[inodes_signal] = Observation(fs["inodesFree"], fs["inodes"], when, DECIMAL_SI)


def make_signal_observations(summary: Obj) -> tuple[Observations, StatsFunc]:
    """makeSignalObservations: eviction signals and a pod -> pod stats lookup."""
    by_uid = {p["podRef"]["uid"]: p for p in summary.get("pods") or []}

    def stats(pod: Obj) -> Obj | None:
        return by_uid.get((pod.get("metadata") or {}).get("uid", ""))

    node = summary.get("node") or {}
    out: Observations = {}
    memory = node.get("memory") or {}
    if "availableBytes" in memory and "workingSetBytes" in memory:
        out[SIGNAL_MEMORY_AVAILABLE] = Observation(
            memory["availableBytes"],
            memory["availableBytes"] + memory["workingSetBytes"],
            parse_time(memory.get("time")),
        )
    _fs_observations(node.get("fs"), SIGNAL_NODEFS_AVAILABLE, SIGNAL_NODEFS_INODES_FREE, out)
    runtime = node.get("runtime") or {}
    _fs_observations(
        runtime.get("imageFs"), SIGNAL_IMAGEFS_AVAILABLE, SIGNAL_IMAGEFS_INODES_FREE, out
    )
    _fs_observations(
        runtime.get("containerFs"),
        SIGNAL_CONTAINERFS_AVAILABLE,
        SIGNAL_CONTAINERFS_INODES_FREE,
        out,
    )
    rlimit = node.get("rlimit") or {}
    if "maxpid" in rlimit and "curproc" in rlimit:
        out[SIGNAL_PID_AVAILABLE] = Observation(
            rlimit["maxpid"] - rlimit["curproc"],
            rlimit["maxpid"],
            parse_time(rlimit.get("time")),
            DECIMAL_SI,
        )
    return out, stats


def thresholds_met(
    thresholds: Sequence[Threshold], observations: Observations, enforce_min_reclaim: bool
) -> list[Threshold]:
    out = []
    for t in thresholds:
        observed = observations.get(t.signal)
        if observed is None:
            continue
        quantity = threshold_quantity(t.value, observed.capacity)
        if enforce_min_reclaim and t.min_reclaim is not None:
            quantity = quantity + threshold_quantity(t.min_reclaim, observed.capacity)
        if quantity > Quantity.from_int(observed.available):
            out.append(t)
    return out


def merge_thresholds(a: Sequence[Threshold], b: Sequence[Threshold]) -> list[Threshold]:
    return list(a) + [t for t in b if t not in a]


def thresholds_first_observed_at(
    thresholds: Sequence[Threshold], last: Mapping[Threshold, float], now: float
) -> dict[Threshold, float]:
    return {t: last.get(t, now) for t in thresholds}


def thresholds_met_grace_period(
    observed_at: Mapping[Threshold, float], now: float
) -> list[Threshold]:
    return [t for t, at in observed_at.items() if now - at >= t.grace_period]


def thresholds_updated_stats(
    thresholds: Sequence[Threshold], observations: Observations, last: Observations
) -> list[Threshold]:
    """Only thresholds whose observation is newer than the one already acted upon."""
    out = []
    for t in thresholds:
        observed = observations.get(t.signal)
        if observed is None:
            continue
        previous = last.get(t.signal)
        if (
            previous is None
            or observed.time is None
            or previous.time is None
            or observed.time > previous.time
        ):
            out.append(t)
    return out


def node_conditions(thresholds: Sequence[Threshold]) -> list[str]:
    found = {SIGNAL_TO_CONDITION[t.signal] for t in thresholds if t.signal in SIGNAL_TO_CONDITION}
    return [c for c in CONDITION_ORDER if c in found]


def node_conditions_last_observed_at(
    conditions: Sequence[str], last: Mapping[str, float], now: float
) -> dict[str, float]:
    out = dict(last)
    out.update({c: now for c in conditions})
    return out


def node_conditions_observed_since(
    observed_at: Mapping[str, float], period: float, now: float
) -> list[str]:
    return [c for c in CONDITION_ORDER if c in observed_at and now - observed_at[c] < period]


def sort_by_eviction_priority(thresholds: Sequence[Threshold]) -> list[Threshold]:
    """byEvictionPriority: memory first, thresholds without a resource to reclaim last."""

    def rank(t: Threshold) -> int:
        if t.signal in (SIGNAL_MEMORY_AVAILABLE, SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE):
            return 0
        return 1 if t.signal in SIGNAL_TO_RESOURCE else 2

    return sorted(thresholds, key=rank)
