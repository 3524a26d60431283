"""The HTTP GET probe (Kubernetes' pkg/probe/http: request.go + http.go), on an aiohttp client.

Invariants:
- The request is built as upstream builds it: scheme lower-cased (default http), host = the
  probe's `host` or the pod IP, the port resolved (by name) from the container's ports, header
  names canonicalized as Go does, `User-Agent: kube-probe/1.36` and `Accept: */*` unless the
  probe sets them (an empty Accept removes it), the `Host` header becoming the request's host,
  `Connection: close`, no Accept-Encoding, no proxy, no cookies, certificates never verified.
- One timeout covers the whole exchange, redirects and body included (Go's Client.Timeout).
- Redirects are followed only to the same host name (at most 10 requests); a redirect to
  another host ends the probe on that 3xx response, which is a Warning (success) worded
  `Probe terminated redirects, Response body: ...`.
- 200-399 is success, anything else `HTTP probe failed with statuscode: N`; at most 10 KiB of
  the body is read. Transport failures are Failures worded as Go's http.Client words them
  (`Get "http://10.0.0.5:8080/healthz": dial tcp 10.0.0.5:8080: connect: connection refused`).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from steersman.kubelet.prober.goformat import dial_error, errno_text, join_host_port, lookup_error
from steersman.kubelet.prober.probe import (
    USER_AGENT,
    Obj,
    ProbeOutcome,
    ProbeResult,
    resolve_container_port,
)

MAX_RESP_BODY_LENGTH = 10 * 1024
MAX_REQUESTS = 10  # Go's default CheckRedirect: "stopped after 10 redirects"
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_AWAITING_HEADERS = "(Client.Timeout exceeded while awaiting headers)"
_READING_BODY = (
    "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
)


@dataclass(frozen=True)
class HttpRequest:
    url: str  # as Go's url.URL.String() prints it: the text of every failure message
    headers: list[tuple[str, str]] = field(default_factory=list)
    host: str = ""  # the Host header's value when the probe overrides it


def canonical_header_key(key: str) -> str:
    """textproto.CanonicalMIMEHeaderKey: `x-custom-header` -> `X-Custom-Header`; keys with
    bytes outside the token set are left alone, as Go leaves them."""
    if not key or any(ch not in _TOKEN for ch in key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def format_url(scheme: str, host: str, port: int, path: str) -> str:
    """formatURL: the probe's path (which may carry a query) on scheme://host:port."""
    parts = urlsplit(path)
    p = parts.path
    if p and not p.startswith("/"):
        p = "/" + p
    url = f"{scheme}://{join_host_port(host, port)}{quote(p, safe=_PATH_SAFE)}"
    if parts.query:
        url += "?" + parts.query
    if parts.fragment:
        url += "#" + parts.fragment
    return url


def new_request_for_http_get(http_get: Obj, container: Obj, pod_ip: str) -> HttpRequest:
    """NewRequestForHTTPGetAction; raises ProbeError when the port cannot be resolved."""
    scheme = str(http_get.get("scheme") or "http").lower()
    host = http_get.get("host") or pod_ip
    port = resolve_container_port(http_get.get("port"), container)
    url = format_url(scheme, host, port, http_get.get("path") or "")
    headers = [
        (canonical_header_key(h.get("name", "")), h.get("value") or "")
        for h in http_get.get("httpHeaders") or []
    ]
    names = {name for name, _ in headers}
    if "User-Agent" not in names:
        headers.append(("User-Agent", USER_AGENT))
    if "Accept" not in names:
        headers.append(("Accept", "*/*"))
    elif next(value for name, value in headers if name == "Accept") == "":
        headers = [(name, value) for name, value in headers if name != "Accept"]
    host_header = next((value for name, value in headers if name == "Host"), "")
    # Go writes req.Host, never Header["Host"].
    headers = [(name, value) for name, value in headers if name != "Host"]
    return HttpRequest(url=url, headers=headers, host=host_header)


