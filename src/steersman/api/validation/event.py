"""The core/v1 Event kind.

Invariants:
- Kubernetes' legacyValidateEvent: the checks differ for events with and without
  `eventTime` (new-style events need a reporting controller, old ones a matching namespace).
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    is_dns1123_subdomain,
    is_qualified_name,
)
from steersman.api.validation.helpers import Obj, _d, _meta, _name_errs, _s


def validate_event(ev: Obj) -> list[FieldError]:
    """legacyValidateEvent: all Kubernetes checks for events written through core/v1."""
    out: list[FieldError] = []
    meta = _meta(ev)
    if not _s(meta.get("name")):
        out.append(errors.required("metadata.name", "name or generateName is required"))
    namespace = _s(meta.get("namespace"))
    involved_ns = _s(_d(ev.get("involvedObject")).get("namespace"))
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
        controller = _s(ev.get("reportingComponent"))
        if not controller:
            out.append(errors.required("reportingController"))
        out.extend(_name_errs("reportingController", controller, is_qualified_name(controller)))
        for field, json_field, limit in (
            ("reportingInstance", "reportingInstance", 128),
            ("action", "action", 128),
            ("reason", "reason", 128),
        ):
            value = _s(ev.get(json_field))
            if not value:
                out.append(errors.required(field))
            if len(value) > limit:
                out.append(errors.invalid(field, "", f"can have at most {limit} characters"))
        if len(_s(ev.get("message"))) > 1024:
            out.append(errors.invalid("message", "", "can have at most 1024 characters"))
    out.extend(_name_errs("namespace", namespace, is_dns1123_subdomain(namespace)))
    return out


def validate_event_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_event(new)


register("", "Event", validate_event, validate_event_update)
