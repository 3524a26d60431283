"""PodTopologySpread (Kubernetes' plugins/podtopologyspread): spread matching pods across
topology domains. `whenUnsatisfiable: DoNotSchedule` constraints filter nodes,
`ScheduleAnyway` constraints score them.

Invariants:
- Only pods in the incoming pod's namespace, not terminating, matching the constraint's selector
  count. `matchLabelKeys` adds `key=value` of the incoming pod's labels to the selector (the API
  server does the same at pod creation upstream; repeating it is idempotent).
- A node takes part in a constraint's domains only if it carries every constraint's topology key
  and passes the inclusion policies: nodeAffinityPolicy (default Honor: the pod's nodeSelector and
  required node affinity) and nodeTaintsPolicy (default Ignore; Honor: no untolerated
  NoSchedule/NoExecute taint).
- Filter: skew = matching pods in the node's domain + 1 if the pod matches itself - the global
  minimum over domains (0 when there are fewer domains than minDomains, default 1); skew above
  maxSkew is Unschedulable, a node without the topology key is UnschedulableAndUnresolvable.
- A pod without constraints gets the defaults (system: hostname maxSkew 3, zone maxSkew 5, both
  ScheduleAnyway) with a selector built from the Services selecting it and its controlling
  ReplicationController/ReplicaSet/StatefulSet; with no such selector there is no constraint.
- Score: per node, sum over constraints of count * log(domains + 2) + maxSkew - 1, rounded; then
  normalized so the least crowded node scores 100 (100 * (max + min - s) / max).
- PreFilter counts are kept per node's pod list; when Filter gets a NodeInfo whose pods differ
  (preemption trying victims), counts are adjusted (upstream's AddPod/RemovePod extensions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from steersman.api.labels import Selector, selector_from_label_selector, selector_from_set
from steersman.api.resources import require
from steersman.scheduler.framework import (
    MAX_NODE_SCORE,
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Status,
    error,
    unschedulable,
)
from steersman.scheduler.plugins.node_affinity import required_matches
from steersman.scheduler.plugins.taint_toleration import untolerated

Obj = dict[str, Any]
NAME = "PodTopologySpread"
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"
IGNORE = "Ignore"
SYSTEM_DEFAULTING = "System"
LIST_DEFAULTING = "List"
SYSTEM_DEFAULT_CONSTRAINTS: list[Obj] = [
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_TOPOLOGY_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
]
_MAX_INT32 = 2**31 - 1
_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME
_ALL_NODES_KEY = NAME + "/nodes"

# (resource, namespace) -> objects; resources: services, replicationcontrollers,
# replicasets, statefulsets.
ObjectLister = Callable[[str, str], Iterable[Obj]]


@dataclass
class SpreadConstraint:
    """v1.TopologySpreadConstraint with its selector parsed and defaults applied."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE

    def match_node_inclusion_policies(self, pod: Obj, node: NodeInfo) -> bool:
        if self.node_affinity_policy == HONOR and not required_matches(pod, node.node):
            return False
        if self.node_taints_policy == HONOR:
            taints = (node.node.get("spec") or {}).get("taints") or []
            tolerations = (pod.get("spec") or {}).get("tolerations") or []
            if untolerated(taints, tolerations, ("NoSchedule", "NoExecute")) is not None:
                return False
        return True


def filter_constraints(
    constraints: Iterable[Obj], pod_labels: dict[str, str], action: str
) -> list[SpreadConstraint]:
    """The constraints with `whenUnsatisfiable == action`, parsed (ValueError if invalid)."""
    out = []
    for c in constraints:
        if c.get("whenUnsatisfiable") != action:
            continue
        selector = selector_from_label_selector(c.get("labelSelector"))
        keys = c.get("matchLabelKeys") or []
        extra = {k: pod_labels[k] for k in keys if k in pod_labels}
        if extra and not selector.matches_nothing:
            selector = selector_from_set(extra).add(*selector.requirements)
        min_domains = c.get("minDomains")
        out.append(
            SpreadConstraint(
                int(c.get("maxSkew") or 0),
                c.get("topologyKey") or "",
                selector,
                1 if min_domains is None else int(min_domains),
                c.get("nodeAffinityPolicy") or HONOR,
                c.get("nodeTaintsPolicy") or IGNORE,
            )
        )
    return out


