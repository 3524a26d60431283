"""StatusManager: the kubelet's single writer of pod status to the API server (Kubernetes'
kubelet/status/status_manager.go).

Invariants:
- `set_pod_status` is cheap and synchronous: it records the latest status per pod uid and marks
  the pod dirty; one background task writes dirty pods, so a burst of changes to one pod costs
  one write. Writes are skipped when the API already shows the same status.
- Writes go through `pods/<name>/status` with the resourceVersion just read, so a concurrent
  writer's conditions (those the kubelet does not own) are re-read and kept on a conflict.
- Static pods' statuses are written to their mirror pods (same namespace/name, different uid);
  a pod whose uid in the API differs from the one the status is for is not touched.
- `terminated_and_deletable(uid)` + `delete_pod` finish a graceful deletion: once the kubelet
  has stopped every container of a pod that has a deletionTimestamp, the pod object is deleted
  with grace period 0 and a uid precondition.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient
from steersman.kubelet.pod_status import KUBELET_CONDITIONS

log = logging.getLogger("steersman.kubelet.status")
# Set by the kubelet itself when it evicts (reason TerminationByKubelet); kept from its status.
DISRUPTION_TARGET = "DisruptionTarget"

Obj = dict[str, Any]


@dataclass
class _Entry:
    namespace: str
    name: str
    api_uid: str  # the uid of the object to write (the mirror pod's for static pods)
    status: Obj
    version: int = 0
    written_version: int = -1


def _comparable(status: Obj) -> Obj:
    """Status without the fields that change on every computation but mean nothing."""
    out = dict(status)
    out["conditions"] = sorted(
        (
            {k: v for k, v in c.items() if k != "lastProbeTime"}
            for c in status.get("conditions") or []
        ),
        key=lambda c: str(c.get("type")),
    )
    return out


class StatusManager:
    def __init__(self, client: RestClient, *, retry_interval: float = 1.0) -> None:
        self.client = client
        self.retry_interval = retry_interval
        self._entries: dict[str, _Entry] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()

    def get_pod_status(self, uid: str) -> Obj | None:
        entry = self._entries.get(uid)
        return entry.status if entry else None

    def set_pod_status(
        self, uid: str, namespace: str, name: str, api_uid: str, status: Obj
    ) -> None:
        entry = self._entries.get(uid)
        if entry is not None and _comparable(entry.status) == _comparable(status):
            entry.api_uid = api_uid
            return
        if entry is None:
            entry = _Entry(namespace, name, api_uid, status)
            self._entries[uid] = entry
        entry.status = status
        entry.api_uid = api_uid
        entry.version += 1
        self._dirty.add(uid)
        self._wake.set()

    def forget(self, uid: str) -> None:
        self._entries.pop(uid, None)
        self._dirty.discard(uid)

    def is_synced(self, uid: str) -> bool:
        entry = self._entries.get(uid)
        return entry is not None and entry.written_version == entry.version

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            for uid in list(self._dirty):
                self._dirty.discard(uid)
                try:
                    done = await self.sync_pod(uid)
                except REQUEST_ERRORS as exc:
                    log.warning("pod status %s: %s", uid, exc)
                    done = False
                if not done:
                    self._dirty.add(uid)
            if self._dirty:
                await asyncio.sleep(self.retry_interval)
                self._wake.set()

    async def sync_pod(self, uid: str) -> bool:
        """Write one pod's status; True when there is nothing more to do for it."""
        entry = self._entries.get(uid)
        if entry is None:
            return True
        path = f"/api/v1/namespaces/{entry.namespace}/pods/{entry.name}"
        for _ in range(5):
            version = entry.version
            try:
                pod: Obj = await self.client.get(path)
            except ApiStatusError as exc:
                if exc.code == 404:
                    return True  # gone (or mirror not created yet: the pod worker sets it again)
                raise
            if pod["metadata"].get("uid") != entry.api_uid:
                return True
            current = pod.get("status") or {}
            status = dict(entry.status)
            ours = [
                c
                for c in entry.status.get("conditions") or []
                if c.get("type") in KUBELET_CONDITIONS or c.get("type") == DISRUPTION_TARGET
            ]
            owned = {c.get("type") for c in ours}
            foreign = [
                c
                for c in current.get("conditions") or []
                if c.get("type") not in KUBELET_CONDITIONS and c.get("type") not in owned
            ]
            status["conditions"] = foreign + ours
            # Fields set once by others (qosClass at admission) are never the kubelet's to drop.
            for key in ("qosClass", "nominatedNodeName"):
                if key in current and key not in status:
                    status[key] = current[key]
            if _comparable(status) == _comparable(current):
                entry.written_version = version
                return True
            pod["status"] = status
            try:
                await self.client.update(f"{path}/status", pod)
            except ApiStatusError as exc:
                if exc.code == 409:
                    continue
                if exc.code == 404:
                    return True
                raise
            entry.written_version = version
            return True
        return False

    async def delete_pod(self, namespace: str, name: str, api_uid: str) -> None:
        """The final delete of a pod the kubelet has finished terminating."""
        body = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": api_uid},
        }
        try:
            await self.client.delete(f"/api/v1/namespaces/{namespace}/pods/{name}", body)
        except ApiStatusError as exc:
            if exc.code not in (404, 409):
                raise
