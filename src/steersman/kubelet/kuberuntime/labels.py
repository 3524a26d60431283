"""The labels and annotations the kubelet puts on CRI sandboxes and containers, and reading
the runtime's view back into `PodRuntimeStatus` (Kubernetes' kuberuntime labels.go and
helpers).

Invariants: the keys are Kubernetes' own (`io.kubernetes.pod.uid`, ...), so tools that read
them (crictl) show what they show on Kubernetes; a container's restart count and spec hash live
in its annotations, so they survive a kubelet restart.
"""

from __future__ import annotations

import datetime
from typing import Any

from steersman.kubelet.container import (
    CREATED,
    EXITED,
    RUNNING,
    UNKNOWN,
    ContainerRecord,
    PodRuntimeStatus,
    SandboxRecord,
)
from steersman.kubelet.runtime.cri import api_pb2 as api

POD_NAME = "io.kubernetes.pod.name"
POD_NAMESPACE = "io.kubernetes.pod.namespace"
POD_UID = "io.kubernetes.pod.uid"
CONTAINER_NAME = "io.kubernetes.container.name"
CONTAINER_HASH = "io.kubernetes.container.hash"
RESTART_COUNT = "io.kubernetes.container.restartCount"
TERMINATION_MESSAGE_PATH = "io.kubernetes.container.terminationMessagePath"
TERMINATION_MESSAGE_POLICY = "io.kubernetes.container.terminationMessagePolicy"
POD_GRACE_PERIOD = "io.kubernetes.pod.terminationGracePeriod"
PRE_STOP_HANDLER = "io.kubernetes.container.preStopHandler"
CONTAINER_TYPE = "io.kubernetes.container.type"  # "init", "sidecar" or absent
RUNTIME_PREFIX = "containerd://"

_STATES = {
    api.CONTAINER_CREATED: CREATED,
    api.CONTAINER_RUNNING: RUNNING,
    api.CONTAINER_EXITED: EXITED,
    api.CONTAINER_UNKNOWN: UNKNOWN,
}


def pod_labels(pod: dict[str, Any]) -> dict[str, str]:
    meta = pod["metadata"]
    labels = dict(meta.get("labels") or {})
    labels.update(
        {
            POD_NAME: meta["name"],
            POD_NAMESPACE: meta.get("namespace", "default"),
            POD_UID: meta["uid"],
        }
    )
    return labels


def container_labels(pod: dict[str, Any], container_name: str) -> dict[str, str]:
    meta = pod["metadata"]
    return {
        POD_NAME: meta["name"],
        POD_NAMESPACE: meta.get("namespace", "default"),
        POD_UID: meta["uid"],
        CONTAINER_NAME: container_name,
    }


def _time(nanos: int) -> datetime.datetime | None:
    if nanos <= 0:
        return None
    return datetime.datetime.fromtimestamp(nanos / 1e9, datetime.UTC)


def sandbox_record(sandbox: api.PodSandbox | api.PodSandboxStatus, ips: list[str]) -> SandboxRecord:
    return SandboxRecord(
        id=sandbox.id,
        ready=sandbox.state == api.SANDBOX_READY,
        created_at=_time(sandbox.created_at),
        ips=ips,
        attempt=sandbox.metadata.attempt,
    )


def container_record(status: api.ContainerStatus) -> ContainerRecord:
    annotations = dict(status.annotations)
    try:
        restarts = int(annotations.get(RESTART_COUNT, "0"))
    except ValueError:
        restarts = 0
    return ContainerRecord(
        id=RUNTIME_PREFIX + status.id,
        name=status.labels.get(CONTAINER_NAME, status.metadata.name),
        state=_STATES.get(status.state, UNKNOWN),
        created_at=_time(status.created_at),
        started_at=_time(status.started_at),
        finished_at=_time(status.finished_at),
        exit_code=status.exit_code,
        reason=status.reason,
        message=status.message,
        image=status.image.user_specified_image or status.image.image,
        image_ref=status.image_ref,
        restart_count=restarts,
        spec_hash=annotations.get(CONTAINER_HASH, ""),
    )


def pod_runtime_status(
    uid: str,
    sandboxes: list[SandboxRecord],
    containers: list[ContainerRecord],
    *,
    name: str = "",
    namespace: str = "",
) -> PodRuntimeStatus:
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return PodRuntimeStatus(
        uid=uid,
        name=name,
        namespace=namespace,
        sandboxes=sorted(sandboxes, key=lambda s: s.created_at or epoch, reverse=True),
        containers=sorted(containers, key=lambda c: c.created_at or epoch, reverse=True),
    )
