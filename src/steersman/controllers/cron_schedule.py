"""Cron schedules evaluated as robfig/cron v3 (the library Kubernetes' CronJob controller uses)
evaluates them: `parse_standard(spec)` gives a schedule whose `next(t)` is the first activation
strictly after `t`.

Invariants:
- Syntax is robfig's standard parser: five fields (minute hour day-of-month month day-of-week,
  with `*`, `?`, ranges, steps, lists and month/day names), the descriptors `@yearly`,
  `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`,
  and an optional `TZ=<zone>`/`CRON_TZ=<zone>` prefix. Parse errors carry robfig's wording
  (shared with API validation).
- Day matching follows robfig: when day-of-month or day-of-week is `*`/`?`, both must match;
  when both are restricted, either may match.
- `next` returns `ZERO_TIME` (Go's zero time) when nothing matches within five years, as
  robfig does for impossible dates such as 31 February.
- Wall-clock steps (to midnight, to the first of the month) are taken in the schedule's zone;
  hour/minute/second steps are absolute, so daylight-saving changes behave as in Go. A schedule
  without a zone (Go's `time.Local`) evaluates in the zone of the time it is given.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from steersman.api.validation.cron_schedule import parse_cron_schedule

UTC = datetime.UTC
ZERO_TIME = datetime.datetime(1, 1, 1, tzinfo=UTC)
STAR_BIT = 1 << 63
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("dom", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(
                ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
            )
        },
    ),
    ("dow", 0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


class ScheduleError(ValueError):
    """The schedule does not parse; the message is robfig/cron's."""


def _bits(lo: int, hi: int, step: int) -> int:
    return sum(1 << i for i in range(lo, hi + 1, step))


def _all(lo: int, hi: int) -> int:
    return _bits(lo, hi, 1) | STAR_BIT


def _field_bits(text: str, lo: int, hi: int, names: dict[str, int]) -> int:
    """getField: the bit set of one (already validated) field."""
    bits = 0
    for expr in (e for e in text.split(",") if e):
        range_and_step = expr.split("/")
        low_and_high = range_and_step[0].split("-")
        extra = 0

        def value(token: str) -> int:
            return names[token.lower()] if token.lower() in names else int(token)

        if low_and_high[0] in ("*", "?"):
            start, end, extra = lo, hi, STAR_BIT
        else:
            start = value(low_and_high[0])
            end = value(low_and_high[1]) if len(low_and_high) == 2 else start
        step = 1
        if len(range_and_step) == 2:
            step = int(range_and_step[1])
            if len(low_and_high) == 1:  # "N/step" means "N-max/step"
                end = hi
            if step > 1:
                extra = 0
        bits |= _bits(start, end, step) | extra
    return bits


def _go_duration_seconds(text: str) -> float:
    """time.ParseDuration for a string API validation already accepted."""
    sign = -1.0 if text.startswith("-") else 1.0
    s = text.lstrip("+-")
    if s == "0":
        return 0.0
    total = 0.0
    while s:
        m = _DURATION_PART.match(s)
        assert m is not None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        s = s[m.end() :]
    return sign * total


def _zone(name: str) -> datetime.tzinfo:
    if name in ("", "UTC"):
        return UTC
    return zoneinfo.ZoneInfo(name)


def _add(t: datetime.datetime, seconds: float) -> datetime.datetime:
    """Go's t.Add: absolute time arithmetic, whatever the zone."""
    tz = t.tzinfo
    return (t.astimezone(UTC) + datetime.timedelta(seconds=seconds)).astimezone(tz)


