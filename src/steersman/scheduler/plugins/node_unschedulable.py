"""NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating the
node.kubernetes.io/unschedulable:NoSchedule taint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.scheduler.framework import SUCCESS, CycleState, NodeInfo, Status, unschedulable
from steersman.scheduler.plugins.taint_toleration import tolerates

REASON = "node(s) were unschedulable"
TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    name = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        if not node.unschedulable:
            return SUCCESS
        if any(tolerates(t, TAINT) for t in (pod.get("spec") or {}).get("tolerations") or []):
            return SUCCESS
        return unschedulable(REASON, resolvable=False)

    def filter_nodes(
        self, state: CycleState, pod: dict[str, Any], nodes: Sequence[NodeInfo]
    ) -> dict[int, Status]:
        cordoned = [i for i, node in enumerate(nodes) if node.unschedulable]
        if not cordoned or any(
            tolerates(t, TAINT) for t in (pod.get("spec") or {}).get("tolerations") or []
        ):
            return {}
        return {i: unschedulable(REASON, resolvable=False) for i in cordoned}
