"""What one Job sync decides from its `SyncContext` (the deciding parts of Kubernetes' syncJob
and manageJob): the condition that finishes the Job, and which completion indexes get new pods.

Invariants:
- A True SuccessCriteriaMet from an earlier sync is kept, and no failure overrides it; a True
  FailureTarget becomes Failed with its reason and message.
- Otherwise FailureTarget is set by the first that holds: a FailJob pod failure policy rule
  matched, the backoff limit was exceeded (failed pods, or restarts under restartPolicy
  OnFailure), activeDeadlineSeconds passed. A deadline not yet passed requeues the Job then.
- Indexed Jobs count succeeded indexes, not pods. With backoffLimitPerIndex, more failed
  indexes than maxFailedIndexes, or failed plus succeeded indexes reaching completions, set
  FailureTarget; failing neither, a met success policy sets SuccessCriteriaMet.
- New pods go to the lowest indexes that are not succeeded, active, failed or (when only
  failed pods are replaced) terminating; with backoffLimitPerIndex only to indexes whose
  back-off has passed, else the shortest remaining back-off is returned.
Functions of the context (which they update) and an explicit `now`; the deadline requeue is
their only effect outside it: no I/O.
"""

from __future__ import annotations

import copy
import datetime

from steersman.client.workqueue import WorkQueue
from steersman.controllers import job_indexes as ji
from steersman.controllers import job_pods as jp
from steersman.controllers import job_status as js
from steersman.controllers.job_backoff import remaining_time_per_index
from steersman.controllers.job_policies import match_success_policy
from steersman.controllers.job_tracker import SyncContext


def decide_failure(
    queue: WorkQueue[str], key: str, ctx: SyncContext, now: datetime.datetime
) -> None:
    job, pods = ctx.job, ctx.pods
    conditions = job["status"].get("conditions") or []
    met = js.find_condition(conditions, js.SUCCESS_CRITERIA_MET)
    if met is not None and met.get("status") == "True":
        # Success already decided in an earlier sync: no failure can override it.
        ctx.finished_condition = copy.deepcopy(met)
        return
    target = js.find_condition(conditions, js.FAILURE_TARGET)
    if target is not None and target.get("status") == "True":
        ctx.finished_condition = js.new_condition(
            js.FAILED, "True", target.get("reason", ""), target.get("message", ""), now
        )
        return
    message = jp.fail_job_message(job, pods)
    if message is not None:
        ctx.finished_condition = js.new_condition(
            js.FAILURE_TARGET, "True", js.REASON_POD_FAILURE_POLICY, message, now
        )
        return
    backoff_limit = int((job.get("spec") or {}).get("backoffLimit") or 0)
    remaining = jp.deadline_remaining(job, now)
    if ctx.failed > backoff_limit or js.past_backoff_limit_on_failure(job, pods):
        ctx.finished_condition = js.new_condition(
            js.FAILURE_TARGET,
            "True",
            js.REASON_BACKOFF_LIMIT_EXCEEDED,
            "Job has reached the specified backoff limit",
            now,
        )
    elif remaining is not None and remaining <= 0:
        ctx.finished_condition = js.new_condition(
            js.FAILURE_TARGET,
            "True",
            js.REASON_DEADLINE_EXCEEDED,
            "Job was active longer than specified deadline",
            now,
        )
    elif remaining is not None:
        queue.add_after(key, remaining)


def decide_indexes(ctx: SyncContext, now: datetime.datetime) -> None:
    job, spec = ctx.job, ctx.job.get("spec") or {}
    completions = jp.completions_of(job)
    ctx.prev_succeeded_indexes, ctx.succeeded_indexes = jp.succeeded_indexes(job, ctx.pods)
    ctx.succeeded = ji.total(ctx.succeeded_indexes)
    if jp.has_backoff_limit_per_index(job):
        ctx.failed_indexes = jp.failed_indexes(job, ctx.pods)
        failed_total = ji.total(ctx.failed_indexes)
        if ctx.finished_condition is None:
            max_failed = spec.get("maxFailedIndexes")
            if max_failed is not None and failed_total > max_failed:
                ctx.finished_condition = js.new_condition(
                    js.FAILURE_TARGET,
                    "True",
                    js.REASON_MAX_FAILED_INDEXES_EXCEEDED,
                    "Job has exceeded the specified maximal number of failed indexes",
                    now,
                )
            elif failed_total > 0 and failed_total + ctx.succeeded >= completions:
                ctx.finished_condition = js.new_condition(
                    js.FAILURE_TARGET,
                    "True",
                    js.REASON_FAILED_INDEXES,
                    "Job has failed indexes",
                    now,
                )
        ctx.delayed_deletion = jp.pods_with_delayed_deletion_per_index(
            job, ctx.pods, ctx.active_pods, ctx.succeeded_indexes, ctx.failed_indexes
        )
    if ctx.finished_condition is None:
        message, met = match_success_policy(
            spec.get("successPolicy"), completions, ctx.succeeded_indexes
        )
        if met:
            ctx.finished_condition = js.new_condition(
                js.SUCCESS_CRITERIA_MET, "True", js.REASON_SUCCESS_POLICY, message, now
            )


def first_pending_indexes(ctx: SyncContext, count: int, completions: int) -> list[int]:
    if count == 0:
        return []
    non_pending = ji.with_ordered_indexes(
        ctx.succeeded_indexes, sorted(ji.indexes_of(ctx.active_pods))
    )
    if js.only_replace_failed_pods(ctx.job):
        non_pending = ji.with_ordered_indexes(
            non_pending, jp.terminating_indexes(ctx.job, ctx.pods)
        )
    if ctx.failed_indexes is not None:
        non_pending = ji.merge(non_pending, ctx.failed_indexes)
    return ji.first_pending_indexes(count, completions, non_pending)


def indexes_ready_to_create(
    indexes: list[int],
    ctx: SyncContext,
    now: datetime.datetime,
    *,
    pod_failure_backoff: float,
    max_pod_failure_backoff: float,
) -> tuple[list[int], float]:
    """getPodCreationInfoForIndependentIndexes: indexes whose back-off has passed, or the
    shortest remaining back-off when none has."""
    ready: list[int] = []
    shortest: float | None = None
    for ix in indexes:
        wait = remaining_time_per_index(
            now,
            pod_failure_backoff,
            max_pod_failure_backoff,
            ctx.delayed_deletion.get(ix),
        )
        if wait == 0:
            ready.append(ix)
        elif shortest is None or wait < shortest:
            shortest = wait
    if ready:
        return ready, 0.0
    return ready, shortest or 0.0
