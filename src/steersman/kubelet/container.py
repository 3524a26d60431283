"""The kubelet's runtime-neutral view of a pod's sandboxes and containers (Kubernetes'
kubecontainer.PodStatus / Status), built from whatever the runtime reports.

Invariants:
- Times are timezone-aware UTC datetimes or None; exit codes are ints; `state` is one of
  created/running/exited/unknown (CRI's four states).
- `PodRuntimeStatus.containers` lists every container the runtime still has for the pod, all
  attempts of each name, newest first (by creation time) — what status conversion and
  restart decisions read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

CREATED = "created"
RUNNING = "running"
EXITED = "exited"
UNKNOWN = "unknown"


@dataclass
class ContainerRecord:
    id: str  # "<runtime>://<id>" as shown in containerStatuses[].containerID
    name: str
    state: str
    created_at: datetime.datetime | None = None
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    image: str = ""
    image_ref: str = ""
    restart_count: int = 0
    spec_hash: str = ""

    @property
    def runtime_id(self) -> str:
        return self.id.split("://", 1)[-1]


@dataclass
class SandboxRecord:
    id: str
    ready: bool
    created_at: datetime.datetime | None = None
    ips: list[str] = field(default_factory=list)
    attempt: int = 0


@dataclass
class PodRuntimeStatus:
    uid: str
    name: str = ""
    namespace: str = ""
    sandboxes: list[SandboxRecord] = field(default_factory=list)  # newest first
    containers: list[ContainerRecord] = field(default_factory=list)  # newest first

    @property
    def ips(self) -> list[str]:
        for sandbox in self.sandboxes:
            if sandbox.ready:
                return sandbox.ips
        return []

    def latest(self, name: str) -> ContainerRecord | None:
        for record in self.containers:
            if record.name == name:
                return record
        return None

    def attempts(self, name: str) -> list[ContainerRecord]:
        return [record for record in self.containers if record.name == name]
