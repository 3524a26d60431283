"""Node-proxied subresources: pods/log, pods/exec, pods/attach, pods/portforward, nodes/proxy.

As kube-apiserver does it (pkg/registry/core/pod/rest, node/rest): find the pod and its
container, find the node's kubelet (status.addresses, daemonEndpoints.kubeletEndpoint.Port),
then
- logs: GET the kubelet's `/containerLogs/...` and stream the body back (follow keeps the
  response open); a kubelet error becomes a Status (400 → BadRequest with the kubelet's text,
  500 → InternalError, other codes → the generic server-response error);
- exec/attach/portforward and upgrading nodes/proxy requests: replay the request to the
  kubelet and, on 101, splice the two connections byte for byte (UpgradeAwareHandler) — so
  WebSockets (v5.channel.k8s.io), SPDY/3.1 and SPDY-in-WebSocket all pass unchanged;
- plain nodes/proxy requests: forward method, body and headers and stream the answer.

Invariants:
- The API server authenticates to kubelets with its own client certificate
  (`apiserver-kubelet-client`, CN kube-apiserver-kubelet-client) and verifies the kubelet's
  serving certificate against the cluster CA, unless `insecureSkipTLSVerifyBackend=true`
  (pods/log only, as upstream).
- The client's own credentials are never forwarded (the authentication step consumed them).
- Validation and wording follow LogLocation/streamLocation: `a container name must be
  specified for pod p, choose one of: [a b]`, `container c is not valid for pod p`,
  `pod p does not have a host assigned`; an unscheduled pod has empty logs.
"""

from __future__ import annotations

import contextlib
import datetime
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from steersman.api import errors, resources
from steersman.apiserver.context import ApiContext
from steersman.apiserver.request_info import RequestInfo
from steersman.util.upgrade_proxy import BackendError, is_upgrade_request, proxy_upgrade

DEFAULT_KUBELET_PORT = 10250
# kubeadm's --kubelet-preferred-address-types.
PREFERRED_ADDRESS_TYPES = ("InternalIP", "InternalDNS", "Hostname", "ExternalIP", "ExternalDNS")
POD_SUBRESOURCES = frozenset({"log", "exec", "attach", "portforward"})
_ERROR_BODY_LIMIT = 64 * 1024
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "authorization",
        "content-length",
    }
)


@dataclass(frozen=True)
class KubeletClientConfig:
    """How the API server reaches kubelets: the cluster CA and its kubelet-client pair."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    _contexts: dict[bool, ssl.SSLContext] = field(default_factory=dict, compare=False)

    def ssl_context(self, *, insecure: bool = False) -> ssl.SSLContext:
        ctx = self._contexts.get(insecure)
        if ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
            if insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            else:
                ctx.load_verify_locations(cafile=str(self.ca_file))
            ctx.set_alpn_protocols(["http/1.1"])
            self._contexts[insecure] = ctx
        return ctx


@dataclass(frozen=True, slots=True)
class KubeletLocation:
    host: str
    port: int

    def authority(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def is_node_proxied(ri: RequestInfo) -> bool:
    """Whether this request is one of ours (the router sends it to `handle_node_proxy`)."""
    if not ri.is_resource_request or ri.group != "" or ri.version != "v1" or not ri.name:
        return False
    if ri.resource == "pods":
        return ri.subresource in POD_SUBRESOURCES
    return ri.resource == "nodes" and ri.subresource == "proxy"


async def handle_node_proxy(
    request: web.Request, ctx: ApiContext, ri: RequestInfo, kubelet: KubeletClientConfig | None
) -> web.StreamResponse:
    if ri.resource == "nodes":
        return await _node_proxy(request, ctx, ri, kubelet)
    if ri.parts:
        raise errors.route_not_found_error()
    method = request.method
    allowed = ("GET",) if ri.subresource == "log" else ("GET", "POST")
    if method not in allowed:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
            method, method.lower()
        )
        raise errors.method_not_supported_error(f"pods/{ri.subresource}", verb)
    if ri.subresource == "log":
        return await _logs(request, ctx, ri, kubelet)
    return await _stream(request, ctx, ri, kubelet)


# -- lookups ---------------------------------------------------------------------------


async def _get(ctx: ApiContext, resource: str, namespace: str, name: str) -> dict[str, Any]:
    info = resources.require("", "v1", resource)
    return await ctx.registry(info).get(namespace, name)


def _names(containers: list[dict[str, Any]] | None) -> str:
    return " ".join(str(c.get("name", "")) for c in containers or [])


def resolve_container(pod: dict[str, Any], container: str) -> str:
    """The container a request means, or 400 worded as LogLocation/streamLocation."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    if not container:
        containers = spec.get("containers") or []
        if len(containers) == 1:
            return str(containers[0]["name"])
        if not containers:
            raise errors.bad_request_error(f"a container name must be specified for pod {name}")
        message = (
            f"a container name must be specified for pod {name}, "
            f"choose one of: [{_names(containers)}]"
        )
        if spec.get("initContainers"):
            message += f" or one of the init containers: [{_names(spec['initContainers'])}]"
        if spec.get("ephemeralContainers"):
            message += (
                f" or one of the ephemeral containers: [{_names(spec['ephemeralContainers'])}]"
            )
        raise errors.bad_request_error(message)
    for key in ("containers", "initContainers", "ephemeralContainers"):
        if any(c.get("name") == container for c in spec.get(key) or []):
            return container
    raise errors.bad_request_error(f"container {container} is not valid for pod {name}")


