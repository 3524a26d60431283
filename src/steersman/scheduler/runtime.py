"""Framework: one profile's plugins, run extension point by extension point for a pod
(Kubernetes' framework/runtime).

Invariants:
- Filters run in profile order and stop at the first failing plugin for a node (its reasons are
  that node's reasons); PreFilter failures make every node fail with that status.
- Final score = sum over score plugins of weight * normalized score; ties are broken at random.
- Reserve failures unreserve every reserve plugin, in reverse order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from steersman.scheduler.framework import (
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Plugin,
    Status,
)
from steersman.scheduler.profile import PluginFactory, ProfileSpec

Obj = dict[str, Any]


class Framework:
    def __init__(
        self,
        spec: ProfileSpec,
        factories: dict[str, PluginFactory],
        context: dict[str, Any],
    ) -> None:
        self.scheduler_name = spec.scheduler_name
        ctx = dict(context, scheduler_name=spec.scheduler_name, fits=self.fits)
        self.plugins: list[Plugin] = []
        self.weights: dict[str, int] = {}
        self._by_method: dict[str, list[Any]] = {}
        for name, weight in spec.plugins:
            factory = factories.get(name)
            if factory is None:
                continue  # not (yet) implemented here: Kubernetes would refuse; we skip it
            self.plugins.append(factory(spec.args.get(name, {}), ctx))
            self.weights[name] = weight or 1

    def _with(self, method: str) -> list[Any]:
        found = self._by_method.get(method)
        if found is None:
            found = self._by_method[method] = [
                p for p in self.plugins if callable(getattr(p, method, None))
            ]
        return found

    def less(self, a: Obj, b: Obj) -> bool:
        for p in self._with("less"):
            return bool(p.less(a, b))
        return False

    def pre_filter(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        skipped: set[str] = set()
        for p in self._with("pre_filter"):
            status = p.pre_filter(state, pod, nodes)
            if status.code == Code.SKIP:
                skipped.add(p.name)  # upstream: PreFilter Skip means Filter is not run
                continue
            if not status.ok:
                status.plugin = p.name
                return status
        state["filters"] = [p for p in self._with("filter") if p.name not in skipped]
        return SUCCESS

    def filters(self, state: CycleState) -> list[Any]:
        """The Filter plugins of this cycle (those PreFilter did not Skip)."""
        return state.get("filters") or self._with("filter")

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        for p in self.filters(state):
            status = p.filter(state, pod, node)
            if status is not SUCCESS and not status.ok:
                status.plugin = p.name
                return status
        return SUCCESS

    def fits(self, state: CycleState, pod: Obj, node: NodeInfo) -> bool:
        return self.filter(state, pod, node).ok

    async def post_filter(
        self, state: CycleState, pod: Obj, statuses: dict[str, Status]
    ) -> tuple[str | None, Status]:
        last = Status(Code.UNSCHEDULABLE)
        for p in self._with("post_filter"):
            nominated, status = await p.post_filter(state, pod, statuses)
            if nominated:
                return nominated, status
            last = status
        return None, last

    def score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> dict[str, int]:
        skipped: set[str] = set()
        for p in self._with("pre_score"):
            status = p.pre_score(state, pod, nodes)
            if status is not None and status.code == Code.SKIP:
                skipped.add(p.name)  # upstream: PreScore Skip means Score is not run
        names = [n.name for n in nodes]
        totals = [0] * len(nodes)
        for p in self._with("score"):
            if p.name in skipped:
                continue
            batch = getattr(p, "score_nodes", None)
            if batch is not None:
                values = batch(state, pod, nodes)
            else:
                score = p.score
                values = [score(state, pod, n) for n in nodes]
            if getattr(p, "normalizes", True):
                scores = dict(zip(names, values, strict=True))
                p.normalize(state, pod, scores)
                values = [scores[name] for name in names]
            weight = self.weights.get(p.name, 1)
            totals = [t + v * weight for t, v in zip(totals, values, strict=True)]
        return dict(zip(names, totals, strict=True))

    @staticmethod
    def select_host(totals: dict[str, int], rand: Callable[[], float] = random.random) -> str:
        best = max(totals.values())
        names = sorted(n for n, v in totals.items() if v == best)
        return names[int(rand() * len(names)) % len(names)]

    def reserve(self, state: CycleState, pod: Obj, node_name: str) -> Status:
        done: list[Any] = []
        for p in self._with("reserve"):
            status = p.reserve(state, pod, node_name)
            if not status.ok:
                for q in reversed(done):
                    q.unreserve(state, pod, node_name)
                return status
            done.append(p)
        return SUCCESS

    def unreserve(self, state: CycleState, pod: Obj, node_name: str) -> None:
        for p in reversed(self._with("unreserve")):
            p.unreserve(state, pod, node_name)

    def permit(self, state: CycleState, pod: Obj, node_name: str) -> Status:
        for p in self._with("permit"):
            status = p.permit(state, pod, node_name)
            if not status.ok:
                return status
        return SUCCESS

    async def bind(self, state: CycleState, pod: Obj, node_name: str) -> Status:
        for p in self._with("bind"):
            status = await p.bind(state, pod, node_name)
            if status.code != Code.SKIP:
                return status
        return Status(Code.ERROR, ["no bind plugin bound the pod"])
