"""Threshold flags parsed as the kubelet parses them."""

from __future__ import annotations

import pytest

from steersman.api.quantity import parse_quantity
from steersman.kubelet.eviction import (
    Threshold,
    ThresholdValue,
    parse_eviction_hard,
    parse_map,
    parse_threshold_config,
    threshold_quantity,
)
from steersman.kubelet.eviction.thresholds import parse_duration


def test_defaults() -> None:
    thresholds = {t.signal: t for t in parse_eviction_hard()}
    assert set(thresholds) == {
        "memory.available",
        "nodefs.available",
        "nodefs.inodesFree",
        "imagefs.available",
    }
    assert str(thresholds["memory.available"].value.quantity) == "100Mi"
    assert all(t.is_hard for t in thresholds.values())
    # float32 percentages: the same bytes as upstream's int64(float64(cap) * float64(float32))
    nodefs = thresholds["nodefs.available"].value
    assert str(threshold_quantity(nodefs, 100 * 1024**3)) == "10737418400"  # not ...240
    assert str(threshold_quantity(thresholds["imagefs.available"].value, 1000)) == "150"


def test_a_set_flag_replaces_the_defaults() -> None:
    thresholds = parse_eviction_hard("memory.available<1Gi, nodefs.available<0%")
    assert [t.signal for t in thresholds] == ["memory.available"]
    assert thresholds[0].value == ThresholdValue(quantity=parse_quantity("1Gi"))


def test_soft_thresholds_need_grace_periods_and_take_min_reclaim() -> None:
    thresholds = parse_threshold_config(
        {"memory.available": "100Mi"},
        {"memory.available": "300Mi"},
        {"memory.available": "1m30s"},
        {"memory.available": "50Mi"},
    )
    hard, soft = thresholds
    assert hard.is_hard and hard.min_reclaim == ThresholdValue(quantity=parse_quantity("50Mi"))
    assert soft.grace_period == 90 and str(soft.value.quantity) == "300Mi"
    with pytest.raises(ValueError, match=r"^grace period must be specified for the soft "):
        parse_threshold_config({}, {"memory.available": "300Mi"})


@pytest.mark.parametrize(
    ("hard", "message"),
    [
        ({"swap.available": "1Gi"}, "unsupported eviction signal swap.available"),
        (
            {"memory.available": "-1Gi"},
            "eviction threshold memory.available must be positive: -1Gi",
        ),
        ({"memory.available": "0"}, "eviction threshold memory.available must be positive: 0"),
        (
            {"nodefs.available": "101%"},
            "eviction percentage threshold nodefs.available must be <= 100%: 101%",
        ),
        (
            {"nodefs.available": "-1%"},
            "eviction percentage threshold nodefs.available must be >= 0%: -1%",
        ),
    ],
)
def test_errors(hard: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_threshold_config(hard)
    assert str(err.value) == message


def test_map_flag() -> None:
    assert parse_map("a<1,,b< 2 ") == {"a": "1", "b": "2"}
    with pytest.raises(ValueError, match=r"^malformed pair, expect string<string$"):
        parse_map("a=1")
    assert parse_map("a=1", "=") == {"a": "1"}


def test_duration() -> None:
    assert parse_duration("1h2m3.5s") == 3723.5
    assert parse_duration("0") == 0
    assert parse_duration("500ms") == 0.5
    with pytest.raises(ValueError, match=r'^time: invalid duration "5"$'):
        parse_duration("5")


def test_thresholds_are_hashable_values() -> None:
    a = Threshold("memory.available", ThresholdValue(quantity=parse_quantity("100Mi")))
    b = Threshold("memory.available", ThresholdValue(quantity=parse_quantity("104857600")))
    assert a == b and {a: 1}[b] == 1
