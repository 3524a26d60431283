"""Go's textual forms that probe messages and back-off messages embed, so what `kubectl
describe` shows reads as on Kubernetes: time.Duration.String, net.JoinHostPort and the
wording of Go's net errors (`dial tcp 10.0.0.5:80: connect: connection refused`).

Invariants: pure functions; durations are computed on integer nanoseconds, as Go does, so
`go_duration(300)` is `5m0s` and `go_duration(0.5)` is `500ms`.
"""

from __future__ import annotations

import os

_NS_PER_US = 1_000
_NS_PER_MS = 1_000_000
_NS_PER_S = 1_000_000_000


def _fraction(value: int, unit: int) -> str:
    """`value/unit` as Go prints it: integer part, then the fraction with trailing zeros cut."""
    whole, rest = divmod(value, unit)
    if rest == 0:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(rest).rjust(digits, '0').rstrip('0')}"


def go_duration(seconds: float) -> str:
    """time.Duration(seconds * 1e9).String(): `0s`, `750ms`, `10s`, `1m30s`, `5m0s`, `1h0m0s`."""
    ns = round(seconds * _NS_PER_S)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < _NS_PER_US:
        return f"{sign}{ns}ns"
    if ns < _NS_PER_MS:
        return f"{sign}{_fraction(ns, _NS_PER_US)}µs"
    if ns < _NS_PER_S:
        return f"{sign}{_fraction(ns, _NS_PER_MS)}ms"
    hours, ns = divmod(ns, 3600 * _NS_PER_S)
    minutes, ns = divmod(ns, 60 * _NS_PER_S)
    secs = f"{_fraction(ns, _NS_PER_S)}s"
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}"
    if minutes:
        return f"{sign}{minutes}m{secs}"
    return f"{sign}{secs}"


def join_host_port(host: str, port: int) -> str:
    """net.JoinHostPort: IPv6 literals are bracketed."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def errno_text(code: int | None) -> str:
    """Go's syscall.Errno.Error(): glibc's strerror with a lower-case first letter."""
    if code is None:
        return "unknown error"
    text = os.strerror(code)
    return text[:1].lower() + text[1:]


def dial_error(address: str, exc: BaseException) -> str:
    """The error net.Dial returns for a failed TCP connect to `address` (host:port)."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return f"dial tcp {address}: connect: {errno_text(code)}"
    if isinstance(exc, TimeoutError):
        # Our own deadline (no errno): Go's dialer reports the context deadline this way.
        return f"dial tcp {address}: i/o timeout"
    return f"dial tcp {address}: {exc}"


def lookup_error(host: str) -> str:
    """What Go says when a probe's host name does not resolve."""
    return f"dial tcp: lookup {host}: no such host"
