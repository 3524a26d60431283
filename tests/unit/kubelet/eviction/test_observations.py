"""Observations from a summary and the bookkeeping of met thresholds and conditions."""

from __future__ import annotations

from steersman.api.quantity import parse_quantity
from steersman.kubelet.eviction import (
    Observation,
    Threshold,
    ThresholdValue,
    make_signal_observations,
    parse_eviction_hard,
    thresholds_met,
)
from steersman.kubelet.eviction.observations import (
    node_conditions,
    node_conditions_last_observed_at,
    node_conditions_observed_since,
    sort_by_eviction_priority,
    thresholds_first_observed_at,
    thresholds_met_grace_period,
    thresholds_updated_stats,
)

MI = 1024**2
T0 = "2023-11-14T22:13:20Z"
SUMMARY = {
    "node": {
        "memory": {"time": T0, "availableBytes": 50 * MI, "workingSetBytes": 950 * MI},
        "fs": {
            "time": T0,
            "availableBytes": 5,
            "capacityBytes": 100,
            "inodesFree": 50,
            "inodes": 100,
        },
        "runtime": {"imageFs": {"time": T0, "availableBytes": 90, "capacityBytes": 100}},
        "rlimit": {"time": T0, "maxpid": 1000, "curproc": 10},
    },
    "pods": [{"podRef": {"name": "p", "namespace": "d", "uid": "u1"}}],
}


def memory_threshold(value: str = "100Mi", **kw: object) -> Threshold:
    return Threshold("memory.available", ThresholdValue(quantity=parse_quantity(value)), **kw)  # type: ignore[arg-type]


def test_observations_from_the_summary() -> None:
    observations, stats = make_signal_observations(SUMMARY)
    assert observations["memory.available"] == Observation(50 * MI, 1000 * MI, 1_700_000_000.0)
    assert observations["nodefs.available"].available == 5
    assert observations["nodefs.inodesFree"].format == "DecimalSI"
    assert observations["imagefs.available"].capacity == 100
    assert "imagefs.inodesFree" not in observations
    assert observations["pid.available"].available == 990
    assert stats({"metadata": {"uid": "u1"}}) == SUMMARY["pods"][0]
    assert stats({"metadata": {"uid": "other"}}) is None


def test_thresholds_met() -> None:
    observations, _ = make_signal_observations(SUMMARY)
    met = thresholds_met(parse_eviction_hard(), observations, False)
    assert sorted(t.signal for t in met) == ["memory.available", "nodefs.available"]
    assert node_conditions(met) == ["MemoryPressure", "DiskPressure"]


def test_min_reclaim_keeps_a_threshold_until_enough_is_free() -> None:
    t = memory_threshold(min_reclaim=ThresholdValue(quantity=parse_quantity("100Mi")))
    observations = {"memory.available": Observation(150 * MI, 1000 * MI)}
    assert thresholds_met([t], observations, False) == []
    assert thresholds_met([t], observations, True) == [t]


def test_grace_periods_count_from_first_observation() -> None:
    soft = memory_threshold("300Mi", grace_period=30.0)
    hard = memory_threshold()
    first = thresholds_first_observed_at([soft, hard], {}, 100.0)
    assert thresholds_met_grace_period(first, 100.0) == [hard]
    later = thresholds_first_observed_at([soft, hard], first, 129.0)
    assert later[soft] == 100.0
    assert thresholds_met_grace_period(later, 130.0) == [soft, hard]


def test_conditions_last_through_the_transition_period() -> None:
    seen = node_conditions_last_observed_at(["MemoryPressure"], {}, 0.0)
    seen = node_conditions_last_observed_at(["DiskPressure"], seen, 100.0)
    assert node_conditions_observed_since(seen, 300.0, 299.0) == ["MemoryPressure", "DiskPressure"]
    assert node_conditions_observed_since(seen, 300.0, 300.0) == ["DiskPressure"]


def test_only_fresh_observations_drive_evictions() -> None:
    t = memory_threshold()
    old = {"memory.available": Observation(1, 10, 5.0)}
    assert thresholds_updated_stats([t], old, {}) == [t]
    assert thresholds_updated_stats([t], old, old) == []
    assert thresholds_updated_stats([t], {"memory.available": Observation(1, 10, 6.0)}, old) == [t]


def test_memory_is_reclaimed_first() -> None:
    nodefs, memory = parse_eviction_hard("nodefs.available<10%,memory.available<1Mi")
    assert nodefs.signal == "nodefs.available"
    assert sort_by_eviction_priority([nodefs, memory]) == [memory, nodefs]
