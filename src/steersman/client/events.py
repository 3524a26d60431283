"""EventRecorder: writes core/v1 Events about objects, aggregated as client-go's
tools/record does, so `kubectl describe` and `kubectl get events` read as on Kubernetes.

Invariants:
- `event(obj, type, reason, message)` never blocks and never raises: events are queued and
  written by `run`; a full queue or a failed write drops the event (events are best effort).
- An identical event (same involved object, type, reason, message, source) seen again within
  10 minutes is not created again: the existing Event's count and lastTimestamp are patched.
- Event names are `<object name>.<hex of the first occurrence's Unix nanoseconds>`, in the
  involved object's namespace (`default` for cluster-scoped objects).
- Spam filter (client-go's EventSourceObjectSpamFilter): per source and involved object, a token
  bucket of 25 events refilled at one per 5 minutes; events beyond it are dropped.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

log = logging.getLogger("steersman.client.events")

NORMAL = "Normal"
WARNING = "Warning"
_AGGREGATION_WINDOW = 600.0
_CACHE_SIZE = 4096
_QUEUE_SIZE = 1000
SPAM_BURST = 25
SPAM_REFILL_SECONDS = 300.0


def object_reference(obj: dict[str, Any], field_path: str = "") -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return {k: v for k, v in ref.items() if v}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _rfc3339(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Seen:
    namespace: str
    name: str
    count: int
    first_seen: float


class EventRecorder:
    def __init__(self, client: RestClient, component: str, host: str = "") -> None:
        self.client = client
        self.component = component
        self.host = host
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_SIZE)
        self._seen: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()
        self._buckets: OrderedDict[tuple[str, ...], tuple[float, float]] = OrderedDict()

    def _allow(self, ref: dict[str, Any]) -> bool:
        key = (
            ref.get("kind", ""),
            ref.get("namespace", ""),
            ref.get("name", ""),
            ref.get("uid", ""),
        )
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - last) / SPAM_REFILL_SECONDS)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > _CACHE_SIZE:
            self._buckets.popitem(last=False)
        return True

    def event(
        self,
        obj: dict[str, Any],
        type_: str,
        reason: str,
        message: str,
        *,
        field_path: str = "",
    ) -> None:
        ref = object_reference(obj, field_path)
        if not self._allow(ref):
            log.debug("event dropped (spam filter): %s %s", reason, message)
            return
        try:
            self._queue.put_nowait(
                {"ref": ref, "type": type_, "reason": reason, "message": message, "at": _now()}
            )
        except asyncio.QueueFull:
            log.debug("event dropped (queue full): %s %s", reason, message)

    async def run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self._write(item)
            except REQUEST_ERRORS as exc:
                log.debug("event not written: %s", exc)
            except Exception:
                log.exception("event recorder")

    async def flush(self) -> None:
        """Write everything queued (for tests and shutdown)."""
        while not self._queue.empty():
            await self._write(self._queue.get_nowait())

    async def _write(self, item: dict[str, Any]) -> None:
        ref = item["ref"]
        namespace = ref.get("namespace") or "default"
        key = (
            self.component,
            self.host,
            ref.get("kind", ""),
            namespace,
            ref.get("name", ""),
            ref.get("uid", ""),
            ref.get("fieldPath", ""),
            item["type"],
            item["reason"],
            item["message"],
        )
        stamp = _rfc3339(item["at"])
        seen = self._seen.get(key)
        if seen is not None and time.monotonic() - seen.first_seen < _AGGREGATION_WINDOW:
            seen.count += 1
            self._seen.move_to_end(key)
            try:
                await self.client.patch(
                    f"/api/v1/namespaces/{seen.namespace}/events/{seen.name}",
                    {"count": seen.count, "lastTimestamp": stamp},
                    patch_type="application/strategic-merge-patch+json",
                )
                return
            except ApiStatusError as exc:
                if exc.code != 404:
                    raise
                # The Event expired or was deleted: create it afresh below.
        name = f"{ref.get('name', '')}.{time.time_ns():x}"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": item["reason"],
            "message": item["message"],
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": item["type"],
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        await self.client.create(f"/api/v1/namespaces/{namespace}/events", body)
        self._seen[key] = _Seen(namespace, name, 1, time.monotonic())
        while len(self._seen) > _CACHE_SIZE:
            self._seen.popitem(last=False)
