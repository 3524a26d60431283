"""Cron schedules evaluated as robfig/cron v3 does, and the CronJob controller's schedule
arithmetic (most recent missed time, next requeue)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from steersman.controllers.cron_schedule import ZERO_TIME, ScheduleError, parse_standard
from steersman.controllers.cronjob_schedule import most_recent_schedule_time, next_schedule_delay

UTC = datetime.UTC


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def nexts(spec: str, start: datetime.datetime, count: int = 3) -> list[datetime.datetime]:
    schedule = parse_standard(spec)
    out = []
    t = start
    for _ in range(count):
        t = schedule.next(t)
        out.append(t)
    return out


@pytest.mark.parametrize(
    ("spec", "start", "expected"),
    [
        ("* * * * *", at(2024, 1, 1, 10, 0, 30), [at(2024, 1, 1, 10, 1), at(2024, 1, 1, 10, 2)]),
        # Exactly on a scheduled time: the next one is strictly later.
        ("* * * * *", at(2024, 1, 1, 10, 1), [at(2024, 1, 1, 10, 2), at(2024, 1, 1, 10, 3)]),
        ("*/15 * * * *", at(2024, 1, 1, 10, 7), [at(2024, 1, 1, 10, 15), at(2024, 1, 1, 10, 30)]),
        ("5/20 * * * *", at(2024, 1, 1, 10, 7), [at(2024, 1, 1, 10, 25), at(2024, 1, 1, 10, 45)]),
        ("0 9-10 * * *", at(2024, 1, 1, 9, 30), [at(2024, 1, 1, 10), at(2024, 1, 2, 9)]),
        ("0,30 * * * *", at(2024, 1, 1, 9, 10), [at(2024, 1, 1, 9, 30), at(2024, 1, 1, 10)]),
        ("0 9 * * mon-fri", at(2024, 1, 5, 12), [at(2024, 1, 8, 9), at(2024, 1, 9, 9)]),
        ("0 0 1 jan,jul *", at(2024, 2, 1), [at(2024, 7, 1), at(2025, 1, 1)]),
        # Both day fields restricted: either matches (the 13th, or any Friday).
        ("0 0 13 * 5", at(2024, 1, 1), [at(2024, 1, 5), at(2024, 1, 12), at(2024, 1, 13)]),
        # A star in one day field: both must match.
        ("0 0 * * 0", at(2024, 1, 1), [at(2024, 1, 7), at(2024, 1, 14)]),
        ("0 0 29 2 *", at(2024, 3, 1), [at(2028, 2, 29)]),
        ("@hourly", at(2024, 1, 1, 10, 59, 59), [at(2024, 1, 1, 11), at(2024, 1, 1, 12)]),
        ("@daily", at(2024, 1, 1, 10), [at(2024, 1, 2), at(2024, 1, 3)]),
        ("@midnight", at(2024, 1, 1, 10), [at(2024, 1, 2)]),
        ("@weekly", at(2024, 1, 1), [at(2024, 1, 7), at(2024, 1, 14)]),
        ("@monthly", at(2024, 1, 15), [at(2024, 2, 1), at(2024, 3, 1)]),
        ("@yearly", at(2024, 1, 15), [at(2025, 1, 1)]),
        ("@annually", at(2024, 1, 15), [at(2025, 1, 1)]),
    ],
)
def test_next_times(spec: str, start: datetime.datetime, expected: list[Any]) -> None:
    assert nexts(spec, start, len(expected)) == expected


def test_every_is_a_constant_delay_on_whole_seconds() -> None:
    start = datetime.datetime(2024, 1, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert nexts("@every 90s", start, 2) == [at(2024, 1, 1, 10, 1, 30), at(2024, 1, 1, 10, 3)]
    # Below a second rounds up to one second; fractions of a second are dropped.
    assert nexts("@every 100ms", at(2024, 1, 1), 1) == [at(2024, 1, 1, 0, 0, 1)]
    assert nexts("@every 1m30.5s", at(2024, 1, 1), 1) == [at(2024, 1, 1, 0, 1, 30)]


def test_time_zone_prefix_and_daylight_saving() -> None:
    # 02:30 New York does not exist on 2024-03-10: robfig skips that day.
    assert nexts("TZ=America/New_York 30 2 * * *", at(2024, 3, 9, 8), 2) == [
        at(2024, 3, 11, 6, 30),
        at(2024, 3, 12, 6, 30),
    ]
    # 01:30 happens twice on 2024-11-03 (EDT, then EST): both fire.
    assert nexts("CRON_TZ=America/New_York 30 1 * * *", at(2024, 11, 2, 8), 3) == [
        at(2024, 11, 3, 5, 30),
        at(2024, 11, 3, 6, 30),
        at(2024, 11, 4, 6, 30),
    ]
    # The result is expressed in the zone of the time given.
    berlin = datetime.datetime(2024, 1, 1, 8, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    (t,) = nexts("TZ=UTC 0 12 * * *", berlin, 1)
    assert t == at(2024, 1, 1, 12) and t.utcoffset() == datetime.timedelta(hours=1)


def test_impossible_dates_give_the_zero_time() -> None:
    assert parse_standard("0 0 31 2 *").next(at(2024, 1, 1)) == ZERO_TIME
    assert parse_standard("0 0 30 2 *").next(ZERO_TIME) == ZERO_TIME


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
    ],
)
def test_parse_errors_use_robfig_wording(spec: str, message: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_standard(spec)
    assert str(info.value) == message


def cron_job(created: str, last: str | None = None, deadline: int | None = None) -> Any:
    spec: dict[str, Any] = {"schedule": "* * * * *"}
    if deadline is not None:
        spec["startingDeadlineSeconds"] = deadline
    status = {"lastScheduleTime": last} if last else {}
    return {"metadata": {"creationTimestamp": created}, "spec": spec, "status": status}


def test_most_recent_schedule_time() -> None:
    every_minute = parse_standard("* * * * *")
    cj = cron_job("2024-01-01T10:00:30Z")
    # Before the first time: nothing due.
    assert most_recent_schedule_time(cj, at(2024, 1, 1, 10, 0, 50), every_minute, True)[1] is None
    # Just after it: that time, nothing missed.
    _, t, missed = most_recent_schedule_time(cj, at(2024, 1, 1, 10, 1, 5), every_minute, True)
    assert (t, missed) == (at(2024, 1, 1, 10, 1), 0)
    # Much later: only the latest missed time, with the number missed.
    _, t, missed = most_recent_schedule_time(cj, at(2024, 1, 1, 12, 0, 10), every_minute, True)
    assert (t, missed) == (at(2024, 1, 1, 12), 120)
    # lastScheduleTime wins over creation; the starting deadline bounds the look-back.
    cj = cron_job("2024-01-01T00:00:00Z", last="2024-01-01T11:58:00Z", deadline=30)
    earliest, t, _ = most_recent_schedule_time(cj, at(2024, 1, 1, 12, 0, 10), every_minute, True)
    assert earliest == at(2024, 1, 1, 11, 59, 40) and t == at(2024, 1, 1, 12)
    with pytest.raises(ValueError, match="less than 1 second"):
        most_recent_schedule_time(cj, at(2024, 3, 1), parse_standard("0 0 31 2 *"), True)


def test_next_schedule_delay_aims_just_after_the_next_time() -> None:
    every_minute = parse_standard("* * * * *")
    cj = cron_job("2024-01-01T10:00:30Z")
    delay = next_schedule_delay(cj, at(2024, 1, 1, 10, 0, 40), every_minute)
    assert delay == pytest.approx(20.1)
    # Behind schedule: the next time after now.
    delay = next_schedule_delay(cj, at(2024, 1, 1, 10, 5, 40), every_minute)
    assert delay == pytest.approx(20.1)
