"""`CpuUsageCache`: usageNanoCores from two samples of a cumulative CPU counter.

Invariants: the first sample (or one after the counter went backwards: a restart) has no
rate; samples closer than `min_interval` reuse the last rate, so a burst of scrapes does not
shrink the window to noise; entries unseen for `ttl` are dropped by `prune`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steersman.kubelet.stats.node import SECOND_NS


@dataclass(slots=True)
class _CpuSample:
    timestamp: int
    usage: int
    nano_cores: int | None
    seen: int


@dataclass
class CpuUsageCache:
    """Previous cumulative CPU samples, to turn counters into usageNanoCores."""

    min_interval: int = SECOND_NS
    ttl: int = 300 * SECOND_NS
    _samples: dict[str, _CpuSample] = field(default_factory=dict)

    def nano_cores(self, key: str, timestamp: int, usage: int) -> int | None:
        prev = self._samples.get(key)
        if prev is None or usage < prev.usage:  # new, or the counter restarted
            self._samples[key] = _CpuSample(timestamp, usage, None, timestamp)
            return None
        prev.seen = max(prev.seen, timestamp)
        elapsed = timestamp - prev.timestamp
        if elapsed < self.min_interval:
            return prev.nano_cores
        rate = int((usage - prev.usage) / elapsed * SECOND_NS)
        self._samples[key] = _CpuSample(timestamp, usage, rate, timestamp)
        return rate

    def prune(self, now: int) -> None:
        for key in [k for k, s in self._samples.items() if now - s.seen > self.ttl]:
            del self._samples[key]
