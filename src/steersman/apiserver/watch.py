"""Serving watches: a chunked stream of JSON watch events, as kube-apiserver sends them.

Invariants:
- Events reach the client in revision order with no gaps, filtered by the request's label and
  field selectors; an object that stops (starts) matching is sent as DELETED (ADDED).
- Without a resourceVersion (or with "0"), or with sendInitialEvents=true, the client first gets
  the current state as ADDED events; a resourceVersion N starts after revision N.
- A compacted start revision is answered with an ERROR event carrying a 410 Expired Status.
- BOOKMARK events (when allowed) carry a resourceVersion R such that every event up to R was
  already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import random
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from steersman.api import errors, tables
from steersman.apiserver import codec
from steersman.apiserver.negotiation import Accept
from steersman.apiserver.registry import Registry
from steersman.apiserver.selection import Selection
from steersman.apiserver.versioning import Served, served
from steersman.storage.interface import CompactedError, StorageError, WatchEvent, WatchOverflowError

BOOKMARK_INTERVAL = 10.0
MIN_REQUEST_TIMEOUT = 1800


class WatchRequest:
    def __init__(self, query: dict[str, str]) -> None:
        self.resource_version = query.get("resourceVersion", "")
        self.resource_version_match = query.get("resourceVersionMatch", "")
        self.allow_bookmarks = query.get("allowWatchBookmarks", "").lower() in ("true", "1")
        send = query.get("sendInitialEvents", "")
        self.send_initial_events: bool | None = (
            None if send == "" else send.lower() in ("true", "1")
        )
        timeout = query.get("timeoutSeconds", "")
        if timeout:
            try:
                self.timeout = float(int(timeout))
            except ValueError:
                raise errors.bad_request_error(f"invalid timeoutSeconds: {timeout}") from None
        else:
            self.timeout = MIN_REQUEST_TIMEOUT * (1 + random.random())
        if self.send_initial_events is not None:
            if self.resource_version_match != "NotOlderThan":
                raise errors.invalid_error(
                    "ListOptions",
                    "",
                    [
                        errors.forbidden(
                            "sendInitialEvents",
                            "sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan",
                        )
                    ],
                    "meta.k8s.io",
                )
            if self.send_initial_events and not self.allow_bookmarks:
                raise errors.invalid_error(
                    "ListOptions",
                    "",
                    [
                        errors.forbidden(
                            "allowWatchBookmarks",
                            "allowWatchBookmarks must be set to true when sendInitialEvents is true",
                        )
                    ],
                    "meta.k8s.io",
                )
        elif self.resource_version_match:
            raise errors.invalid_error(
                "ListOptions",
                "",
                [
                    errors.forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    )
                ],
                "meta.k8s.io",
            )


async def serve_watch(
    request: web.Request,
    registry: Registry,
    namespace: str,
    selection: Selection,
    accept: Accept,
    version: Served | None = None,
) -> web.StreamResponse:
    params = WatchRequest(dict(request.query))
    if version is None:
        version = served(registry.info)
    info = version.info
    store = registry.store
    prefix = registry.strategy.list_prefix(namespace)

    initial: list[dict[str, Any]] = []
    start_revision = 0
    send_initial = params.send_initial_events
    if send_initial is None:
        send_initial = params.resource_version in ("", "0")
    if send_initial:
        listed = await store.list(prefix)
        start_revision = listed.revision
        for kv in listed.items:
            obj = codec.decode(kv)
            if selection.everything or selection.matches(obj):
                initial.append(obj)
    elif params.resource_version not in ("", "0"):
        start_revision = codec.parse_resource_version(params.resource_version)
    else:
        start_revision = store.current_revision()

    include = request.query.get("includeObject", "Metadata") or "Metadata"
    if accept.as_kind == "Table":
        tables.check_include_object(include)  # before the stream starts: a 400, not a break
    response = web.StreamResponse(
        status=200,
        headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"},
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    writer = _EventWriter(response, info, accept, version.from_storage, include)

    try:
        watcher = store.watch(prefix, revision=start_revision)
    except CompactedError as exc:
        await writer.error(
            errors.gone_error(f"too old resource version: {exc.requested} ({exc.compacted})")
        )
        return response

    try:
        async with asyncio.timeout(params.timeout):
            for obj in initial:
                await writer.event("ADDED", obj)
            if params.send_initial_events:
                await writer.bookmark(str(start_revision), initial_events_end=True)
            await _follow(watcher, writer, selection, params)
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass  # the client went away (aiohttp's ClientConnectionResetError): nothing to send
    except asyncio.CancelledError:
        raise
    except WatchOverflowError:
        pass  # a slow watcher is cut off; its client re-watches from its last resourceVersion
    except CompactedError as exc:
        with contextlib.suppress(ConnectionResetError):
            await writer.error(
                errors.gone_error(f"too old resource version: {exc.requested} ({exc.compacted})")
            )
    except StorageError as exc:
        with contextlib.suppress(ConnectionResetError):
            await writer.error(errors.ApiError(500, "InternalError", f"watch ended: {exc}"))
    finally:
        watcher.close()
    return response


async def _follow(
    watcher: Any, writer: _EventWriter, selection: Selection, params: WatchRequest
) -> None:
    iterator = watcher.__aiter__()
    while True:
        if params.allow_bookmarks:
            try:
                event = await asyncio.wait_for(iterator.__anext__(), BOOKMARK_INTERVAL)
            except TimeoutError:
                await writer.bookmark(str(watcher.progress_revision()))
                continue
            except StopAsyncIteration:
                return
        else:
            try:
                event = await iterator.__anext__()
            except StopAsyncIteration:
                return
        await _send(event, writer, selection)


async def _send(event: WatchEvent, writer: _EventWriter, selection: Selection) -> None:
    obj = codec.decode(event.kv)
    if selection.everything:
        await writer.event(event.type, obj)
        return
    now_matches = selection.matches(obj)
    if event.type == "MODIFIED":
        was = event.prev_kv is not None and selection.matches(codec.decode(event.prev_kv))
        if now_matches and was:
            await writer.event("MODIFIED", obj)
        elif now_matches:
            await writer.event("ADDED", obj)
        elif was:
            await writer.event("DELETED", obj)
    elif now_matches:
        await writer.event(event.type, obj)


class _EventWriter:
    def __init__(
        self,
        response: web.StreamResponse,
        info: Any,
        accept: Accept,
        out: Callable[[dict[str, Any]], dict[str, Any]],
        include_object: str = "Metadata",
    ) -> None:
        self.response = response
        self.info = info
        self.accept = accept
        self.out = out
        self.include_object = include_object
        self.first = True

    async def event(self, type_: str, obj: dict[str, Any]) -> None:
        if self.accept.as_kind == "Table":
            table = tables.build_table(
                self.info,
                [obj],
                now=datetime.datetime.now(datetime.UTC),
                resource_version=obj["metadata"].get("resourceVersion", ""),
                include_object=self.include_object,
                out=self.out,
            )
            if not self.first:
                table["columnDefinitions"] = []
            payload: Any = table
        elif self.accept.as_kind == "PartialObjectMetadata":
            payload = {
                "kind": "PartialObjectMetadata",
                "apiVersion": f"meta.k8s.io/{self.accept.as_version}",
                "metadata": obj.get("metadata", {}),
            }
        else:
            payload = self.out(obj)
        self.first = False
        await self.response.write(orjson.dumps({"type": type_, "object": payload}) + b"\n")

    async def bookmark(self, resource_version: str, *, initial_events_end: bool = False) -> None:
        meta: dict[str, Any] = {"resourceVersion": resource_version}
        if initial_events_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.info.kind, "apiVersion": self.info.group_version, "metadata": meta}
        await self.response.write(orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n")

    async def error(self, err: errors.ApiError) -> None:
        await self.response.write(orjson.dumps({"type": "ERROR", "object": err.status()}) + b"\n")
