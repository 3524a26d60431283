"""The TCP probe against a real loopback listener."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from steersman.kubelet.prober import tcp_probe
from steersman.kubelet.prober.probe import ProbeOutcome, ProbeResult


async def test_open_port_succeeds() -> None:
    accepted = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        assert await tcp_probe.probe_tcp("127.0.0.1", port, 1) == ProbeOutcome(ProbeResult.SUCCESS)
        await asyncio.wait_for(accepted.wait(), 1)


async def test_closed_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    outcome = await tcp_probe.probe_tcp("127.0.0.1", port, 1)
    assert outcome == ProbeOutcome(
        ProbeResult.FAILURE, f"dial tcp 127.0.0.1:{port}: connect: connection refused"
    )


async def test_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hang(*_: Any, **__: Any) -> Any:
        await asyncio.sleep(10)

    monkeypatch.setattr(tcp_probe.asyncio, "open_connection", hang)
    outcome = await tcp_probe.probe_tcp("10.0.0.9", 80, 0.05)
    assert outcome == ProbeOutcome(ProbeResult.FAILURE, "dial tcp 10.0.0.9:80: i/o timeout")


async def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # No real lookup: tests never leave loopback.
    async def no_such_host(*_: Any, **__: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(tcp_probe.asyncio, "open_connection", no_such_host)
    outcome = await tcp_probe.probe_tcp("db.example", 80, 2)
    assert outcome == ProbeOutcome(ProbeResult.FAILURE, "dial tcp: lookup db.example: no such host")
