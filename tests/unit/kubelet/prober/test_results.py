"""ResultsManager: caching, change-only notification, lookups."""

from __future__ import annotations

from steersman.kubelet.prober.probe import ProbeType
from steersman.kubelet.prober.results import Result, ResultsManager, Update


def test_set_notifies_only_on_change_and_lookups_map_to_bool() -> None:
    results = ResultsManager()
    seen: list[Update] = []
    unsubscribe = results.subscribe(seen.append)
    results.set(ProbeType.READINESS, "c1", Result.FAILURE, "u1")
    results.set(ProbeType.READINESS, "c1", Result.FAILURE, "u1")
    results.set(ProbeType.READINESS, "c1", Result.SUCCESS, "u1")
    results.set(ProbeType.STARTUP, "c1", Result.UNKNOWN, "u1")
    assert seen == [
        Update(ProbeType.READINESS, "c1", Result.FAILURE, "u1"),
        Update(ProbeType.READINESS, "c1", Result.SUCCESS, "u1"),
        Update(ProbeType.STARTUP, "c1", Result.UNKNOWN, "u1"),
    ]
    assert results.readiness("c1") is True
    assert results.startup("c1") is None
    assert results.liveness("c1") is None
    unsubscribe()
    results.set(ProbeType.READINESS, "c1", Result.FAILURE, "u1")
    assert len(seen) == 3
    assert results.readiness("c1") is False
    results.remove(ProbeType.READINESS, "c1")
    assert results.get(ProbeType.READINESS, "c1") is None


def test_failing_subscriber_does_not_stop_others() -> None:
    results = ResultsManager()
    seen: list[Update] = []

    def broken(update: Update) -> None:
        raise RuntimeError("boom")

    results.subscribe(broken)
    results.subscribe(seen.append)
    results.set(ProbeType.LIVENESS, "c1", Result.FAILURE, "u1")
    assert len(seen) == 1
    assert str(Result.SUCCESS) == "Success" and str(Result.UNKNOWN) == "UNKNOWN"