async def probe_http(request: HttpRequest, timeout: float) -> ProbeOutcome:
    """GET request.url and judge the response; never raises."""
    state = SimpleNamespace(phase="dial", url=request.url)

    async def connected(*_: object) -> None:
        state.phase = "headers"

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(connected)
    connector = aiohttp.TCPConnector(ssl=False, force_close=True)
    async with aiohttp.ClientSession(
        connector=connector,
        trace_configs=[trace],
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None),
    ) as session:
        try:
            async with asyncio.timeout(timeout):
                return await _exchange(session, request, state)
        except TimeoutError:
            return _timeout_outcome(state.phase, state.url)


def _timeout_outcome(phase: str, url: str) -> ProbeOutcome:
    if phase == "body":
        # Upstream returns the read error as the probe's error: retried, then dropped.
        return ProbeOutcome(ProbeResult.FAILURE, "", error=_READING_BODY)
    if phase == "dial":
        target = URL(url, encoded=True)
        address = join_host_port(target.host or "", target.port or 0)
        return ProbeOutcome(
            ProbeResult.FAILURE,
            f'Get "{url}": {dial_error(address, TimeoutError())} {_AWAITING_HEADERS}',
        )
    return ProbeOutcome(
        ProbeResult.FAILURE, f'Get "{url}": context deadline exceeded {_AWAITING_HEADERS}'
    )


async def _exchange(
    session: aiohttp.ClientSession, request: HttpRequest, state: SimpleNamespace
) -> ProbeOutcome:
    url = URL(request.url, encoded=True)
    original_host = url.host
    host_header = request.host
    requests = 0
    while True:
        state.phase, state.url = "dial", str(url)
        headers = CIMultiDict(request.headers)
        headers["Connection"] = "close"  # Go's DisableKeepAlives
        if host_header:
            headers["Host"] = host_header
        try:
            response = await session.get(
                url,
                headers=headers,
                allow_redirects=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        except aiohttp.ClientError as exc:
            return ProbeOutcome(ProbeResult.FAILURE, f'Get "{url}": {_client_error(exc, url)}')
        async with response:
            requests += 1
            location = response.headers.get("Location")
            if response.status in _REDIRECT_CODES and location:
                target = url.join(URL(location))
                if target.host == original_host:
                    if requests >= MAX_REQUESTS:
                        return ProbeOutcome(
                            ProbeResult.FAILURE, f'Get "{target}": stopped after 10 redirects'
                        )
                    if URL(location).is_absolute():
                        host_header = ""  # Go keeps a custom Host only through relative redirects
                    url = target
                    continue
                # A redirect to another host: Go's ErrUseLastResponse, judged below.
            state.phase = "body"
            try:
                body = await _read_at_most(response, MAX_RESP_BODY_LENGTH)
            except (aiohttp.ClientError, OSError) as exc:
                return ProbeOutcome(ProbeResult.FAILURE, "", error=str(exc) or "unexpected EOF")
            return _judge(response.status, body.decode("utf-8", errors="replace"))


def _judge(status: int, body: str) -> ProbeOutcome:
    if 200 <= status < 400:
        if status >= 300:
            return ProbeOutcome(
                ProbeResult.WARNING, f"Probe terminated redirects, Response body: {body}"
            )
        return ProbeOutcome(ProbeResult.SUCCESS, body)
    # Upstream keeps the body out of the user-facing message (kubernetes issue 99425).
    return ProbeOutcome(ProbeResult.FAILURE, f"HTTP probe failed with statuscode: {status}")


async def _read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _client_error(exc: aiohttp.ClientError, url: URL) -> str:
    """The error part of Go's `Get "URL": <error>` for a failed exchange."""
    address = join_host_port(url.host or "", url.port or 0)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return lookup_error(url.host or "")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientSSLError):
        cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
        if isinstance(cause, ssl.SSLError) or isinstance(exc, aiohttp.ClientSSLError):
            return _tls_error(str(cause))
        return dial_error(address, cause)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "EOF"
    if isinstance(exc, aiohttp.ClientOSError) and exc.errno:
        text = str(exc)
        if "SSL" in text:
            return _tls_error(text)
        return f"read tcp {address}: read: {errno_text(exc.errno)}"
    return str(exc) or type(exc).__name__


def _tls_error(text: str) -> str:
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text or "HTTP_REQUEST" in text:
        return "http: server gave HTTP response to HTTPS client"
    return f"tls: {text}"
