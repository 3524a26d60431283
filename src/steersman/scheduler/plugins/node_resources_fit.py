"""NodeResourcesFit: a pod fits where its requests (cpu, memory, ephemeral-storage,
extended resources, and one more pod) fit in what is left of allocatable; scores by
LeastAllocated (default), MostAllocated or RequestedToCapacityRatio."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from steersman.scheduler.framework import (
    MAX_NODE_SCORE,
    SUCCESS,
    CycleState,
    NodeInfo,
    Status,
    unschedulable,
)
from steersman.scheduler.resources import CPU, MEMORY, PODS, pod_requests

Obj = dict[str, Any]


def requests_of(state: CycleState, pod: Obj, *, non_zero: bool = False) -> dict[str, int]:
    """The pod's requests, computed once per scheduling cycle (quantity parsing is costly)."""
    key = "requests/non-zero" if non_zero else "requests"
    cached = state.get(key)
    if cached is None:
        cached = state[key] = pod_requests(pod, non_zero=non_zero)
    return cached  # shared between plugins: read-only


def insufficient(pod: Obj, node: NodeInfo, requests: dict[str, int] | None = None) -> list[str]:
    reasons = []
    if len(node.pods) + 1 > node.allowed_pods():
        reasons.append("Too many pods")
    requested, allocatable = node.requested, node.allocatable
    short = [
        name
        for name, want in (requests if requests is not None else pod_requests(pod)).items()
        if want > 0 and name != PODS and requested.get(name, 0) + want > allocatable.get(name, 0)
    ]
    reasons.extend(f"Insufficient {name}" for name in sorted(short))
    return reasons


class NodeResourcesFit:
    name = "NodeResourcesFit"

    def __init__(self, args: dict[str, Any] | None = None) -> None:
        strategy = (args or {}).get("scoringStrategy") or {}
        self.strategy = strategy.get("type", "LeastAllocated")
        self.resources = strategy.get("resources") or [
            {"name": CPU, "weight": 1},
            {"name": MEMORY, "weight": 1},
        ]
        shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape") or [
            {"utilization": 0, "score": 10},
            {"utilization": 100, "score": 0},
        ]
        self._least_allocated_cpu_memory = self.strategy == "LeastAllocated" and [
            (r["name"], int(r.get("weight", 1))) for r in self.resources
        ] == [(CPU, 1), (MEMORY, 1)]
        self.shape = [
            (int(p["utilization"]), int(p["score"]) * MAX_NODE_SCORE // 10) for p in shape
        ]

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        failures = self.filter_nodes(state, pod, (node,))
        return failures[0] if failures else SUCCESS

    def filter_nodes(
        self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]
    ) -> dict[int, Status]:
        requests = requests_of(state, pod)
        want_cpu = requests.get(CPU, 0)
        want_memory = requests.get(MEMORY, 0)
        # Other resources (ephemeral-storage, extended ones) are checked by name.
        others = [
            (name, want)
            for name, want in requests.items()
            if want > 0 and name not in (CPU, MEMORY, PODS)
        ]
        failures: dict[int, Status] = {}
        for i, node in enumerate(nodes):
            if (
                len(node.pods) < node.allowed_pod_count
                and (want_cpu <= 0 or node.requested_cpu + want_cpu <= node.allocatable_cpu)
                and (
                    want_memory <= 0
                    or node.requested_memory + want_memory <= node.allocatable_memory
                )
            ):
                if not others:
                    continue  # fits: the common case, without building a list of reasons
                requested, allocatable = node.requested, node.allocatable
                for name, want in others:
                    if requested.get(name, 0) + want > allocatable.get(name, 0):
                        break
                else:
                    continue
            failures[i] = unschedulable(*insufficient(pod, node, requests))
        return failures

    def _resource_score(self, requested: int, capacity: int) -> int:
        if capacity == 0:
            return 0
        if self.strategy == "MostAllocated":
            return min(requested, capacity) * MAX_NODE_SCORE // capacity
        if self.strategy == "RequestedToCapacityRatio":
            utilization = min(requested * 100 // capacity, 100)
            points = self.shape
            if utilization <= points[0][0]:
                return points[0][1]
            for (u0, s0), (u1, s1) in itertools.pairwise(points):
                if utilization <= u1:
                    return s0 + (s1 - s0) * (utilization - u0) // max(u1 - u0, 1)
            return points[-1][1]
        if requested > capacity:
            return 0
        return (capacity - requested) * MAX_NODE_SCORE // capacity

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        want = requests_of(state, pod, non_zero=True)
        if self._least_allocated_cpu_memory:
            # The default (LeastAllocated on cpu and memory, weight 1 each), without loops.
            allocatable, used = node.allocatable, node.non_zero_requested
            total = weights = 0
            for name in (CPU, MEMORY):
                capacity = allocatable.get(name, 0)
                if capacity:
                    requested = used.get(name, 0) + want.get(name, 0)
                    if requested <= capacity:
                        total += (capacity - requested) * MAX_NODE_SCORE // capacity
                    weights += 1
            return total // weights if weights else 0
        total = weights = 0
        for res in self.resources:
            name, weight = res["name"], int(res.get("weight", 1))
            capacity = node.allocatable.get(name, 0)
            if capacity == 0:
                continue
            requested = node.non_zero_requested.get(name, 0) + want.get(name, 0)
            total += self._resource_score(requested, capacity) * weight
            weights += weight
        return total // weights if weights else 0

    normalizes = False

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        return None

    def score_nodes(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> list[int]:
        if not self._least_allocated_cpu_memory:
            return [self.score(state, pod, n) for n in nodes]
        want = requests_of(state, pod, non_zero=True)
        want_cpu, want_memory = want.get(CPU, 0), want.get(MEMORY, 0)
        out = []
        for node in nodes:
            cpu_cap = node.allocatable_cpu
            mem_cap = node.allocatable_memory
            total = weights = 0
            if cpu_cap:
                requested = node.non_zero_cpu + want_cpu
                if requested <= cpu_cap:
                    total += (cpu_cap - requested) * MAX_NODE_SCORE // cpu_cap
                weights += 1
            if mem_cap:
                requested = node.non_zero_memory + want_memory
                if requested <= mem_cap:
                    total += (mem_cap - requested) * MAX_NODE_SCORE // mem_cap
                weights += 1
            out.append(total // weights if weights else 0)
        return out
