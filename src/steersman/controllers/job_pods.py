"""Which pods a Job counts, replaces or removes (the pure parts of Kubernetes'
job_controller.go and indexed_job_utils.go that classify pods).

Invariants:
- Only pods still carrying the tracking finalizer, not already uncounted and not awaiting a
  finalizer removal are "new" finished pods; for Indexed Jobs only pods with a valid index
  below `completions` count at all.
- Pods chosen for removal come in Kubernetes' ActivePods order: unassigned, then pending <
  unknown < running, not ready < ready, ready for less time, more restarts, newer first.
  Indexed Jobs first remove pods without a valid index and all but one pod per repeated index.
Pure functions of the objects (and an explicit `now` where time matters): no I/O.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from steersman.controllers import job_indexes as ji
from steersman.controllers.job_backoff import finished_time
from steersman.controllers.job_indexes import UNKNOWN_INDEX, Interval, completion_index
from steersman.controllers.job_policies import FAIL_INDEX, match_pod_failure_policy
from steersman.controllers.job_status import is_pod_failed
from steersman.controllers.job_tracking import has_tracking_finalizer
from steersman.controllers.pods import is_pod_ready, parse_time, pod_condition

Obj = dict[str, Any]
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def is_indexed(job: Obj) -> bool:
    return (job.get("spec") or {}).get("completionMode") == "Indexed"


def has_backoff_limit_per_index(job: Obj) -> bool:
    return (job.get("spec") or {}).get("backoffLimitPerIndex") is not None


def completions_of(job: Obj) -> int:
    return int((job.get("spec") or {}).get("completions") or 0)


def _uid(pod: Obj) -> str:
    return str((pod.get("metadata") or {}).get("uid", ""))


def active_pods_key(pod: Obj) -> tuple[Any, ...]:
    """Sort key of controller.ActivePods: pods to remove first sort first."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = is_pod_ready(pod)
    ready_since = parse_time((pod_condition(pod, "Ready") or {}).get("lastTransitionTime"))
    restarts = max(
        (int(s.get("restartCount") or 0) for s in status.get("containerStatuses") or []), default=0
    )
    created = parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
    return (
        1 if spec.get("nodeName") else 0,
        _PHASE_ORDINAL.get(status.get("phase", ""), 0),
        1 if ready else 0,
        # Ready for a shorter time first; an unknown transition time counts as newest.
        -(ready_since.timestamp() if ready and ready_since else float("inf") if ready else 0.0),
        -restarts,
        -(created.timestamp() if created else float("inf")),
    )


def valid_pods(
    job: Obj,
    pods: list[Obj],
    skip_uids: set[str],
    predicate: Callable[[Obj], bool],
) -> list[Obj]:
    """getValidPodsWithFilter: pods with the finalizer, not in `skip_uids`, with a valid index
    for Indexed Jobs, that satisfy `predicate`."""
    indexed, completions = is_indexed(job), completions_of(job)
    out: list[Obj] = []
    for pod in pods:
        if not has_tracking_finalizer(pod) or _uid(pod) in skip_uids:
            continue
        if indexed:
            ix = completion_index(pod)
            if ix == UNKNOWN_INDEX or ix >= completions:
                continue
        if predicate(pod):
            out.append(pod)
    return out


def fail_job_message(job: Obj, pods: list[Obj]) -> str | None:
    """The FailJob message of the first failed pod matching such a rule, if any."""
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is None:
        return None
    for pod in pods:
        if is_pod_failed(pod, job):
            message, _, _ = match_pod_failure_policy(policy, pod)
            if message is not None:
                return message
    return None


def non_ignored_failed_count(job: Obj, failed: list[Obj]) -> int:
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is None:
        return len(failed)
    return sum(1 for p in failed if match_pod_failure_policy(policy, p)[1])


def succeeded_indexes(job: Obj, pods: list[Obj]) -> tuple[list[Interval], list[Interval]]:
    """calculateSucceededIndexes: (from status.completedIndexes, including new successes)."""
    completions = completions_of(job)
    prev = ji.parse_indexes((job.get("status") or {}).get("completedIndexes") or "", completions)
    new = {
        ix
        for p in pods
        if (p.get("status") or {}).get("phase") == "Succeeded"
        and has_tracking_finalizer(p)
        and UNKNOWN_INDEX != (ix := completion_index(p)) < completions
    }
    return prev, ji.with_ordered_indexes(prev, sorted(new))


