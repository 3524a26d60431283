"""Cron schedules, checked by a port of robfig/cron v3's standard parser (5 fields or an
`@descriptor`), so its error texts are Kubernetes' error texts.

Invariants:
- `parse_cron_schedule` returns the error text, or None for a valid schedule; it never raises.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import re
import zoneinfo

from steersman.api import errors

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BOUNDS: dict[str, tuple[int, int, dict[str, int]]] = {
    "minute": (0, 59, {}),
    "hour": (0, 23, {}),
    "dom": (1, 31, {}),
    "month": (
        1,
        12,
        {m: i + 1 for i, m in enumerate(_MONTHS)},
    ),
    "dow": (0, 6, {d: i for i, d in enumerate(_WEEKDAYS)}),
}
_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


def _must_parse_int(expr: str) -> int:
    if re.fullmatch(r"[+-]?[0-9]+", expr) is None:
        raise ValueError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {errors.go_value(expr)}: invalid syntax"
        )
    num = int(expr)
    if not -(2**63) <= num < 2**63:
        raise ValueError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {errors.go_value(expr)}: value out of range"
        )
    if num < 0:
        raise ValueError(f"negative number ({num}) not allowed: {expr}")
    return num


def _parse_range(expr: str, lo: int, hi: int, names: dict[str, int]) -> None:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")

    def value(text: str) -> int:
        return names[text.lower()] if text.lower() in names else _must_parse_int(text)

    if low_and_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = value(low_and_high[0])
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = value(low_and_high[1])
        else:
            raise ValueError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _must_parse_int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = hi
    else:
        raise ValueError(f"too many slashes: {expr}")
    if start < lo:
        raise ValueError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise ValueError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise ValueError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ValueError(f"step of range should be a positive number: {expr}")


_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


def _go_duration_error(text: str) -> str | None:
    """time.ParseDuration's error for `text`, or None if it parses."""
    orig = errors.go_value(text)
    s = text[1:] if text[:1] in ("+", "-") else text
    if s == "0":
        return None
    if not s:
        return f"time: invalid duration {orig}"
    while s:
        m = _DURATION_PART.match(s)
        assert m is not None
        number, unit = m.group(1), m.group(2)
        if number in ("", "."):
            return f"time: invalid duration {orig}"
        if not unit:
            return f"time: missing unit in duration {orig}"
        if unit not in _DURATION_UNITS:
            return f"time: unknown unit {errors.go_value(unit)} in duration {orig}"
        s = s[m.end() :]
    return None


def _load_location_error(name: str) -> str | None:
    """time.LoadLocation's error for `name`, or None if the zone exists."""
    if name in ("", "UTC", "Local"):
        return None
    if ".." in name or name[0] in "/\\":
        return "time: invalid location name"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name}"
    return None


def parse_cron_schedule(spec: str) -> str | None:
    """cron.ParseStandard: the parser's error text for `spec`, or None if it is valid."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space < 0:
            space = len(spec)
        location = spec[spec.index("=") + 1 : space]
        err = _load_location_error(location)
        if err is not None:
            return f"provided bad location {location}: {err}"
        spec = spec[space:].strip()
    if spec.startswith("@"):
        if spec in _DESCRIPTORS:
            return None
        if spec.startswith("@every "):
            err = _go_duration_error(spec[len("@every ") :])
            return None if err is None else f"failed to parse duration {spec}: {err}"
        return f"unrecognized descriptor: {spec}"
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, name in zip(fields, ("minute", "hour", "dom", "month", "dow"), strict=True):
        lo, hi, names = _BOUNDS[name]
        try:
            for expr in (e for e in text.split(",") if e):
                _parse_range(expr, lo, hi, names)
        except ValueError as exc:
            return str(exc)
    return None
