"""The remote-command session and the kubelet server's channel protocols, spoken by a raw
aiohttp WebSocket client (the variants kubectl does not use: v4, base64, no protocol)."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from steersman.kubelet.server import remotecommand
from steersman.kubelet.server.host import ContainerTarget, container_not_found, pod_not_found
from steersman.kubelet.server.process import spawn_local
from steersman.kubelet.server.server import KubeletServer, build_ssl_context
from steersman.pki import ensure_pki
from steersman.pki.ca import ensure_kubelet_serving_cert


def test_options_from_query() -> None:
    opts = remotecommand.options_from_query({"input": "1", "output": "1", "error": "1"})
    assert opts == remotecommand.StreamOptions(True, True, True, False)
    tty = remotecommand.options_from_query({"output": "1", "error": "1", "tty": "1"})
    assert tty.tty and not tty.stderr  # a terminal has no separate stderr
    with pytest.raises(ValueError, match="at least 1 of stdin, stdout, stderr"):
        remotecommand.options_from_query({"tty": "1"})


def test_exit_status_shape() -> None:
    status = remotecommand.exit_status(3, ["sh", "-c", "exit 3"])
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"] == {"causes": [{"reason": "ExitCode", "message": "3"}]}
    assert status["message"] == (
        "command terminated with non-zero exit code: "
        "error executing command [sh -c exit 3], exit code 3"
    )


def test_resize_decoder_handles_split_and_joined_objects() -> None:
    decoder = remotecommand._ResizeDecoder()
    assert decoder.feed(b'{"Width":80,') == []
    assert decoder.feed(b'"Height":24}\n{"Width":1,"Height":2}') == [(80, 24), (1, 2)]


class _Host:
    async def list_pods(self) -> list[dict[str, Any]]:
        return []

    async def container_for(self, namespace: str, pod_name: str, container: str) -> ContainerTarget:
        if pod_name != "p":
            raise pod_not_found(namespace, pod_name)
        if container != "c":
            raise container_not_found(container, pod_name)
        return ContainerTarget(namespace, pod_name, "uid", container)

    async def is_running(self, target: ContainerTarget) -> bool:
        return True

    async def exec(
        self, target: ContainerTarget, command: Sequence[str], *, tty: bool, stdin: bool
    ) -> Any:
        return await spawn_local(command, tty=tty, stdin=stdin)

    async def attach(self, target: ContainerTarget, *, tty: bool, stdin: bool) -> Any:
        raise RuntimeError("no attach here")

    async def pod_netns(self, namespace: str, pod_name: str) -> str | None:
        return None


@pytest.fixture
async def plain_server() -> AsyncIterator[str]:
    server = KubeletServer(_Host(), address="127.0.0.1", port=0, ssl_context=None)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def _session(
    url: str, protocol: str, send: list[bytes | str]
) -> tuple[dict[int, bytes], str]:
    channels: dict[int, bytes] = {}
    async with aiohttp.ClientSession() as http, http.ws_connect(url, protocols=[protocol]) as ws:
        for message in send:
            if isinstance(message, str):
                await ws.send_str(message)
            else:
                await ws.send_bytes(message)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                channel, data = msg.data[0], msg.data[1:]
            elif msg.type == aiohttp.WSMsgType.TEXT:
                channel, data = int(msg.data[0]), base64.b64decode(msg.data[1:])
            else:
                break
            channels[channel] = channels.get(channel, b"") + data
        return channels, ws.protocol or ""


async def test_v5_close_signal_ends_stdin(plain_server: str) -> None:
    url = f"{plain_server}/exec/ns/p/c?command=sh&command=-c&command=cat;exit 2&input=1&output=1&error=1"
    channels, protocol = await _session(url, "v5.channel.k8s.io", [b"\x00data", b"\xff\x00"])
    assert protocol == "v5.channel.k8s.io"
    assert channels[1] == b"data"
    status = json.loads(channels[3])
    assert status["status"] == "Failure" and status["details"]["causes"][0]["message"] == "2"


async def test_base64_protocol_and_success_status(plain_server: str) -> None:
    url = f"{plain_server}/exec/ns/p/c?command=echo&command=hi&output=1&error=1"
    channels, protocol = await _session(url, "v4.base64.channel.k8s.io", [])
    assert protocol == "v4.base64.channel.k8s.io"
    assert channels[1] == b"hi\n"
    assert json.loads(channels[3]) == {"metadata": {}, "status": "Success"}


async def test_pre_v4_protocol_reports_failures_as_text(plain_server: str) -> None:
    url = f"{plain_server}/exec/ns/p/c?command=false&output=1"
    channels, _ = await _session(url, "channel.k8s.io", [])
    assert channels[3].startswith(b"command terminated with non-zero exit code")


async def test_start_failure_is_an_internal_error_status(plain_server: str) -> None:
    url = f"{plain_server}/exec/ns/p/c?command=/no/such/binary&output=1"
    channels, _ = await _session(url, "v4.channel.k8s.io", [])
    status = json.loads(channels[3])
    assert status["reason"] == "InternalError"
    assert "error executing command in container" in status["message"]


async def test_lookup_errors_and_missing_upgrade(plain_server: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{plain_server}/exec/ns/q/c?command=true&output=1") as r:
            assert (r.status, await r.text()) == (404, 'pod "q" does not exist\n')
        async with http.get(f"{plain_server}/containerLogs/ns/p/x") as r:
            assert (r.status, await r.text()) == (404, 'container "x" not found in pod "p"\n')
        async with http.get(f"{plain_server}/exec/ns/p/c?command=true") as r:
            assert r.status == 400
        async with http.post(f"{plain_server}/exec/ns/p/c?command=true&output=1") as r:
            assert r.status == 400
            assert "missing upgrade headers" in await r.text()
        headers = {
            "Connection": "Upgrade",
            "Upgrade": "SPDY/3.1",
            "X-Stream-Protocol-Version": "v9",
        }
        async with http.post(
            f"{plain_server}/exec/ns/p/c?command=true&output=1", headers=headers
        ) as r:
            assert r.status == 403
            assert "unable to negotiate protocol" in await r.text()
            assert "v4.channel.k8s.io" in r.headers["X-Accepted-Stream-Protocol-Versions"]


async def test_tls_requires_a_client_certificate_from_the_ca(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=["127.0.0.1"])
    cert, key = ensure_kubelet_serving_cert(pki, "n1", ["127.0.0.1"])
    server = KubeletServer(
        _Host(), address="127.0.0.1", port=0, ssl_context=build_ssl_context(cert, key, pki.ca_cert)
    )
    await server.start()
    try:
        url = f"https://127.0.0.1:{server.port}/healthz"
        anonymous = ssl.create_default_context(cafile=str(pki.ca_cert))
        client = ssl.create_default_context(cafile=str(pki.ca_cert))
        client.load_cert_chain(
            str(pki.apiserver_kubelet_client_cert), str(pki.apiserver_kubelet_client_key)
        )
        async with aiohttp.ClientSession() as http:
            async with http.get(url, ssl=anonymous) as r:
                assert (r.status, await r.text()) == (401, "Unauthorized\n")
            async with http.get(url, ssl=client) as r:
                assert (r.status, await r.text()) == (200, "ok")
    finally:
        await server.stop()


async def test_session_abandons_the_process_when_the_client_leaves() -> None:
    class IO:
        def __init__(self) -> None:
            self.closed = asyncio.Event()
            self.statuses: list[dict[str, Any]] = []

        async def read_stdin(self) -> bytes:
            await self.closed.wait()
            return b""

        async def next_resize(self) -> tuple[int, int] | None:
            return None

        async def write_stdout(self, data: bytes) -> None:
            return None

        async def write_stderr(self, data: bytes) -> None:
            return None

        async def write_status(self, status: dict[str, Any]) -> None:
            self.statuses.append(status)

        async def close(self) -> None:
            return None

    io = IO()
    proc = await spawn_local(["sleep", "30"], tty=False, stdin=True)
    opts = remotecommand.StreamOptions(stdin=True, stdout=True, stderr=True, tty=False)
    session = asyncio.ensure_future(remotecommand.serve_session(io, proc, opts, command=["sleep"]))
    await asyncio.sleep(0.1)
    io.closed.set()
    await asyncio.wait_for(session, 5)
    assert await asyncio.wait_for(proc.wait(), 5) != 0  # killed
    assert io.statuses == []  # nobody left to tell
