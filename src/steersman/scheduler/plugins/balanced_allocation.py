"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in
similar proportions after placing the pod (score = (1 - standard deviation) * 100)."""

from __future__ import annotations

import math
from typing import Any

from steersman.scheduler.framework import MAX_NODE_SCORE, CycleState, NodeInfo
from steersman.scheduler.plugins.node_resources_fit import requests_of
from steersman.scheduler.resources import CPU, MEMORY

Obj = dict[str, Any]


class NodeResourcesBalancedAllocation:
    name = "NodeResourcesBalancedAllocation"

    def __init__(self, resources: list[str] | None = None) -> None:
        self.resources = resources or [CPU, MEMORY]

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        want = requests_of(state, pod, non_zero=True)
        fractions = []
        for name in self.resources:
            capacity = node.allocatable.get(name, 0)
            if capacity == 0:
                continue
            used = node.non_zero_requested.get(name, 0) + want.get(name, 0)
            fractions.append(min(used / capacity, 1.0))
        if len(fractions) < 2:
            return MAX_NODE_SCORE
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
        return int((1 - std) * MAX_NODE_SCORE)

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        return None


FACTORIES = {
    "NodeResourcesBalancedAllocation": lambda args, ctx: NodeResourcesBalancedAllocation(
        [r["name"] for r in args.get("resources") or []] or None
    )
}
