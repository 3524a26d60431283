"""The Job controller's pod I/O (Kubernetes' RealPodControl and PodControllerRefManager as the
Job controller uses them): claiming, creating, deleting pods and removing their tracking
finalizer, with the events Kubernetes records.

Invariants:
- Claiming adopts matching orphans (ownerReference plus the tracking finalizer, after a live
  read proves the Job is not being deleted) and releases owned pods that stopped matching
  (dropping the finalizer too); every ownership patch names the pod's uid.
- Creations go in slow-start batches (1, 2, 4, ...) and stop at the first failing batch;
  every pod that will not show up in the informer lowers the creation expectation.
- Deletions of pods a Job no longer wants first remove the finalizer, so the pod can go;
  deletions of a finishing Job's pods keep it, so they are counted.
- Errors are returned as text (the caller retries the sync); 404s count as done.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from steersman.api.labels import Selector
from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers import job_indexes as ji
from steersman.controllers import job_pods as jp
from steersman.controllers.expectations import ControllerExpectations
from steersman.controllers.job_indexes import UNKNOWN_INDEX
from steersman.controllers.job_tracking import (
    JOB_TRACKING_FINALIZER,
    UIDTrackingExpectations,
    remove_tracking_finalizer_patch,
)
from steersman.controllers.pods import controller_ref, is_pod_ready, new_controller_ref

Obj = dict[str, Any]
JOBS = require("batch", "v1", "jobs")
PODS = require("", "v1", "pods")
SMP = "application/strategic-merge-patch+json"
SLOW_START_INITIAL_BATCH = 1


def _uid(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _namespace_terminating(exc: ApiStatusError) -> bool:
    causes = (exc.status.get("details") or {}).get("causes") or []
    return any(c.get("type") == "NamespaceTerminating" for c in causes)


def pod_template_for_job(job: Obj) -> Obj:
    """The template pods are made from: the tracking finalizer added and, for Indexed Jobs,
    JOB_COMPLETION_INDEX in every container."""
    template = copy.deepcopy((job.get("spec") or {}).get("template") or {})
    if jp.is_indexed(job):
        template = ji.add_completion_index_env(template)
    finalizers = template.setdefault("metadata", {}).setdefault("finalizers", [])
    if JOB_TRACKING_FINALIZER not in finalizers:
        finalizers.append(JOB_TRACKING_FINALIZER)
    return template


class JobPodControl:
    def __init__(
        self,
        client: RestClient,
        recorder: EventRecorder,
        expectations: ControllerExpectations,
        finalizer_expectations: UIDTrackingExpectations,
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.expectations = expectations
        self.finalizer_expectations = finalizer_expectations

    async def _patch_pod(self, pod: Obj, patch: Obj) -> None:
        meta = pod["metadata"]
        await self.client.patch(
            object_path(PODS, meta["namespace"], meta["name"]), patch, patch_type=SMP
        )

    # -- claiming ------------------------------------------------------------------------
    async def claim_pods(self, job: Obj, selector: Selector, candidates: list[Obj]) -> list[Obj]:
        meta = job["metadata"]
        uid, deleting = meta["uid"], bool(meta.get("deletionTimestamp"))
        owned: list[Obj] = []
        live_checked = False
        for pod in candidates:
            ref = controller_ref(pod)
            matches = selector.matches(pod["metadata"].get("labels") or {})
            if ref is not None:
                if ref.get("uid") != uid:
                    continue
                if matches:
                    owned.append(pod)
                elif not deleting:
                    await self._release(pod, uid)
                continue
            if deleting or not matches or pod["metadata"].get("deletionTimestamp"):
                continue
            if not live_checked:
                live_checked = True
                if not await self._can_adopt(job):
                    return owned
            if await self._adopt(job, pod):
                # Count it as carrying the finalizer the adoption added.
                adopted = copy.deepcopy(pod)
                finalizers = adopted["metadata"].setdefault("finalizers", [])
                if JOB_TRACKING_FINALIZER not in finalizers:
                    finalizers.append(JOB_TRACKING_FINALIZER)
                owned.append(adopted)
        return owned

    async def _can_adopt(self, job: Obj) -> bool:
        meta = job["metadata"]
        try:
            fresh = await self.client.get(object_path(JOBS, meta["namespace"], meta["name"]))
        except ApiStatusError as exc:
            if exc.code == 404:
                return False
            raise
        return _uid(fresh) == meta["uid"] and not fresh["metadata"].get("deletionTimestamp")

    async def _adopt(self, job: Obj, pod: Obj) -> bool:
        patch = {
            "metadata": {
                "ownerReferences": [new_controller_ref(job, "batch/v1", "Job")],
                "uid": _uid(pod),
                "finalizers": [JOB_TRACKING_FINALIZER],
            }
        }
        try:
            await self._patch_pod(pod, patch)
        except ApiStatusError as exc:
            if exc.code in (404, 409, 422):
                return False
            raise
        return True

    async def _release(self, pod: Obj, owner_uid: str) -> None:
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
                "uid": _uid(pod),
                "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER],
            }
        }
        try:
            await self._patch_pod(pod, patch)
        except ApiStatusError as exc:
            if exc.code not in (404, 409, 422):
                raise

    # -- creating ----------------------------------------------------------------------
    async def create_pods(
        self,
        key: str,
        job: Obj,
        count: int,
        indexes: list[int],
        delayed_deletion: dict[int, Obj],
    ) -> tuple[int, str | None]:
        """Create `count` pods (one per index for Indexed Jobs); returns (how many will not
        appear, first error)."""
        self.expectations.expect_creations(key, count)
        template = pod_template_for_job(job)
        indexes = list(indexes)
        missing = 0
        errors: list[str] = []
        batch = min(count, SLOW_START_INITIAL_BATCH)
        while count > 0:
            batch_indexes = [indexes.pop(0) if indexes else UNKNOWN_INDEX for _ in range(batch)]
            results = await asyncio.gather(
                *(self._create_pod(job, template, ix, delayed_deletion) for ix in batch_indexes)
            )
            failures = [r for r in results if r is not None]
            for _ in failures:
                self.expectations.lower_creations(key)
            missing += len(failures)
            errors.extend(failures)
            skipped = count - batch
            if failures and skipped > 0:
                # Likely the same error for the rest (quota, ...): the next sync retries.
                missing += skipped
                for _ in range(skipped):
                    self.expectations.lower_creations(key)
                break
            count -= batch
            batch = min(2 * batch, count)
        return missing, errors[0] if errors else None

    async def _create_pod(
        self, job: Obj, template: Obj, index: int, delayed_deletion: dict[int, Obj]
    ) -> str | None:
        meta = job["metadata"]
        tmeta = template.get("metadata") or {}
        labels = dict(tmeta.get("labels") or {})
        annotations = dict(tmeta.get("annotations") or {})
        pod_spec = copy.deepcopy(template.get("spec") or {})
        generate_name = f"{meta['name']}-"
        if index != UNKNOWN_INDEX:
            annotations[ji.COMPLETION_INDEX_ANNOTATION] = str(index)
            labels[ji.COMPLETION_INDEX_ANNOTATION] = str(index)
            pod_spec["hostname"] = f"{meta['name']}-{index}"
            generate_name = ji.pod_generate_name_with_index(meta["name"], index)
            if jp.has_backoff_limit_per_index(job):
                failures, ignored = jp.new_index_failure_counts(job, delayed_deletion.get(index))
                annotations[ji.INDEX_FAILURE_COUNT_ANNOTATION] = str(failures)
                if ignored > 0:
                    annotations[ji.INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = str(ignored)
        pod_meta: Obj = {"generateName": generate_name, "namespace": meta["namespace"]}
        if labels:
            pod_meta["labels"] = labels
        if annotations:
            pod_meta["annotations"] = annotations
        pod_meta["finalizers"] = list(tmeta.get("finalizers") or [])
        pod_meta["ownerReferences"] = [new_controller_ref(job, "batch/v1", "Job")]
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}
        try:
            pod = await self.client.create(collection_path(PODS, meta["namespace"]), body)
        except ApiStatusError as exc:
            if _namespace_terminating(exc):
                return None  # every later creation fails too; nothing to report
            message = f"Error creating: {exc}"
            self.recorder.event(job, WARNING, "FailedCreate", message)
            return message
        self.recorder.event(
            job, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}"
        )
        return None

    # -- deleting ----------------------------------------------------------------------
    async def delete_pod(self, job: Obj, pod: Obj) -> ApiStatusError | None:
        """Delete with Kubernetes' events; returns the API error, if any."""
        name = pod["metadata"]["name"]
        try:
            await self.client.delete(object_path(PODS, pod["metadata"]["namespace"], name))
        except ApiStatusError as exc:
            if exc.code != 404:
                self.recorder.event(job, WARNING, "FailedDelete", f"Error deleting: {exc}")
            return exc
        self.recorder.event(job, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    async def delete_active_pods(self, job: Obj, pods: list[Obj]) -> tuple[int, int, str | None]:
        """A finishing Job's pods: delete, keeping finalizers. Returns (ready deleted,
        deleted, first error)."""
        results = await asyncio.gather(*(self.delete_pod(job, p) for p in pods))
        errors = [str(e) for e in results if e is not None and e.code != 404]
        ready = sum(1 for p in pods if is_pod_ready(p))
        return ready, len(pods) - len(errors), errors[0] if errors else None

    async def delete_job_pods(
        self, key: str, job: Obj, pods: list[Obj]
    ) -> tuple[int, int, str | None]:
        """Pods the Job no longer wants: remove the finalizer, then delete. Returns (ready
        deleted, deleted, first error)."""
        self.expectations.expect_deletions(key, [object_key(p) for p in pods])

        async def one(pod: Obj) -> tuple[bool, str | None]:
            patch = remove_tracking_finalizer_patch(pod)
            if patch is not None:
                try:
                    await self._patch_pod(pod, patch)
                except ApiStatusError as exc:
                    self.expectations.deletion_observed(key, object_key(pod))
                    if exc.code == 404:
                        return False, None
                    return False, f"removing completion finalizer: {exc}"
            failure = await self.delete_pod(job, pod)
            if failure is not None:
                self.expectations.deletion_observed(key, object_key(pod))
                if failure.code != 404:
                    return True, str(failure)
            return True, None

        results = await asyncio.gather(*(one(p) for p in pods))
        errors = [e for _, e in results if e is not None]
        ready = sum(
            1 for p, (reached, _) in zip(pods, results, strict=True) if reached and is_pod_ready(p)
        )
        return ready, len(pods) - len(errors), errors[0] if errors else None

    # -- finalizers ----------------------------------------------------------------------
    async def remove_tracking_finalizers(
        self, key: str, pods: list[Obj]
    ) -> tuple[list[bool], str | None]:
        """Returns, per pod, whether its finalizer is gone, and the first error."""
        self.finalizer_expectations.expect_finalizers_removed(key, [_uid(p) for p in pods])

        async def one(pod: Obj) -> tuple[bool, str | None]:
            patch = remove_tracking_finalizer_patch(pod)
            if patch is None:
                return False, None
            try:
                await self._patch_pod(pod, patch)
            except ApiStatusError as exc:
                # No update will come for this pod: stop expecting one.
                self.finalizer_expectations.finalizer_removal_observed(key, _uid(pod))
                if exc.code != 404:
                    return False, str(exc)
            return True, None

        results = await asyncio.gather(*(one(p) for p in pods))
        errors = [e for _, e in results if e is not None]
        return [ok for ok, _ in results], errors[0] if errors else None

    async def remove_orphan_finalizer(self, pod: Obj) -> None:
        patch = remove_tracking_finalizer_patch(pod)
        if patch is None:
            return
        try:
            await self._patch_pod(pod, patch)
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
