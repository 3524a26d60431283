"""The kubelet's HTTPS server (port 10250): health, pods, logs, exec, attach, port-forward.

Routes, as pkg/kubelet/server/server.go names them:
  GET  /healthz                                    "ok"
  GET  /pods                                       v1 PodList of the pods this kubelet runs
  GET  /containerLogs/{namespace}/{pod}/{container} CRI log file, PodLogOptions as query
  GET|POST /exec/{namespace}/{pod}/{container}      ?command=..&input=1&output=1&error=1&tty=1
  GET|POST /attach/{namespace}/{pod}/{container}    same flags, no command
  GET|POST /portForward/{namespace}/{pod}           SPDY, SPDY-in-WebSocket or channels
  GET  /stats/summary                              stats/v1alpha1 Summary (?only_cpu_and_memory=true)
  GET  /metrics/resource                           Prometheus text: node/pod/container cpu+memory

Invariants:
- Authentication: a client certificate issued by the cluster CA (TLS verifies it); a request
  without one gets 401 `Unauthorized`. There is no authorization step (every authenticated
  client may do everything), which is what the API server's client certificate needs.
- Errors before an upgrade are plain-text bodies with the kubelet's status codes (404 for a
  missing pod or container, 400 for bad parameters); after an upgrade they travel inside the
  protocol (the error channel / stream).
- A host that returns a URL for exec/attach is proxied to as it is (raw upgrade splice).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime
import logging
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from steersman.kubelet.server import logs, netns, portforward, remotecommand
from steersman.kubelet.server.host import ContainerProcess, HostError, KubeletHost
from steersman.kubelet.server.spdy_session import SpdySession
from steersman.util.hijack import hijack
from steersman.util.upgrade_proxy import BackendError, proxy_upgrade

log = logging.getLogger("steersman.kubelet.server")

PROTOCOL_HEADER = "X-Stream-Protocol-Version"
ACCEPTED_PROTOCOLS_HEADER = "X-Accepted-Stream-Protocol-Versions"
_MAX_WS_MESSAGE = 16 << 20


def build_ssl_context(cert_file: Path, key_file: Path, client_ca_file: Path) -> ssl.SSLContext:
    """TLS 1.2+, our serving certificate, client certificates verified against the CA."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert_file), str(key_file))
    ctx.load_verify_locations(cafile=str(client_ca_file))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _text(code: int, message: str) -> web.Response:
    return web.Response(status=code, text=message + "\n", content_type="text/plain")


def negotiate_protocol(request: web.Request, supported: tuple[str, ...]) -> str:
    """httpstream.Handshake: the first protocol the client lists that we support ("" if it
    lists none). Raises HTTPForbidden when there is no common protocol."""
    offered = [
        p.strip()
        for value in request.headers.getall(PROTOCOL_HEADER, [])
        for p in value.split(",")
        if p.strip()
    ]
    if not offered:
        return ""
    for protocol in offered:
        if protocol in supported:
            return protocol
    raise web.HTTPForbidden(
        text=(
            "unable to upgrade: unable to negotiate protocol: "
            f"client supports [{' '.join(offered)}], server accepts [{' '.join(supported)}]"
        ),
        headers={ACCEPTED_PROTOCOLS_HEADER: ", ".join(supported)},
    )


def _is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _is_spdy(request: web.Request) -> bool:
    connection = {t.strip().lower() for t in request.headers.get("Connection", "").split(",")}
    return "upgrade" in connection and request.headers.get("Upgrade", "").lower() == "spdy/3.1"


async def _spdy_upgrade(
    request: web.Request, supported: tuple[str, ...]
) -> tuple[web.StreamResponse, Any, str]:
    if not _is_spdy(request):
        raise web.HTTPBadRequest(text="unable to upgrade: missing upgrade headers in request")
    protocol = negotiate_protocol(request, supported)
    headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
    if protocol:
        headers[PROTOCOL_HEADER] = protocol
    response, conn = await hijack(request, headers)
    return response, conn, protocol


