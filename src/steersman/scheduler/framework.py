"""The scheduling framework (Kubernetes' pkg/scheduler/framework): statuses, the per-node
view plugins read (`NodeInfo`), per-cycle state, one Protocol per extension point, and the
`Framework` that runs a profile's plugins in order.

Invariants:
- Plugins are pure with respect to the cluster: they read `NodeInfo` snapshots and the pod,
  keep per-attempt data only in `CycleState`, and never call the API (binding aside).
- A Filter status other than Success carries the reasons shown in FailedScheduling messages,
  worded as Kubernetes words them; UnschedulableAndUnresolvable marks nodes where preemption
  cannot help.
- Scores are integers in [0, 100] after normalization; a plugin's weight multiplies them.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from steersman.scheduler.resources import CPU, MEMORY, PODS, node_allocatable, pod_requests

Obj = dict[str, Any]
MAX_NODE_SCORE = 100
DEFAULT_ALLOWED_PODS = 110  # a node that reports no pods capacity


class Code(enum.IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5


@dataclass
class Status:
    code: Code = Code.SUCCESS
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    @property
    def ok(self) -> bool:
        return self.code in (Code.SUCCESS, Code.SKIP)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)


SUCCESS = Status()


def unschedulable(*reasons: str, resolvable: bool = True) -> Status:
    code = Code.UNSCHEDULABLE if resolvable else Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    return Status(code, list(reasons))


def error(message: str) -> Status:
    return Status(Code.ERROR, [message])


class NodeInfo:
    """A node and what is placed on it (assumed pods included).

    The cpu/memory/pods figures the hot filter and score loops read are also kept as plain
    attributes (`allocatable_cpu`, `requested_memory`, ...), always equal to the dict entries:
    reading a slot is much cheaper than a dict lookup, hundreds of times per pod.
    """

    __slots__ = (
        "_labels",
        "allocatable",
        "allocatable_cpu",
        "allocatable_memory",
        "allowed_pod_count",
        "hard_taints",
        "image_names",
        "name",
        "node",
        "non_zero_cpu",
        "non_zero_memory",
        "non_zero_requested",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "requested",
        "requested_cpu",
        "requested_memory",
        "soft_taints",
        "unschedulable",
        "used_ports",
    )

    def __init__(self, node: Obj) -> None:
        self.pods: list[Obj] = []
        self.requested: dict[str, int] = {}
        self.non_zero_requested: dict[str, int] = {}
        self.used_ports: set[tuple[str, str, int]] = set()  # (hostIP, protocol, hostPort)
        # Upstream's PodsWithAffinity / PodsWithRequiredAntiAffinity: most pods have neither,
        # so affinity plugins look only at these.
        self.pods_with_affinity: list[Obj] = []
        self.pods_with_required_anti_affinity: list[Obj] = []
        self._sum_scalars()
        self.set_node(node)

    def _sum_scalars(self) -> None:
        self.requested_cpu = self.requested.get(CPU, 0)
        self.requested_memory = self.requested.get(MEMORY, 0)
        self.non_zero_cpu = self.non_zero_requested.get(CPU, 0)
        self.non_zero_memory = self.non_zero_requested.get(MEMORY, 0)

    def set_node(self, node: Obj) -> None:
        """Take a new version of the Node object; what is placed on the node stays."""
        self.node = node
        self.name: str = node["metadata"]["name"]
        self.allocatable = node_allocatable(node)
        self.allocatable_cpu = self.allocatable.get(CPU, 0)
        self.allocatable_memory = self.allocatable.get(MEMORY, 0)
        self.allowed_pod_count = self.allocatable.get(PODS, DEFAULT_ALLOWED_PODS)
        taints = (node.get("spec") or {}).get("taints") or []
        # Split once per node object: filters read only the hard ones, scores the soft ones.
        self.hard_taints: list[Obj] = [
            t for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")
        ]
        self.soft_taints: list[Obj] = [t for t in taints if t.get("effect") == "PreferNoSchedule"]
        self._labels: dict[str, str] = (node.get("metadata") or {}).get("labels") or {}
        # Every name of every image the node reports.
        self.image_names: frozenset[str] = frozenset(
            name
            for image in (node.get("status") or {}).get("images") or []
            for name in image.get("names") or []
        )
        self.unschedulable = bool((node.get("spec") or {}).get("unschedulable"))

    @property
    def labels(self) -> dict[str, str]:
        return self._labels

    def add_pod(self, pod: Obj) -> None:
        self.pods.append(pod)
        affinity = (pod.get("spec") or {}).get("affinity") or {}
        if affinity.get("podAffinity") or affinity.get("podAntiAffinity"):
            self.pods_with_affinity.append(pod)
            if (affinity.get("podAntiAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            ):
                self.pods_with_required_anti_affinity.append(pod)
        for name, value in pod_requests(pod).items():
            self.requested[name] = self.requested.get(name, 0) + value
        for name, value in pod_requests(pod, non_zero=True).items():
            self.non_zero_requested[name] = self.non_zero_requested.get(name, 0) + value
        for port in host_ports(pod):
            self.used_ports.add(port)
        self._sum_scalars()

    def remove_pod(self, pod: Obj) -> None:
        uid = pod["metadata"].get("uid")
        kept = [p for p in self.pods if p["metadata"].get("uid") != uid]
        if len(kept) == len(self.pods):
            return
        self.pods = []
        self.requested = {}
        self.non_zero_requested = {}
        self.used_ports = set()
        self.pods_with_affinity = []
        self.pods_with_required_anti_affinity = []
        self._sum_scalars()
        for p in kept:
            self.add_pod(p)

    def allowed_pods(self) -> int:
        return self.allowed_pod_count

    def clone(self) -> NodeInfo:
        out = NodeInfo.__new__(NodeInfo)
        for attr in NodeInfo.__slots__:
            setattr(out, attr, getattr(self, attr))
        # What placing and removing pods mutates is copied; the node's own parts are shared.
        out.pods = list(self.pods)
        out.requested = dict(self.requested)
        out.non_zero_requested = dict(self.non_zero_requested)
        out.used_ports = set(self.used_ports)
        out.pods_with_affinity = list(self.pods_with_affinity)
        out.pods_with_required_anti_affinity = list(self.pods_with_required_anti_affinity)
        return out


def host_ports(pod: Obj) -> list[tuple[str, str, int]]:
    out = []
    spec = pod.get("spec") or {}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for port in c.get("ports") or []:
            host_port = port.get("hostPort")
            if host_port:
                out.append(
                    (port.get("hostIP") or "0.0.0.0", port.get("protocol") or "TCP", host_port)
                )
    return out


class CycleState(dict[str, Any]):
    """Data plugins keep for one scheduling attempt of one pod."""


@runtime_checkable
class Plugin(Protocol):
    name: str


class PreFilterPlugin(Plugin, Protocol):
    def pre_filter(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status: ...


class FilterPlugin(Plugin, Protocol):
    """Filter one node. Optional, found by name: `filter_nodes(state, pod, nodes)` filters
    many at once and returns the failures only, as {index in nodes: Status}; it must equal
    calling `filter` on each node (the scheduler runs it on chunks of hundreds of nodes)."""

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status: ...


class PostFilterPlugin(Plugin, Protocol):
    async def post_filter(
        self, state: CycleState, pod: Obj, statuses: dict[str, Status]
    ) -> tuple[str | None, Status]: ...


class PreScorePlugin(Plugin, Protocol):
    def pre_score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status: ...


class ScorePlugin(Plugin, Protocol):
    """Score one node. Optional, found by name: `normalizes = False` says `normalize` does
    nothing (upstream's nil ScoreExtensions); `score_nodes(state, pod, nodes) -> list[int]`
    scores many nodes at once, equal to `[score(state, pod, n) for n in nodes]` but with
    the per-pod work hoisted out of the loop (it runs for hundreds of nodes per pod)."""

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int: ...

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None: ...


class ReservePlugin(Plugin, Protocol):
    def reserve(self, state: CycleState, pod: Obj, node_name: str) -> Status: ...

    def unreserve(self, state: CycleState, pod: Obj, node_name: str) -> None: ...


class PermitPlugin(Plugin, Protocol):
    def permit(self, state: CycleState, pod: Obj, node_name: str) -> Status: ...


class BindPlugin(Plugin, Protocol):
    async def bind(self, state: CycleState, pod: Obj, node_name: str) -> Status: ...


class QueueSortPlugin(Plugin, Protocol):
    def less(self, a: Obj, b: Obj) -> bool: ...


def default_normalize(scores: dict[str, int], *, reverse: bool = False) -> None:
    """DefaultNormalizeScore: scale to [0, 100] by the highest score (optionally reversed)."""
    highest = max(scores.values(), default=0)
    for name, value in scores.items():
        if highest == 0:
            scores[name] = MAX_NODE_SCORE if reverse else 0
            continue
        scaled = MAX_NODE_SCORE * value // highest
        scores[name] = MAX_NODE_SCORE - scaled if reverse else scaled
