"""Status and conditions of the Deployment controller (Kubernetes' pkg/controller/deployment
sync.go calculateStatus, progress.go syncRolloutStatus, sync.go checkPausedConditions).

`DeploymentStatusSync` is a part the `DeploymentController` holds (`controller.status`): it
writes through the controller's `client` and requeues on its `queue`.

Invariants:
- Status and conditions (Available, Progressing with Kubernetes' reasons and messages,
  ReplicaFailure) are written only when they changed (lastUpdateTime alone is no change).
- A Progressing rollout is requeued at its progressDeadlineSeconds; one past the deadline gets
  Progressing=False/ProgressDeadlineExceeded. Paused deployments never time out.
- A status write that conflicts requeues the deployment; one for a deleted deployment is dropped.
"""

from __future__ import annotations

import datetime
from typing import Any

from steersman.api.resources import require
from steersman.client.indexer import object_key
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import WorkQueue
from steersman.controllers import deployment_util as du
from steersman.controllers.pods import parse_time

Obj = dict[str, Any]
DEPLOYMENTS = require("apps", "v1", "deployments")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class DeploymentStatusSync:
    def __init__(self, client: RestClient, queue: WorkQueue[str]) -> None:
        self.client = client
        self.queue = queue

    def calculate_status(self, d: Obj, all_rs: list[Obj], new_rs: Obj | None) -> Obj:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        available = du.status_sum(all_rs, "availableReplicas")
        current = d.get("status") or {}
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": du.status_sum(all_rs, "replicas"),
            "updatedReplicas": du.status_sum([new_rs], "replicas"),
            "readyReplicas": du.status_sum(all_rs, "readyReplicas"),
            "availableReplicas": available,
            "unavailableReplicas": max(replicas - available, 0),
        }
        status = {k: v for k, v in status.items() if v}
        if current.get("collisionCount"):
            status["collisionCount"] = current["collisionCount"]
        status["conditions"] = [dict(c) for c in current.get("conditions") or []]
        now = _now()
        if available >= replicas - du.max_unavailable(d):
            cond = du.new_condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            )
        else:
            cond = du.new_condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        du.set_condition(status, cond)
        return status

    async def sync_rollout_status(self, d: Obj, all_rs: list[Obj], new_rs: Obj | None) -> None:
        status = self.calculate_status(d, all_rs, new_rs)
        spec = d.get("spec") or {}
        now = _now()
        deadline = spec.get("progressDeadlineSeconds", 600)
        requeue: float | None = None
        if deadline is not None and not spec.get("paused"):
            current = du.get_condition(status, "Progressing")
            rs_name = new_rs["metadata"]["name"] if new_rs else ""
            if du.deployment_complete(d, status):
                du.set_condition(
                    status,
                    du.new_condition(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        f'ReplicaSet "{rs_name}" has successfully progressed.',
                        now,
                    ),
                )
            elif du.deployment_progressing(d, status):
                message = (
                    f'ReplicaSet "{rs_name}" is progressing.'
                    if new_rs
                    else f'Deployment "{d["metadata"]["name"]}" is progressing.'
                )
                cond = du.new_condition("Progressing", "True", "ReplicaSetUpdated", message, now)
                if current is not None and current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    du.remove_condition(status, "Progressing")
                du.set_condition(status, cond)
                requeue = float(deadline)
            elif current is not None and current.get("reason") != "NewReplicaSetAvailable":
                updated = parse_time(current.get("lastUpdateTime"))
                if updated is not None:
                    remaining = updated.timestamp() + deadline - now.timestamp()
                    if remaining <= 0:
                        du.set_condition(
                            status,
                            du.new_condition(
                                "Progressing",
                                "False",
                                "ProgressDeadlineExceeded",
                                f'ReplicaSet "{rs_name}" has timed out progressing.',
                                now,
                            ),
                        )
                    elif current.get("status") == "True":
                        requeue = remaining + 1
        failure = next(
            (
                c
                for rs in all_rs
                for c in (rs.get("status") or {}).get("conditions") or []
                if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
            ),
            None,
        )
        if failure is not None:
            du.set_condition(
                status,
                du.new_condition(
                    "ReplicaFailure",
                    "True",
                    failure.get("reason", ""),
                    failure.get("message", ""),
                    now,
                ),
            )
        else:
            du.remove_condition(status, "ReplicaFailure")
        await self.write_status(d, status)
        if requeue is not None:
            self.queue.add_after(object_key(d), requeue)

    async def check_paused_conditions(self, d: Obj) -> None:
        spec = d.get("spec") or {}
        if spec.get("progressDeadlineSeconds", 600) is None:
            return
        status = dict(d.get("status") or {})
        cond = du.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_cond = cond is not None and cond.get("reason") == "DeploymentPaused"
        now = _now()
        if spec.get("paused") and not paused_cond:
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now
                ),
            )
        elif not spec.get("paused") and paused_cond:
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now
                ),
            )
        else:
            return
        await self.write_status(d, status)

    async def write_status(self, d: Obj, status: Obj) -> None:
        if _comparable(d.get("status") or {}) == _comparable(status):
            return
        body = dict(d, status=status)
        try:
            written = await self.client.update(
                object_path(
                    DEPLOYMENTS, d["metadata"]["namespace"], d["metadata"]["name"], "status"
                ),
                body,
            )
        except ApiStatusError as exc:
            if exc.code == 404:
                return
            if exc.code == 409:
                self.queue.add(object_key(d))
                return
            raise
        d["metadata"] = written["metadata"]
        d["status"] = written.get("status") or {}


def _comparable(status: Obj) -> Obj:
    out = dict(status)
    out["conditions"] = sorted(
        (
            {k: v for k, v in c.items() if k not in ("lastUpdateTime",)}
            for c in status.get("conditions") or []
        ),
        key=lambda c: str(c.get("type")),
    )
    return out