def kubelet_location(node: dict[str, Any]) -> KubeletLocation:
    status = node.get("status") or {}
    addresses = status.get("addresses") or []
    port = (
        ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
    ) or DEFAULT_KUBELET_PORT
    for kind in PREFERRED_ADDRESS_TYPES:
        for address in addresses:
            if address.get("type") == kind and address.get("address"):
                return KubeletLocation(str(address["address"]), int(port))
    known = " ".join(f"{{{a.get('type')} {a.get('address')}}}" for a in addresses)
    raise errors.ApiError(500, "", f"no preferred addresses found; known addresses: [{known}]")


async def _node_for(ctx: ApiContext, pod: dict[str, Any]) -> KubeletLocation:
    node = await _get(ctx, "nodes", "", pod["spec"]["nodeName"])
    return kubelet_location(node)


def _need_kubelet(kubelet: KubeletClientConfig | None) -> KubeletClientConfig:
    if kubelet is None:
        raise errors.service_unavailable_error("the API server has no kubelet client credentials")
    return kubelet


# -- pods/log --------------------------------------------------------------------------


def _int_param(query: Any, name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_request_error(
            f'strconv.ParseInt: parsing "{raw}": invalid syntax'
        ) from None


def _bool_param(query: Any, name: str) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "1", "t"):
        return True
    if raw.lower() in ("false", "0", "f"):
        return False
    raise errors.bad_request_error(f'strconv.ParseBool: parsing "{raw}": invalid syntax')


