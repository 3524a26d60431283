"""PodWorkers: one asyncio task per pod uid that serializes the syncs of that pod (Kubernetes'
pod_workers.go, simplified to its invariants).

Invariants:
- At most one sync of a pod runs at a time; updates that arrive while it runs coalesce into one
  more sync afterwards (never lost, never run twice concurrently).
- A sync returns the delay before it wants to run again (None: only on the next update, but at
  most every `resync` seconds), or `DONE` when the pod is finished on this node; the worker then
  exits and a later update starts a fresh one.
- A failing sync is logged and retried after `error_backoff` seconds; it never ends the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

log = logging.getLogger("steersman.kubelet.podworkers")


class _Done:
    pass


DONE: Final = _Done()
SyncFn = Callable[[str], Awaitable["float | _Done | None"]]


class PodWorkers:
    def __init__(self, sync: SyncFn, *, resync: float = 10.0, error_backoff: float = 2.0) -> None:
        self.sync = sync
        self.resync = resync
        self.error_backoff = error_backoff
        self._events: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def update_pod(self, uid: str) -> None:
        event = self._events.get(uid)
        if event is None or uid not in self._tasks:
            event = asyncio.Event()
            self._events[uid] = event
            event.set()
            self._tasks[uid] = asyncio.create_task(self._work(uid, event), name=f"pod-{uid}")
        else:
            event.set()

    def active(self) -> list[str]:
        return list(self._tasks)

    async def _work(self, uid: str, event: asyncio.Event) -> None:
        try:
            delay: float | None = None
            while True:
                timeout = self.resync if delay is None else min(delay, self.resync)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout)
                event.clear()
                try:
                    outcome = await self.sync(uid)
                except Exception:
                    log.exception("sync of pod %s failed", uid)
                    delay = self.error_backoff
                    continue
                if isinstance(outcome, _Done):
                    return
                delay = outcome
        finally:
            if self._tasks.get(uid) is asyncio.current_task():
                del self._tasks[uid]
                self._events.pop(uid, None)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
