"""PrioritySort: higher spec.priority first, then the earlier queued pod."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


class PrioritySort:
    name = "PrioritySort"

    def less(self, a: Obj, b: Obj) -> bool:
        pa = (a.get("spec") or {}).get("priority") or 0
        pb = (b.get("spec") or {}).get("priority") or 0
        if pa != pb:
            return pa > pb
        return bool(a.get("_queued_at", 0.0) < b.get("_queued_at", 0.0))
