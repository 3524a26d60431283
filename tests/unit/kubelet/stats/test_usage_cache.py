"""usageNanoCores from two samples."""

from __future__ import annotations

from steersman.kubelet.stats import CpuUsageCache

S = 1_000_000_000


def test_rate_between_samples() -> None:
    cache = CpuUsageCache()
    assert cache.nano_cores("c", 10 * S, 1 * S) is None
    assert cache.nano_cores("c", 12 * S, 2 * S) == 500_000_000  # 1 core-second in 2 s
    assert cache.nano_cores("c", 14 * S, 6 * S) == 2_000_000_000


def test_close_samples_reuse_the_last_rate() -> None:
    cache = CpuUsageCache(min_interval=S)
    cache.nano_cores("c", 0, 0)
    assert cache.nano_cores("c", 0, 0) is None
    assert cache.nano_cores("c", 2 * S, S) == 500_000_000
    assert cache.nano_cores("c", 2 * S + 1000, 9 * S) == 500_000_000
    # The window still starts at the last full sample.
    assert cache.nano_cores("c", 4 * S, 2 * S) == 500_000_000


def test_counter_reset_starts_over() -> None:
    cache = CpuUsageCache()
    cache.nano_cores("c", 0, 5 * S)
    assert cache.nano_cores("c", 2 * S, 1 * S) is None
    assert cache.nano_cores("c", 4 * S, 2 * S) == 500_000_000


def test_prune_forgets_unseen_entries() -> None:
    cache = CpuUsageCache(ttl=10 * S)
    cache.nano_cores("old", 0, 0)
    cache.nano_cores("new", 20 * S, 0)
    cache.prune(20 * S)
    assert cache.nano_cores("old", 21 * S, S) is None  # forgotten: a first sample again
    assert cache.nano_cores("new", 22 * S, S) == 500_000_000
