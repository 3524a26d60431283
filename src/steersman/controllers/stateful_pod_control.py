"""StatefulPodControl: the StatefulSet controller's writes to pods and PersistentVolumeClaims,
with the events Kubernetes records for them (pkg/controller/statefulset/stateful_pod_control.go).

Invariants:
- A pod's claims are created before the pod; a claim being deleted blocks the pod.
- Every pod create/update/delete records SuccessfulCreate/Update/Delete ("create Pod web-0 in
  StatefulSet web successful") or FailedCreate/... with the error; a pod that already exists is
  an error without an event (the cache was behind: the next sync sees it).
- Claim ownership is only ever rewritten to match the retention policy, on a copy, with
  conflicts retried against a fresh read.
- Reads come from the pod and claim informers; errors propagate to the caller, which requeues.
"""

from __future__ import annotations

import copy
from typing import Any

from steersman.api.resources import require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.informer import Informer
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers import statefulset_util as su

Obj = dict[str, Any]
PODS = require("", "v1", "pods")
CLAIMS = require("", "v1", "persistentvolumeclaims")
_CONFLICT_RETRIES = 5


class StatefulSetError(Exception):
    """A step of a StatefulSet sync failed; the sync is retried."""


class StatefulPodControl:
    def __init__(
        self, client: RestClient, pods: Informer, claims: Informer, recorder: EventRecorder
    ) -> None:
        self.client = client
        self.pods = pods
        self.claims = claims
        self.recorder = recorder

    # -- events ------------------------------------------------------------------------------
    def record_pod_event(self, verb: str, set_: Obj, pod: Obj, err: Exception | None) -> None:
        name, set_name = pod["metadata"]["name"], set_["metadata"]["name"]
        if err is None:
            self.recorder.event(
                set_,
                NORMAL,
                f"Successful{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} successful",
            )
        else:
            self.recorder.event(
                set_,
                WARNING,
                f"Failed{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} failed error: {err}",
            )

    def record_claim_event(
        self, verb: str, set_: Obj, pod: Obj, claim: Obj, err: Exception | None
    ) -> None:
        claim_name = claim["metadata"]["name"]
        name, set_name = pod["metadata"]["name"], set_["metadata"]["name"]
        if err is None:
            self.recorder.event(
                set_,
                NORMAL,
                f"Successful{verb.title()}",
                f"{verb} Claim {claim_name} Pod {name} in StatefulSet {set_name} success",
            )
        else:
            self.recorder.event(
                set_,
                WARNING,
                f"Failed{verb.title()}",
                f"{verb} Claim {claim_name} for Pod {name} in StatefulSet {set_name} "
                f"failed error: {err}",
            )

    # -- pods ------------------------------------------------------------------------------------
    async def create_stateful_pod(self, set_: Obj, pod: Obj) -> None:
        try:
            await self.create_persistent_volume_claims(set_, pod)
        except StatefulSetError as exc:
            self.record_pod_event("create", set_, pod, exc)
            raise
        try:
            await self.client.create(collection_path(PODS, set_["metadata"]["namespace"]), pod)
        except ApiStatusError as exc:
            if exc.code != 409 or exc.reason != "AlreadyExists":
                self.record_pod_event("create", set_, pod, exc)
            raise
        try:
            await self.update_pod_claim_for_retention_policy(set_, pod)
        except (StatefulSetError, ApiStatusError) as exc:
            self.record_pod_event("update", set_, pod, exc)
            raise
        self.record_pod_event("create", set_, pod, None)

    async def update_stateful_pod(self, set_: Obj, pod: Obj) -> None:
        """Bring a pod's identity, storage and claim ownership in line with the set."""
        pod = copy.deepcopy(pod)
        meta = pod["metadata"]
        path = object_path(PODS, meta.get("namespace", ""), meta["name"])
        attempted = False
        error: Exception | None = None
        for _ in range(_CONFLICT_RETRIES):
            consistent = True
            if not su.identity_matches(set_, pod):
                su.update_identity(set_, pod)
                consistent = False
            try:
                if not su.storage_matches(set_, pod):
                    su.update_storage(set_, pod)
                    consistent = False
                    await self.create_persistent_volume_claims(set_, pod)
                if not await self.claims_match_retention_policy(set_, pod):
                    await self.update_pod_claim_for_retention_policy(set_, pod)
                    consistent = False
            except (StatefulSetError, ApiStatusError) as exc:
                self.record_pod_event("update", set_, pod, exc)
                raise
            if consistent:
                return
            attempted = True
            try:
                await self.client.update(path, pod)
                error = None
                break
            except ApiStatusError as exc:
                error = exc
                if exc.code != 409:
                    break
            try:
                pod = await self.client.get(path)
            except ApiStatusError as exc:
                error = exc
                break
        if attempted:
            self.record_pod_event("update", set_, pod, error)
        if error is not None:
            raise error

    async def delete_stateful_pod(self, set_: Obj, pod: Obj) -> None:
        meta = pod["metadata"]
        try:
            await self.client.delete(object_path(PODS, meta["namespace"], meta["name"]))
        except ApiStatusError as exc:
            self.record_pod_event("delete", set_, pod, exc)
            raise
        self.record_pod_event("delete", set_, pod, None)

    # -- claims -------------------------------------------------------------------------------------
    def _cached_claim(self, namespace: str, name: str) -> Obj | None:
        return self.claims.get(namespace, name)

    async def claims_match_retention_policy(self, set_: Obj, pod: Obj) -> bool:
        ordinal = su.get_ordinal(pod)
        namespace = set_["metadata"].get("namespace", "")
        for template in su.claim_templates(set_):
            claim = self._cached_claim(namespace, su.claim_name(set_, template, ordinal))
            if claim is not None and not su.is_claim_owner_up_to_date(claim, set_, pod):
                return False
        return True

    async def update_pod_claim_for_retention_policy(self, set_: Obj, pod: Obj) -> None:
        ordinal = su.get_ordinal(pod)
        namespace = set_["metadata"].get("namespace", "")
        for template in su.claim_templates(set_):
            name = su.claim_name(set_, template, ordinal)
            claim = self._cached_claim(namespace, name)
            if claim is None:
                continue  # picked up on a later sync, once the informer has it
            if su.has_unexpected_controller(claim, set_, pod):
                self.recorder.event(
                    set_,
                    WARNING,
                    "ConflictingController",
                    f"PersistentVolumeClaim {name} has a conflicting OwnerReference that acts as "
                    "a manging controller, the retention policy is ignored for this claim",
                )
            if not su.is_claim_owner_up_to_date(claim, set_, pod):
                await self._update_claim_owners(set_, pod, claim)

    async def _update_claim_owners(self, set_: Obj, pod: Obj, claim: Obj) -> None:
        claim = copy.deepcopy(claim)
        meta = claim["metadata"]
        path = object_path(CLAIMS, meta.get("namespace", ""), meta["name"])
        for _ in range(_CONFLICT_RETRIES):
            su.update_claim_owner_ref_for_set_and_pod(claim, set_, pod)
            try:
                await self.client.update(path, claim)
                return
            except ApiStatusError as exc:
                if exc.code != 409:
                    raise StatefulSetError(
                        f"could not update claim {meta['name']} for delete policy ownerRefs: {exc}"
                    ) from exc
            claim = await self.client.get(path)
            if su.is_claim_owner_up_to_date(claim, set_, pod):
                return
        raise StatefulSetError(f"conflicts updating claim {meta['name']}")

    def pod_claim_is_stale(self, set_: Obj, pod: Obj) -> bool:
        """A claim still owned by an earlier pod of this name blocks the new pod (whenScaled
        Delete: the garbage collector is about to delete it)."""
        if su.retention_policy(set_)[1] == su.RETAIN:
            return False
        for claim in su.persistent_volume_claims(set_, pod).values():
            cached = self._cached_claim(claim["metadata"]["namespace"], claim["metadata"]["name"])
            if cached is not None and su.has_stale_owner_ref(cached, pod, "v1", "Pod"):
                return True
        return False

    async def create_missing_persistent_volume_claims(self, set_: Obj, pod: Obj) -> None:
        await self.create_persistent_volume_claims(set_, pod)
        try:
            await self.update_pod_claim_for_retention_policy(set_, pod)
        except (StatefulSetError, ApiStatusError) as exc:
            self.record_pod_event("update", set_, pod, exc)
            raise

    async def create_persistent_volume_claims(self, set_: Obj, pod: Obj) -> None:
        errors: list[str] = []
        for claim in su.persistent_volume_claims(set_, pod).values():
            meta = claim["metadata"]
            cached = self._cached_claim(meta["namespace"], meta["name"])
            if cached is not None:
                if (cached.get("metadata") or {}).get("deletionTimestamp"):
                    errors.append(f"pvc {meta['name']} is being deleted")
                continue
            try:
                await self.client.create(collection_path(CLAIMS, meta["namespace"]), claim)
            except ApiStatusError as exc:
                if exc.code == 409 and exc.reason == "AlreadyExists":
                    # Created by an earlier sync the informer has not shown yet.
                    if await self._claim_deleting(meta["namespace"], meta["name"]):
                        errors.append(f"pvc {meta['name']} is being deleted")
                    continue
                errors.append(f"failed to create PVC {meta['name']}: {exc}")
                self.record_claim_event("create", set_, pod, claim, exc)
                continue
            self.record_claim_event("create", set_, pod, claim, None)
        if errors:
            raise StatefulSetError(_aggregate(errors))

    async def _claim_deleting(self, namespace: str, name: str) -> bool:
        try:
            live: Obj = await self.client.get(object_path(CLAIMS, namespace, name))
        except ApiStatusError as exc:
            if exc.code == 404:
                return False
            raise
        return bool((live.get("metadata") or {}).get("deletionTimestamp"))


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate's text: one error as is, several in brackets."""
    if len(errors) == 1:
        return errors[0]
    return "[" + ", ".join(errors) + "]"
