"""How one Job sync turns finished pods into status (Kubernetes'
trackJobStatusAndRemoveFinalizers, flushUncountedAndRemoveFinalizers, enactJobFinished).

Invariants:
- Order of writes: (1) status with newly finished pods in `uncountedTerminatedPods` and any
  interim condition (FailureTarget, SuccessCriteriaMet); (2) finalizer removals; (3) status
  with those pods moved into `succeeded`/`failed`. A crash between steps loses nothing.
- At most 500 pods are recorded per sync, keeping the status under ~20 KB.
- The terminal condition (Complete with `completionTime`, or Failed) is written only when no
  pod is uncounted or terminating; its event (Completed "Job completed", or the failure
  reason and message as a Warning) is recorded once that write succeeded.
- The status is written with a resourceVersion precondition: a conflict fails the sync, which
  is retried with back-off.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.paths import object_path
from steersman.client.rest import RestClient
from steersman.controllers import job_indexes as ji
from steersman.controllers import job_pods as jp
from steersman.controllers import job_status as js
from steersman.controllers.job_backoff import BackoffRecord, BackoffStore
from steersman.controllers.job_indexes import UNKNOWN_INDEX, Interval, completion_index
from steersman.controllers.job_pod_control import JobPodControl
from steersman.controllers.job_policies import match_pod_failure_policy
from steersman.controllers.job_tracking import (
    clean_uncounted_pods_without_finalizers,
    has_tracking_finalizer,
    uncounted_lists,
)

Obj = dict[str, Any]
JOBS = require("batch", "v1", "jobs")
MAX_UNCOUNTED_PODS = 500


class SyncError(Exception):
    """A sync made partial progress and must be retried (with back-off)."""


def _uid(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def conditions_of(status: Obj) -> list[Obj]:
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        conditions = status["conditions"] = []
    return conditions


@dataclass
class SyncContext:
    """syncJobCtx: what one sync learned about a Job and its pods."""

    job: Obj
    pods: list[Obj]
    active_pods: list[Obj]
    ready: int
    terminating: int
    uncounted_succeeded: set[str]
    uncounted_failed: set[str]
    expected_rm_finalizers: set[str]
    succeeded: int = 0
    failed: int = 0
    finished_condition: Obj | None = None
    prev_succeeded_indexes: list[Interval] = field(default_factory=list)
    succeeded_indexes: list[Interval] = field(default_factory=list)
    failed_indexes: list[Interval] | None = None
    new_backoff_record: BackoffRecord | None = None
    delayed_deletion: dict[int, Obj] = field(default_factory=dict)


class JobStatusTracker:
    def __init__(
        self,
        client: RestClient,
        recorder: EventRecorder,
        pod_control: JobPodControl,
        backoff: BackoffStore,
        clock: Callable[[], datetime.datetime],
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.pod_control = pod_control
        self.backoff = backoff
        self.clock = clock

    def _can_remove_finalizer(self, ctx: SyncContext, pod: Obj, considered_failed: bool) -> bool:
        if (
            ctx.job["metadata"].get("deletionTimestamp")
            or ctx.finished_condition is not None
            or (pod.get("status") or {}).get("phase") == "Succeeded"
        ):
            return True
        if not considered_failed:
            return False
        if jp.has_backoff_limit_per_index(ctx.job):
            ix = completion_index(pod)
            delayed = ctx.delayed_deletion.get(ix) if ix != UNKNOWN_INDEX else None
            if delayed is not None and _uid(delayed) == _uid(pod):
                return False  # kept until its replacement carries the failure count
        return True

    async def track(self, key: str, ctx: SyncContext, needs_flush: bool) -> None:
        """Record finished pods as uncounted, remove their finalizers, move them into the
        counters, and finish the Job when its interim condition allows."""
        job = ctx.job
        status = job["status"]
        indexed = jp.is_indexed(job)
        completions = jp.completions_of(job)
        policy = (job.get("spec") or {}).get("podFailurePolicy")
        pods = sorted(ctx.pods, key=completion_index) if indexed else ctx.pods
        with_finalizer = {
            _uid(p)
            for p in pods
            if has_tracking_finalizer(p) and _uid(p) not in ctx.expected_rm_finalizers
        }
        if clean_uncounted_pods_without_finalizers(status, with_finalizer):
            needs_flush = True
        uncounted_s, uncounted_f = uncounted_lists(status)
        to_remove: list[Obj] = []
        new_indexes: list[int] = []
        reached_max = False
        failing = (
            ctx.finished_condition is not None
            and ctx.finished_condition["type"] != js.SUCCESS_CRITERIA_MET
        )
        for pod in pods:
            uid = _uid(pod)
            if not has_tracking_finalizer(pod) or uid in ctx.expected_rm_finalizers:
                continue  # counted in an earlier sync
            failed = js.is_pod_failed(pod, job)
            if not self._can_remove_finalizer(ctx, pod, failed):
                continue
            to_remove.append(pod)
            ix = completion_index(pod)
            succeeded = (pod.get("status") or {}).get("phase") == "Succeeded"
            if succeeded and uid not in ctx.uncounted_failed:
                if indexed:
                    # The index is enough to avoid counting a success twice.
                    if UNKNOWN_INDEX != ix < completions and not ji.has(
                        ctx.prev_succeeded_indexes, ix
                    ):
                        new_indexes.append(ix)
                        needs_flush = True
                elif uid not in ctx.uncounted_succeeded:
                    uncounted_s.append(uid)
                    needs_flush = True
            elif (
                # Once the Job fails, every unfinished pod counts as failed.
                (failed or failing)
                and uid not in ctx.uncounted_failed
                and (not indexed or UNKNOWN_INDEX != ix < completions)
                and (policy is None or match_pod_failure_policy(policy, pod)[1])
            ):
                uncounted_f.append(uid)
                needs_flush = True
            if len(new_indexes) + len(uncounted_s) + len(uncounted_f) >= MAX_UNCOUNTED_PODS:
                # Keep status small and let other Jobs run; the updates requeue this one.
                reached_max = True
                break
        if indexed and self._update_indexes(ctx, status, new_indexes):
            needs_flush = True
        if self._add_interim_condition(ctx, status):
            needs_flush = True
        needs_flush = await self._flush_and_remove_finalizers(
            key, ctx, to_remove, with_finalizer, needs_flush
        )
        job_finished = not reached_max and self._enact_job_finished(ctx)
        if job_finished or needs_flush:
            ctx.job = await self.update_status(ctx.job)
            if job_finished and ctx.finished_condition is not None:
                self._record_job_finished(ctx.job, ctx.finished_condition)

    def _update_indexes(self, ctx: SyncContext, status: Obj, new_indexes: list[int]) -> bool:
        changed = False
        ctx.succeeded_indexes = ji.with_ordered_indexes(ctx.succeeded_indexes, new_indexes)
        completed = ji.format_indexes(ctx.succeeded_indexes)
        if completed != (status.get("completedIndexes") or ""):
            changed = True
        status["succeeded"] = ji.total(ctx.succeeded_indexes)
        status["completedIndexes"] = completed
        failed_text = (
            ji.format_indexes(ctx.failed_indexes) if ctx.failed_indexes is not None else None
        )
        if status.get("failedIndexes") != failed_text:
            status["failedIndexes"] = failed_text
            changed = True
        return changed

    def _add_interim_condition(self, ctx: SyncContext, status: Obj) -> bool:
        """Write FailureTarget/SuccessCriteriaMet now; prepare the terminal condition that
        follows once the pods are gone."""
        now = self.clock()
        changed = False
        finished = ctx.finished_condition
        if finished is not None and finished["type"] == js.FAILURE_TARGET:
            conditions_of(status).append(finished)
            changed = True
            ctx.finished_condition = js.new_condition(
                js.FAILED, "True", finished.get("reason", ""), finished.get("message", ""), now
            )
        finished = ctx.finished_condition
        if finished is not None and finished["type"] == js.SUCCESS_CRITERIA_MET:
            if not js.condition_true(ctx.job, js.SUCCESS_CRITERIA_MET):
                conditions_of(status).append(finished)
                changed = True
            ctx.finished_condition = js.new_condition(
                js.COMPLETE, "True", finished.get("reason", ""), finished.get("message", ""), now
            )
        return changed

    async def _flush_and_remove_finalizers(
        self,
        key: str,
        ctx: SyncContext,
        to_remove: list[Obj],
        with_finalizer: set[str],
        needs_flush: bool,
    ) -> bool:
        """flushUncountedAndRemoveFinalizers; returns whether status changes remain."""
        if needs_flush:
            ctx.job = await self.update_status(ctx.job)
            if ctx.new_backoff_record is not None:
                self.backoff.update(ctx.new_backoff_record)
            needs_flush = False
        error: str | None = None
        if to_remove:
            removed, error = await self.pod_control.remove_tracking_finalizers(key, to_remove)
            for pod, ok in zip(to_remove, removed, strict=True):
                if ok:
                    with_finalizer.discard(_uid(pod))
        if clean_uncounted_pods_without_finalizers(ctx.job["status"], with_finalizer):
            needs_flush = True
        if error is not None:
            if needs_flush:
                # Record the partial progress before failing the sync.
                await self.update_status(ctx.job)
            raise SyncError(error)
        return needs_flush

    def _enact_job_finished(self, ctx: SyncContext) -> bool:
        finished = ctx.finished_condition
        if finished is None:
            return False
        status = ctx.job["status"]
        uncounted_s, uncounted_f = uncounted_lists(status)
        if uncounted_s or uncounted_f or ctx.terminating > 0:
            return False  # the terminal condition waits for every pod to be counted and gone
        js.ensure_condition_status(
            conditions_of(status),
            finished["type"],
            finished["status"],
            finished.get("reason", ""),
            finished.get("message", ""),
            self.clock(),
        )
        if finished["type"] == js.COMPLETE:
            status["completionTime"] = finished["lastTransitionTime"]
        return True

    def _record_job_finished(self, job: Obj, finished: Obj) -> None:
        if finished["type"] == js.COMPLETE:
            completions = (job.get("spec") or {}).get("completions")
            succeeded = int((job.get("status") or {}).get("succeeded") or 0)
            if completions is not None and succeeded > completions:
                self.recorder.event(
                    job,
                    WARNING,
                    "TooManySucceededPods",
                    "Too many succeeded pods running after completion count reached",
                )
            self.recorder.event(job, NORMAL, "Completed", "Job completed")
        else:
            self.recorder.event(
                job, WARNING, finished.get("reason", ""), finished.get("message", "")
            )

    async def update_status(self, job: Obj) -> Obj:
        meta = job["metadata"]
        body = dict(job, status=js.status_for_write(job.get("status") or {}))
        body.setdefault("apiVersion", "batch/v1")
        body.setdefault("kind", "Job")
        updated: Obj = await self.client.update(
            object_path(JOBS, meta["namespace"], meta["name"], "status"), body
        )
        updated.setdefault("apiVersion", "batch/v1")
        updated.setdefault("kind", "Job")
        if not isinstance(updated.get("status"), dict):
            updated["status"] = {}
        uncounted_lists(updated["status"])
        return updated
