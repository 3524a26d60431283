"""The CronJob controller's schedule arithmetic and time zones: the most recent missed time
(`most_recent_schedule_time`), the requeue delay (`next_schedule_delay`), time zone lookup
(`_load_location`, Go's time.LoadLocation) and Go's time layouts for scheduled times.

Invariants:
- Only the most recent missed time is returned, never a backlog; the missed count is
  upstream's approximation, and a `startingDeadlineSeconds` (when asked for) moves the
  earliest time considered up to now minus the deadline.
- A schedule whose two next times are less than a second apart raises ValueError.
- The requeue delay is 100 ms (NEXT_SCHEDULE_DELTA) after the next scheduled time, so the
  queue, not polling, drives the schedule.
- "", "UTC" and "Local" are UTC (the controller manager runs in UTC); an unknown zone is
  (None, "unknown time zone <name>").
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from steersman.controllers.cron_schedule import ZERO_TIME, Schedule
from steersman.controllers.pods import parse_time

Obj = dict[str, Any]
NEXT_SCHEDULE_DELTA = 0.1  # seconds after the scheduled time, against clock skew
UTC = datetime.UTC


def _rfc3339_in_zone(when: datetime.datetime) -> str:
    """Go's time.RFC3339 layout: `Z` for a zero offset, else ±hh:mm."""
    offset = when.utcoffset() or datetime.timedelta(0)
    if offset == datetime.timedelta(0):
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _rfc1123z(when: datetime.datetime) -> str:
    return when.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _load_location(name: str) -> tuple[datetime.tzinfo | None, str | None]:
    """time.LoadLocation: (zone, error text)."""
    if name in ("", "UTC"):
        return UTC, None
    if name == "Local":
        return UTC, None  # the controller manager runs in UTC
    try:
        return zoneinfo.ZoneInfo(name), None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None, f"unknown time zone {name}"


def most_recent_schedule_time(
    cron_job: Obj, now: datetime.datetime, schedule: Schedule, with_deadline: bool
) -> tuple[datetime.datetime, datetime.datetime | None, int]:
    """mostRecentScheduleTime: (earliest time considered, latest missed time or None, number
    of missed times approximated as upstream). Raises ValueError for a schedule whose two
    next times are less than a second apart (e.g. 31 February)."""
    meta, spec = cron_job["metadata"], cron_job.get("spec") or {}
    earliest = parse_time((cron_job.get("status") or {}).get("lastScheduleTime")) or parse_time(
        meta.get("creationTimestamp")
    )
    assert earliest is not None
    deadline = spec.get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        scheduling_deadline = now - datetime.timedelta(seconds=deadline)
        earliest = max(earliest, scheduling_deadline)
    t1 = schedule.next(earliest)
    t2 = schedule.next(t1)
    if now < t1:
        return earliest, None, 0
    if now < t2:
        return earliest, t1, 0
    between = int((t2 - t1).total_seconds() + 0.5)  # Go's Round: half away from zero
    if between < 1:
        raise ValueError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // between + 1
    # Jump close to now, then let the schedule find the exact latest time (irregular
    # schedules such as "30 6-16/4 * * 1-5" are not evenly spaced).
    t = schedule.next(t1 + datetime.timedelta(seconds=(missed - 2) * between))
    latest: datetime.datetime | None = None
    while t <= now and t != ZERO_TIME:
        latest = t
        t = schedule.next(t)
    return earliest, latest, missed


def next_schedule_delay(cron_job: Obj, now: datetime.datetime, schedule: Schedule) -> float:
    """nextScheduleTimeDuration: seconds until 100 ms after the next scheduled time."""
    try:
        earliest, latest, missed = most_recent_schedule_time(cron_job, now, schedule, False)
    except ValueError:
        latest, missed, earliest = now, 0, now
    if latest is None:
        latest = earliest if missed == 0 else now
    return (schedule.next(latest) - now).total_seconds() + NEXT_SCHEDULE_DELTA
