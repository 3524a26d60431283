"""Eviction signals and thresholds: the kubelet's `--eviction-*` flags parsed as upstream's
ParseThresholdConfig does (pkg/kubelet/eviction/api and helpers.go).

Invariants: pure data and parsing; the operator is always LessThan; `0%`/`100%` drop a
signal; percentages are float32 as in Go, so threshold quantities match upstream's to the
byte; errors carry upstream's wording.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from steersman.api.quantity import Quantity, parse_quantity

SIGNAL_MEMORY_AVAILABLE = "memory.available"
SIGNAL_NODEFS_AVAILABLE = "nodefs.available"
SIGNAL_NODEFS_INODES_FREE = "nodefs.inodesFree"
SIGNAL_IMAGEFS_AVAILABLE = "imagefs.available"
SIGNAL_IMAGEFS_INODES_FREE = "imagefs.inodesFree"
SIGNAL_CONTAINERFS_AVAILABLE = "containerfs.available"
SIGNAL_CONTAINERFS_INODES_FREE = "containerfs.inodesFree"
SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE = "allocatableMemory.available"
SIGNAL_PID_AVAILABLE = "pid.available"

MEMORY_PRESSURE = "MemoryPressure"
DISK_PRESSURE = "DiskPressure"
PID_PRESSURE = "PIDPressure"

RESOURCE_MEMORY = "memory"
RESOURCE_EPHEMERAL_STORAGE = "ephemeral-storage"
RESOURCE_INODES = "inodes"
RESOURCE_PIDS = "pids"

SIGNAL_TO_CONDITION = {
    SIGNAL_MEMORY_AVAILABLE: MEMORY_PRESSURE,
    SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE: MEMORY_PRESSURE,
    SIGNAL_IMAGEFS_AVAILABLE: DISK_PRESSURE,
    SIGNAL_CONTAINERFS_AVAILABLE: DISK_PRESSURE,
    SIGNAL_NODEFS_AVAILABLE: DISK_PRESSURE,
    SIGNAL_IMAGEFS_INODES_FREE: DISK_PRESSURE,
    SIGNAL_NODEFS_INODES_FREE: DISK_PRESSURE,
    SIGNAL_CONTAINERFS_INODES_FREE: DISK_PRESSURE,
    SIGNAL_PID_AVAILABLE: PID_PRESSURE,
}
SIGNAL_TO_RESOURCE = {
    SIGNAL_MEMORY_AVAILABLE: RESOURCE_MEMORY,
    SIGNAL_ALLOCATABLE_MEMORY_AVAILABLE: RESOURCE_MEMORY,
    SIGNAL_IMAGEFS_AVAILABLE: RESOURCE_EPHEMERAL_STORAGE,
    SIGNAL_IMAGEFS_INODES_FREE: RESOURCE_INODES,
    SIGNAL_CONTAINERFS_AVAILABLE: RESOURCE_EPHEMERAL_STORAGE,
    SIGNAL_CONTAINERFS_INODES_FREE: RESOURCE_INODES,
    SIGNAL_NODEFS_AVAILABLE: RESOURCE_EPHEMERAL_STORAGE,
    SIGNAL_NODEFS_INODES_FREE: RESOURCE_INODES,
    SIGNAL_PID_AVAILABLE: RESOURCE_PIDS,
}
CONDITION_ORDER = (MEMORY_PRESSURE, DISK_PRESSURE, PID_PRESSURE)

# The kubelet's Linux default (pkg/kubelet/eviction/defaults_linux.go).
DEFAULT_EVICTION_HARD = (
    "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%"
)
REASON = "Evicted"
DISRUPTION_TARGET = "DisruptionTarget"
TERMINATION_BY_KUBELET = "TerminationByKubelet"
IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS = 1
POD_CLEANUP_TIMEOUT = 30.0
POD_CLEANUP_POLL = 1.0
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000
TAINT_NODE_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"


def go_quote(value: str) -> str:
    """fmt's %q for the names and quantities that appear in messages."""
    return json.dumps(value, ensure_ascii=False)


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


@dataclass(frozen=True)
class ThresholdValue:
    """A literal quantity, or a fraction (float32, 0..1) of the observed capacity."""

    quantity: Quantity | None = None
    percentage: float = 0.0


