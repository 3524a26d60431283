"""The aiohttp application: middleware (authentication, metrics, error mapping) and routes.

Invariants:
- Every failure leaves as a `metav1.Status` JSON body with the right code; an unexpected
  exception is logged and answered 500 with a Status — it never kills the server.
- Unauthenticated requests get 401, except the health and version endpoints, which Kubernetes
  opens to everyone (system:public-info-viewer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from steersman import GIT_VERSION, KUBERNETES_VERSION
from steersman.api import errors
from steersman.apiserver import discovery, openapi
from steersman.apiserver.context import ApiContext
from steersman.apiserver.handlers import handle_resource
from steersman.apiserver.handlers.proxy import (
    KubeletClientConfig,
    handle_node_proxy,
    is_node_proxied,
)
from steersman.apiserver.metrics import ApiMetrics
from steersman.apiserver.request_info import RequestInfo, parse_request_info
from steersman.storage.interface import StoreUnavailableError

log = logging.getLogger("steersman.apiserver")

Authenticate = Callable[[web.Request], Any]

HEALTH_CHECK_TIMEOUT = 2.0  # seconds the `etcd` health check waits for the store

_PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})

_PUBLIC_PREFIXES = ("/healthz/", "/livez/", "/readyz/")


def _is_public(path: str) -> bool:
    """Paths anyone may read (Kubernetes' system:public-info-viewer): health and version."""
    return path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES)


CTX_KEY = web.AppKey("ctx", ApiContext)
METRICS_KEY = web.AppKey("metrics", ApiMetrics)
READY_KEY = web.AppKey("ready", dict)
REQUEST_INFO_KEY = web.RequestKey("request_info", RequestInfo)
USER_KEY = web.RequestKey("user", object)  # what `authenticate` returned


