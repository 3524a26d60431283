"""Writing API responses: objects, lists, tables, and Status errors.

Invariants: every response body is JSON (or YAML when asked); list items carry no
apiVersion/kind (as kube-apiserver). Warning headers follow the API server's warning recorder:
`299 - "text"` (quotes and backslashes escaped), one per distinct text in the order added,
and once their texts pass 4096 runes in all, every text is cut to 256 runes and texts added
after the total is reached again are dropped.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from aiohttp import web

from steersman.api import tables
from steersman.api.resources import ResourceInfo
from steersman.apiserver import negotiation
from steersman.apiserver.negotiation import Accept
from steersman.apiserver.registry import ListResult

GZIP_MIN_BYTES = 128 * 1024


TRUNCATE_AT_TOTAL_RUNES = 4 * 1024
TRUNCATE_ITEM_RUNES = 256


def warning_header(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'


def warning_headers(texts: list[str]) -> list[str]:
    """The Warning header values the API server's recorder writes for these texts."""
    ordered: list[str] = []
    headers: list[str] = []
    written = 0
    truncating = False
    for text in texts:
        if not text or text in ordered:
            continue  # empty texts are ignored and repeated ones deduplicated
        if truncating and written >= TRUNCATE_AT_TOTAL_RUNES:
            break
        ordered.append(text)
        if truncating:
            cut = text[:TRUNCATE_ITEM_RUNES]
            written += len(cut)
            headers.append(warning_header(cut))
        elif written + len(text) <= TRUNCATE_AT_TOTAL_RUNES:
            written += len(text)
            headers.append(warning_header(text))
        else:  # over the limit: replay everything so far, truncated
            truncating = True
            headers = [warning_header(t[:TRUNCATE_ITEM_RUNES]) for t in ordered]
            written = sum(min(len(t), TRUNCATE_ITEM_RUNES) for t in ordered)
    return headers


def respond(
    request: web.Request,
    body: Any,
    *,
    status: int = 200,
    accept: Accept | None = None,
    warnings: list[str] | None = None,
) -> web.Response:
    media = accept.media if accept else negotiation.JSON
    data = negotiation.encode(body, media)
    resp = web.Response(body=data, status=status, content_type=media)
    if warnings:
        for header in warning_headers(warnings):
            resp.headers.add("Warning", header)
    if len(data) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
        resp.enable_compression()
    return resp


def object_body(
    info: ResourceInfo,
    obj: dict[str, Any],
    accept: Accept,
    *,
    include_object: str = "Metadata",
    out: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Any:
    """The response body for one stored object: a Table row (printed from the stored
    version), its metadata, or the object converted by `out` to the request's version."""
    if accept.as_kind == "Table":
        return tables.build_table(
            info,
            [obj],
            now=_now(),
            include_object=include_object,
            resource_version=obj.get("metadata", {}).get("resourceVersion", ""),
            out=out,
        )
    if accept.as_kind == "PartialObjectMetadata":
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": f"meta.k8s.io/{accept.as_version}",
            "metadata": obj.get("metadata", {}),
        }
    return out(obj) if out is not None else obj


def list_body(
    info: ResourceInfo,
    result: ListResult,
    accept: Accept,
    *,
    include_object: str = "Metadata",
    out: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Any:
    if accept.as_kind == "Table":
        return tables.build_table(
            info,
            result.items,
            now=_now(),
            include_object=include_object,
            resource_version=result.resource_version,
            continue_token=result.continue_token,
            remaining=result.remaining,
            out=out,
        )
    meta: dict[str, Any] = {"resourceVersion": result.resource_version}
    if result.continue_token:
        meta["continue"] = result.continue_token
    if result.remaining is not None and result.continue_token:
        meta["remainingItemCount"] = result.remaining
    if accept.as_kind in ("PartialObjectMetadataList", "PartialObjectMetadata"):
        return {
            "kind": "PartialObjectMetadataList",
            "apiVersion": f"meta.k8s.io/{accept.as_version}",
            "metadata": meta,
            "items": [
                {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": f"meta.k8s.io/{accept.as_version}",
                    "metadata": o.get("metadata", {}),
                }
                for o in result.items
            ],
        }
    items = result.items if out is None else [out(item) for item in result.items]
    for item in items:
        item.pop("apiVersion", None)
        item.pop("kind", None)
    return {
        "kind": info.list_kind,
        "apiVersion": info.group_version,
        "metadata": meta,
        "items": items,
    }


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
