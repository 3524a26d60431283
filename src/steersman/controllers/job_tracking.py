"""Job tracking with finalizers (Kubernetes' pkg/controller/job/tracking_utils.go): every pod a
Job creates carries the `batch.kubernetes.io/job-tracking` finalizer until the Job controller
has counted it, so no finished pod is lost if it is deleted before it was counted.

Invariants:
- A finished pod is first recorded in `status.uncountedTerminatedPods` (by uid), then its
  finalizer is removed, then it moves from the uncounted lists into `succeeded`/`failed`;
  a crash between any two steps neither loses nor double-counts it.
- `UIDTrackingExpectations` remembers, per Job key, the pod uids whose finalizer removal the
  controller asked for and has not yet seen in its informer; those pods are not counted again.
Single event loop: no locks.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"


def has_tracking_finalizer(pod: Obj) -> bool:
    return JOB_TRACKING_FINALIZER in ((pod.get("metadata") or {}).get("finalizers") or [])


def remove_tracking_finalizer_patch(pod: Obj) -> Obj | None:
    """A strategic merge patch removing the finalizer, or None if the pod has none."""
    if not has_tracking_finalizer(pod):
        return None
    return {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}}


class UIDTrackingExpectations:
    def __init__(self) -> None:
        self._by_key: dict[str, set[str]] = {}

    def expected_uids(self, key: str) -> set[str]:
        return set(self._by_key.get(key, ()))

    def expect_finalizers_removed(self, key: str, uids: list[str]) -> None:
        self._by_key.setdefault(key, set()).update(uids)

    def finalizer_removal_observed(self, key: str, uid: str) -> None:
        uids = self._by_key.get(key)
        if uids is not None:
            uids.discard(uid)

    def delete(self, key: str) -> None:
        self._by_key.pop(key, None)


def uncounted_lists(status: Obj) -> tuple[list[str], list[str]]:
    """status.uncountedTerminatedPods as (succeeded, failed), created if missing."""
    uncounted = status.get("uncountedTerminatedPods")
    if not isinstance(uncounted, dict):
        uncounted = status["uncountedTerminatedPods"] = {}
    succeeded = uncounted.setdefault("succeeded", [])
    failed = uncounted.setdefault("failed", [])
    if succeeded is None:
        succeeded = uncounted["succeeded"] = []
    if failed is None:
        failed = uncounted["failed"] = []
    return succeeded, failed


def clean_uncounted_pods_without_finalizers(status: Obj, uids_with_finalizer: set[str]) -> bool:
    """Move uids whose finalizer is gone from the uncounted lists into the counters; returns
    whether anything changed (cleanUncountedPodsWithoutFinalizers)."""
    succeeded, failed = uncounted_lists(status)
    updated = False
    kept = [u for u in succeeded if u in uids_with_finalizer]
    if len(kept) != len(succeeded):
        updated = True
        status["succeeded"] = int(status.get("succeeded") or 0) + len(succeeded) - len(kept)
        status["uncountedTerminatedPods"]["succeeded"] = kept
    kept = [u for u in failed if u in uids_with_finalizer]
    if len(kept) != len(failed):
        updated = True
        status["failed"] = int(status.get("failed") or 0) + len(failed) - len(kept)
        status["uncountedTerminatedPods"]["failed"] = kept
    return updated
