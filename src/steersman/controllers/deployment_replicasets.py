"""ReplicaSets of the Deployment controller (Kubernetes' pkg/controller/deployment sync.go):
adopting and releasing them, finding or creating the new one, its revision annotations, scaling.

`DeploymentReplicaSets` is a part the `DeploymentController` holds (`controller.rs`): it
writes through the controller's `client`, records on its `recorder`, reads its `replica_sets`
informer and writes Deployment status through its `status` part.

Invariants:
- The new ReplicaSet is the one whose template equals the Deployment's (ignoring the
  pod-template-hash label); it is named `<deployment>-<hash>`, and a name collision with a
  foreign ReplicaSet bumps status.collisionCount and picks another hash.
- Revisions: the new ReplicaSet carries max(old revisions) + 1; a template rolled back to keeps
  its older revisions in deployment.kubernetes.io/revision-history, and the Deployment carries
  the new ReplicaSet's revision.
- Every ReplicaSet this controller scales carries the desired-replicas and max-replicas
  annotations of the Deployment it was scaled for.
"""

from __future__ import annotations

import copy
from typing import Any

from steersman.api.labels import Selector, selector_from_label_selector
from steersman.api.resources import require
from steersman.client.events import NORMAL, EventRecorder
from steersman.client.informer import Informer
from steersman.client.paths import collection_path, object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers import deployment_util as du
from steersman.controllers.deployment_status import DEPLOYMENTS, DeploymentStatusSync, _now
from steersman.controllers.pods import controller_ref, new_controller_ref, parse_time

Obj = dict[str, Any]
REPLICA_SETS = require("apps", "v1", "replicasets")


def _created(obj: Obj) -> tuple[float, str]:
    when = parse_time(obj["metadata"].get("creationTimestamp"))
    return (when.timestamp() if when else 0.0, obj["metadata"]["name"])


