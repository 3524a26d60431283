"""CronJobController: creates Jobs on a cron schedule (Kubernetes' pkg/controller/cronjob,
controller v2) -- event wiring, the sync loop, Job creation, Replace/Forbid, history cleanup
and status updates. The schedule arithmetic and time zones are in cronjob_schedule.

Invariants:
- Level-based: `sync(key)` works from the informer caches and returns when to look again:
  100 ms after the next scheduled time, so the queue, not polling, drives the schedule.
- The clock is injectable (`clock=`), so tests can step through schedules without waiting.
- A Job for the scheduled time `t` is named `<cronjob>-<t in minutes since the epoch>`: a
  second attempt for the same time collides by name (AlreadyExists) instead of running twice.
  It carries the template's labels and annotations plus
  `batch.kubernetes.io/cronjob-scheduled-timestamp` (RFC 3339, in the CronJob's time zone).
- Only the most recent missed time is started, never a backlog; a start later than
  `startingDeadlineSeconds` is skipped (MissSchedule); more than 100 missed times warn
  (TooManyMissedTimes).
- concurrencyPolicy: Allow starts regardless; Forbid skips while a Job is active; Replace
  deletes the active Jobs first. Finished Jobs beyond successfulJobsHistoryLimit /
  failedJobsHistoryLimit are deleted oldest first (background propagation).
- `status.active` lists the running Jobs; lastScheduleTime and lastSuccessfulTime follow the
  created and completed Jobs. Status is written once per sync, only when changed.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from collections.abc import Callable
from typing import Any

from steersman.api import errors
from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.cron_schedule import ScheduleError, parse_standard
from steersman.controllers.cronjob_schedule import (
    _load_location,
    _rfc1123z,
    _rfc3339_in_zone,
    most_recent_schedule_time,
    next_schedule_delay,
)
from steersman.controllers.job_status import (
    COMPLETE,
    finished_condition_type,
    rfc3339,
)
from steersman.controllers.pods import controller_ref, new_controller_ref, parse_time

log = logging.getLogger("steersman.controllers.cronjob")

Obj = dict[str, Any]
CRONJOBS = require("batch", "v1", "cronjobs")
JOBS = require("batch", "v1", "jobs")
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
TOO_MANY_MISSED = 100
UTC = datetime.UTC


def _now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def _go_quote(text: str) -> str:
    return errors.go_value(text)


def _job_ref(job: Obj) -> Obj:
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


class CronJobController:
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
        self.recorder = recorder
        self.workers = workers
        self.clock = clock
        self.queue: WorkQueue[str] = WorkQueue()
        self.cron_jobs = factory.informer(CRONJOBS)
        self.jobs = factory.informer(JOBS)
        self._handlers_added = False

    # -- wiring --------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.cron_jobs.add_event_handler(
                on_add=self._enqueue,
                on_update=self._cron_job_updated,
                on_delete=self._enqueue,
            )
            self.jobs.add_event_handler(
                on_add=self._job_added, on_update=self._job_updated, on_delete=self._job_deleted
            )
        self.factory.start()
        await self.cron_jobs.synced.wait()
        await self.jobs.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, cron_job: Obj) -> None:
        self.queue.add(object_key(cron_job))

    def _cron_job_updated(self, old: Obj, new: Obj) -> None:
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if old_spec.get("schedule") == new_spec.get("schedule") and old_spec.get(
            "timeZone"
        ) == new_spec.get("timeZone"):
            self._enqueue(new)
            return
        # A new schedule: look again at its next time (sooner times win in the queue).
        try:
            schedule = parse_standard(self._format_schedule(new, warn=False))
        except ScheduleError:
            self.recorder.event(
                new,
                WARNING,
                "UnParseableCronJobSchedule",
                f"unparseable schedule for cronjob: {new_spec.get('schedule', '')}",
            )
            return
        self.queue.add_after(object_key(new), next_schedule_delay(new, self.clock(), schedule))

    def _owner_of(self, job: Obj) -> Obj | None:
        ref = controller_ref(job)
        if ref is None or ref.get("kind") != "CronJob":
            return None
        owner = self.cron_jobs.get(job["metadata"].get("namespace", ""), ref.get("name", ""))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _job_added(self, job: Obj) -> None:
        owner = self._owner_of(job)
        if owner is not None:
            self._enqueue(owner)

    def _job_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if controller_ref(old) != controller_ref(new):
            previous = self._owner_of(old)
            if previous is not None:
                self._enqueue(previous)
        owner = self._owner_of(new)
        if owner is not None:
            self._enqueue(owner)

    def _job_deleted(self, job: Obj) -> None:
        owner = self._owner_of(job)
        if owner is not None:
            self._enqueue(owner)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                requeue_after = await self.sync(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | OSError | TimeoutError):
                    log.info("sync cronjob %s: %s", key, exc)
                else:
                    log.exception("sync cronjob %s", key)
                self.queue.add_rate_limited(key)
            else:
                if requeue_after is not None:
                    self.queue.forget(key)
                    self.queue.add_after(key, requeue_after)
            finally:
                self.queue.done(key)

    # -- reconcile ---------------------------------------------------------------------
    async def sync(self, key: str) -> float | None:
        """Reconcile one CronJob; returns seconds until it should be looked at again."""
        namespace, name = split_key(key)
        cached = self.cron_jobs.get(namespace, name)
        if cached is None:
            return None
        cron_job = copy.deepcopy(cached)
        if not isinstance(cron_job.get("status"), dict):
            cron_job["status"] = {}
        # Every Job naming this CronJob (by name) as controller, whatever its labels now.
        jobs = [
            j
            for j in self.jobs.store.by_index("namespace", namespace)
            if (ref := controller_ref(j)) is not None and ref.get("name") == name
        ]
        changed = await self._cleanup_finished_jobs(cron_job, jobs)
        requeue_after, sync_changed, error = await self._sync_cron_job(cron_job, jobs)
        if changed or sync_changed:
            await self._update_status(cron_job)
        if requeue_after is not None:
            return requeue_after
        if error is not None:
            raise error
        return None

    def _format_schedule(self, cron_job: Obj, *, warn: bool) -> str:
        spec = cron_job.get("spec") or {}
        schedule = str(spec.get("schedule") or "")
        if "TZ" in schedule:
            if warn:
                self.recorder.event(
                    cron_job,
                    WARNING,
                    "UnsupportedSchedule",
                    f"CRON_TZ or TZ used in schedule {_go_quote(schedule)} is not officially "
                    "supported, see https://kubernetes.io/docs/concepts/workloads/controllers/"
                    "cron-jobs/ for more details",
                )
            return schedule
        zone = spec.get("timeZone")
        if zone is not None:
            if _load_location(zone)[1] is not None:
                return schedule
            return f"TZ={zone} {schedule}"
        return schedule

    async def _sync_cron_job(
        self, cron_job: Obj, jobs: list[Obj]
    ) -> tuple[float | None, bool, Exception | None]:
        """syncCronJob: (requeue after, status changed, error)."""
        now = self.clock()
        changed = False
        status = cron_job["status"]
        children = set()
        for job in jobs:
            uid = job["metadata"].get("uid", "")
            children.add(uid)
            in_active = self._in_active(cron_job, uid)
            finished = finished_condition_type(job)
            if not in_active and finished is None:
                try:
                    fresh = await self._get_cron_job(cron_job)
                except ApiStatusError as exc:
                    return None, changed, exc
                if self._in_active(fresh, uid):
                    cron_job.clear()
                    cron_job.update(fresh)
                    if not isinstance(cron_job.get("status"), dict):
                        cron_job["status"] = {}
                    status = cron_job["status"]
                    continue
                self.recorder.event(
                    cron_job,
                    WARNING,
                    "UnexpectedJob",
                    "Saw a job that the controller did not create or forgot: "
                    f"{job['metadata']['name']}",
                )
            elif in_active and finished is not None:
                self._remove_from_active(cron_job, uid)
                self.recorder.event(
                    cron_job,
                    NORMAL,
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, status: {finished}",
                )
                changed = True
            elif finished == COMPLETE:
                # Completed Jobs need not be active: any of them can move lastSuccessfulTime.
                completed = (job.get("status") or {}).get("completionTime")
                completed_at = parse_time(completed)
                last = parse_time(status.get("lastSuccessfulTime"))
                if completed_at is not None and (last is None or completed_at > last):
                    status["lastSuccessfulTime"] = completed
                    changed = True
        for ref in list(status.get("active") or []):
            if ref.get("uid") in children:
                continue
            # The cache may lag: ask the API server before calling the Job missing.
            try:
                await self.client.get(
                    object_path(JOBS, ref.get("namespace", ""), ref.get("name", ""))
                )
            except ApiStatusError as exc:
                if exc.code != 404:
                    return None, changed, exc
                self.recorder.event(
                    cron_job, NORMAL, "MissingJob", f"Active job went missing: {ref.get('name')}"
                )
                self._remove_from_active(cron_job, ref.get("uid", ""))
                changed = True
        if cron_job["metadata"].get("deletionTimestamp"):
            return None, changed, None
        return await self._maybe_start(cron_job, now, changed)

    async def _maybe_start(
        self, cron_job: Obj, now: datetime.datetime, changed: bool
    ) -> tuple[float | None, bool, Exception | None]:
        spec, status = cron_job.get("spec") or {}, cron_job["status"]
        zone_name = spec.get("timeZone")
        if zone_name is not None:
            zone_error = _load_location(zone_name)[1]
            if zone_error is not None:
                self.recorder.event(
                    cron_job,
                    WARNING,
                    "UnknownTimeZone",
                    f"invalid timeZone: {_go_quote(zone_name)}: {zone_error}",
                )
                return None, changed, None
        if spec.get("suspend") is True:
            return None, changed, None
        try:
            schedule = parse_standard(self._format_schedule(cron_job, warn=True))
        except ScheduleError as exc:
            self.recorder.event(
                cron_job,
                WARNING,
                "UnparseableSchedule",
                f"unparseable schedule: {_go_quote(str(spec.get('schedule') or ''))} : {exc}",
            )
            return None, changed, None
        try:
            _, scheduled, missed = most_recent_schedule_time(cron_job, now, schedule, True)
        except ValueError as exc:
            self.recorder.event(
                cron_job,
                WARNING,
                "InvalidSchedule",
                f"invalid schedule: {spec.get('schedule', '')} : {exc}",
            )
            return None, changed, None
        if scheduled is not None and scheduled <= now and missed > TOO_MANY_MISSED:
            self.recorder.event(
                cron_job,
                WARNING,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                "or check clock skew",
            )
        delay = next_schedule_delay(cron_job, now, schedule)
        if scheduled is None or scheduled > now:
            return delay, changed, None
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + datetime.timedelta(seconds=deadline) < now:
            self.recorder.event(
                cron_job,
                WARNING,
                "MissSchedule",
                f"Missed scheduled time to start a job: {_rfc1123z(scheduled)}",
            )
            return delay, changed, None
        job_name = f"{cron_job['metadata']['name']}-{int(scheduled.timestamp()) // 60}"
        if (
            any(
                r.get("name") == job_name
                and r.get("namespace") == cron_job["metadata"]["namespace"]
                for r in status.get("active") or []
            )
            or parse_time(status.get("lastScheduleTime")) == scheduled
        ):
            return delay, changed, None  # this time was already handled
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and status.get("active"):
            self.recorder.event(
                cron_job,
                NORMAL,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy "
                "is Forbid",
            )
            return delay, changed, None
        if policy == "Replace":
            for ref in list(status.get("active") or []):
                try:
                    job = await self.client.get(
                        object_path(JOBS, ref.get("namespace", ""), ref.get("name", ""))
                    )
                except ApiStatusError as exc:
                    self.recorder.event(cron_job, WARNING, "FailedGet", f"Get job: {exc}")
                    return None, changed, exc
                if not await self._delete_job(cron_job, job):
                    meta = job["metadata"]
                    return (
                        None,
                        changed,
                        RuntimeError(f"could not replace job {meta['namespace']}/{meta['name']}"),
                    )
                changed = True
        return await self._create_job(cron_job, scheduled, job_name, delay, changed)

    async def _create_job(
        self,
        cron_job: Obj,
        scheduled: datetime.datetime,
        job_name: str,
        delay: float,
        changed: bool,
    ) -> tuple[float | None, bool, Exception | None]:
        meta, spec = cron_job["metadata"], cron_job.get("spec") or {}
        template = spec.get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        zone = _load_location(spec.get("timeZone") or "")[0] or UTC
        annotations = dict(tmeta.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = _rfc3339_in_zone(scheduled.astimezone(zone))
        job_meta: Obj = {"name": job_name, "namespace": meta["namespace"]}
        if tmeta.get("labels"):
            job_meta["labels"] = dict(tmeta["labels"])
        job_meta["annotations"] = annotations
        job_meta["ownerReferences"] = [new_controller_ref(cron_job, "batch/v1", "CronJob")]
        body = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": job_meta,
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        try:
            job = await self.client.create(collection_path(JOBS, meta["namespace"]), body)
        except ApiStatusError as exc:
            causes = (exc.status.get("details") or {}).get("causes") or []
            if any(c.get("type") == "NamespaceTerminating" for c in causes):
                return None, changed, exc
            if exc.code != 409 or exc.reason != "AlreadyExists":
                self.recorder.event(cron_job, WARNING, "FailedCreate", f"Error creating job: {exc}")
                return None, changed, exc
            # Created before, but the status update was lost: record it now if it is ours.
            try:
                job = await self.client.get(object_path(JOBS, meta["namespace"], job_name))
            except ApiStatusError as get_exc:
                return None, changed, get_exc
            ref = controller_ref(job)
            if ref is None or ref.get("uid") != meta.get("uid"):
                return None, changed, None
            if self._in_active(cron_job, job["metadata"].get("uid", "")):
                return None, changed, None
        else:
            self.recorder.event(
                cron_job, NORMAL, "SuccessfulCreate", f"Created job {job['metadata']['name']}"
            )
        status = cron_job["status"]
        status.setdefault("active", [])
        if status["active"] is None:
            status["active"] = []
        status["active"].append(_job_ref(job))
        status["lastScheduleTime"] = rfc3339(scheduled)
        return delay, True, None

    @staticmethod
    def _in_active(cron_job: Obj, uid: str) -> bool:
        return any(r.get("uid") == uid for r in (cron_job.get("status") or {}).get("active") or [])

    @staticmethod
    def _remove_from_active(cron_job: Obj, uid: str) -> None:
        status = cron_job["status"]
        status["active"] = [r for r in status.get("active") or [] if r.get("uid") != uid]

    async def _get_cron_job(self, cron_job: Obj) -> Obj:
        meta = cron_job["metadata"]
        fresh: Obj = await self.client.get(object_path(CRONJOBS, meta["namespace"], meta["name"]))
        fresh.setdefault("apiVersion", "batch/v1")
        fresh.setdefault("kind", "CronJob")
        return fresh

    async def _delete_job(self, cron_job: Obj, job: Obj) -> bool:
        meta = job["metadata"]
        try:
            await self.client.delete(
                object_path(JOBS, meta["namespace"], meta["name"]),
                {"propagationPolicy": "Background"},
            )
        except ApiStatusError as exc:
            self.recorder.event(cron_job, WARNING, "FailedDelete", f"Deleted job: {exc}")
            return False
        self._remove_from_active(cron_job, meta.get("uid", ""))
        self.recorder.event(cron_job, NORMAL, "SuccessfulDelete", f"Deleted job {meta['name']}")
        return True

    async def _cleanup_finished_jobs(self, cron_job: Obj, jobs: list[Obj]) -> bool:
        spec = cron_job.get("spec") or {}
        succeeded_limit = spec.get("successfulJobsHistoryLimit")
        failed_limit = spec.get("failedJobsHistoryLimit")
        if succeeded_limit is None and failed_limit is None:
            return False
        succeeded = [j for j in jobs if finished_condition_type(j) == COMPLETE]
        failed = [j for j in jobs if finished_condition_type(j) == "Failed"]
        changed = False
        if succeeded_limit is not None and await self._remove_oldest(
            cron_job, succeeded, succeeded_limit
        ):
            changed = True
        if failed_limit is not None and await self._remove_oldest(cron_job, failed, failed_limit):
            changed = True
        return changed

    async def _remove_oldest(self, cron_job: Obj, jobs: list[Obj], keep: int) -> bool:
        excess = len(jobs) - keep
        if excess <= 0:
            return False

        def by_start(job: Obj) -> tuple[int, float, str]:
            # Jobs without a start time sort last; ties go by name.
            start = parse_time((job.get("status") or {}).get("startTime"))
            return (
                (1, 0.0, job["metadata"]["name"])
                if start is None
                else (
                    0,
                    start.timestamp(),
                    job["metadata"]["name"],
                )
            )

        changed = False
        for job in sorted(jobs, key=by_start)[:excess]:
            if await self._delete_job(cron_job, job):
                changed = True
        return changed

    async def _update_status(self, cron_job: Obj) -> None:
        meta = cron_job["metadata"]
        status = {k: v for k, v in cron_job["status"].items() if v not in (None, [], "")}
        body = dict(cron_job, status=status)
        body.setdefault("apiVersion", "batch/v1")
        body.setdefault("kind", "CronJob")
        await self.client.update(
            object_path(CRONJOBS, meta["namespace"], meta["name"], "status"), body
        )
