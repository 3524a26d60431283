"""SchedulerCache: nodes and the pods placed on them, including pods the scheduler has
assumed (decided but not yet seen bound), from which each cycle takes a snapshot.

Invariants:
- A pod is counted on at most one node. An assumed pod stays counted until its binding is
  observed (then it is simply a bound pod) or `forget` is called (binding failed).
- Terminal pods (Succeeded/Failed) use nothing and are not counted.
"""

from __future__ import annotations

from typing import Any

from steersman.scheduler.framework import NodeInfo

Obj = dict[str, Any]


def _counts(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


class SchedulerCache:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self._pod_node: dict[str, str] = {}
        self._pods: dict[str, Obj] = {}
        self.assumed: set[str] = set()

    def add_node(self, node: Obj) -> None:
        """A node added or updated: an update keeps what is placed on it (no pod scan)."""
        name = node["metadata"]["name"]
        existing = self.nodes.get(name)
        if existing is not None:
            existing.set_node(node)
            return
        info = NodeInfo(node)
        for uid, node_name in self._pod_node.items():
            if node_name == name:
                info.add_pod(self._pods[uid])
        self.nodes[name] = info

    def remove_node(self, node: Obj) -> None:
        self.nodes.pop(node["metadata"]["name"], None)

    def _place(self, pod: Obj, node_name: str) -> None:
        uid = pod["metadata"]["uid"]
        self._unplace(uid)
        if not _counts(pod):
            return
        self._pods[uid] = pod
        self._pod_node[uid] = node_name
        info = self.nodes.get(node_name)
        if info is not None:
            info.add_pod(pod)

    def _unplace(self, uid: str) -> None:
        node_name = self._pod_node.pop(uid, None)
        pod = self._pods.pop(uid, None)
        if node_name is not None and pod is not None:
            info = self.nodes.get(node_name)
            if info is not None:
                info.remove_pod(pod)

    def add_or_update_pod(self, pod: Obj) -> None:
        """A pod seen with spec.nodeName (bound)."""
        uid = pod["metadata"]["uid"]
        self.assumed.discard(uid)
        self._place(pod, pod["spec"]["nodeName"])

    def remove_pod(self, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        self.assumed.discard(uid)
        self._unplace(uid)

    def assume(self, pod: Obj, node_name: str) -> None:
        self.assumed.add(pod["metadata"]["uid"])
        self._place(pod, node_name)

    def forget(self, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        if uid in self.assumed:
            self.assumed.discard(uid)
            self._unplace(uid)

    def snapshot(self) -> list[NodeInfo]:
        return [info.clone() for info in self.nodes.values()]
