"""The events.k8s.io Event kind.

Invariants:
- events.k8s.io Events are validated through Kubernetes' internal Event, so their paths use
  internal names (`involvedObject`, `message`, `source`, `firstTimestamp`, `count`) where the v1
  JSON says `regarding`, `note`, `deprecatedSource`, ...; that is what Kubernetes reports.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    is_dns1123_subdomain,
    is_qualified_name,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import GoRaw
from steersman.api.validation.helpers import Obj, _d, _i, _meta, _name_errs, _s

REPORTING_INSTANCE_LENGTH_LIMIT = 128
ACTION_LENGTH_LIMIT = 128
REASON_LENGTH_LIMIT = 128
NOTE_LENGTH_LIMIT = 1024


def _go_object_reference(ref: Any) -> GoRaw:
    r = _d(ref)
    fields = (
        ("Kind", "kind"),
        ("Namespace", "namespace"),
        ("Name", "name"),
        ("UID", "uid"),
        ("APIVersion", "apiVersion"),
        ("ResourceVersion", "resourceVersion"),
        ("FieldPath", "fieldPath"),
    )
    parts = ", ".join(f"{go}:{errors.go_value(_s(r.get(js)))}" for go, js in fields)
    return GoRaw(f"core.ObjectReference{{{parts}}}")


def _go_time(value: Any, *, micro: bool = False) -> GoRaw:
    t: datetime.datetime | None = None
    if isinstance(value, str) and value:
        try:
            t = datetime.datetime.fromisoformat(value).astimezone(datetime.UTC)
        except ValueError:
            t = None
    if t is None:
        return GoRaw("0001-01-01 00:00:00 +0000 UTC")
    frac = f".{t.microsecond:06d}".rstrip("0") if (micro and t.microsecond) else ""
    return GoRaw(t.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC")


def _validate_event_legacy(ev: Obj) -> list[FieldError]:
    """legacyValidateEvent for a request through events.k8s.io/v1."""
    out: list[FieldError] = []
    namespace = _s(_meta(ev).get("namespace"))
    involved_ns = _s(_d(ev.get("regarding")).get("namespace"))
    mismatch = errors.invalid(
        "involvedObject.namespace", involved_ns, "does not match event.namespace"
    )
    if not ev.get("eventTime"):
        if not involved_ns:
            if namespace not in ("", "default"):
                out.append(mismatch)
        elif namespace != involved_ns:
            out.append(mismatch)
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            out.append(mismatch)
        controller = _s(ev.get("reportingController"))
        if not controller:
            out.append(errors.required("reportingController"))
        out.extend(_name_errs("reportingController", controller, is_qualified_name(controller)))
        for field, json_field, limit in (
            ("reportingInstance", "reportingInstance", REPORTING_INSTANCE_LENGTH_LIMIT),
            ("action", "action", ACTION_LENGTH_LIMIT),
            ("reason", "reason", REASON_LENGTH_LIMIT),
        ):
            value = _s(ev.get(json_field))
            if not value:
                out.append(errors.required(field))
            if len(value) > limit:
                out.append(errors.invalid(field, "", f"can have at most {limit} characters"))
        if len(_s(ev.get("note"))) > NOTE_LENGTH_LIMIT:
            out.append(
                errors.invalid("message", "", f"can have at most {NOTE_LENGTH_LIMIT} characters")
            )
    out.extend(_name_errs("namespace", namespace, is_dns1123_subdomain(namespace)))
    return out


def _validate_event_series(ev: Obj) -> list[FieldError]:
    series = ev.get("series")
    if not isinstance(series, dict):
        return []
    out: list[FieldError] = []
    if _i(series.get("count")) < 2:
        out.append(errors.invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        out.append(errors.required("series.lastObservedTime"))
    return out


def validate_event(ev: Obj) -> list[FieldError]:
    """ValidateEventCreate for events.k8s.io/v1: legacy checks, then the strict ones."""
    out = _validate_event_legacy(ev)
    out.extend(validate_object_meta(_meta(ev), namespaced=True))
    out.extend(_validate_event_series(ev))
    if not ev.get("eventTime"):
        out.append(errors.required("eventTime"))
    kind = _s(ev.get("type"))
    if kind not in ("Normal", "Warning"):
        out.append(errors.invalid("type", "", f"has invalid value: {kind}"))
    for field, internal in (
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
    ):
        if ev.get(field):
            out.append(errors.invalid(internal, "", "needs to be unset"))
    if _i(ev.get("deprecatedCount")) != 0:
        out.append(errors.invalid("count", "", "needs to be unset"))
    source = _d(ev.get("deprecatedSource"))
    if _s(source.get("component")) or _s(source.get("host")):
        out.append(errors.invalid("source", "", "needs to be unset"))
    return out


def _go_event_source(source: Any) -> GoRaw:
    src = _d(source)
    return GoRaw(
        f"core.EventSource{{Component:{errors.go_value(_s(src.get('component')))}, "
        f"Host:{errors.go_value(_s(src.get('host')))}}}"
    )


def _go_related(ref: Any) -> GoRaw:
    return GoRaw("null") if ref is None else _go_object_reference(ref)


# (v1 field, internal path, renderer) in the order ValidateEventUpdate checks them; `reason`
# is checked twice upstream. eventTime is compared separately (microsecond precision).
_EVENT_IMMUTABLE: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("regarding", "involvedObject", _go_object_reference),
    ("reason", "reason", _s),
    ("note", "message", _s),
    ("deprecatedSource", "source", _go_event_source),
    ("deprecatedFirstTimestamp", "firstTimestamp", _go_time),
    ("deprecatedLastTimestamp", "lastTimestamp", _go_time),
    ("deprecatedCount", "count", _i),
    ("reason", "reason", _s),
    ("type", "type", _s),
    ("eventTime", "eventTime", lambda v: _go_time(v, micro=True)),
    ("action", "action", _s),
    ("related", "related", _go_related),
    ("reportingController", "reportingController", _s),
    ("reportingInstance", "reportingInstance", _s),
)


def _zeroless(value: Any) -> Any:
    """Go struct equality: unset, null, empty and zero are the same value."""
    if isinstance(value, dict):
        items = {k: _zeroless(v) for k, v in value.items()}
        value = {k: v for k, v in items.items() if v is not None}
    return None if value in ("", 0, [], {}, False) else value


def _event_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def validate_event_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateEventUpdate for events.k8s.io/v1."""
    out = _validate_event_legacy(new)
    out.extend(validate_object_meta_update(_meta(new), _meta(old)))
    if new.get("series") != old.get("series"):
        out.extend(_validate_event_series(new))
    for field, internal, render in _EVENT_IMMUTABLE:
        if field == "eventTime":
            # Sub-microsecond differences are tolerated (clients truncate differently);
            # JSON carries microseconds at most.
            same = _event_time(new.get(field)) == _event_time(old.get(field))
        else:
            same = _zeroless(new.get(field)) == _zeroless(old.get(field))
        if not same:
            out.append(errors.invalid(internal, render(new.get(field)), FIELD_IMMUTABLE))
    return out


register("events.k8s.io", "Event", validate_event, validate_event_update)
