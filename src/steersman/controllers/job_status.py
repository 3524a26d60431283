"""The Job status as the Job controller reads and writes it: conditions (Kubernetes'
newCondition/ensureJobConditionStatus), pod failure classification and the wire form of
`status` (Go's `omitempty` rules for batch/v1 JobStatus).

Invariants:
- A Job is finished once a Complete or Failed condition is True; finishing goes through an
  interim condition first (SuccessCriteriaMet, FailureTarget), because with JobManagedBy and
  JobPodReplacementPolicy GA the terminal condition waits for terminating pods.
- `status_for_write` drops zero counters, an empty completedIndexes and unset times, keeps
  `ready`, `terminating` and `uncountedTerminatedPods` (pointers in Go, so written even when
  zero/empty), exactly as the Go controller's status serialises.
Pure functions: no I/O.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

Obj = dict[str, Any]

COMPLETE = "Complete"
FAILED = "Failed"
SUSPENDED = "Suspended"
FAILURE_TARGET = "FailureTarget"
SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"

REASON_BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"
REASON_DEADLINE_EXCEEDED = "DeadlineExceeded"
REASON_POD_FAILURE_POLICY = "PodFailurePolicy"
REASON_MAX_FAILED_INDEXES_EXCEEDED = "MaxFailedIndexesExceeded"
REASON_FAILED_INDEXES = "FailedIndexes"
REASON_SUCCESS_POLICY = "SuccessPolicy"
REASON_COMPLETIONS_REACHED = "CompletionsReached"
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"


def rfc3339(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_condition(
    type_: str, status: str, reason: str, message: str, now: datetime.datetime
) -> Obj:
    cond: Obj = {
        "type": type_,
        "status": status,
        "lastProbeTime": rfc3339(now),
        "lastTransitionTime": rfc3339(now),
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def find_condition(conditions: list[Obj], type_: str) -> Obj | None:
    for cond in conditions:
        if cond.get("type") == type_:
            return cond
    return None


def condition_true(job: Obj, type_: str) -> bool:
    cond = find_condition((job.get("status") or {}).get("conditions") or [], type_)
    return cond is not None and cond.get("status") == "True"


def is_job_finished(job: Obj) -> bool:
    return condition_true(job, COMPLETE) or condition_true(job, FAILED)


def finished_condition_type(job: Obj) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in (COMPLETE, FAILED) and cond.get("status") == "True":
            return str(cond["type"])
    return None


def ensure_condition_status(
    conditions: list[Obj],
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: datetime.datetime,
) -> bool:
    """Append or update the condition in place; a False condition is never appended. Returns
    whether the list changed."""
    cond = find_condition(conditions, type_)
    if cond is not None:
        if (
            cond.get("status") != status
            or cond.get("reason", "") != reason
            or cond.get("message", "") != message
        ):
            cond.clear()
            cond.update(new_condition(type_, status, reason, message, now))
            return True
        return False
    if status != "False":
        conditions.append(new_condition(type_, status, reason, message, now))
        return True
    return False


def only_replace_failed_pods(job: Obj) -> bool:
    spec = job.get("spec") or {}
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: Obj, job: Obj) -> bool:
    """Failed, or (unless only failed pods are replaced) deleted before succeeding."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return bool((pod.get("metadata") or {}).get("deletionTimestamp")) and phase != "Succeeded"


def managed_by_external_controller(job: Obj) -> str | None:
    name = (job.get("spec") or {}).get("managedBy")
    return name if name is not None and name != JOB_CONTROLLER_NAME else None


def past_backoff_limit_on_failure(job: Obj, pods: list[Obj]) -> bool:
    """For restartPolicy OnFailure: container restarts of running pods reach the limit."""
    spec = job.get("spec") or {}
    if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") in ("Running", "Pending"):
            for kind in ("initContainerStatuses", "containerStatuses"):
                restarts += sum(int(s.get("restartCount") or 0) for s in status.get(kind) or [])
    limit = int(spec.get("backoffLimit") or 0)
    return restarts > 0 if limit == 0 else restarts >= limit


def status_for_write(status: Obj) -> Obj:
    """The status in the form the Go controller serialises."""
    out: Obj = {}
    for cond_field in ("conditions",):
        if status.get(cond_field):
            out[cond_field] = copy.deepcopy(status[cond_field])
    for time_field in ("startTime", "completionTime"):
        if status.get(time_field):
            out[time_field] = status[time_field]
    for counter in ("active", "succeeded", "failed"):
        if status.get(counter):
            out[counter] = int(status[counter])
    if status.get("terminating") is not None:
        out["terminating"] = int(status["terminating"])
    if status.get("completedIndexes"):
        out["completedIndexes"] = status["completedIndexes"]
    if status.get("failedIndexes") is not None:
        out["failedIndexes"] = status["failedIndexes"]
    uncounted = status.get("uncountedTerminatedPods")
    if isinstance(uncounted, dict):
        out["uncountedTerminatedPods"] = {
            k: list(uncounted[k]) for k in ("succeeded", "failed") if uncounted.get(k)
        }
    if status.get("ready") is not None:
        out["ready"] = int(status["ready"])
    return out