class DeploymentReplicaSets:
    def __init__(
        self,
        client: RestClient,
        recorder: EventRecorder,
        replica_sets: Informer,
        status: DeploymentStatusSync,
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.replica_sets = replica_sets
        self.status = status

    @staticmethod
    def selector(d: Obj) -> Selector:
        return selector_from_label_selector((d.get("spec") or {}).get("selector"))

    async def claim_replica_sets(self, d: Obj) -> list[Obj]:
        uid = d["metadata"]["uid"]
        selector = self.selector(d)
        owned = []
        for rs in self.replica_sets.store.by_index("namespace", d["metadata"]["namespace"]):
            ref = controller_ref(rs)
            matches = selector.matches(rs["metadata"].get("labels") or {})
            if ref is not None:
                if ref.get("uid") == uid and matches:
                    owned.append(_copy(rs))
                elif ref.get("uid") == uid and not d["metadata"].get("deletionTimestamp"):
                    await self._patch_rs(
                        rs,
                        {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}]}},
                    )
                continue
            if matches and not d["metadata"].get("deletionTimestamp"):
                ref = new_controller_ref(d, "apps/v1", "Deployment")
                if await self._patch_rs(rs, {"metadata": {"ownerReferences": [ref]}}):
                    owned.append(_copy(rs))
        return owned

    async def _patch_rs(self, rs: Obj, patch: Obj) -> bool:
        patch["metadata"]["uid"] = rs["metadata"]["uid"]
        try:
            await self.client.patch(
                object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]),
                patch,
                patch_type="application/strategic-merge-patch+json",
            )
        except ApiStatusError as exc:
            if exc.code in (404, 409, 422):
                return False
            raise
        return True

    def is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new_rs, old = self.split(d, rs_list)
        replicas = str((d.get("spec") or {}).get("replicas", 1))
        for rs in [r for r in [new_rs, *old] if r and _spec_replicas(r) > 0]:
            desired = (rs["metadata"].get("annotations") or {}).get(du.DESIRED_REPLICAS)
            if desired is not None and desired != replicas:
                return True
        return False

    def split(self, d: Obj, rs_list: list[Obj]) -> tuple[Obj | None, list[Obj]]:
        template = (d.get("spec") or {}).get("template") or {}
        matching = sorted(
            (
                rs
                for rs in rs_list
                if du.equal_ignore_hash((rs.get("spec") or {}).get("template") or {}, template)
            ),
            key=_created,
        )
        new_rs = matching[0] if matching else None
        old = [
            rs
            for rs in rs_list
            if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]
        ]
        return new_rs, old

    async def get_all_replica_sets(
        self, d: Obj, rs_list: list[Obj], *, create: bool
    ) -> tuple[Obj | None, list[Obj]]:
        new_rs, old = self.split(d, rs_list)
        new_revision = du.max_revision(old) + 1
        if new_rs is not None:
            new_rs = await self._sync_existing_new_rs(d, new_rs, new_revision)
            return new_rs, old
        if not create:
            return None, old
        return await self._create_new_rs(d, old, new_revision), old

    async def _sync_existing_new_rs(self, d: Obj, rs: Obj, new_revision: int) -> Obj:
        changed = du.copy_annotations(d, rs)
        annotations = rs["metadata"].setdefault("annotations", {})
        old_revision = annotations.get(du.REVISION)
        if du.revision(rs) < new_revision:
            if old_revision:
                history = [h for h in annotations.get(du.REVISION_HISTORY, "").split(",") if h]
                annotations[du.REVISION_HISTORY] = ",".join([*history, old_revision])
            annotations[du.REVISION] = str(new_revision)
            changed = True
        changed |= self._set_replicas_annotations(d, rs)
        min_ready = (d.get("spec") or {}).get("minReadySeconds") or 0
        if ((rs.get("spec") or {}).get("minReadySeconds") or 0) != min_ready:
            rs["spec"]["minReadySeconds"] = min_ready
            changed = True
        if changed:
            rs = await self.client.update(
                object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]), rs
            )
        await self._set_deployment_revision(d, rs["metadata"]["annotations"].get(du.REVISION, ""))
        if du.get_condition(d.get("status") or {}, "Progressing") is None:
            status = dict(d.get("status") or {})
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    f'Found new replica set "{rs["metadata"]["name"]}"',
                    _now(),
                ),
            )
            await self.status.write_status(d, status)
        return rs

    def _set_replicas_annotations(self, d: Obj, rs: Obj) -> bool:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        surge = du.resolve_fenceposts(d)[0] if _is_rolling(d) else 0
        annotations = rs["metadata"].setdefault("annotations", {})
        wanted = {du.DESIRED_REPLICAS: str(replicas), du.MAX_REPLICAS: str(replicas + surge)}
        if all(annotations.get(k) == v for k, v in wanted.items()):
            return False
        annotations.update(wanted)
        return True

    async def _set_deployment_revision(self, d: Obj, revision: str) -> None:
        if not revision or (d["metadata"].get("annotations") or {}).get(du.REVISION) == revision:
            return
        patched = await self.client.patch(
            object_path(DEPLOYMENTS, d["metadata"]["namespace"], d["metadata"]["name"]),
            {"metadata": {"annotations": {du.REVISION: revision}}},
        )
        d["metadata"] = patched["metadata"]

    async def _create_new_rs(self, d: Obj, old: list[Obj], new_revision: int) -> Obj | None:
        spec = d.get("spec") or {}
        status = dict(d.get("status") or {})
        template = _copy(spec.get("template") or {})
        pod_hash = du.compute_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[du.POD_TEMPLATE_HASH] = (
            pod_hash
        )
        selector = _copy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[du.POD_TEMPLATE_HASH] = pod_hash
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": d["metadata"]["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [new_controller_ref(d, "apps/v1", "Deployment")],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": spec.get("minReadySeconds") or 0,
                "selector": selector,
                "template": template,
            },
        }
        du.copy_annotations(d, rs)
        rs["metadata"]["annotations"][du.REVISION] = str(new_revision)
        self._set_replicas_annotations(d, rs)
        rs["spec"]["replicas"] = du.new_rs_new_replicas(d, old, rs)
        try:
            created = await self.client.create(
                collection_path(REPLICA_SETS, d["metadata"]["namespace"]), rs
            )
        except ApiStatusError as exc:
            if exc.code != 409 or exc.reason != "AlreadyExists":
                raise
            existing = await self.client.get(
                object_path(REPLICA_SETS, d["metadata"]["namespace"], name)
            )
            ref = controller_ref(existing)
            if (
                ref is not None
                and ref.get("uid") == d["metadata"]["uid"]
                and du.equal_ignore_hash(
                    (existing.get("spec") or {}).get("template") or {}, spec.get("template") or {}
                )
            ):
                return existing  # ours: the cache had not seen it yet
            status["collisionCount"] = (status.get("collisionCount") or 0) + 1
            await self.status.write_status(d, status)
            raise RuntimeError(f"hash collision for ReplicaSet {name}") from exc
        replicas = _spec_replicas(created)
        if replicas > 0:
            self.recorder.event(
                d, NORMAL, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}"
            )
        await self._set_deployment_revision(d, str(new_revision))
        du.set_condition(
            status,
            du.new_condition(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                f'Created new replica set "{name}"',
                _now(),
            ),
        )
        await self.status.write_status(d, status)
        return created

    async def scale(self, d: Obj, rs: Obj, new_size: int) -> bool:
        old_size = _spec_replicas(rs)
        annotations_changed = self._set_replicas_annotations(d, rs)
        if old_size == new_size and not annotations_changed:
            return False
        rs["spec"]["replicas"] = new_size
        updated = await self.client.update(
            object_path(REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]), rs
        )
        rs.update(updated)
        if old_size != new_size:
            direction = "up" if new_size > old_size else "down"
            self.recorder.event(
                d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} from {old_size} to {new_size}",
            )
        return old_size != new_size


def _spec_replicas(rs: Obj) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def _is_rolling(d: Obj) -> bool:
    return (
        ((d.get("spec") or {}).get("strategy") or {}).get("type") or "RollingUpdate"
    ) == "RollingUpdate"


def _copy(obj: Obj) -> Obj:
    return copy.deepcopy(obj)
