"""PodManager: the set of pods this kubelet should be running, merged from its sources (API
pods bound to the node, static pods from manifests), and the mirror pods that stand for static
pods in the API (Kubernetes' kubelet/pod/pod_manager.go and mirror_client.go).

Invariants:
- Keyed by uid. A mirror pod (annotation kubernetes.io/config.mirror) is never a pod to run:
  it is tracked by full name (`namespace/name`) beside the static pod it mirrors.
- A source reports its whole current set (`set_static_pods`) or single changes (`upsert_api_pod`,
  `remove_api_pod`); every change is returned as the uids whose desired state changed, for the
  caller to hand to the pod workers.
- A mirror pod is valid only while its config.mirror annotation equals its static pod's
  config.hash; anything else is stale and is deleted and re-created by `MirrorClient`.
"""

from __future__ import annotations

import logging
from typing import Any

from steersman.client.rest import ApiStatusError, RestClient
from steersman.kubelet.sources.static import CONFIG_HASH, CONFIG_MIRROR, is_mirror_pod

log = logging.getLogger("steersman.kubelet.pods")

Obj = dict[str, Any]


def full_name(pod: Obj) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def uid_of(pod: Obj) -> str:
    return str((pod.get("metadata") or {}).get("uid", ""))


class PodManager:
    def __init__(self) -> None:
        self._pods: dict[str, Obj] = {}
        self._static_uids: set[str] = set()
        self._mirrors: dict[str, Obj] = {}

    def pods(self) -> list[Obj]:
        return list(self._pods.values())

    def get(self, uid: str) -> Obj | None:
        return self._pods.get(uid)

    def get_by_full_name(self, name: str) -> Obj | None:
        for pod in self._pods.values():
            if full_name(pod) == name:
                return pod
        return None

    def mirror_for(self, static_pod: Obj) -> Obj | None:
        return self._mirrors.get(full_name(static_pod))

    def is_static(self, uid: str) -> bool:
        return uid in self._static_uids

    def upsert_api_pod(self, pod: Obj) -> list[str]:
        if is_mirror_pod(pod):
            self._mirrors[full_name(pod)] = pod
            static = self.get_by_full_name(full_name(pod))
            return [uid_of(static)] if static is not None and self.is_static(uid_of(static)) else []
        uid = uid_of(pod)
        self._pods[uid] = pod
        return [uid]

    def remove_api_pod(self, pod: Obj) -> list[str]:
        if is_mirror_pod(pod):
            current = self._mirrors.get(full_name(pod))
            if current is not None and uid_of(current) == uid_of(pod):
                del self._mirrors[full_name(pod)]
            static = self.get_by_full_name(full_name(pod))
            return [uid_of(static)] if static is not None and self.is_static(uid_of(static)) else []
        uid = uid_of(pod)
        return [uid] if self._pods.pop(uid, None) is not None else []

    def set_api_pods(self, pods: list[Obj]) -> list[str]:
        """Replace every API pod (after a relist); returns uids added, changed or removed."""
        changed: list[str] = []
        wanted = {uid_of(p): p for p in pods if not is_mirror_pod(p)}
        for uid in [u for u in self._pods if u not in self._static_uids and u not in wanted]:
            del self._pods[uid]
            changed.append(uid)
        for uid, pod in wanted.items():
            if self._pods.get(uid) is not pod:
                self._pods[uid] = pod
                changed.append(uid)
        self._mirrors = {full_name(p): p for p in pods if is_mirror_pod(p)}
        return changed

    def set_static_pods(self, pods: list[Obj]) -> list[str]:
        changed: list[str] = []
        wanted = {uid_of(p): p for p in pods}
        for uid in list(self._static_uids - set(wanted)):
            self._static_uids.discard(uid)
            self._pods.pop(uid, None)
            changed.append(uid)
        for uid, pod in wanted.items():
            if uid not in self._static_uids:
                self._static_uids.add(uid)
                self._pods[uid] = pod
                changed.append(uid)
        return changed


class MirrorClient:
    """Creates and deletes mirror pods in the API for static pods."""

    def __init__(self, client: RestClient, node_name: str) -> None:
        self.client = client
        self.node_name = node_name
        self._node_uid = ""

    async def _node_reference(self) -> dict[str, Any]:
        if not self._node_uid:
            node = await self.client.get(f"/api/v1/nodes/{self.node_name}")
            self._node_uid = node["metadata"]["uid"]
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "name": self.node_name,
            "uid": self._node_uid,
            "controller": True,
        }

    async def ensure_mirror(self, static_pod: Obj, mirror: Obj | None) -> None:
        wanted_hash = (static_pod["metadata"].get("annotations") or {}).get(CONFIG_HASH, "")
        if mirror is not None:
            have = (mirror["metadata"].get("annotations") or {}).get(CONFIG_MIRROR)
            if have == wanted_hash and not mirror["metadata"].get("deletionTimestamp"):
                return
            await self.delete_mirror(mirror)
        meta: Obj = {
            k: v
            for k, v in static_pod["metadata"].items()
            if k not in ("uid", "resourceVersion", "creationTimestamp")
        }
        meta["annotations"] = dict(meta.get("annotations") or {}, **{CONFIG_MIRROR: wanted_hash})
        meta["ownerReferences"] = [await self._node_reference()]
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": static_pod.get("spec") or {},
        }
        namespace = meta.get("namespace", "default")
        try:
            await self.client.create(f"/api/v1/namespaces/{namespace}/pods", body)
        except ApiStatusError as exc:
            if exc.code != 409:
                raise

    async def delete_mirror(self, mirror: Obj) -> None:
        meta = mirror["metadata"]
        try:
            await self.client.delete(
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
            )
        except ApiStatusError as exc:
            if exc.code not in (404, 409):
                raise
