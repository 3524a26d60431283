"""NodeAffinity: spec.nodeSelector and nodeAffinity's required terms filter nodes; the
preferred terms score them by weight."""

from __future__ import annotations

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
REASON = "node(s) didn't match Pod's node affinity/selector"


def _requirement_matches(req: Obj, values: dict[str, str]) -> bool:
    key = req.get("key", "")
    operator = req.get("operator", "")
    wanted = req.get("values") or []
    present = key in values
    value = values.get(key, "")
    if operator == "In":
        return present and value in wanted
    if operator == "NotIn":
        return not present or value not in wanted
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt"):
        if not present or len(wanted) != 1:
            return False
        try:
            have, limit = int(value), int(wanted[0])
        except ValueError:
            return False
        return have > limit if operator == "Gt" else have < limit
    return False


def term_matches(term: Obj, node: Obj) -> bool:
    """A NodeSelectorTerm: every expression and field requirement holds (an empty term
    matches nothing, as upstream)."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    labels = (node.get("metadata") or {}).get("labels") or {}
    field_values = {"metadata.name": node["metadata"]["name"]}
    return all(_requirement_matches(r, labels) for r in expressions) and all(
        _requirement_matches(r, field_values) for r in fields
    )


def required_matches(pod: Obj, node: Obj) -> bool:
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms")
    if terms is None:
        return True
    return any(term_matches(t, node) for t in terms)


class NodeAffinity:
    name = "NodeAffinity"

    def pre_filter(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        spec = pod.get("spec") or {}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        return SUCCESS if spec.get("nodeSelector") or required else Status(Code.SKIP)

    def pre_score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        preferred = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution"
        )
        return SUCCESS if preferred else Status(Code.SKIP)

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        if required_matches(pod, node.node):
            return SUCCESS
        return unschedulable(REASON, resolvable=False)

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        preferred = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution"
        ) or []
        return sum(
            int(p.get("weight", 0))
            for p in preferred
            if term_matches(p.get("preference") or {}, node.node)
        )

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        default_normalize(scores)
