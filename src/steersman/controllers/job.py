"""JobController: runs a Job's pods to completion (Kubernetes' pkg/controller/job): the
informer event handlers, the work queues, the sync loop and manageJob (how many pods to create
or delete). What a sync decides (finishing conditions, which indexes get pods) is in
job_decisions; pod I/O in job_pod_control; status writes in job_tracker.

Invariants:
- Level-based: `sync_job(key)` reads the informer caches; pod events and status-only Job
  updates enqueue the Job after a batching period (1 s upstream), so a burst of pod updates
  costs one sync; spec changes sync at once.
- Pods come from the template with the tracking finalizer and a controller reference; Indexed
  Jobs add the completion-index annotation and label, hostname `<job>-<index>` and
  JOB_COMPLETION_INDEX (see job_pod_control). Expectations keep a lagging cache from making
  the controller create or delete twice.
- Each finished pod is counted exactly once, through `status.uncountedTerminatedPods` and the
  tracking finalizer (see job_tracker).
- Finishing is two-step: SuccessCriteriaMet or FailureTarget first (active pods are deleted),
  then Complete or Failed once no pod is uncounted or terminating. A finished Job is never
  synced again.
- Replacements after pod failures wait 10 s doubling up to a cap (10 minutes upstream), per
  Job or, with backoffLimitPerIndex, per index.
- The orphan queue strips the tracking finalizer from pods that no unfinished Job owns.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from steersman.api.labels import selector_from_label_selector
from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers import job_decisions as jd
from steersman.controllers import job_pods as jp
from steersman.controllers import job_status as js
from steersman.controllers.expectations import ControllerExpectations
from steersman.controllers.job_backoff import BackoffStore, remaining_time
from steersman.controllers.job_pod_control import JobPodControl
from steersman.controllers.job_tracker import (
    JobStatusTracker,
    SyncContext,
    SyncError,
    conditions_of,
)
from steersman.controllers.job_tracking import (
    UIDTrackingExpectations,
    has_tracking_finalizer,
    uncounted_lists,
)
from steersman.controllers.pods import (
    controller_ref,
    is_pod_active,
    is_pod_terminating,
    parse_time,
)

log = logging.getLogger("steersman.controllers.job")

Obj = dict[str, Any]
JOBS = require("batch", "v1", "jobs")
PODS = require("", "v1", "pods")
MAX_POD_CREATE_DELETE_PER_SYNC = 500


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _uid(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _suspended(job: Obj) -> bool:
    return (job.get("spec") or {}).get("suspend") is True


class JobController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        workers: int = 5,
        clock: Callable[[], datetime.datetime] = _now,
        sync_batch_period: float = 1.0,
        pod_failure_backoff: float = 10.0,
        max_pod_failure_backoff: float = 600.0,
        api_backoff: float = 1.0,
        max_api_backoff: float = 60.0,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder
        self.workers = workers
        self.clock = clock
        self.sync_batch_period = sync_batch_period
        self.pod_failure_backoff = pod_failure_backoff
        self.max_pod_failure_backoff = max_pod_failure_backoff
        self.queue: WorkQueue[str] = WorkQueue(base_delay=api_backoff, max_delay=max_api_backoff)
        self.orphan_queue: WorkQueue[str] = WorkQueue(
            base_delay=api_backoff, max_delay=max_api_backoff
        )
        self.expectations = ControllerExpectations()
        self.finalizer_expectations = UIDTrackingExpectations()
        self.backoff = BackoffStore()
        self.pod_control = JobPodControl(
            client, recorder, self.expectations, self.finalizer_expectations
        )
        self.tracker = JobStatusTracker(client, recorder, self.pod_control, self.backoff, clock)
        self.jobs = factory.informer(JOBS)
        self.pods = factory.informer(PODS)
        self._handlers_added = False

    # -- wiring --------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.jobs.add_event_handler(
                on_add=lambda job: self._enqueue(job, 0.0),
                on_update=self._job_updated,
                on_delete=self._job_deleted,
            )
            self.pods.add_event_handler(
                on_add=self._pod_added,
                on_update=self._pod_updated,
                on_delete=lambda pod: self._pod_deleted(pod, final=True),
            )
        self.factory.start()
        await self.jobs.synced.wait()
        await self.pods.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker(self.queue, self.sync_job))
            tg.create_task(self._worker(self.orphan_queue, self.sync_orphan_pod))

    async def _worker(self, queue: WorkQueue[str], sync: Callable[[str], Awaitable[None]]) -> None:
        while True:
            try:
                key = await queue.get()
            except QueueShutDown:
                return
            try:
                await sync(key)
                queue.forget(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | SyncError | OSError | TimeoutError):
                    log.info("sync %s: %s", key, exc)
                else:
                    log.exception("sync %s", key)
                queue.add_rate_limited(key)
            finally:
                queue.done(key)

    def _enqueue(self, job: Obj, delay: float) -> None:
        self.queue.add_after(object_key(job), delay)

    def _enqueue_batched(self, job: Obj) -> None:
        self._enqueue(job, self.sync_batch_period)

    def _job_updated(self, old: Obj, cur: Obj) -> None:
        key = object_key(cur)
        same_generation = (old.get("metadata") or {}).get("generation") == (
            cur.get("metadata") or {}
        ).get("generation")
        # Spec changes sync at once; status-only updates (from pod churn) are batched.
        self._enqueue(cur, self.sync_batch_period if same_generation else 0.0)
        if js.is_job_finished(cur):
            self._cleanup_pod_finalizers(cur)
        start = parse_time((cur.get("status") or {}).get("startTime"))
        deadline = (cur.get("spec") or {}).get("activeDeadlineSeconds")
        if start is None or deadline is None:
            return
        if (old.get("spec") or {}).get("activeDeadlineSeconds") != deadline:
            passed = (self.clock() - start).total_seconds()
            self.queue.add_after(key, deadline - passed)

    def _job_deleted(self, job: Obj) -> None:
        self._enqueue(job, 0.0)
        self._cleanup_pod_finalizers(job)

    def _cleanup_pod_finalizers(self, job: Obj) -> None:
        try:
            selector = selector_from_label_selector((job.get("spec") or {}).get("selector"))
        except ValueError:
            return
        namespace = job["metadata"].get("namespace", "")
        for pod in self.pods.store.by_index("namespace", namespace):
            ref = controller_ref(pod)
            if (
                selector.matches((pod.get("metadata") or {}).get("labels") or {})
                and ref is not None
                and ref.get("uid") == _uid(job)
                and has_tracking_finalizer(pod)
            ):
                self.orphan_queue.add(object_key(pod))

    def _resolve(self, namespace: str, ref: Obj) -> Obj | None:
        if ref.get("kind") != "Job":
            return None
        job = self.jobs.get(namespace, ref.get("name", ""))
        if job is None or _uid(job) != ref.get("uid"):
            return None
        return job

    def _pod_jobs(self, pod: Obj) -> list[Obj]:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        namespace = pod["metadata"].get("namespace", "")
        out = []
        for job in self.jobs.store.by_index("namespace", namespace):
            try:
                selector = selector_from_label_selector((job.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if not selector.empty and selector.matches(labels):
                out.append(job)
        return out

    def _pod_added(self, pod: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            # Seen first while being deleted (after a restart): not a creation.
            self._pod_deleted(pod, final=False)
            return
        ref = controller_ref(pod)
        if ref is not None:
            job = self._resolve(pod["metadata"].get("namespace", ""), ref)
            if job is not None:
                self.expectations.creation_observed(object_key(job))
                self._enqueue_batched(job)
            return
        if has_tracking_finalizer(pod):
            self.orphan_queue.add(object_key(pod))
        for job in self._pod_jobs(pod):
            self._enqueue_batched(job)

    def _pod_updated(self, old: Obj, cur: Obj) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        if cur["metadata"].get("deletionTimestamp"):
            self._pod_deleted(cur, final=False)
            return
        namespace = cur["metadata"].get("namespace", "")
        finalizer_removed = not has_tracking_finalizer(cur)
        cur_ref, old_ref = controller_ref(cur), controller_ref(old)
        ref_changed = cur_ref != old_ref
        if ref_changed and old_ref is not None:
            job = self._resolve(namespace, old_ref)
            if job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.finalizer_removal_observed(
                        object_key(job), _uid(cur)
                    )
                self._enqueue_batched(job)
        if cur_ref is not None:
            job = self._resolve(namespace, cur_ref)
            if job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.finalizer_removal_observed(
                        object_key(job), _uid(cur)
                    )
                self._enqueue_batched(job)
            return
        if has_tracking_finalizer(cur):
            self.orphan_queue.add(object_key(cur))
        if ref_changed or old["metadata"].get("labels") != cur["metadata"].get("labels"):
            for job in self._pod_jobs(cur):
                self._enqueue_batched(job)

    def _pod_deleted(self, pod: Obj, *, final: bool) -> None:
        ref = controller_ref(pod)
        has_finalizer = has_tracking_finalizer(pod)
        if ref is None:
            if has_finalizer:
                self.orphan_queue.add(object_key(pod))
            return
        job = self._resolve(pod["metadata"].get("namespace", ""), ref)
        if job is None or js.is_job_finished(job):
            if has_finalizer:
                self.orphan_queue.add(object_key(pod))
            return
        key = object_key(job)
        self.expectations.deletion_observed(key, object_key(pod))
        if final or not has_finalizer:
            self.finalizer_expectations.finalizer_removal_observed(key, _uid(pod))
        self._enqueue_batched(job)

    # -- orphans ---------------------------------------------------------------------
    async def sync_orphan_pod(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pods.get(namespace, name)
        if pod is None:
            return
        ref = controller_ref(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return
            job = self._resolve(namespace, ref)
            if job is not None and js.managed_by_external_controller(job) is not None:
                return
            if job is not None and not js.is_job_finished(job):
                return  # adopted meanwhile
        await self.pod_control.remove_orphan_finalizer(pod)

    # -- reconcile ---------------------------------------------------------------------
    async def sync_job(self, key: str) -> None:
        namespace, name = split_key(key)
        shared = self.jobs.get(namespace, name)
        if shared is None:
            self.expectations.delete(key)
            self.finalizer_expectations.delete(key)
            self.backoff.remove(key)
            return
        if js.managed_by_external_controller(shared) is not None:
            return
        job = copy.deepcopy(shared)
        if js.is_job_finished(job):
            self.backoff.remove(key)
            return
        spec = job.get("spec") or {}
        if spec.get("completionMode") not in (None, "NonIndexed", "Indexed"):
            self.recorder.event(
                job,
                WARNING,
                "UnknownCompletionMode",
                "Skipped Job sync because completion mode is unknown",
            )
            return
        if not isinstance(job.get("status"), dict):
            job["status"] = {}
        status = job["status"]
        uncounted_s, uncounted_f = uncounted_lists(status)
        # Expectations are read before the pods: a pod arriving after this check is
        # seen by the next sync.
        satisfied = self.expectations.satisfied(key)
        selector = selector_from_label_selector(spec.get("selector"))
        pods = await self.pod_control.claim_pods(
            job, selector, self.pods.store.by_index("namespace", namespace)
        )
        active_pods = [p for p in pods if is_pod_active(p)]
        ctx = SyncContext(
            job=job,
            pods=pods,
            active_pods=active_pods,
            ready=jp.ready_count(active_pods),
            terminating=sum(1 for p in pods if is_pod_terminating(p)),
            uncounted_succeeded=set(uncounted_s),
            uncounted_failed=set(uncounted_f),
            expected_rm_finalizers=self.finalizer_expectations.expected_uids(key),
        )
        active = len(active_pods)
        new_succeeded = jp.valid_pods(
            job,
            pods,
            ctx.uncounted_succeeded | ctx.expected_rm_finalizers,
            lambda p: (p.get("status") or {}).get("phase") == "Succeeded",
        )
        new_failed = jp.valid_pods(
            job,
            pods,
            ctx.uncounted_failed | ctx.expected_rm_finalizers,
            lambda p: js.is_pod_failed(p, job),
        )
        ctx.succeeded = (
            int(status.get("succeeded") or 0) + len(new_succeeded) + len(ctx.uncounted_succeeded)
        )
        ctx.failed = (
            int(status.get("failed") or 0)
            + jp.non_ignored_failed_count(job, new_failed)
            + len(ctx.uncounted_failed)
        )
        now = self.clock()
        if not status.get("startTime") and not _suspended(job):
            status["startTime"] = js.rfc3339(now)
        ctx.new_backoff_record = self.backoff.new_record(key, new_succeeded, new_failed)
        jd.decide_failure(self.queue, key, ctx, now)
        if jp.is_indexed(job):
            jd.decide_indexes(ctx, now)

        manage_error: str | None = None
        suspend_changed = False
        if ctx.finished_condition is not None:
            deleted_ready, deleted, manage_error = await self.pod_control.delete_active_pods(
                job, ctx.active_pods
            )
            if deleted != active or not satisfied:
                # Pods may remain, or may not be in the cache yet: not finished yet.
                ctx.finished_condition = None
            active -= deleted
            ctx.terminating += deleted
            ctx.ready -= deleted_ready
        else:
            manage_called = False
            if satisfied and not job["metadata"].get("deletionTimestamp"):
                active, manage_error = await self._manage_job(key, ctx)
                manage_called = True
            completions = spec.get("completions")
            if completions is None:
                complete = ctx.succeeded > 0 and active == 0
            else:
                complete = ctx.succeeded >= completions and active == 0
            if complete:
                ctx.finished_condition = js.new_condition(
                    js.SUCCESS_CRITERIA_MET,
                    "True",
                    js.REASON_COMPLETIONS_REACHED,
                    "Reached expected number of succeeded pods",
                    now,
                )
            elif manage_called:
                suspend_changed = self._update_suspended_condition(job, now)

        needs_update = (
            suspend_changed
            or active != int(status.get("active") or 0)
            or status.get("ready") != ctx.ready
            or status.get("terminating") != ctx.terminating
        )
        status["active"] = active
        status["ready"] = ctx.ready
        status["terminating"] = ctx.terminating
        await self.tracker.track(key, ctx, needs_update)
        if manage_error is not None:
            raise SyncError(manage_error)

    def _update_suspended_condition(self, job: Obj, now: datetime.datetime) -> bool:
        conditions = conditions_of(job["status"])
        if _suspended(job):
            if js.ensure_condition_status(
                conditions, js.SUSPENDED, "True", "JobSuspended", "Job suspended", now
            ):
                self.recorder.event(job, NORMAL, "Suspended", "Job suspended")
                return True
            return False
        if js.ensure_condition_status(
            conditions, js.SUSPENDED, "False", "JobResumed", "Job resumed", now
        ):
            self.recorder.event(job, NORMAL, "Resumed", "Job resumed")
            # activeDeadlineSeconds counts continuous activity: restart the clock.
            job["status"]["startTime"] = js.rfc3339(now)
            return True
        return False

    # -- pods ------------------------------------------------------------------------
    async def _manage_job(self, key: str, ctx: SyncContext) -> tuple[int, str | None]:
        """Create or delete pods towards the wanted number; returns (active, error)."""
        job = ctx.job
        spec = job.get("spec") or {}
        active = len(ctx.active_pods)
        parallelism = int(spec.get("parallelism") or 0)
        if _suspended(job):
            victims = jp.active_pods_for_removal(job, ctx.active_pods, active)
            return await self._delete_for_manage(key, ctx, victims, active)
        completions = spec.get("completions")
        if completions is None:
            # Work-queue Jobs: once one pod succeeded, let the others finish.
            want = active if ctx.succeeded > 0 else parallelism
        else:
            want = max(0, min(int(completions) - ctx.succeeded, parallelism))
        victims = jp.active_pods_for_removal(job, ctx.active_pods, max(0, active - want))
        victims = victims[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if victims:
            # Deletion wins over creation within one sync.
            return await self._delete_for_manage(key, ctx, victims, active)
        terminating = ctx.terminating if js.only_replace_failed_pods(job) else 0
        diff = want - terminating - active
        if diff <= 0:
            return active, None
        now = self.clock()
        per_index = jp.has_backoff_limit_per_index(job)
        if not per_index and ctx.new_backoff_record is not None:
            wait = remaining_time(
                now,
                self.pod_failure_backoff,
                self.max_pod_failure_backoff,
                ctx.new_backoff_record.failures_after_last_success,
                ctx.new_backoff_record.last_failure_time,
            )
            if wait > 0:
                self._enqueue(job, max(wait, self.sync_batch_period))
                return 0, None  # as upstream: active reads 0 while backing off
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int] = []
        if jp.is_indexed(job):
            indexes = jd.first_pending_indexes(ctx, diff, jp.completions_of(job))
            if per_index:
                indexes, wait = jd.indexes_ready_to_create(
                    indexes,
                    ctx,
                    now,
                    pod_failure_backoff=self.pod_failure_backoff,
                    max_pod_failure_backoff=self.max_pod_failure_backoff,
                )
                if wait > 0:
                    self._enqueue(job, max(wait, self.sync_batch_period))
                    return 0, None
            diff = len(indexes)
        missing, error = await self.pod_control.create_pods(
            key, job, diff, indexes, ctx.delayed_deletion
        )
        return active + diff - missing, error

    async def _delete_for_manage(
        self, key: str, ctx: SyncContext, victims: list[Obj], active: int
    ) -> tuple[int, str | None]:
        ready, removed, error = await self.pod_control.delete_job_pods(key, ctx.job, victims)
        ctx.terminating += removed
        ctx.ready -= ready
        return active - removed, error