def log_params(query: Any, name: str) -> tuple[str, dict[str, str], bool]:
    """(container, kubelet query, insecureSkipTLSVerifyBackend) from a pods/log query,
    validated as ValidatePodLogOptions does."""
    tail_lines = _int_param(query, "tailLines")
    limit_bytes = _int_param(query, "limitBytes")
    since_seconds = _int_param(query, "sinceSeconds")
    since_time = query.get("sinceTime") or None
    if since_time is not None:
        try:
            parsed = datetime.datetime.fromisoformat(since_time.replace("Z", "+00:00"))
        except ValueError:
            raise errors.bad_request_error(
                f'parsing time "{since_time}" as "2006-01-02T15:04:05Z07:00": cannot parse'
            ) from None
        since_time = parsed.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stream = query.get("stream") or None
    problems: list[errors.FieldError] = []
    if tail_lines is not None and tail_lines < 0:
        problems.append(
            errors.invalid("tailLines", tail_lines, "must be greater than or equal to 0")
        )
    if limit_bytes is not None and limit_bytes < 1:
        problems.append(errors.invalid("limitBytes", limit_bytes, "must be greater than 0"))
    if since_seconds is not None and since_time is not None:
        problems.append(
            errors.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified")
        )
    if since_seconds is not None and since_seconds < 1:
        problems.append(errors.invalid("sinceSeconds", since_seconds, "must be greater than 0"))
    if stream is not None and stream not in ("All", "Stdout", "Stderr"):
        problems.append(errors.not_supported("stream", stream, ["All", "Stderr", "Stdout"]))
    if stream not in (None, "All") and tail_lines is not None:
        problems.append(
            errors.forbidden("", "`tailLines` and specific `stream` are mutually exclusive for now")
        )
    if problems:
        raise errors.invalid_error("PodLogOptions", name, problems)
    params: dict[str, str] = {}
    if _bool_param(query, "follow"):
        params["follow"] = "true"
    if _bool_param(query, "previous"):
        params["previous"] = "true"
    if _bool_param(query, "timestamps"):
        params["timestamps"] = "true"
    if since_seconds is not None:
        params["sinceSeconds"] = str(since_seconds)
    if since_time is not None:
        params["sinceTime"] = since_time
    if tail_lines is not None:
        params["tailLines"] = str(tail_lines)
    if limit_bytes is not None:
        params["limitBytes"] = str(limit_bytes)
    if stream is not None:
        params["stream"] = stream
    insecure = _bool_param(query, "insecureSkipTLSVerifyBackend")
    return query.get("container", ""), params, insecure


def kubelet_error(code: int, body: str, name: str) -> errors.ApiError:
    """GenericHttpResponseChecker: the Status for a kubelet's non-2xx answer."""
    if code == 500:
        return errors.internal_error(body)
    if code == 400:
        return errors.bad_request_error(body)
    reasons = {404: "NotFound", 401: "Unauthorized", 403: "Forbidden", 503: "ServiceUnavailable"}
    messages = {
        404: "the server could not find the requested resource",
        401: "the server has asked for the client to provide credentials",
        403: body,
        503: "the server is currently unable to handle the request",
    }
    message = messages.get(
        code,
        f"the server responded with the status code {code} but did not return more information",
    )
    details = {"name": name, "kind": "pods/log"}
    return errors.ApiError(code, reasons.get(code, ""), message, details)


async def _logs(
    request: web.Request, ctx: ApiContext, ri: RequestInfo, kubelet: KubeletClientConfig | None
) -> web.StreamResponse:
    container, params, insecure = log_params(request.query, ri.name)
    pod = await _get(ctx, "pods", ri.namespace, ri.name)
    container = resolve_container(pod, container)
    if not (pod.get("spec") or {}).get("nodeName"):
        # Upstream returns an empty location: the client reads an empty log.
        return web.Response(body=b"", content_type="text/plain")
    location = await _node_for(ctx, pod)
    config = _need_kubelet(kubelet)
    path = "/containerLogs/" + "/".join(
        quote(p, safe="") for p in (ri.namespace, ri.name, container)
    )
    url = f"https://{location.authority()}{path}"
    if params:
        url += "?" + urlencode(params)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
        try:
            upstream = await session.get(url, ssl=config.ssl_context(insecure=insecure))
        except (aiohttp.ClientError, OSError, ssl.SSLError) as exc:
            raise errors.ApiError(500, "", f'Get "{url}": {_dial_error(exc)}') from exc
        async with upstream:
            if not 200 <= upstream.status <= 206:
                body = (await upstream.content.read(_ERROR_BODY_LIMIT)).decode(errors="replace")
                raise kubelet_error(upstream.status, body.strip(), ri.name)
            response = web.StreamResponse(status=200)
            response.content_type = "text/plain"
            response.enable_chunked_encoding()
            await response.prepare(request)
            with contextlib.suppress(ConnectionError, aiohttp.ClientPayloadError):
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            return response