class KubeletServer:
    def __init__(
        self,
        host: KubeletHost,
        *,
        address: str = "0.0.0.0",
        port: int = 10250,
        ssl_context: ssl.SSLContext | None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.host = host
        self.address = address
        self.port = port
        self._ssl = ssl_context
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self._runner: web.AppRunner | None = None
        self.started = asyncio.Event()
        # (endpoint, transport, subprotocol) of recent streaming sessions: what clients chose.
        self.sessions: collections.deque[tuple[str, str, str]] = collections.deque(maxlen=256)

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._authenticate], client_max_size=1 << 20)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/pods", self._pods)
        app.router.add_get("/stats/summary", self._stats_summary)
        app.router.add_get("/metrics/resource", self._resource_metrics)
        app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self._logs)
        for verb in ("exec", "attach"):
            app.router.add_route(
                "GET", f"/{verb}/{{namespace}}/{{pod}}/{{container}}", self._remote
            )
            app.router.add_route(
                "POST", f"/{verb}/{{namespace}}/{{pod}}/{{container}}", self._remote
            )
        app.router.add_route("GET", "/portForward/{namespace}/{pod}", self._port_forward)
        app.router.add_route("POST", "/portForward/{namespace}/{pod}", self._port_forward)
        return app

    @web.middleware
    async def _authenticate(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self._ssl is not None:
            transport = request.transport
            peer = transport.get_extra_info("peercert") if transport is not None else None
            if not peer:
                return _text(401, "Unauthorized")
        try:
            return await handler(request)
        except HostError as exc:
            return _text(exc.code, exc.message)

    async def start(self) -> None:
        runner = web.AppRunner(
            self.build_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(
            runner, self.address, self.port, ssl_context=self._ssl, reuse_address=True
        )
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self.started.set()
        log.info("kubelet server listening on %s:%d", self.address, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def run(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    # -- simple endpoints -------------------------------------------------------------

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    async def _pods(self, _: web.Request) -> web.Response:
        body = {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {},
            "items": await self.host.list_pods(),
        }
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def _stats_summary(self, request: web.Request) -> web.Response:
        only = request.query.getall("only_cpu_and_memory", []) == ["true"]
        try:
            body = await self.host.summary(only_cpu_and_memory=only)
        except HostError:
            raise
        except Exception as exc:  # the runtime or the node: the kubelet answers 500
            log.warning("/stats/summary: %s", exc)
            return _text(500, f"Internal Error: {exc}")
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def _resource_metrics(self, _: web.Request) -> web.Response:
        text = await self.host.resource_metrics()
        return web.Response(
            text=text, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
        )

    # -- logs -------------------------------------------------------------------------

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        try:
            opts = logs.options_from_query(request.query, now=self._clock())
        except ValueError as exc:
            return _text(400, str(exc))
        target = await self.host.container_for(m["namespace"], m["pod"], m["container"])
        if opts.previous:
            path = target.previous_log_path
            if path is None:
                return _text(
                    400,
                    f'previous terminated container "{target.container_name}" in pod '
                    f'"{target.pod_name}" not found',
                )
        else:
            path = target.log_path
            if path is None:
                return _text(
                    400,
                    f'container "{target.container_name}" in pod "{target.pod_name}" '
                    "is waiting to start: ContainerCreating",
                )
        if not path.exists():
            return _text(
                400,
                f'failed to try resolving symlinks in path "{path}": '
                f"lstat {path}: no such file or directory",
            )

        async def running() -> bool:
            return False if opts.previous else await self.host.is_running(target)

        response = web.StreamResponse(status=200)
        response.content_type = "text/plain"
        response.enable_chunked_encoding()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            async for chunk in logs.read_logs(path, opts, is_running=running):
                await response.write(chunk)
            await response.write_eof()
        return response

    # -- exec / attach ----------------------------------------------------------------

    async def _remote(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        attach = request.path.startswith("/attach/")
        try:
            opts = remotecommand.options_from_query(request.query)
        except ValueError as exc:
            return _text(400, str(exc))
        target = await self.host.container_for(m["namespace"], m["pod"], m["container"])
        command = None if attach else request.query.getall("command", [])
        process: ContainerProcess | str | None = None
        failure = ""
        try:
            if attach:
                process = await self.host.attach(target, tty=opts.tty, stdin=opts.stdin)
            else:
                process = await self.host.exec(
                    target, command or [], tty=opts.tty, stdin=opts.stdin
                )
        except HostError:
            raise
        except Exception as exc:
            what = (
                "error attaching to container" if attach else "error executing command in container"
            )
            failure = f"{what}: {exc}"
        if isinstance(process, str):
            return await self._proxy(request, process)
        if _is_websocket(request):
            ws = web.WebSocketResponse(
                protocols=remotecommand.WEBSOCKET_PROTOCOLS, max_msg_size=_MAX_WS_MESSAGE
            )
            await ws.prepare(request)
            ws_io = remotecommand.WebSocketIO(ws, ws.ws_protocol or "", opts)
            self.sessions.append((request.path.split("/")[1], "websocket", ws_io.protocol))
            await ws_io.announce()
            await self._run_session(ws_io, process, opts, command, failure)
            return ws
        try:
            response, conn, protocol = await _spdy_upgrade(request, remotecommand.SPDY_PROTOCOLS)
        except web.HTTPException:
            if process is not None:
                await process.abandon()
            raise
        self.sessions.append((request.path.split("/")[1], "spdy", protocol))
        session = SpdySession(conn, lambda _stream: None)
        reader = asyncio.ensure_future(session.run())
        try:
            expected = remotecommand.expected_spdy_streams(opts, protocol)
            streams = await remotecommand.wait_for_spdy_streams(session, expected)
            if streams is None:
                log.info("client did not create the expected streams %s", sorted(expected))
                if process is not None:
                    await process.abandon()
                await session.close()
                return response
            spdy_io = remotecommand.SpdyIO(session, protocol, streams)
            await self._run_session(spdy_io, process, opts, command, failure)
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
            conn.close()
        return response

    async def _run_session(
        self,
        io: remotecommand.WebSocketIO | remotecommand.SpdyIO,
        process: ContainerProcess | None,
        opts: remotecommand.StreamOptions,
        command: list[str] | None,
        failure: str,
    ) -> None:
        if process is None:
            await io.write_status(remotecommand.internal_status(failure))
            await io.close()
            return
        await remotecommand.serve_session(io, process, opts, command=command)

    async def _proxy(self, request: web.Request, url: str) -> web.StreamResponse:
        from yarl import URL

        target = URL(url)
        ssl_ctx = ssl.create_default_context() if target.scheme == "https" else None
        if ssl_ctx is not None:
            # A runtime's streaming server is local and self-signed (containerd's, when TLS
            # streaming is on); the URL itself is the secret, as in the kubelet.
            ssl_ctx.check_hostname = False
            ssl_ctx.verify_mode = ssl.CERT_NONE
        try:
            return await proxy_upgrade(
                request,
                host=target.host or "127.0.0.1",
                port=target.port or (443 if ssl_ctx else 80),
                path_qs=target.raw_path_qs,
                ssl_context=ssl_ctx,
            )
        except BackendError as exc:
            return _text(502, f"error proxying to the container runtime: {exc}")

    # -- port-forward -----------------------------------------------------------------

    async def _port_forward(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        namespace, pod = m["namespace"], m["pod"]
        path = await self.host.pod_netns(namespace, pod)

        async def dial(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await netns.open_connection(path, port)

        if _is_websocket(request):
            ws = web.WebSocketResponse(
                protocols=(portforward.TUNNEL_PROTOCOL, *portforward.WEBSOCKET_PROTOCOLS),
                max_msg_size=_MAX_WS_MESSAGE,
            )
            if ws.can_prepare(request).protocol != portforward.TUNNEL_PROTOCOL:
                ports = _ports(
                    ",".join(request.query.getall("port", []) + request.query.getall("ports", []))
                )
                if ports is None:
                    return _text(400, 'query parameter "port" is required')
                await ws.prepare(request)
                self.sessions.append(("portForward", "websocket", ws.ws_protocol or ""))
                await portforward.serve_websocket_channels(ws, ports, dial, pod)
                return ws
            await ws.prepare(request)
            self.sessions.append(("portForward", "websocket", portforward.TUNNEL_PROTOCOL))
            session = SpdySession(portforward.WebSocketTunnel(ws), portforward.validate_stream)
            await portforward.serve_spdy(session, dial, pod)
            with contextlib.suppress(Exception):
                await ws.close()
            return ws
        response, conn, protocol = await _spdy_upgrade(request, (portforward.PROTOCOL,))
        self.sessions.append(("portForward", "spdy", protocol))
        try:
            session = SpdySession(conn, portforward.validate_stream)
            await portforward.serve_spdy(session, dial, pod)
        finally:
            conn.close()
        return response


def _ports(raw: str) -> list[int] | None:
    try:
        ports = [int(p) for p in raw.split(",") if p.strip()]
    except ValueError:
        return None
    return ports or None
