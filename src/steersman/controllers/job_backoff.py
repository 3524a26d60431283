"""The pod-failure back-off of Jobs (Kubernetes' pkg/controller/job/backoff_utils.go): after
consecutive pod failures a Job waits before creating replacements, 10 s doubling per failure
up to the cap (10 minutes upstream).

Invariants:
- A `BackoffRecord` counts the failures since the last success and the time of the last
  failure; a success newer than the failures resets the count.
- A pod's finish time is the latest container termination, else its Ready=False transition,
  else its deletion time minus grace, else its creation time.
- The store is owned by one controller on one event loop; records of finished or deleted Jobs
  are removed.
Pure functions plus a dict-backed store: no I/O.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from steersman.controllers.job_indexes import index_absolute_failure_count
from steersman.controllers.pods import parse_time, pod_condition

Obj = dict[str, Any]
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class BackoffRecord:
    key: str
    failures_after_last_success: int = 0
    last_failure_time: datetime.datetime | None = None


def _finish_time_from_containers(pod: Obj) -> datetime.datetime | None:
    latest: datetime.datetime | None = None
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated is None:
            return None
        finished = parse_time(terminated.get("finishedAt"))
        if finished is None:
            return None
        if latest is None or latest < finished:
            latest = finished
    return latest


def finished_time(pod: Obj) -> datetime.datetime:
    """getFinishedTime."""
    found = _finish_time_from_containers(pod)
    if found is not None:
        return found
    ready = pod_condition(pod, "Ready")
    if ready is not None and ready.get("status") == "False":
        since = parse_time(ready.get("lastTransitionTime"))
        if since is not None:
            return since
    meta = pod.get("metadata") or {}
    deleted = parse_time(meta.get("deletionTimestamp"))
    if deleted is not None:
        grace = int(meta.get("deletionGracePeriodSeconds") or 0)
        return deleted - datetime.timedelta(seconds=grace)
    return parse_time(meta.get("creationTimestamp")) or _EPOCH


def remaining_time(
    now: datetime.datetime,
    default_backoff: float,
    max_backoff: float,
    failures: int,
    last_failure_time: datetime.datetime | None,
) -> float:
    """Seconds still to wait before creating pods again (0 when none)."""
    if failures == 0 or last_failure_time is None:
        return 0.0
    backoff = default_backoff
    for _ in range(1, failures):
        backoff *= 2
        if backoff >= max_backoff:
            backoff = max_backoff
            break
    elapsed = (now - last_failure_time).total_seconds()
    return 0.0 if backoff < elapsed else backoff - elapsed


def remaining_time_per_index(
    now: datetime.datetime, default_backoff: float, max_backoff: float, last_failed: Obj | None
) -> float:
    """getRemainingTimePerIndex: the back-off of one index of a backoffLimitPerIndex Job."""
    if last_failed is None:
        return 0.0
    failures = index_absolute_failure_count(last_failed) + 1
    return remaining_time(now, default_backoff, max_backoff, failures, finished_time(last_failed))


class BackoffStore:
    def __init__(self) -> None:
        self._records: dict[str, BackoffRecord] = {}

    def update(self, record: BackoffRecord) -> None:
        self._records[record.key] = record

    def remove(self, key: str) -> None:
        self._records.pop(key, None)

    def new_record(self, key: str, succeeded: list[Obj], failed: list[Obj]) -> BackoffRecord:
        """The record after counting newly succeeded and failed pods (not stored yet)."""
        old = self._records.get(key) or BackoffRecord(key)
        succeeded = sorted(succeeded, key=finished_time)
        failed = sorted(failed, key=finished_time)
        if not succeeded:
            if not failed:
                return old
            return BackoffRecord(
                key, old.failures_after_last_success + len(failed), finished_time(failed[-1])
            )
        if not failed:
            return BackoffRecord(key)
        last_success = finished_time(succeeded[-1])
        count = 0
        last_failure: datetime.datetime | None = None
        for pod in reversed(failed):
            failed_at = finished_time(pod)
            if failed_at <= last_success:
                break
            if last_failure is None:
                last_failure = failed_at
            count += 1
        return BackoffRecord(key, count, last_failure)
