"""TaintToleration: filter out nodes with NoSchedule/NoExecute taints the pod does not
tolerate; prefer nodes with fewer untolerated PreferNoSchedule taints."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from steersman.scheduler.framework import (
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Status,
    default_normalize,
    unschedulable,
)

Obj = dict[str, Any]


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """v1.Toleration.ToleratesTaint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def untolerated(taints: list[Obj], tolerations: list[Obj], effects: tuple[str, ...]) -> Obj | None:
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


_SOFT_TAINTS = operator.attrgetter("soft_taints")


class TaintToleration:
    name = "TaintToleration"

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        if not node.hard_taints:
            return SUCCESS
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        taint = untolerated(node.hard_taints, tolerations, ("NoSchedule", "NoExecute"))
        if taint is None:
            return SUCCESS
        return unschedulable(
            f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}",
            resolvable=False,
        )

    def filter_nodes(
        self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]
    ) -> dict[int, Status]:
        failures: dict[int, Status] = {}
        for i, node in enumerate(nodes):
            if node.hard_taints:
                status = self.filter(state, pod, node)
                if not status.ok:
                    failures[i] = status
        return failures

    def pre_score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        """Skip when no node has a PreferNoSchedule taint (every score would be equal)."""
        return SUCCESS if any(map(_SOFT_TAINTS, nodes)) else Status(Code.SKIP)

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        taints = node.soft_taints
        if not taints:
            return 0
        tolerations = [
            t
            for t in (pod.get("spec") or {}).get("tolerations") or []
            if not t.get("effect") or t.get("effect") == "PreferNoSchedule"
        ]
        return sum(
            1
            for taint in taints
            if taint.get("effect") == "PreferNoSchedule"
            and not any(tolerates(t, taint) for t in tolerations)
        )

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        default_normalize(scores, reverse=True)