def _status_response(err: errors.ApiError) -> web.Response:
    response = web.Response(
        body=orjson.dumps(err.status()), status=err.code, content_type="application/json"
    )
    retry_after = (err.details or {}).get("retryAfterSeconds")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def build_app(
    ctx: ApiContext,
    *,
    authenticate: Authenticate | None,
    metrics: ApiMetrics,
    ready: dict[str, bool],
    kubelet_client: KubeletClientConfig | None = None,
) -> web.Application:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        start = time.perf_counter()
        path = request.path
        ri = parse_request_info(request.method, path, request.query)
        request[REQUEST_INFO_KEY] = ri
        code = 500
        try:
            if authenticate is not None and not _is_public(path):
                user = authenticate(request)
                if user is None:
                    raise errors.unauthorized_error()
                request[USER_KEY] = user
            response = await handler(request)
            code = response.status
            return response
        except errors.ApiError as exc:
            code = exc.code
            return _status_response(exc)
        except web.HTTPException as exc:
            code = exc.status
            if exc.status == 404:
                return _status_response(errors.route_not_found_error())
            if exc.status == 405:
                return _status_response(
                    errors.ApiError(
                        405,
                        "MethodNotAllowed",
                        "the server does not allow this method on the requested resource",
                    )
                )
            if exc.status == 413:
                return _status_response(errors.too_large_error(3 * 1024 * 1024))
            raise
        except StoreUnavailableError as exc:
            log.warning("storage unavailable serving %s %s: %s", request.method, path, exc)
            code = 500
            operation = ri.verb if ri.is_resource_request else request.method.lower()
            return _status_response(errors.server_timeout_error(ri.resource, operation, ri.group))
        except (ConnectionResetError, TimeoutError):
            code = 499
            raise
        except Exception as exc:
            log.exception("unhandled error serving %s %s", request.method, path)
            code = 500
            return _status_response(errors.internal_error(str(exc)))
        finally:
            if ri.is_resource_request:
                metrics.observe(
                    verb=ri.verb,
                    dry_run="dryRun" in request.query,
                    group=ri.group,
                    version=ri.version,
                    resource=ri.resource,
                    subresource=ri.subresource,
                    scope="resource" if ri.name else ("namespace" if ri.namespace else "cluster"),
                    code=code,
                    seconds=time.perf_counter() - start,
                )

    app = web.Application(middlewares=[middleware], client_max_size=4 * 1024 * 1024)
    app[CTX_KEY] = ctx
    app[METRICS_KEY] = metrics
    app[READY_KEY] = ready

    health_checks = (
        "ping",
        "log",
        "etcd",
        "poststarthook/start-apiextensions-informers",
        "poststarthook/bootstrap-controller",
    )

    async def storage_ok() -> bool:
        """The `etcd` check: a store that can be unreachable (etcd) must answer in time."""
        check = getattr(ctx.store, "check_health", None)
        if check is None:
            return True
        try:
            await asyncio.wait_for(check(), HEALTH_CHECK_TIMEOUT)
        except Exception:
            return False
        return True

    async def health(request: web.Request) -> web.Response:
        name, _, only = request.path.strip("/").partition("/")
        if name == "readyz" and not ready.get("ready"):
            return web.Response(
                text="[-]poststarthook/bootstrap failed: not finished\nreadyz check failed",
                status=500,
            )
        if only and only not in health_checks:
            raise errors.route_not_found_error()
        failed = set() if only not in ("", "etcd") or await storage_ok() else {"etcd"}
        if only:
            if failed:
                return web.Response(text="internal server error: etcd failed", status=500)
            return web.Response(text="ok")
        if failed or "verbose" in request.query:
            lines = "".join(
                f"[-]{c} failed: reason withheld\n" if c in failed else f"[+]{c} ok\n"
                for c in health_checks
            )
            verdict = "failed" if failed else "passed"
            return web.Response(
                text=f"{lines}{name} check {verdict}\n", status=500 if failed else 200
            )
        return web.Response(text="ok")

    async def version(_: web.Request) -> web.Response:
        major, minor = KUBERNETES_VERSION.lstrip("v").split(".")[:2]
        body = {
            "major": major,
            "minor": minor,
            "emulationMajor": major,
            "emulationMinor": minor,
            "minCompatibilityMajor": major,
            "minCompatibilityMinor": str(int(minor) - 1),
            "gitVersion": GIT_VERSION,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-11-25T00:00:00Z",
            "goVersion": "python",
            "compiler": "cpython",
            "platform": "linux/amd64",
        }
        return web.json_response(body, dumps=lambda o: orjson.dumps(o).decode())

    async def metrics_handler(_: web.Request) -> web.Response:
        return web.Response(
            body=metrics.render(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    async def resource(request: web.Request) -> web.StreamResponse:
        ri = request[REQUEST_INFO_KEY]
        if ri.is_resource_request:
            if is_node_proxied(ri):  # log/exec/attach/portforward, nodes/proxy: to the kubelet
                return await handle_node_proxy(request, ctx, ri, kubelet_client)
            return await handle_resource(request, ctx, ri)
        return await _discovery(request)

    async def openapi_v2(request: web.Request) -> web.Response:
        accept = request.headers.get("Accept", "")
        if "protobuf" in accept and hasattr(openapi, "v2_protobuf"):
            return web.Response(
                body=openapi.v2_protobuf(),
                content_type="application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
            )
        return web.Response(body=openapi.v2_json(), content_type="application/json")

    async def openapi_v3_root(_: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(openapi.v3_root()), content_type="application/json")

    async def openapi_v3_doc(request: web.Request) -> web.Response:
        found = openapi.v3_document(request.match_info["path"])
        if found is None:
            raise errors.route_not_found_error()
        body, etag = found
        headers = {"Etag": f'"{etag}"'}
        if request.query.get("hash") == etag:
            headers["Cache-Control"] = "public, immutable"
            headers["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
        else:
            headers["Cache-Control"] = "no-cache, private"
        if request.headers.get("If-None-Match") == f'"{etag}"':
            return web.Response(status=304, headers=headers)
        resp = web.Response(body=body, content_type="application/json", headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            resp.enable_compression()
        return resp

    async def _discovery(request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/")
        if request.method != "GET":
            raise errors.ApiError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        if path in ("/api", "/apis"):
            negotiated = discovery.negotiate_discovery(request.headers.get("Accept", ""))
            if negotiated is not None:
                version, content_type = negotiated
                body = discovery.aggregated_discovery(legacy=path == "/api", version=version)
                return web.Response(
                    body=orjson.dumps(body),
                    headers={"Content-Type": content_type, "Vary": "Accept"},
                )
            doc = discovery.api_versions() if path == "/api" else discovery.api_group_list()
            return web.Response(
                body=orjson.dumps(doc), content_type="application/json", headers={"Vary": "Accept"}
            )
        parts = path.strip("/").split("/")
        found: dict[str, Any] | None = None
        if parts[0] == "api" and len(parts) == 2:
            found = discovery.api_resource_list("", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            found = discovery.api_group(parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            found = discovery.api_resource_list(parts[1], parts[2])
        if found is None:
            raise errors.route_not_found_error()
        return web.Response(body=orjson.dumps(found), content_type="application/json")

    for p in ("/healthz", "/livez", "/readyz"):
        app.router.add_get(p, health)
        app.router.add_get(p + "/{check:.*}", health)
    app.router.add_get("/version", version)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/openapi/v2", openapi_v2)
    app.router.add_get("/openapi/v3", openapi_v3_root)
    app.router.add_get("/openapi/v3/{path:.+}", openapi_v3_doc)
    app.router.add_route("*", "/api", resource)
    app.router.add_route("*", "/apis", resource)
    app.router.add_route("*", "/api/{tail:.*}", resource)
    app.router.add_route("*", "/apis/{tail:.*}", resource)
    return app
