"""DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting
lower-priority pods makes it fit, evict the fewest and least important, and nominate the node.

Invariants:
- Only pods of strictly lower priority are victims; on the chosen node every victim that can be
  spared ("reprieved", most important first) is spared.
- Nodes that failed for reasons preemption cannot fix (UnschedulableAndUnresolvable) are never
  candidates. The messages are Kubernetes' ("Preemption is not helpful for scheduling", "No
  preemption victims found for incoming pod").
- Victims get the DisruptionTarget condition and a Preempted event before they are deleted; the
  preemptor's status.nominatedNodeName is set; the preemptor itself is retried later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steersman.client.events import NORMAL, EventRecorder
from steersman.client.rest import ApiStatusError, RestClient
from steersman.scheduler.framework import Code, CycleState, NodeInfo, Status

Obj = dict[str, Any]
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


def priority(pod: Obj) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def fit_message(counts: dict[str, int], total: int) -> str:
    reasons = sorted(f"{n} {reason}" for reason, n in counts.items())
    return f"0/{total} nodes are available: {', '.join(reasons)}."


class DefaultPreemption:
    name = "DefaultPreemption"

    def __init__(
        self,
        client: RestClient,
        recorder: EventRecorder,
        *,
        fits: Callable[[CycleState, Obj, NodeInfo], bool],
        nodes: Callable[[], list[NodeInfo]],
        scheduler_name: str = "default-scheduler",
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.fits = fits
        self.nodes = nodes
        self.scheduler_name = scheduler_name

    async def post_filter(
        self, state: CycleState, pod: Obj, statuses: dict[str, Status]
    ) -> tuple[str | None, Status]:
        nodes = self.nodes()
        total = len(nodes)
        if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return None, Status(
                Code.UNSCHEDULABLE, ["preemption: not eligible due to preemptionPolicy=Never."]
            )
        counts: dict[str, int] = {}
        best: tuple[tuple[int, int, int], str, list[Obj]] | None = None
        for node in nodes:
            status = statuses.get(node.name)
            if status is not None and status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                counts[NOT_HELPFUL] = counts.get(NOT_HELPFUL, 0) + 1
                continue
            victims = self.select_victims(state, pod, node)
            if victims is None:
                counts[NO_VICTIMS] = counts.get(NO_VICTIMS, 0) + 1
                continue
            rank = (
                max((priority(v) for v in victims), default=-(2**31)),
                sum(priority(v) for v in victims),
                len(victims),
            )
            if best is None or rank < best[0]:
                best = (rank, node.name, victims)
        if best is None:
            return None, Status(Code.UNSCHEDULABLE, [f"preemption: {fit_message(counts, total)}"])
        _, node_name, victims = best
        await self._prepare(pod, node_name, victims)
        return node_name, Status(Code.UNSCHEDULABLE, [])

    def select_victims(self, state: CycleState, pod: Obj, node: NodeInfo) -> list[Obj] | None:
        lower = [p for p in node.pods if priority(p) < priority(pod)]
        if not lower:
            return None
        trial = node.clone()
        for victim in lower:
            trial.remove_pod(victim)
        if not self.fits(state, pod, trial):
            return None
        victims = []
        # Spare the most important first; whoever cannot be spared is a victim.
        for candidate in sorted(lower, key=priority, reverse=True):
            trial.add_pod(candidate)
            if not self.fits(state, pod, trial):
                trial.remove_pod(candidate)
                victims.append(candidate)
        return victims

    async def _prepare(self, pod: Obj, node_name: str, victims: list[Obj]) -> None:
        for victim in victims:
            meta = victim["metadata"]
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
            condition = {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "PreemptionByScheduler",
                "message": f"{self.scheduler_name}: preempting to accommodate a higher priority pod",
            }
            try:
                live = await self.client.get(path)
                conditions = [
                    c
                    for c in (live.get("status") or {}).get("conditions") or []
                    if c.get("type") != "DisruptionTarget"
                ]
                live.setdefault("status", {})["conditions"] = [*conditions, condition]
                await self.client.update(f"{path}/status", live)
            except ApiStatusError:
                pass  # the deletion below is what matters
            self.recorder.event(
                victim,
                NORMAL,
                "Preempted",
                f"Preempted by pod {pod['metadata']['uid']} on node {node_name}",
            )
            try:
                await self.client.delete(path, {"preconditions": {"uid": meta["uid"]}})
            except ApiStatusError as exc:
                if exc.code not in (404, 409):
                    raise
        meta = pod["metadata"]
        try:
            await self.client.patch(
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status",
                {"status": {"nominatedNodeName": node_name}},
            )
        except ApiStatusError as exc:
            if exc.code != 404:
                raise


FACTORIES = {
    "DefaultPreemption": lambda args, ctx: DefaultPreemption(
        ctx["client"],
        ctx["recorder"],
        fits=ctx["fits"],
        nodes=ctx["nodes"],
        scheduler_name=ctx["scheduler_name"],
    )
}
