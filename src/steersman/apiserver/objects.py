"""Small helpers on API objects (plain dicts) used across the API server.

Invariants: objects are JSON-shaped dicts; helpers never share nested structure between the
input and output unless documented (`deep_copy` is the way to copy).
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson


def deep_copy(obj: Any) -> Any:
    # orjson round-trip is faster than copy.deepcopy for JSON data.
    return orjson.loads(orjson.dumps(obj))


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m


def without_volatile_meta(obj: dict[str, Any]) -> dict[str, Any]:
    """A shallow view for change detection: metadata without resourceVersion/managedFields."""
    view = dict(obj)
    m = dict(view.get("metadata") or {})
    m.pop("resourceVersion", None)
    m.pop("managedFields", None)
    view["metadata"] = m
    return view
