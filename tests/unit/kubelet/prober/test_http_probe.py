"""The HTTP probe against real aiohttp servers on loopback."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from steersman.kubelet.prober.http_probe import (
    HttpRequest,
    canonical_header_key,
    format_url,
    new_request_for_http_get,
    probe_http,
)
from steersman.kubelet.prober.probe import ProbeError, ProbeOutcome, ProbeResult
from steersman.pki.certs import encode_cert, encode_private_key, new_ca

SEEN: list[dict[str, str]] = []


async def _echo(request: web.Request) -> web.Response:
    SEEN.append(dict(request.headers))
    return web.Response(text=f"hello from {request.path}")


async def _fail(request: web.Request) -> web.Response:
    return web.Response(status=500, text="secret detail")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="late")


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * 50_000)


async def _hop(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    if n == 0:
        return web.Response(text="arrived")
    raise web.HTTPFound(f"/hop/{n - 1}")


async def _elsewhere(request: web.Request) -> web.Response:
    # "localhost" is another host name than the probe's 127.0.0.1.
    raise web.HTTPFound(f"http://localhost:{request.url.port}/ok", text="moved away")


def _app() -> web.Application:
    app = web.Application()
    app.router.add_get("/ok", _echo)
    app.router.add_get("/fail", _fail)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/big", _big)
    app.router.add_get("/hop/{n}", _hop)
    app.router.add_get("/elsewhere", _elsewhere)
    return app


async def _serve(context: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    runner = web.AppRunner(_app(), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    server: Any = site._server
    yield server.sockets[0].getsockname()[1]
    await runner.cleanup()


@pytest.fixture
async def port() -> AsyncIterator[int]:
    SEEN.clear()
    async for p in _serve():
        yield p


@pytest.fixture
async def tls_port(tmp_path: Path) -> AsyncIterator[int]:
    pair = new_ca("probe-target")  # self-signed: the prober must not verify it
    (tmp_path / "c.pem").write_bytes(encode_cert(pair.cert))
    (tmp_path / "k.pem").write_bytes(encode_private_key(pair.key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    async for p in _serve(context):
        yield p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _req(port: int, path: str, **extra: Any) -> HttpRequest:
    return new_request_for_http_get({"path": path, "port": port, **extra}, {}, "127.0.0.1")


async def test_success_returns_body_and_sends_kube_probe_headers(port: int) -> None:
    request = _req(port, "/ok", httpHeaders=[{"name": "x-custom-thing", "value": "1"}])
    outcome = await probe_http(request, 1)
    assert outcome.result is ProbeResult.SUCCESS
    assert outcome.message == "hello from /ok"
    headers = SEEN[-1]
    assert headers["User-Agent"] == "kube-probe/1.36"
    assert headers["Accept"] == "*/*"
    assert headers["X-Custom-Thing"] == "1"
    assert headers["Connection"] == "close"
    assert "Accept-Encoding" not in headers


async def test_probe_headers_override_defaults_and_host(port: int) -> None:
    headers = [
        {"name": "User-Agent", "value": "mine"},
        {"name": "Accept", "value": ""},
        {"name": "host", "value": "example.test"},
    ]
    outcome = await probe_http(_req(port, "/ok", httpHeaders=headers), 1)
    assert outcome.result is ProbeResult.SUCCESS
    seen = SEEN[-1]
    assert seen["User-Agent"] == "mine"
    assert "Accept" not in seen
    assert seen["Host"] == "example.test"


async def test_error_status_is_failure_without_body(port: int) -> None:
    outcome = await probe_http(_req(port, "/fail"), 1)
    assert outcome == ProbeOutcome(ProbeResult.FAILURE, "HTTP probe failed with statuscode: 500")
    missing = await probe_http(_req(port, "/nothing"), 1)
    assert missing.message == "HTTP probe failed with statuscode: 404"


async def test_same_host_redirects_are_followed(port: int) -> None:
    outcome = await probe_http(_req(port, "/hop/3"), 1)
    assert (outcome.result, outcome.message) == (ProbeResult.SUCCESS, "arrived")


async def test_redirect_loop_stops_after_ten(port: int) -> None:
    outcome = await probe_http(_req(port, "/hop/50"), 1)
    assert outcome.result is ProbeResult.FAILURE
    assert outcome.message == f'Get "http://127.0.0.1:{port}/hop/40": stopped after 10 redirects'


async def test_redirect_to_other_host_is_a_warning(port: int) -> None:
    outcome = await probe_http(_req(port, "/elsewhere"), 1)
    assert outcome.result is ProbeResult.WARNING
    assert outcome.message == "Probe terminated redirects, Response body: moved away"
    assert outcome.ok


async def test_body_is_read_up_to_ten_kib(port: int) -> None:
    outcome = await probe_http(_req(port, "/big"), 1)
    assert outcome.result is ProbeResult.SUCCESS
    assert len(outcome.message) == 10 * 1024


async def test_connection_refused_worded_as_go() -> None:
    free = _free_port()
    outcome = await probe_http(_req(free, "/healthz"), 1)
    assert outcome.result is ProbeResult.FAILURE
    assert outcome.message == (
        f'Get "http://127.0.0.1:{free}/healthz": '
        f"dial tcp 127.0.0.1:{free}: connect: connection refused"
    )


async def test_timeout_awaiting_headers(port: int) -> None:
    outcome = await probe_http(_req(port, "/slow"), 0.2)
    assert outcome.result is ProbeResult.FAILURE
    assert outcome.message == (
        f'Get "http://127.0.0.1:{port}/slow": '
        "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    )


async def test_https_without_verification(tls_port: int) -> None:
    outcome = await probe_http(_req(tls_port, "/ok", scheme="HTTPS"), 2)
    assert (outcome.result, outcome.message) == (ProbeResult.SUCCESS, "hello from /ok")


async def test_https_to_plain_http_server(port: int) -> None:
    outcome = await probe_http(_req(port, "/ok", scheme="HTTPS"), 1)
    assert outcome.message == (
        f'Get "https://127.0.0.1:{port}/ok": http: server gave HTTP response to HTTPS client'
    )


def test_request_building() -> None:
    container = {"ports": [{"name": "web", "containerPort": 8080}]}
    request = new_request_for_http_get(
        {"port": "web", "path": "healthz?full=1", "host": "", "scheme": "HTTP"},
        container,
        "fd00::5",
    )
    assert request.url == "http://[fd00::5]:8080/healthz?full=1"
    assert format_url("http", "10.0.0.1", 80, "") == "http://10.0.0.1:80"
    assert format_url("https", "h", 1, "/a b") == "https://h:1/a%20b"
    with pytest.raises(ProbeError, match='port "nope" not found'):
        new_request_for_http_get({"port": "nope"}, container, "10.0.0.1")
    with pytest.raises(ProbeError, match="invalid port number: 70000"):
        new_request_for_http_get({"port": 70000}, container, "10.0.0.1")


def test_canonical_header_key() -> None:
    assert canonical_header_key("x-custom-HEADER") == "X-Custom-Header"
    assert canonical_header_key("user-agent") == "User-Agent"
    assert canonical_header_key("bad key") == "bad key"
