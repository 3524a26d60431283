"""What every probe mechanism shares (Kubernetes' pkg/probe): the outcome of one probe, the
probe types, the User-Agent and the resolution of a probe's (possibly named) port.

Invariants:
- A mechanism never raises for a failing target: it returns a `ProbeOutcome`. `error` is set
  only when the probe could not be run at all (a named port that does not exist, a runtime that
  cannot exec); the prober retries those and the worker throws the result away, as upstream.
- `ProbeResult` values are upstream's strings (`success`, `warning`, `failure`, `unknown`);
  `Warning` counts as success (an HTTP probe that stopped at a redirect to another host).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

# kube-probe/<major>.<minor> of the Kubernetes version steersman implements.
USER_AGENT = "kube-probe/1.36"

Obj = dict[str, Any]


class ProbeResult(enum.Enum):
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProbeOutcome:
    result: ProbeResult
    message: str = ""
    error: str | None = None  # the probe could not be run: retried, then the result is dropped

    @property
    def ok(self) -> bool:
        return self.result in (ProbeResult.SUCCESS, ProbeResult.WARNING)


class ProbeType(enum.Enum):
    LIVENESS = "Liveness"
    READINESS = "Readiness"
    STARTUP = "Startup"

    @property
    def spec_field(self) -> str:
        """The container field holding this probe (`livenessProbe` ...)."""
        return self.name.lower() + "Probe"


class ProbeError(Exception):
    """A probe that cannot be run (the `err` of upstream's (result, output, err))."""


def find_port_by_name(container: Obj, name: str) -> int:
    for port in container.get("ports") or []:
        if port.get("name") == name:
            return int(port.get("containerPort") or 0)
    raise ProbeError(f'port "{name}" not found')


def resolve_container_port(port: int | str | None, container: Obj) -> int:
    """probe.ResolveContainerPort: an int is used as is, a string names one of the container's
    ports; anything outside 1-65535 is an error."""
    if isinstance(port, bool) or port is None:
        raise ProbeError(f"intOrString had no kind: {port!r}")
    value = port if isinstance(port, int) else find_port_by_name(container, port)
    if 0 < value < 65536:
        return value
    raise ProbeError(f"invalid port number: {value}")