def node_labels_match_constraints(labels: dict[str, str], cs: Sequence[SpreadConstraint]) -> bool:
    return all(c.topology_key in labels for c in cs)


def count_pods_match_selector(pods: Iterable[Obj], selector: Selector, namespace: str) -> int:
    if selector.empty:
        return 0
    count = 0
    for p in pods:
        meta = p.get("metadata") or {}
        # Terminating pods do not count (kubernetes#87621).
        if meta.get("deletionTimestamp") or meta.get("namespace", "") != namespace:
            continue
        if selector.matches(meta.get("labels") or {}):
            count += 1
    return count


def _controller_of(pod: Obj) -> Obj | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def default_selector(pod: Obj, lister: ObjectLister | None) -> Selector:
    """helper.DefaultSelector: the union of the selectors of the Services that select the pod
    and of its controlling ReplicationController, ReplicaSet or StatefulSet."""
    if lister is None:
        return selector_from_set({})
    meta = pod.get("metadata") or {}
    namespace = meta.get("namespace", "")
    pod_labels = meta.get("labels") or {}
    label_set: dict[str, str] = {}
    for svc in lister("services", namespace):
        wanted = (svc.get("spec") or {}).get("selector")
        if not wanted:
            continue  # a Service without a selector selects nothing, not everything
        if selector_from_set(wanted).matches(pod_labels):
            label_set.update(wanted)
    selector = selector_from_set(label_set)
    owner = _controller_of(pod)
    if owner is None:
        return selector
    group_version = (owner.get("apiVersion") or "").split("/")
    if len(group_version) > 2:
        return selector
    group = group_version[0] if len(group_version) == 2 else ""
    version = group_version[-1]
    kind = owner.get("kind", "")

    def get(resource: str) -> Obj | None:
        for obj in lister(resource, namespace):
            if (obj.get("metadata") or {}).get("name") == owner.get("name"):
                return obj
        return None

    if (group, version, kind) == ("", "v1", "ReplicationController"):
        rc = get("replicationcontrollers")
        if rc is not None:
            label_set = {**label_set, **((rc.get("spec") or {}).get("selector") or {})}
            selector = selector_from_set(label_set)
    elif (group, version) == ("apps", "v1") and kind in ("ReplicaSet", "StatefulSet"):
        obj = get("replicasets" if kind == "ReplicaSet" else "statefulsets")
        if obj is not None:
            try:
                other = selector_from_label_selector((obj.get("spec") or {}).get("selector"))
            except ValueError:
                return selector
            if not other.matches_nothing:
                selector = selector.add(*other.requirements)
    return selector


@dataclass
class _PreFilterState:
    pod: Obj
    constraints: list[SpreadConstraint]
    counts: list[dict[str, int]]  # per constraint: topology value -> matching pods
    seen: dict[str, tuple[list[Obj], int]] = field(default_factory=dict)
    # per constraint: the smallest count over its domains (upstream's critical paths)
    minimums: list[int] = field(default_factory=list)

    def refresh(self) -> _PreFilterState:
        self.minimums = [min(c.values(), default=_MAX_INT32) for c in self.counts]
        return self

    def min_match_num(self, i: int) -> int:
        if len(self.counts[i]) < self.constraints[i].min_domains:
            return 0  # fewer eligible domains than minDomains: the global minimum is 0
        return self.minimums[i]


@dataclass
class _PreScoreState:
    constraints: list[SpreadConstraint]
    ignored_nodes: set[str]
    counts: list[dict[str, int]]
    weights: list[float]


