"""TTLAfterFinishedController: deletes finished Jobs `ttlSecondsAfterFinished` seconds after
they finished (Kubernetes' pkg/controller/ttlafterfinished).

Invariants:
- A Job is a candidate once it has a TTL and a Complete or Failed condition that is True; its
  finish time is that condition's lastTransitionTime.
- Not yet expired: the Job is looked at again when the TTL runs out (queue, not polling).
- Before deleting, the Job is read fresh from the API server and its TTL re-checked (it may
  have changed); the delete carries a uid precondition and foreground propagation, as
  upstream, so the Job goes only after its pods.
- The clock is injectable (`clock=`) for tests.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable
from typing import Any

from steersman.api.resources import require
from steersman.client.events import EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.job_status import COMPLETE, FAILED
from steersman.controllers.pods import parse_time

log = logging.getLogger("steersman.controllers.ttl_after_finished")

Obj = dict[str, Any]
JOBS = require("batch", "v1", "jobs")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class TTLError(Exception):
    """The Job looks finished but its finish time cannot be found."""


def needs_cleanup(job: Obj) -> bool:
    if (job.get("spec") or {}).get("ttlSecondsAfterFinished") is None:
        return False
    return any(
        c.get("type") in (COMPLETE, FAILED) and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def finish_time(job: Obj) -> datetime.datetime:
    """jobFinishTime: when the terminal condition became True."""
    meta = job.get("metadata") or {}
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in (COMPLETE, FAILED) and cond.get("status") == "True":
            finished = parse_time(cond.get("lastTransitionTime"))
            if finished is None:
                raise TTLError(
                    "unable to find the time when the Job "
                    f"{meta.get('namespace')}/{meta.get('name')} finished"
                )
            return finished
    raise TTLError(
        f"unable to find the status of the finished Job {meta.get('namespace')}/{meta.get('name')}"
    )


def time_left(job: Obj, now: datetime.datetime) -> float:
    """Seconds until the Job's TTL expires (zero or negative once expired)."""
    ttl = int((job.get("spec") or {}).get("ttlSecondsAfterFinished") or 0)
    finished = finish_time(job)
    if finished > now:
        meta = job.get("metadata") or {}
        log.warning(
            "Found Job %s/%s finished in the future. This is likely due to time skew in the "
            "cluster. Job cleanup will be deferred.",
            meta.get("namespace"),
            meta.get("name"),
        )
    return (finished + datetime.timedelta(seconds=ttl) - now).total_seconds()


class TTLAfterFinishedController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 5,
        clock: Callable[[], datetime.datetime] = _now,
    ) -> None:
        self.client = client
        self.factory = factory
        # Upstream creates one ("ttl-after-finished-controller") but records no events yet.
        self.recorder = recorder
        self.workers = workers
        self.clock = clock
        self.queue: WorkQueue[str] = WorkQueue()
        self.jobs = factory.informer(JOBS)
        self._handlers_added = False

    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.jobs.add_event_handler(
                on_add=self._enqueue_if_needed,
                on_update=lambda _old, new: self._enqueue_if_needed(new),
            )
        self.factory.start()
        await self.jobs.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue_if_needed(self, job: Obj) -> None:
        if not job["metadata"].get("deletionTimestamp") and needs_cleanup(job):
            self.queue.add(object_key(job))

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self.process_job(key)
                self.queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | TTLError | OSError | TimeoutError):
                    log.info("TTL cleanup of Job %s: %s", key, exc)
                else:
                    log.exception("TTL cleanup of Job %s", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    def _expired(self, key: str, job: Obj) -> bool:
        """processTTL: whether the TTL has run out; if not, look again when it will."""
        if job["metadata"].get("deletionTimestamp") or not needs_cleanup(job):
            return False
        left = time_left(job, self.clock())
        if left <= 0:
            return True
        self.queue.add_after(key, left)
        return False

    async def process_job(self, key: str) -> None:
        namespace, name = split_key(key)
        job = self.jobs.get(namespace, name)
        if job is None or not self._expired(key, job):
            return
        # The cache may be stale (the TTL may have been changed): check the live Job.
        try:
            fresh: Obj = await self.client.get(object_path(JOBS, namespace, name))
        except ApiStatusError as exc:
            if exc.code == 404:
                return
            raise
        if not self._expired(key, fresh):
            return
        try:
            await self.client.delete(
                object_path(JOBS, namespace, name),
                {
                    "propagationPolicy": "Foreground",
                    "preconditions": {"uid": fresh["metadata"]["uid"]},
                },
            )
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
