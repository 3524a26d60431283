"""ImageLocality: prefer nodes that already have the pod's images, weighted by image size
and by how many nodes have them (so one node does not attract everything)."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from steersman.scheduler.framework import (
    MAX_NODE_SCORE,
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Status,
)

Obj = dict[str, Any]
MIN_THRESHOLD = 23 * 1024 * 1024
MAX_CONTAINER_THRESHOLD = 1000 * 1024 * 1024


def normalized_image_name(name: str) -> str:
    last = name.rsplit("/", 1)[-1]
    return name if (":" in last or "@" in last) else f"{name}:latest"


_IMAGE_NAMES = operator.attrgetter("image_names")


class ImageLocality:
    name = "ImageLocality"

    def __init__(self, nodes: Any = None) -> None:
        self.nodes = nodes  # callable returning every NodeInfo (for the spread factor)

    def pre_score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        """Skip when no node has any of the pod's images (every node would score 0)."""
        wanted = {
            normalized_image_name(c.get("image", ""))
            for c in [
                *((pod.get("spec") or {}).get("initContainers") or []),
                *((pod.get("spec") or {}).get("containers") or []),
            ]
        }
        if all(map(wanted.isdisjoint, map(_IMAGE_NAMES, nodes))):
            return Status(Code.SKIP)
        return SUCCESS

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        containers = [
            *((pod.get("spec") or {}).get("initContainers") or []),
            *((pod.get("spec") or {}).get("containers") or []),
        ]
        if "image_spread" not in state:
            counts: dict[str, int] = {}
            all_nodes = self.nodes() if self.nodes else [node]
            for info in all_nodes:
                for image in {
                    n
                    for i in (info.node.get("status") or {}).get("images") or []
                    for n in i.get("names") or []
                }:
                    counts[image] = counts.get(image, 0) + 1
            state["image_spread"] = (counts, max(len(all_nodes), 1))
        counts, total = state["image_spread"]
        wanted = [normalized_image_name(c.get("image", "")) for c in containers]
        if not any(name in counts for name in wanted):
            return 0  # no node has any of the pod's images: every node scores the same
        sizes = {}
        for image in (node.node.get("status") or {}).get("images") or []:
            for name in image.get("names") or []:
                sizes[name] = int(image.get("sizeBytes") or 0)
        sum_scores = 0
        for c in containers:
            name = normalized_image_name(c.get("image", ""))
            if name in sizes:
                sum_scores += int(sizes[name] * counts.get(name, 0) / total)
        max_threshold = MAX_CONTAINER_THRESHOLD * max(len(containers), 1)
        clamped = min(max(sum_scores, MIN_THRESHOLD), max_threshold)
        return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        return None


FACTORIES = {"ImageLocality": lambda args, ctx: ImageLocality(ctx.get("nodes"))}