def _go_date(
    year: int, month: int, day: int, hour: int, minute: int, second: int, tz: datetime.tzinfo
) -> datetime.datetime:
    """Go's time.Date: out-of-range fields normalise; times in a DST gap are resolved."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    naive = datetime.datetime(year, month, 1) + datetime.timedelta(
        days=day - 1, hours=hour, minutes=minute, seconds=second
    )
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _go_weekday(t: datetime.datetime) -> int:
    return (t.weekday() + 1) % 7  # Go: Sunday is 0


@dataclass(frozen=True)
class SpecSchedule:
    second: int
    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    location: datetime.tzinfo | None = None  # None: Go's time.Local, i.e. the caller's zone

    def _day_matches(self, t: datetime.datetime) -> bool:
        dom_match = bool((1 << t.day) & self.dom)
        dow_match = bool((1 << _go_weekday(t)) & self.dow)
        if self.dom & STAR_BIT or self.dow & STAR_BIT:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, t: datetime.datetime) -> datetime.datetime:
        try:
            return self._next(t)
        except OverflowError:
            return ZERO_TIME

    def _next(self, t: datetime.datetime) -> datetime.datetime:
        orig = t.tzinfo or UTC
        loc = self.location or orig
        t = t.astimezone(loc)
        # The earliest possible time is the upcoming second.
        t = _add(t.replace(microsecond=0), 1)
        added = False
        year_limit = t.year + 5
        while True:  # each pass is robfig's WRAP label
            if t.year > year_limit:
                return ZERO_TIME
            wrapped = False
            while not (1 << t.month) & self.month:
                if not added:
                    added = True
                    t = _go_date(t.year, t.month, 1, 0, 0, 0, loc)
                t = _go_date(t.year, t.month + 1, t.day, t.hour, t.minute, t.second, loc)
                if t.month == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not self._day_matches(t):
                if not added:
                    added = True
                    t = _go_date(t.year, t.month, t.day, 0, 0, 0, loc)
                t = _go_date(t.year, t.month, t.day + 1, t.hour, t.minute, t.second, loc)
                # Midnight may not exist on a DST change day: snap back to it.
                if t.hour != 0:
                    t = _add(t, (24 - t.hour) * 3600 if t.hour > 12 else -t.hour * 3600)
                if t.day == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << t.hour) & self.hour:
                if not added:
                    added = True
                    t = _go_date(t.year, t.month, t.day, t.hour, 0, 0, loc)
                t = _add(t, 3600)
                if t.hour == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << t.minute) & self.minute:
                if not added:
                    added = True
                    t = t.replace(second=0, microsecond=0)
                t = _add(t, 60)
                if t.minute == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << t.second) & self.second:
                if not added:
                    added = True
                    t = t.replace(microsecond=0)
                t = _add(t, 1)
                if t.second == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            return t.astimezone(orig)


@dataclass(frozen=True)
class ConstantDelaySchedule:
    """`@every <duration>`: activations `delay` apart, on whole seconds."""

    delay: float  # whole seconds, at least 1

    def next(self, t: datetime.datetime) -> datetime.datetime:
        return _add(t, self.delay - t.microsecond / 1e6)


Schedule = SpecSchedule | ConstantDelaySchedule

_DESCRIPTORS: dict[str, tuple[int, int, int, int, int]] = {
    # minute, hour, dom, month, dow
    "@yearly": (1 << 0, 1 << 0, 1 << 1, 1 << 1, _all(0, 6)),
    "@annually": (1 << 0, 1 << 0, 1 << 1, 1 << 1, _all(0, 6)),
    "@monthly": (1 << 0, 1 << 0, 1 << 1, _all(1, 12), _all(0, 6)),
    "@weekly": (1 << 0, 1 << 0, _all(1, 31), _all(1, 12), 1 << 0),
    "@daily": (1 << 0, 1 << 0, _all(1, 31), _all(1, 12), _all(0, 6)),
    "@midnight": (1 << 0, 1 << 0, _all(1, 31), _all(1, 12), _all(0, 6)),
    "@hourly": (1 << 0, _all(0, 23), _all(1, 31), _all(1, 12), _all(0, 6)),
}


def parse_standard(spec: str) -> Schedule:
    """cron.ParseStandard; raises ScheduleError with robfig's message."""
    error = parse_cron_schedule(spec)
    if error is not None:
        raise ScheduleError(error)
    location: datetime.tzinfo | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space < 0:
            space = len(spec)
        location = _zone(spec[spec.index("=") + 1 : space])
        spec = spec[space:].strip()
    if spec.startswith("@every "):
        seconds = _go_duration_seconds(spec[len("@every ") :])
        return ConstantDelaySchedule(max(1, int(seconds)))
    if spec in _DESCRIPTORS:
        minute, hour, dom, month, dow = _DESCRIPTORS[spec]
        return SpecSchedule(1 << 0, minute, hour, dom, month, dow, location)
    fields = spec.split()
    minute, hour, dom, month, dow = (
        _field_bits(text, lo, hi, names)
        for text, (_, lo, hi, names) in zip(fields, _FIELDS, strict=True)
    )
    return SpecSchedule(1 << 0, minute, hour, dom, month, dow, location)