def is_index_failed(job: Obj, pod: Obj) -> bool:
    counted = False
    if is_pod_failed(pod, job):
        policy = (job.get("spec") or {}).get("podFailurePolicy")
        if policy is not None:
            _, count_failed, action = match_pod_failure_policy(policy, pod)
            if action == FAIL_INDEX:
                return True
            counted = count_failed
        else:
            counted = True
    limit = int((job.get("spec") or {}).get("backoffLimitPerIndex") or 0)
    return counted and ji.index_failure_count(pod) >= limit


def failed_indexes(job: Obj, pods: list[Obj]) -> list[Interval]:
    """calculateFailedIndexes: status.failedIndexes plus newly failed indexes."""
    completions = completions_of(job)
    text = (job.get("status") or {}).get("failedIndexes")
    prev = ji.parse_indexes(text, completions) if text is not None else []
    new = {
        ix
        for p in pods
        if UNKNOWN_INDEX != (ix := completion_index(p)) < completions
        and has_tracking_finalizer(p)
        and is_index_failed(job, p)
    }
    return ji.with_ordered_indexes(prev, sorted(new))


def pods_with_delayed_deletion_per_index(
    job: Obj,
    pods: list[Obj],
    active_pods: list[Obj],
    succeeded: list[Interval],
    failed: list[Interval] | None,
) -> dict[int, Obj]:
    """For each index awaiting a replacement, the last failed pod: its removal waits until the
    replacement carries the index's failure count."""
    active = ji.indexes_of(active_pods)
    result: dict[int, Obj] = {}
    for pod in valid_pods(job, pods, set(), lambda p: is_pod_failed(p, job)):
        ix = completion_index(pod)
        if ji.has(succeeded, ix) or ji.has(failed, ix) or ix in active:
            continue
        last = result.get(ix)
        if last is None or (
            ji.index_absolute_failure_count(last) <= ji.index_absolute_failure_count(pod)
            and not finished_time(pod) < finished_time(last)
        ):
            result[ix] = pod
    return result


def new_index_failure_counts(job: Obj, replaced: Obj | None) -> tuple[int, int]:
    """(failure count, ignored failure count) for the pod replacing `replaced`."""
    if replaced is None:
        return 0, 0
    failures = ji.index_failure_count(replaced)
    ignored = ji.index_ignored_failure_count(replaced)
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is not None and not match_pod_failure_policy(policy, replaced)[1]:
        return failures, ignored + 1
    return failures + 1, ignored


def _split_same_index(pods: list[Obj], ix: int) -> tuple[list[Obj], list[Obj]]:
    if ix == UNKNOWN_INDEX:
        return list(pods), []
    if len(pods) == 1:
        return [], list(pods)
    ordered = sorted(pods, key=active_pods_key)
    return ordered[:-1], ordered[-1:]


def active_pods_for_removal(job: Obj, pods: list[Obj], rm_at_least: int) -> list[Obj]:
    rm: list[Obj] = []
    left: list[Obj] = []
    if is_indexed(job):
        completions = completions_of(job)
        ordered = sorted(pods, key=completion_index)
        group: list[Obj] = []
        last_ix = UNKNOWN_INDEX
        for pos, pod in enumerate(ordered):
            ix = completion_index(pod)
            if ix >= completions:
                r, lft = _split_same_index(group, last_ix)
                rm += r + ordered[pos:]
                left += lft
                group = []
                break
            if ix != last_ix and group:
                r, lft = _split_same_index(group, last_ix)
                rm += r
                left += lft
                group = []
            last_ix = ix
            group.append(pod)
        if group:
            r, lft = _split_same_index(group, last_ix)
            rm += r
            left += lft
    else:
        left = list(pods)
    if len(rm) < rm_at_least:
        left.sort(key=active_pods_key)
        rm += left[: rm_at_least - len(rm)]
    return rm


def terminating_indexes(job: Obj, pods: list[Obj]) -> list[int]:
    """Indexes of pods being deleted (FilterTerminatingPods), sorted."""
    return sorted(
        ji.indexes_of(
            [
                p
                for p in pods
                if (p.get("metadata") or {}).get("deletionTimestamp")
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            ]
        )
    )


def ready_count(pods: list[Obj]) -> int:
    return sum(1 for p in pods if is_pod_ready(p))


def deadline_remaining(job: Obj, now: datetime.datetime) -> float | None:
    """Seconds left of activeDeadlineSeconds (negative once past), None if not applicable."""
    spec = job.get("spec") or {}
    deadline = spec.get("activeDeadlineSeconds")
    start = parse_time((job.get("status") or {}).get("startTime"))
    if deadline is None or start is None or spec.get("suspend") is True:
        return None
    return float(deadline) - (now - start).total_seconds()
