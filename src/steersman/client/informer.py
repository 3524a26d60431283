"""Informers: a local cache of one resource kept current by list + watch (client-go's
SharedIndexInformer, reflector included).

Invariants:
- `run` lists (paged) at one resourceVersion, replaces the cache, then watches from that
  resourceVersion with bookmarks. A watch that ends is resumed from the last resourceVersion
  seen (an event's or a bookmark's); a 410 Gone — as an HTTP status or an ERROR event — forces a
  fresh list. Connection errors back off (0.8 s doubling to 30 s) and never end `run`.
- The cache is updated before handlers are called, so a handler reading the cache sees the
  event's object. On a relist, objects that vanished are reported as deletes, objects that
  changed (by resourceVersion) as updates, new ones as adds.
- Handlers run synchronously on the event loop and must only enqueue work; an exception in a
  handler is logged and does not stop the informer.
- `synced` is set once the first list has been applied.
- Items from a list carry no kind/apiVersion on the wire; the informer sets both from its
  resource so that every cached object names its type.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steersman.api.resources import ResourceInfo
from steersman.client.indexer import Indexer, IndexFunc, Obj, object_key
from steersman.client.paths import collection_path
from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

# ValueError: a JSON body or event cut short.
_LIST_WATCH_ERRORS: tuple[type[BaseException], ...] = (*REQUEST_ERRORS, ValueError)

log = logging.getLogger("steersman.client.informer")

PAGE_SIZE = 500
MIN_WATCH_TIMEOUT = 300  # seconds; each watch asks the server to end it after 300-600 s


class _Relist(Exception):
    """The watch cannot resume (410 Gone); list again."""


@dataclass
class EventHandler:
    on_add: Callable[[Obj], None] | None = None
    on_update: Callable[[Obj, Obj], None] | None = None
    on_delete: Callable[[Obj], None] | None = None


class Informer:
    def __init__(
        self,
        client: RestClient,
        info: ResourceInfo,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        indexers: dict[str, IndexFunc] | None = None,
    ) -> None:
        self.client = client
        self.info = info
        self.path = collection_path(info, namespace)
        self.selectors: dict[str, str] = {}
        if label_selector:
            self.selectors["labelSelector"] = label_selector
        if field_selector:
            self.selectors["fieldSelector"] = field_selector
        self.store = Indexer(indexers)
        self.synced = asyncio.Event()
        self.resource_version = ""
        self._handlers: list[EventHandler] = []

    def add_event_handler(
        self,
        *,
        on_add: Callable[[Obj], None] | None = None,
        on_update: Callable[[Obj, Obj], None] | None = None,
        on_delete: Callable[[Obj], None] | None = None,
    ) -> None:
        """Register handlers; objects already cached are delivered to `on_add` at once."""
        handler = EventHandler(on_add, on_update, on_delete)
        self._handlers.append(handler)
        if on_add is not None:
            for obj in self.store.list():
                self._call(on_add, obj)

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.store.get(f"{namespace}/{name}" if namespace else name)

    async def run(self) -> None:
        backoff = 0.8
        need_list = True
        while True:
            try:
                if need_list:
                    await self._list()
                    need_list = False
                await self._watch()
                backoff = 0.8
            except _Relist:
                need_list = True
            except _LIST_WATCH_ERRORS as exc:
                # Transport errors include a stream cut mid-event (the server died: with several
                # API servers the next attempt goes to another); ValueError covers JSON errors.
                if isinstance(exc, ApiStatusError) and exc.code == 410:
                    need_list = True
                    continue
                log.warning("%s: list/watch failed: %s", self.info.group_resource, exc)
                await asyncio.sleep(backoff * (1 + random.random() * 0.2))
                backoff = min(backoff * 2, 30.0)

    async def _list(self) -> None:
        items: list[Obj] = []
        params = dict(self.selectors, limit=str(PAGE_SIZE))
        while True:
            page = await self.client.request("GET", self.path, params=params)
            for item in page.get("items") or []:
                items.append(self._typed(item))
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                resource_version = meta.get("resourceVersion", "")
                break
            params = dict(self.selectors, limit=str(PAGE_SIZE), **{"continue": token})
        self._replace(items)
        self.resource_version = resource_version
        self.synced.set()

    def _replace(self, items: list[Obj]) -> None:
        old_items = {object_key(o): o for o in self.store.list()}
        self.store.replace(items)
        for item in items:
            key = object_key(item)
            old = old_items.pop(key, None)
            if old is None:
                self._dispatch("add", item)
            elif (old.get("metadata") or {}).get("resourceVersion") != (
                item.get("metadata") or {}
            ).get("resourceVersion"):
                self._dispatch("update", item, old)
        for gone in old_items.values():
            self._dispatch("delete", gone)

    async def _watch(self) -> None:
        timeout = MIN_WATCH_TIMEOUT * (1 + random.random())
        params = dict(
            self.selectors,
            resourceVersion=self.resource_version,
            allowWatchBookmarks="true",
            timeoutSeconds=str(int(timeout)),
        )
        async for event in self.client.watch(self.path, **params):
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise _Relist
                raise ApiStatusError(int(obj.get("code") or 500), obj)
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if kind == "BOOKMARK":
                if rv:
                    self.resource_version = rv
                continue
            obj = self._typed(obj)
            if kind in ("ADDED", "MODIFIED"):
                old = self.store.upsert(obj)
                if old is None:
                    self._dispatch("add", obj)
                else:
                    self._dispatch("update", obj, old)
            elif kind == "DELETED":
                self.store.delete(obj)
                self._dispatch("delete", obj)
            if rv:
                self.resource_version = rv

    def _typed(self, obj: Obj) -> Obj:
        obj.setdefault("apiVersion", self.info.api_version)
        obj.setdefault("kind", self.info.kind)
        return obj

    def _dispatch(self, what: str, obj: Obj, old: Obj | None = None) -> None:
        for handler in self._handlers:
            if what == "add" and handler.on_add is not None:
                self._call(handler.on_add, obj)
            elif what == "update" and handler.on_update is not None:
                self._call(handler.on_update, old, obj)
            elif what == "delete" and handler.on_delete is not None:
                self._call(handler.on_delete, obj)

    def _call(self, func: Callable[..., None], *args: Any) -> None:
        try:
            func(*args)
        except Exception:
            log.exception("%s: event handler failed", self.info.group_resource)


class InformerFactory:
    """Shares one informer per (resource, namespace) among the controllers of a process."""

    def __init__(self, client: RestClient) -> None:
        self.client = client
        self._informers: dict[tuple[str, str, str], Informer] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def informer(self, info: ResourceInfo, namespace: str = "") -> Informer:
        key = (info.group, info.resource, namespace)
        informer = self._informers.get(key)
        if informer is None:
            informer = Informer(self.client, info, namespace=namespace)
            self._informers[key] = informer
        return informer

    def start(self) -> None:
        """Start every informer not yet running (callable again after adding informers)."""
        running = len(self._tasks)
        for informer in list(self._informers.values())[running:]:
            self._tasks.append(asyncio.create_task(informer.run()))

    async def wait_for_cache_sync(self) -> None:
        await asyncio.gather(*(i.synced.wait() for i in self._informers.values()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
