"""NodeName: a pod that names its node (spec.nodeName) fits only there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.scheduler.framework import SUCCESS, Code, CycleState, NodeInfo, Status, unschedulable

REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = "NodeName"

    def pre_filter(
        self, state: CycleState, pod: dict[str, Any], nodes: Sequence[NodeInfo]
    ) -> Status:
        return SUCCESS if (pod.get("spec") or {}).get("nodeName") else Status(Code.SKIP)

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if wanted and wanted != node.name:
            return unschedulable(REASON, resolvable=False)
        return SUCCESS