def _dial_error(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return str(getattr(cause, "strerror", None) or cause)


# -- exec / attach / portforward ---------------------------------------------------------


def stream_params(subresource: str, query: Any) -> tuple[str, dict[str, list[str]]]:
    """(container, kubelet query) for exec/attach/portforward, as streamParams builds it."""
    params: dict[str, list[str]] = {}
    if subresource in ("exec", "attach"):
        for flag, param in (
            ("stdin", "input"),
            ("stdout", "output"),
            ("stderr", "error"),
            ("tty", "tty"),
        ):
            if _bool_param(query, flag):
                params[param] = ["1"]
        if subresource == "exec":
            commands = query.getall("command", [])
            if commands:
                params["command"] = list(commands)
    else:
        ports = [p for value in query.getall("ports", []) for p in value.split(",") if p]
        if ports:
            params["port"] = [",".join(ports)]
    return query.get("container", ""), params


async def _stream(
    request: web.Request, ctx: ApiContext, ri: RequestInfo, kubelet: KubeletClientConfig | None
) -> web.StreamResponse:
    container, params = stream_params(ri.subresource, request.query)
    pod = await _get(ctx, "pods", ri.namespace, ri.name)
    if ri.subresource != "portforward":
        container = resolve_container(pod, container)
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request_error(f"pod {ri.name} does not have a host assigned")
    location = await _node_for(ctx, pod)
    config = _need_kubelet(kubelet)
    segments = [ri.namespace, ri.name]
    kubelet_path = "portForward"
    if ri.subresource != "portforward":
        segments.append(container)
        kubelet_path = ri.subresource
    path = f"/{kubelet_path}/" + "/".join(quote(s, safe="") for s in segments)
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    if not is_upgrade_request(request.headers):
        raise errors.bad_request_error("Upgrade request required")
    return await _upgrade(request, location, path + (f"?{query}" if query else ""), config)


async def _upgrade(
    request: web.Request, location: KubeletLocation, path_qs: str, config: KubeletClientConfig
) -> web.StreamResponse:
    try:
        return await proxy_upgrade(
            request,
            host=location.host,
            port=location.port,
            path_qs=path_qs,
            ssl_context=config.ssl_context(),
        )
    except BackendError as exc:
        raise errors.ApiError(500, "", f"error dialing backend: {exc}") from exc


# -- nodes/proxy -----------------------------------------------------------------------


async def _node_proxy(
    request: web.Request, ctx: ApiContext, ri: RequestInfo, kubelet: KubeletClientConfig | None
) -> web.StreamResponse:
    name, _, port_override = ri.name.partition(":")
    node = await _get(ctx, "nodes", "", name)
    location = kubelet_location(node)
    if port_override.isdigit():
        location = KubeletLocation(location.host, int(port_override))
    config = _need_kubelet(kubelet)
    marker = f"/nodes/{ri.name}/proxy"
    raw = request.raw_path.split("?", 1)[0]
    tail = raw[raw.index(marker) + len(marker) :] if marker in raw else "/" + "/".join(ri.parts)
    path = tail or "/"
    qs = request.query_string
    path_qs = path + (f"?{qs}" if qs else "")
    if is_upgrade_request(request.headers):
        return await _upgrade(request, location, path_qs, config)
    return await _forward_plain(request, location, path_qs, config)


async def _forward_plain(
    request: web.Request, location: KubeletLocation, path_qs: str, config: KubeletClientConfig
) -> web.StreamResponse:
    url = f"https://{location.authority()}{path_qs}"
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    body = await request.read() if request.can_read_body else None
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
        try:
            upstream = await session.request(
                request.method, url, headers=headers, data=body, ssl=config.ssl_context()
            )
        except (aiohttp.ClientError, OSError, ssl.SSLError) as exc:
            raise errors.ApiError(
                500, "", f"error trying to reach service: {_dial_error(exc)}"
            ) from exc
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in _HOP_BY_HOP:
                    response.headers.add(key, value)
            await response.prepare(request)
            with contextlib.suppress(ConnectionError):
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            return response
