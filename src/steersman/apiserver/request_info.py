"""Parse a request path into what Kubernetes calls RequestInfo.

Invariants:
- Resource requests are `/api/v1/...` or `/apis/<group>/<version>/...`; everything else is a
  non-resource request (`is_resource_request` False).
- `/namespaces/<ns>/<x>` selects namespace <ns> and resource <x>, unless <x> is a subresource of
  namespaces itself (`status`, `finalize`), as apiserver's RequestInfoFactory does.
- The legacy `/watch/` path segment turns a GET into verb `watch`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


@dataclass(slots=True)
class RequestInfo:
    is_resource_request: bool
    path: str
    verb: str = ""
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    # Segments after a subresource (e.g. pods/proxy/<path>).
    parts: tuple[str, ...] = ()


def parse_request_info(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    segments = [s for s in path.strip("/").split("/") if s != ""] if path != "/" else []
    info = RequestInfo(is_resource_request=False, path=path, verb=method.lower())
    if not segments or segments[0] not in ("api", "apis"):
        return info
    info.api_prefix = segments[0]
    rest = segments[1:]
    if info.api_prefix == "api":
        if not rest:
            return info
        info.version = rest[0]
        rest = rest[1:]
    else:
        if len(rest) < 2:
            if rest:
                info.group = rest[0]
            return info
        info.group, info.version = rest[0], rest[1]
        rest = rest[2:]
    if not rest:
        return info
    info.is_resource_request = True

    watch_prefix = False
    if rest[0] == "watch":
        watch_prefix = True
        rest = rest[1:]
        if not rest:
            info.is_resource_request = False
            return info

    if rest[0] == "namespaces" and len(rest) > 1:
        info.namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    info.resource = rest[0]
    if len(rest) >= 2:
        info.name = rest[1]
    if len(rest) >= 3:
        info.subresource = rest[2]
    if len(rest) > 3:
        info.parts = tuple(rest[3:])
    if info.resource == "namespaces":
        # /api/v1/namespaces/<name>[/status|/finalize]: the namespace object itself.
        info.namespace = ""

    method = method.upper()
    if method == "GET" or method == "HEAD":
        if watch_prefix or query.get("watch", "").lower() in ("true", "1"):
            info.verb = "watch"
        elif info.name:
            info.verb = "get"
        else:
            info.verb = "list"
    elif method == "POST":
        info.verb = "create"
    elif method == "PUT":
        info.verb = "update"
    elif method == "PATCH":
        info.verb = "patch"
    elif method == "DELETE":
        info.verb = "delete" if info.name else "deletecollection"
    else:
        info.verb = method.lower()
    return info