@dataclass(frozen=True)
class Threshold:
    signal: str
    value: ThresholdValue
    grace_period: float = 0.0  # seconds; 0 is a hard threshold
    min_reclaim: ThresholdValue | None = None

    @property
    def is_hard(self) -> bool:
        return self.grace_period == 0


def parse_map(value: str, sep: str = "<") -> dict[str, str]:
    """The kubelet's map flags: `k<v,k<v` (eviction thresholds) or `k=v,k=v` (the others)."""
    out: dict[str, str] = {}
    for item in value.split(","):
        if not item:
            continue
        key, found, val = item.partition(sep)
        if not found:
            raise ValueError(f"malformed pair, expect string{sep}string")
        out[key.strip()] = val.strip()
    return out


def _parse_percentage(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise ValueError(
            f'strconv.ParseFloat: parsing "{raw.rstrip("%")}": invalid syntax'
        ) from None
    return _float32(_float32(value) / 100)


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(raw: str) -> float:
    """time.ParseDuration, in seconds."""
    text = raw[1:] if raw[:1] in "+-" else raw
    if text == "0":
        return 0.0
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"time: invalid duration {go_quote(raw)}")
    seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    return -seconds if raw.startswith("-") else seconds


def _valid_signal(signal: str) -> None:
    if signal not in SIGNAL_TO_RESOURCE:
        raise ValueError(f"unsupported eviction signal {signal}")


def parse_threshold_statement(signal: str, value: str) -> Threshold | None:
    _valid_signal(signal)
    if value.endswith("%"):
        if value in ("0%", "100%"):
            return None
        pct = _parse_percentage(value)
        if pct < 0:
            raise ValueError(f"eviction percentage threshold {signal} must be >= 0%: {value}")
        if pct > 1:
            raise ValueError(f"eviction percentage threshold {signal} must be <= 100%: {value}")
        return Threshold(signal, ThresholdValue(percentage=pct))
    quantity = parse_quantity(value)
    if quantity.sign() <= 0:
        raise ValueError(f"eviction threshold {signal} must be positive: {quantity}")
    return Threshold(signal, ThresholdValue(quantity=quantity))


def parse_threshold_config(
    eviction_hard: Mapping[str, str],
    eviction_soft: Mapping[str, str] | None = None,
    eviction_soft_grace_period: Mapping[str, str] | None = None,
    eviction_minimum_reclaim: Mapping[str, str] | None = None,
) -> list[Threshold]:
    """ParseThresholdConfig."""
    hard = [t for s, v in eviction_hard.items() if (t := parse_threshold_statement(s, v))]
    soft = [t for s, v in (eviction_soft or {}).items() if (t := parse_threshold_statement(s, v))]
    grace: dict[str, float] = {}
    for signal, raw in (eviction_soft_grace_period or {}).items():
        _valid_signal(signal)
        period = parse_duration(raw)
        if period < 0:
            raise ValueError(
                f"invalid eviction grace period specified: {raw}, must be a positive value"
            )
        grace[signal] = period
    reclaim: dict[str, ThresholdValue] = {}
    for signal, raw in (eviction_minimum_reclaim or {}).items():
        _valid_signal(signal)
        if raw.endswith("%"):
            pct = _parse_percentage(raw)
            if pct <= 0:
                raise ValueError(
                    f"eviction percentage minimum reclaim {signal} must be positive: {raw}"
                )
            reclaim[signal] = ThresholdValue(percentage=pct)
            continue
        quantity = parse_quantity(raw)
        if quantity.sign() < 0:
            raise ValueError(f"negative eviction minimum reclaim specified for {signal}")
        reclaim[signal] = ThresholdValue(quantity=quantity)
    for i, t in enumerate(soft):
        if t.signal not in grace:
            raise ValueError(
                f"grace period must be specified for the soft eviction threshold {t.signal}"
            )
        soft[i] = Threshold(t.signal, t.value, grace[t.signal])
    return [
        Threshold(t.signal, t.value, t.grace_period, reclaim.get(t.signal)) for t in hard + soft
    ]


def parse_eviction_hard(flag: str | None = None) -> list[Threshold]:
    """`--eviction-hard`; unset means the defaults (a set flag replaces them all)."""
    return parse_threshold_config(parse_map(DEFAULT_EVICTION_HARD if flag is None else flag))
