"""Helpers mirroring the Go printers' utilities, over v1 JSON objects.

Invariants:
- Missing or mistyped fields read as Go's zero values ("" / 0 / empty), as the Go printers
  see them on the internal object.
- Times are RFC 3339 metav1.Time/MicroTime; Go's zero time and unparsable text are None.
- Ages use `util.durations.human_duration(now - t)`; a missing/zero timestamp is `<unknown>`.
Pure functions; no state.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from steersman.api.quantity import parse_quantity
from steersman.api.tables.columns import Obj
from steersman.util.durations import human_duration

ZERO_TIME = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def get(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(p)
    return obj


def string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def integer(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_time(value: Any) -> datetime.datetime | None:
    """An RFC 3339 metav1.Time / MicroTime; None for missing, malformed or Go's zero time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    if (
        t.year == 1
        and t.month == 1
        and t.day == 1
        and t.hour == 0
        and t.minute == 0
        and t.second == 0
    ):
        return None
    return t


def utc(now: datetime.datetime) -> datetime.datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=datetime.UTC)


def translate_timestamp_since(value: Any, now: datetime.datetime) -> str:
    """translateTimestampSince: the age of a timestamp, or `<unknown>`."""
    t = parse_time(value)
    if t is None:
        return "<unknown>"
    return human_duration(utc(now) - t)


def age(obj: Obj, now: datetime.datetime) -> str:
    return translate_timestamp_since(get(obj, "metadata", "creationTimestamp"), now)


def name(obj: Obj) -> str:
    return string(get(obj, "metadata", "name"))


def layout_container_cells(containers: Any) -> tuple[str, str]:
    cs = [mapping(c) for c in items(containers)]
    return ",".join(string(c.get("name")) for c in cs), ",".join(string(c.get("image")) for c in cs)


def template_cells(obj: Obj, *template_path: str) -> list[Any]:
    names, images = layout_container_cells(get(obj, *template_path, "spec", "containers"))
    return [names, images]


def quantity_string(value: Any) -> str:
    """Quantity.String() of a stored value; a missing quantity is Go's zero value, "0"."""
    if value is None:
        return "0"
    try:
        return str(parse_quantity(value if isinstance(value, str) else str(value)))
    except ValueError:
        return str(value)


def int_or_string(value: Any) -> str:
    if isinstance(value, bool):
        return "0"
    return str(value) if isinstance(value, int | str) else "0"


def first_non_empty(*values: str) -> str:
    return next((v for v in values if v), "")


def list_with_more(texts: Sequence[str], count: int, limit: int) -> str:
    """listWithMoreString: at most `limit` items, `+ N more...`, `<unset>` when empty."""
    text = ",".join(texts[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def print_bool(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value is True else "False"


def lb_status(status: Any) -> str:
    # loadBalancerStatusStringer with wide=True: the sorted, de-duplicated IPs/hostnames.
    found: set[str] = set()
    for ing in items(get(status, "ingress")):
        ip, host = string(get(ing, "ip")), string(get(ing, "hostname"))
        if ip:
            found.add(ip)
        elif host:
            found.add(host)
    return ",".join(sorted(found))


_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def access_modes(modes: Any) -> str:
    have = set(items(modes))
    return ",".join(short for long, short in _ACCESS_MODES if long in have)


def condition_true(conditions: Any, type_: str) -> bool:
    """The first condition of `type_` (as Go's loops) has status True."""
    for c in items(conditions):
        if get(c, "type") == type_:
            return get(c, "status") == "True"
    return False
