"""Proxy one upgrading HTTP request to a backend and splice the two connections.

This is what apimachinery's UpgradeAwareHandler does for exec, attach and port-forward: the
request (with its `Connection: Upgrade` and `Upgrade: websocket|SPDY/3.1` headers) is replayed
on a fresh connection to the backend; if the backend answers `101 Switching Protocols`, the
101 is relayed to the client and from then on bytes are copied both ways untouched, whatever
the protocol (WebSocket frames, SPDY frames, SPDY tunnelled in WebSocket messages). If the
backend answers anything else, that response is relayed as it is, so the client sees the
backend's error (and client-go falls back from WebSockets to SPDY when that is the reason).

Invariants:
- The backend sees the client's method, path, query and headers, minus hop-by-hop headers
  other than Connection/Upgrade, minus the credentials the proxy consumed (the Authorization
  header and a bearer token carried as a WebSocket subprotocol), with Host set to the backend.
- Once spliced, the first direction to end (EOF or error) ends both, as upstream does: over
  TLS there is no half-close to preserve.
- Only the response head is parsed here; bytes the backend sent right after its 101 head are
  forwarded before anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable, Mapping

from aiohttp import web

from steersman.util.hijack import HijackedConnection, hijack

_HEAD_LIMIT = 64 * 1024
_HOP_BY_HOP = frozenset(
    {
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "host",
        "authorization",
        "content-length",
    }
)
_WEBSOCKET_TOKEN_PREFIX = "base64url.bearer.authorization.k8s.io."
_RESPONSE_DROP = frozenset({"transfer-encoding", "content-length", "connection", "keep-alive"})


class BackendError(Exception):
    """The backend could not be reached or answered something that is not HTTP."""


def is_upgrade_request(headers: Mapping[str, str]) -> bool:
    connection = headers.get("Connection", "")
    tokens = {t.strip().lower() for t in connection.split(",")}
    return "upgrade" in tokens and bool(headers.get("Upgrade"))


def _forwarded_headers(headers: Iterable[tuple[str, str]], host: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("Host", host)]
    for name, value in headers:
        lower = name.lower()
        if lower in _HOP_BY_HOP:
            continue
        if lower == "sec-websocket-protocol":
            kept = [
                p.strip()
                for p in value.split(",")
                if p.strip() and not p.strip().startswith(_WEBSOCKET_TOKEN_PREFIX)
            ]
            if not kept:
                continue
            value = ", ".join(kept)
        out.append((name, value))
    return out


def _request_head(method: str, path_qs: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"{method} {path_qs} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, str, list[tuple[str, str]]]:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise BackendError("backend closed the connection before answering") from exc
    except asyncio.LimitOverrunError as exc:
        raise BackendError("backend response head too large") from exc
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise BackendError(f"malformed backend status line {lines[0]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    lookup = {n.lower(): v for n, v in headers}
    if "content-length" in lookup:
        return await reader.readexactly(int(lookup["content-length"]))
    if lookup.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(body)
            body.extend(await reader.readexactly(size))
            await reader.readexactly(2)
    return await reader.read(4 * 1024 * 1024)


async def proxy_upgrade(
    request: web.Request,
    *,
    host: str,
    port: int,
    path_qs: str,
    ssl_context: ssl.SSLContext | None,
    server_hostname: str | None = None,
) -> web.StreamResponse:
    """Replay `request` to host:port at `path_qs` and splice on 101; relay anything else."""
    try:
        reader, writer = await asyncio.open_connection(
            host,
            port,
            ssl=ssl_context,
            server_hostname=(server_hostname or host) if ssl_context is not None else None,
            limit=_HEAD_LIMIT,
        )
    except (OSError, ssl.SSLError) as exc:
        raise BackendError(f"dial tcp {host}:{port}: {exc}") from exc
    try:
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        head = _request_head(
            request.method, path_qs, _forwarded_headers(request.headers.items(), authority)
        )
        writer.write(head)
        body = await request.read() if request.can_read_body else b""
        if body:
            writer.write(body)
        await writer.drain()
        status, reason, headers = await _read_head(reader)
        if status != 101:
            payload = await _read_body(reader, headers)
            relayed = [(n, v) for n, v in headers if n.lower() not in _RESPONSE_DROP]
            response = web.Response(status=status, reason=reason or None, body=payload)
            for name, value in relayed:
                response.headers.add(name, value)
            return response
        upgraded, conn = await hijack(request, _multi(headers))
        await _splice(conn, reader, writer)
        return upgraded
    except (OSError, asyncio.IncompleteReadError) as exc:
        raise BackendError(str(exc)) from exc
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def _multi(headers: list[tuple[str, str]]) -> Mapping[str, str]:
    from multidict import CIMultiDict

    md: CIMultiDict[str] = CIMultiDict()
    for name, value in headers:
        if name.lower() in ("date", "server", "content-length", "transfer-encoding"):
            continue
        md.add(name, value)
    return md


async def _splice(
    conn: HijackedConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async def client_to_backend() -> None:
        while True:
            data = await conn.read()
            if not data:
                return
            writer.write(data)
            await writer.drain()

    async def backend_to_client() -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            await conn.write(data)

    tasks = [
        asyncio.ensure_future(client_to_backend()),
        asyncio.ensure_future(backend_to_client()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                await task
        conn.close()
