"""CrashLoopBackOff and ImagePullBackOff with the kubelet's parameters, on a fake clock."""

from __future__ import annotations

import datetime

from steersman.kubelet.backoff import (
    Backoff,
    ContainerBackOff,
    ImagePullBackOff,
    stable_key,
)

POD = {"metadata": {"name": "crash", "namespace": "default", "uid": "u-1"}}
APP = {"name": "app", "image": "busybox"}


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def crash_loop(clock: Clock, backoff: ContainerBackOff, runs: list[float]) -> list[str]:
    """Each run: the container runs `run` seconds, exits, and the kubelet syncs every second
    until it may restart it. Returns the Waiting message shown after each exit."""
    messages = []
    for run in runs:
        clock.now += run
        finished = clock.now
        decision = backoff.do_back_off(POD, APP, finished)
        messages.append(decision.message)
        while decision.in_back_off:
            clock.now += 1
            decision = backoff.do_back_off(POD, APP, finished)
    return messages


def test_window_doubles_from_10s_to_300s() -> None:
    clock = Clock()
    backoff = ContainerBackOff(clock)
    messages = crash_loop(clock, backoff, [1.0] * 8)
    assert messages[0] == ""  # the first exit restarts at once
    assert messages[1:] == [
        f"back-off {w} restarting failed container=app pod=crash_default(u-1)"
        for w in ("10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s")
    ]


def test_decision_carries_event_message_and_waits_the_window() -> None:
    clock = Clock()
    backoff = ContainerBackOff(clock)
    assert not backoff.do_back_off(POD, APP, clock.now).in_back_off
    clock.now += 2
    exited = clock.now
    decision = backoff.do_back_off(POD, APP, exited)
    assert decision.in_back_off
    assert (
        decision.event_message
        == "Back-off restarting failed container app in pod crash_default(u-1)"
    )
    clock.now = exited + 9.9
    assert backoff.do_back_off(POD, APP, exited).in_back_off
    clock.now = exited + 10
    assert not backoff.do_back_off(POD, APP, exited).in_back_off


def test_ten_minutes_of_running_resets_the_window() -> None:
    clock = Clock()
    backoff = ContainerBackOff(clock)
    crash_loop(clock, backoff, [1.0] * 5)  # window now 1m20s
    assert crash_loop(clock, backoff, [601.0])[0] == ""  # recovered: restarted at once
    assert crash_loop(clock, backoff, [1.0])[0].startswith("back-off 10s ")
    # 599 s is not enough: the window keeps doubling.
    assert crash_loop(clock, backoff, [599.0])[0].startswith("back-off 20s ")


def test_never_exited_and_changed_spec_do_not_back_off() -> None:
    clock = Clock()
    backoff = ContainerBackOff(clock)
    assert not backoff.do_back_off(POD, APP, None).in_back_off
    backoff.do_back_off(POD, APP, clock.now)
    when = datetime.datetime.fromtimestamp(clock.now + 1, datetime.UTC)
    clock.now += 1
    assert backoff.do_back_off(POD, APP, when).in_back_off  # datetimes are accepted too
    changed = {**APP, "image": "busybox:2"}
    assert stable_key(POD, changed) != stable_key(POD, APP)
    assert not backoff.do_back_off(POD, changed, clock.now).in_back_off


def test_flowcontrol_backoff_gc_and_reset() -> None:
    clock = Clock()
    backoff = Backoff(1, 8, clock=clock)
    for expected in (1, 2, 4, 8, 8):
        backoff.next("k", clock.now)
        assert backoff.get("k") == expected
    assert backoff.is_in_back_off_since_update("k", clock.now + 7)
    assert not backoff.is_in_back_off_since_update("k", clock.now + 8)
    clock.now += 17  # more than twice the maximum without an update
    backoff.gc()
    assert len(backoff) == 0 and backoff.get("k") == 0
    backoff.next("k", clock.now)
    backoff.reset("k")
    assert not backoff.is_in_back_off_since("k", clock.now)


def test_image_pull_back_off_message_and_window() -> None:
    clock = Clock()
    pulls = ImagePullBackOff(clock)
    assert pulls.check("u-1", "busybox:nope") is None
    pulls.pull_failed("u-1", "busybox:nope", "ErrImagePull", "not found")
    expected = 'Back-off pulling image "busybox:nope": ErrImagePull: not found'
    assert pulls.check("u-1", "busybox:nope") == expected
    assert pulls.check("u-2", "busybox:nope") is None  # per pod
    clock.now += 10
    assert pulls.check("u-1", "busybox:nope") is None  # 10 s passed: try again
    pulls.pull_failed("u-1", "busybox:nope", "ErrImagePull", "not found")
    clock.now += 19
    assert pulls.check("u-1", "busybox:nope") == expected  # second window is 20 s
    clock.now += 1
    assert pulls.check("u-1", "busybox:nope") is None
