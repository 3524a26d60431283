"""Human-readable durations, worded exactly as apimachinery's util/duration package.

Invariants: integer arithmetic on nanoseconds with Go's truncating division, so every boundary
("119s" -> "2m", "2d3h", "<invalid>" below -1s) falls where kubectl's does. Pure functions.
"""

from __future__ import annotations

import datetime

_NS = 1
_SECOND = 10**9 * _NS
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE


def _nanoseconds(d: datetime.timedelta) -> int:
    return (d.days * 86_400 + d.seconds) * _SECOND + d.microseconds * 1000


def _trunc_div(a: int, b: int) -> int:
    # Go's integer division truncates toward zero; Python's // floors.
    q = abs(a) // b
    return q if a >= 0 else -q


def short_human_duration(d: datetime.timedelta) -> str:
    """duration.ShortHumanDuration: one unit (`45s`, `3m`, `5h`, `12d`, `2y`)."""
    ns = _nanoseconds(d)
    seconds = _trunc_div(ns, _SECOND)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    minutes = _trunc_div(ns, _MINUTE)
    if minutes < 60:
        return f"{minutes}m"
    hours = _trunc_div(ns, _HOUR)
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def human_duration(d: datetime.timedelta) -> str:
    """duration.HumanDuration: ~2-3 significant figures (`90s`, `5m30s`, `2d3h`, `3y45d`)."""
    ns = _nanoseconds(d)
    seconds = _trunc_div(ns, _SECOND)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // _MINUTE
    if minutes < 10:
        s = (ns // _SECOND) % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // _HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"
