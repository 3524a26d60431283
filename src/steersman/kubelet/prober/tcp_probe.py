"""The TCP socket probe (Kubernetes' pkg/probe/tcp): Success when a TCP connection to
host:port opens within the timeout; the connection is closed at once and nothing is sent.

Invariants: never raises; a failure's message is the dial error as Go words it
(`dial tcp 10.0.0.5:8080: connect: connection refused`, `dial tcp ...: i/o timeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from steersman.kubelet.prober.goformat import dial_error, join_host_port, lookup_error
from steersman.kubelet.prober.probe import ProbeOutcome, ProbeResult


async def probe_tcp(host: str, port: int, timeout: float) -> ProbeOutcome:
    address = join_host_port(host, port)
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host, port)
    except socket.gaierror:
        return ProbeOutcome(ProbeResult.FAILURE, lookup_error(host))
    except OSError as exc:  # TimeoutError included
        return ProbeOutcome(ProbeResult.FAILURE, dial_error(address, exc))
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ProbeOutcome(ProbeResult.SUCCESS, "")