class PodTopologySpread:
    name = NAME

    def __init__(
        self,
        args: Obj | None = None,
        *,
        lister: ObjectLister | None = None,
        nodes: Callable[[], list[NodeInfo]] | None = None,
    ) -> None:
        args = args or {}
        self.defaulting_type = args.get("defaultingType") or SYSTEM_DEFAULTING
        self.system_defaulted = self.defaulting_type == SYSTEM_DEFAULTING
        self.default_constraints: list[Obj] = (
            SYSTEM_DEFAULT_CONSTRAINTS
            if self.system_defaulted
            else list(args.get("defaultConstraints") or [])
        )
        self.lister = lister
        self.nodes = nodes

    def _constraints(self, pod: Obj, action: str) -> list[SpreadConstraint]:
        meta = pod.get("metadata") or {}
        own = (pod.get("spec") or {}).get("topologySpreadConstraints") or []
        if own:
            return filter_constraints(own, meta.get("labels") or {}, action)
        constraints = filter_constraints(self.default_constraints, meta.get("labels") or {}, action)
        if not constraints:
            return []
        selector = default_selector(pod, self.lister)
        if selector.empty:
            return []
        return [replace(c, selector=selector) for c in constraints]

    def _all_nodes(self, state: CycleState, fallback: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        nodes = state.get(_ALL_NODES_KEY)
        if nodes is not None:
            return list(nodes)
        return self.nodes() if self.nodes is not None else fallback

    # -- PreFilter / Filter --------------------------------------------------------------
    def pre_filter(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        state[_ALL_NODES_KEY] = list(nodes)
        try:
            constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        except ValueError as exc:
            return error(f"obtaining pod's hard topology spread constraints: {exc}")
        if not constraints:
            return Status(Code.SKIP)
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in nodes:
            labels = node.labels
            if not node_labels_match_constraints(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not c.match_node_inclusion_policies(pod, node):
                    continue
                value = labels[c.topology_key]
                matched = count_pods_match_selector(node.pods, c.selector, namespace)
                counts[i][value] = counts[i].get(value, 0) + matched
        seen = {n.name: (n.pods, len(n.pods)) for n in nodes}
        state[_PRE_FILTER_KEY] = _PreFilterState(pod, constraints, counts, seen).refresh()
        return SUCCESS

    def _state_for(self, s: _PreFilterState, node: NodeInfo) -> _PreFilterState:
        seen_pods, seen_len = s.seen.get(node.name, ([], 0))
        if node.pods is seen_pods and len(node.pods) == seen_len:
            return s
        before = {p["metadata"].get("uid"): p for p in seen_pods}
        now = {p["metadata"].get("uid"): p for p in node.pods}
        adjusted = replace(s, counts=[dict(c) for c in s.counts])
        for uid, pod in before.items():
            if uid not in now:
                _update_with_pod(adjusted, pod, node, -1)
        for uid, pod in now.items():
            if uid not in before:
                _update_with_pod(adjusted, pod, node, 1)
        return adjusted.refresh()

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        s: _PreFilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None or not s.constraints:
            return SUCCESS
        s = self._state_for(s, node)
        labels = node.labels
        pod_labels = (pod.get("metadata") or {}).get("labels") or {}
        for i, c in enumerate(s.constraints):
            if c.topology_key not in labels:
                return unschedulable(ERR_REASON_NODE_LABEL_NOT_MATCH, resolvable=False)
            self_match = 1 if c.selector.matches(pod_labels) else 0
            match_num = s.counts[i].get(labels[c.topology_key], 0)
            if match_num + self_match - s.min_match_num(i) > c.max_skew:
                return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return SUCCESS

    # -- PreScore / Score ----------------------------------------------------------------
    def pre_score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        state.pop(_PRE_SCORE_KEY, None)
        all_nodes = self._all_nodes(state, nodes)
        if not all_nodes:
            return Status(Code.SKIP)
        own = (pod.get("spec") or {}).get("topologySpreadConstraints") or []
        # Nodes lacking a topology label are still spread by hostname under system defaults.
        require_all = bool(own) or not self.system_defaulted
        try:
            constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        except ValueError as exc:
            return error(f"calculating preScoreState: {exc}")
        if not constraints:
            return Status(Code.SKIP)
        ignored: set[str] = set()
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in nodes:
            if require_all and not node_labels_match_constraints(node.labels, constraints):
                ignored.add(node.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key != LABEL_HOSTNAME:  # per-node counts are taken in score
                    counts[i].setdefault(node.labels.get(c.topology_key, ""), 0)
        weights = []
        for i, c in enumerate(constraints):
            size = len(nodes) - len(ignored) if c.topology_key == LABEL_HOSTNAME else len(counts[i])
            weights.append(math.log(size + 2))
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        for node in all_nodes:
            if require_all and not node_labels_match_constraints(node.labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not c.match_node_inclusion_policies(pod, node):
                    continue
                value = node.labels.get(c.topology_key, "")
                if value in counts[i]:
                    counts[i][value] += count_pods_match_selector(node.pods, c.selector, namespace)
        state[_PRE_SCORE_KEY] = _PreScoreState(constraints, ignored, counts, weights)
        return SUCCESS

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        s: _PreScoreState | None = state.get(_PRE_SCORE_KEY)
        if s is None or node.name in s.ignored_nodes:
            return 0
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        total = 0.0
        for i, c in enumerate(s.constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                count = count_pods_match_selector(node.pods, c.selector, namespace)
            else:
                count = s.counts[i].get(value, 0)
            # maxSkew - 1 waters differences down: a larger maxSkew tolerates more skew.
            total += count * s.weights[i] + (c.max_skew - 1)
        return math.floor(total + 0.5)  # Go's math.Round for non-negative values

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        s: _PreScoreState | None = state.get(_PRE_SCORE_KEY)
        if s is None:
            return
        valid = [v for name, v in scores.items() if name not in s.ignored_nodes]
        low = min(valid, default=0)
        high = max(max(valid, default=0), 0)
        for name, value in scores.items():
            if name in s.ignored_nodes:
                scores[name] = 0
            elif high == 0:
                scores[name] = MAX_NODE_SCORE
            else:
                scores[name] = MAX_NODE_SCORE * (high + low - value) // high


def _update_with_pod(s: _PreFilterState, other: Obj, node: NodeInfo, delta: int) -> None:
    """Account for `other` appearing on (delta 1) or leaving (delta -1) `node`."""
    if (other.get("metadata") or {}).get("namespace", "") != (s.pod.get("metadata") or {}).get(
        "namespace", ""
    ):
        return
    labels = node.labels
    if not node_labels_match_constraints(labels, s.constraints):
        return
    other_labels = (other.get("metadata") or {}).get("labels") or {}
    for i, c in enumerate(s.constraints):
        if not c.selector.matches(other_labels):
            continue
        if not c.match_node_inclusion_policies(s.pod, node):
            continue
        value = labels[c.topology_key]
        s.counts[i][value] = s.counts[i].get(value, 0) + delta


# -- wiring ------------------------------------------------------------------------------
_LISTED = (
    ("", "services"),
    ("", "replicationcontrollers"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
)


def object_lister(factory: Any) -> ObjectLister:
    """An ObjectLister over an InformerFactory's caches (informers registered here; the
    scheduler starts them with its others)."""
    informers = {r: factory.informer(require(g, "v1", r)) for g, r in _LISTED}

    def lister(resource: str, namespace: str) -> list[Obj]:
        return [
            o
            for o in informers[resource].store.list()
            if (o.get("metadata") or {}).get("namespace") == namespace
        ]

    return lister


def _new(args: Obj, ctx: dict[str, Any]) -> PodTopologySpread:
    plugin = PodTopologySpread(args, nodes=ctx.get("nodes"))
    factory = ctx.get("informers")
    # Upstream only watches Services and controllers when there are default constraints.
    if plugin.default_constraints and factory is not None:
        plugin.lister = object_lister(factory)
    return plugin


FACTORIES = {NAME: _new}
