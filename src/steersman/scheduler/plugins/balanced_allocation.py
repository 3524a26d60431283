"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in
similar proportions after placing the pod (score = (1 - standard deviation) * 100)."""

from __future__ import annotations

import math
from collections.abc import Sequence
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
        if self.resources == [CPU, MEMORY]:
            # The common case, without loops: the std-dev of two fractions is half their gap.
            cpu_cap = node.allocatable.get(CPU, 0)
            mem_cap = node.allocatable.get(MEMORY, 0)
            if cpu_cap and mem_cap:
                f1 = min((node.non_zero_requested.get(CPU, 0) + want.get(CPU, 0)) / cpu_cap, 1.0)
                f2 = min(
                    (node.non_zero_requested.get(MEMORY, 0) + want.get(MEMORY, 0)) / mem_cap, 1.0
                )
                return int((1 - abs(f1 - f2) / 2) * MAX_NODE_SCORE)
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

    normalizes = False

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        return None

    def score_nodes(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> list[int]:
        if self.resources != [CPU, MEMORY]:
            return [self.score(state, pod, n) for n in nodes]
        want = requests_of(state, pod, non_zero=True)
        want_cpu, want_memory = want.get(CPU, 0), want.get(MEMORY, 0)
        out = []
        for node in nodes:
            cpu_cap = node.allocatable_cpu
            mem_cap = node.allocatable_memory
            if cpu_cap and mem_cap:
                f1 = (node.non_zero_cpu + want_cpu) / cpu_cap
                f2 = (node.non_zero_memory + want_memory) / mem_cap
                f1 = 1.0 if f1 > 1.0 else f1
                f2 = 1.0 if f2 > 1.0 else f2
                out.append(int((1 - abs(f1 - f2) / 2) * MAX_NODE_SCORE))
            else:
                out.append(self.score(state, pod, node))
        return out


FACTORIES = {
    "NodeResourcesBalancedAllocation": lambda args, ctx: NodeResourcesBalancedAllocation(
        [r["name"] for r in args.get("resources") or []] or None
    )
}
