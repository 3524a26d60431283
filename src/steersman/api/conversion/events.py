"""events.k8s.io/v1 Event <-> core v1 Event: one kind stored once, under /registry/events.

Kubernetes keeps both APIs' Events in the same storage (the internal core.Event); an Event
written through either API is read through both. events.k8s.io/v1 renames the core fields
(`regarding` for `involvedObject`, `note` for `message`, `reportingController` for
`reportingComponent`, `deprecated*` for the legacy source, timestamps and count).

Invariants:
- Both directions emit what Go's JSON encoding of the target type emits: struct-typed fields
  always (`{}` or `null` when unset), string/number/pointer fields only when set.
- `to_core(from_core(x))` keeps every core field that events.k8s.io/v1 can express (all of
  them); unknown extra keys are not carried.
- Never mutate the argument; leaves are shared.
Pure data: no I/O.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def _set(out: Obj, name: str, value: Any) -> None:
    if value not in (None, "", 0):
        out[name] = value


def events_v1_to_core(obj: Obj) -> Obj:
    """An events.k8s.io/v1 Event as the core v1 Event it is stored as."""
    out: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": obj.get("metadata") or {}}
    out["involvedObject"] = obj.get("regarding") or {}
    _set(out, "reason", obj.get("reason"))
    _set(out, "message", obj.get("note"))
    out["source"] = obj.get("deprecatedSource") or {}
    out["firstTimestamp"] = obj.get("deprecatedFirstTimestamp")
    out["lastTimestamp"] = obj.get("deprecatedLastTimestamp")
    _set(out, "count", obj.get("deprecatedCount"))
    _set(out, "type", obj.get("type"))
    out["eventTime"] = obj.get("eventTime")
    for name in ("series", "action", "related"):
        _set(out, name, obj.get(name))
    out["reportingComponent"] = obj.get("reportingController") or ""
    out["reportingInstance"] = obj.get("reportingInstance") or ""
    return out


def core_to_events_v1(obj: Obj) -> Obj:
    """A stored core v1 Event as events.k8s.io/v1 serves it."""
    out: Obj = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": obj.get("metadata") or {},
        "eventTime": obj.get("eventTime"),
    }
    _set(out, "series", obj.get("series"))
    _set(out, "reportingController", obj.get("reportingComponent"))
    _set(out, "reportingInstance", obj.get("reportingInstance"))
    _set(out, "action", obj.get("action"))
    _set(out, "reason", obj.get("reason"))
    out["regarding"] = obj.get("involvedObject") or {}
    _set(out, "related", obj.get("related"))
    _set(out, "note", obj.get("message"))
    _set(out, "type", obj.get("type"))
    out["deprecatedSource"] = obj.get("source") or {}
    out["deprecatedFirstTimestamp"] = obj.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = obj.get("lastTimestamp")
    _set(out, "deprecatedCount", obj.get("count"))
    return out
