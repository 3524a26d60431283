"""Container probes and lifecycle handlers (core/v1).

Invariants:
- Exactly one handler per probe or hook; zero-second sleep actions are allowed (v1.36 default).
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import re
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    is_valid_port_num,
    regex_error,
    validate_nonnegative,
)
from steersman.api.validation.helpers import Obj, _d, _i, _l, _port_num_or_name, _s

_HTTP_SCHEMES = ("HTTP", "HTTPS")
_HTTP_HEADER_FMT = "[-A-Za-z0-9]+"
_HTTP_HEADER_RE = re.compile(_HTTP_HEADER_FMT)


def _validate_handler(handler: Obj, grace: Any, path: str, *, lifecycle: bool) -> list[FieldError]:
    out: list[FieldError] = []
    count = 0
    kinds = (
        ("exec", "httpGet", "tcpSocket", "sleep")
        if lifecycle
        else ("exec", "httpGet", "tcpSocket", "grpc")
    )
    for kind in kinds:
        action = handler.get(kind)
        if not isinstance(action, dict):
            continue
        p = child(path, kind)
        if count > 0:
            out.append(errors.forbidden(p, "may not specify more than 1 handler type"))
            continue
        count += 1
        if kind == "exec":
            if not _l(action.get("command")):
                out.append(errors.required(child(p, "command")))
        elif kind == "httpGet":
            if not _s(action.get("path")):
                out.append(errors.required(child(p, "path")))
            out.extend(_port_num_or_name(action.get("port"), child(p, "port")))
            scheme = action.get("scheme")
            if scheme not in _HTTP_SCHEMES:
                out.append(errors.not_supported(child(p, "scheme"), scheme or "", _HTTP_SCHEMES))
            for header in _l(action.get("httpHeaders")):
                hname = _s(_d(header).get("name"))
                if _HTTP_HEADER_RE.fullmatch(hname) is None:
                    out.append(
                        errors.invalid(
                            child(p, "httpHeaders"),
                            hname,
                            regex_error(
                                "a valid HTTP header must consist of alphanumeric characters or '-'",
                                _HTTP_HEADER_FMT,
                                "X-Header-Name",
                            ),
                        )
                    )
        elif kind == "tcpSocket":
            out.extend(_port_num_or_name(action.get("port"), child(p, "port")))
        elif kind == "grpc":
            port = action.get("port")
            out.extend(errors.invalid(child(p, "port"), port, m) for m in is_valid_port_num(port))
        elif kind == "sleep" and isinstance(grace, int):
            seconds = _i(action.get("seconds"))
            if seconds < 0 or seconds > grace:
                out.append(
                    errors.invalid(
                        p,
                        seconds,
                        f"must be non-negative and less than terminationGracePeriodSeconds ({grace})",
                    )
                )
    if count == 0:
        out.append(errors.required(path, "must specify a handler type"))
    return out


def _validate_probe(probe: Any, grace: Any, path: str, kind: str) -> list[FieldError]:
    if not isinstance(probe, dict):
        return []
    out = _validate_handler(probe, grace, path, lifecycle=False)
    for field in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        out.extend(validate_nonnegative(probe.get(field), child(path, field)))
    tgps = probe.get("terminationGracePeriodSeconds")
    if isinstance(tgps, int) and tgps <= 0:
        out.append(
            errors.invalid(
                child(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"
            )
        )
    if kind in ("liveness", "startup") and probe.get("successThreshold", 1) != 1:
        out.append(
            errors.invalid(
                child(path, "successThreshold"), probe.get("successThreshold"), "must be 1"
            )
        )
    if kind == "readiness" and tgps is not None:
        out.append(
            errors.invalid(
                child(path, "terminationGracePeriodSeconds"),
                tgps,
                "must not be set for readinessProbes",
            )
        )
    return out


def _validate_lifecycle(lifecycle: Obj, grace: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for hook in ("postStart", "preStop"):
        if isinstance(lifecycle.get(hook), dict):
            out.extend(_validate_handler(lifecycle[hook], grace, child(path, hook), lifecycle=True))
    return out
