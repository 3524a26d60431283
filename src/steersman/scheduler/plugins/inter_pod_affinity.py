"""InterPodAffinity (Kubernetes' plugins/interpodaffinity): required pod affinity and
anti-affinity filter nodes, preferred terms (the incoming pod's and the existing pods', both
directions) score them.

Invariants:
- A term selects pods by label selector within a set of namespaces: `namespaces`, else the
  owning pod's own namespace unless a `namespaceSelector` is given ({} = every namespace). The
  incoming pod's namespaceSelector is resolved to namespace names once per cycle; existing pods'
  terms are matched against the incoming pod's namespace labels.
- `matchLabelKeys`/`mismatchLabelKeys` add `key in (value)`/`key notin (value)` of the owning
  pod's labels to the term's selector. Kubernetes' API server does this when a pod is created;
  doing it again here is idempotent and covers pods created without it.
- Filter reasons and codes are upstream's: affinity not met is UnschedulableAndUnresolvable
  (evicting pods cannot create a matching pod); the two anti-affinity reasons are Unschedulable
  (preemption can remove the conflicting pod).
- The first pod of a group that has affinity to itself may land on any node that carries the
  topology keys, as long as no pod in the cluster matches its affinity terms yet.
- PreFilter counts are kept per node's pod list; when Filter is handed a NodeInfo whose pods
  differ (preemption trying victims), the counts are adjusted for the difference, which is what
  upstream's AddPod/RemovePod extensions do.
- Scores: sum of matching weights per topology domain, then normalized to [0, 100] by
  (score - min) / (max - min).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any

from steersman.api.labels import NOTHING, Selector, selector_from_label_selector
from steersman.api.resources import require
from steersman.scheduler.framework import (
    MAX_NODE_SCORE,
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Status,
    unschedulable,
)

Obj = dict[str, Any]
NAME = "InterPodAffinity"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1

_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME
_ALL_NODES_KEY = NAME + "/nodes"

TopologyPair = tuple[str, str]
NamespaceLister = Callable[[], Iterable[Obj]]


_PODS_WITH_AFFINITY = attrgetter("pods_with_affinity")
_PODS_WITH_REQUIRED_ANTI_AFFINITY = attrgetter("pods_with_required_anti_affinity")


# -- terms -------------------------------------------------------------------------------
@dataclass
class AffinityTerm:
    """A parsed v1.PodAffinityTerm (framework.AffinityTerm)."""

    namespaces: set[str]
    selector: Selector
    topology_key: str
    namespace_selector: Selector

    def matches(self, pod: Obj, ns_labels: dict[str, str] | None) -> bool:
        meta = pod.get("metadata") or {}
        if meta.get("namespace", "") in self.namespaces or self.namespace_selector.matches(
            ns_labels
        ):
            return self.selector.matches(meta.get("labels") or {})
        return False


@dataclass
class WeightedAffinityTerm(AffinityTerm):
    weight: int = 0


@dataclass
class PodAffinityInfo:
    """The (anti)affinity terms of one pod (the affinity half of framework.PodInfo)."""

    pod: Obj
    required_affinity: list[AffinityTerm] = field(default_factory=list)
    required_anti_affinity: list[AffinityTerm] = field(default_factory=list)
    preferred_affinity: list[WeightedAffinityTerm] = field(default_factory=list)
    preferred_anti_affinity: list[WeightedAffinityTerm] = field(default_factory=list)

    @property
    def has_affinity(self) -> bool:
        return bool(
            self.required_affinity
            or self.required_anti_affinity
            or self.preferred_affinity
            or self.preferred_anti_affinity
        )


def _selector_with_label_keys(term: Obj, pod_labels: dict[str, str]) -> Obj | None:
    """The term's labelSelector with matchLabelKeys/mismatchLabelKeys applied (a nil
    selector stays nil: it matches nothing either way)."""
    selector = term.get("labelSelector")
    match_keys = term.get("matchLabelKeys") or []
    mismatch_keys = term.get("mismatchLabelKeys") or []
    if selector is None or (not match_keys and not mismatch_keys):
        return selector
    expressions = list(selector.get("matchExpressions") or [])
    for keys, operator in ((match_keys, "In"), (mismatch_keys, "NotIn")):
        for key in keys:
            if key in pod_labels:
                expressions.append({"key": key, "operator": operator, "values": [pod_labels[key]]})
    return {**selector, "matchExpressions": expressions}


def new_affinity_term(pod: Obj, term: Obj) -> AffinityTerm:
    """Parse one PodAffinityTerm of `pod`; ValueError on an invalid selector."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    selector = selector_from_label_selector(_selector_with_label_keys(term, labels))
    names = term.get("namespaces") or []
    ns_selector_raw = term.get("namespaceSelector")
    namespaces = set(names) if names or ns_selector_raw is not None else {meta.get("namespace", "")}
    return AffinityTerm(
        namespaces,
        selector,
        term.get("topologyKey") or "",
        selector_from_label_selector(ns_selector_raw),
    )


def _terms(pod: Obj, raw: list[Obj], *, strict: bool) -> list[AffinityTerm]:
    out = []
    for term in raw:
        try:
            out.append(new_affinity_term(pod, term))
        except ValueError:
            if strict:
                raise
    return out


def _weighted(pod: Obj, raw: list[Obj], *, strict: bool) -> list[WeightedAffinityTerm]:
    out = []
    for item in raw:
        try:
            base = new_affinity_term(pod, item.get("podAffinityTerm") or {})
        except ValueError:
            if strict:
                raise
            continue
        out.append(
            WeightedAffinityTerm(
                base.namespaces,
                base.selector,
                base.topology_key,
                base.namespace_selector,
                int(item.get("weight") or 0),
            )
        )
    return out


def pod_affinity_info(pod: Obj, *, strict: bool = False) -> PodAffinityInfo:
    """Parse a pod's terms. `strict` raises ValueError on a bad selector (the incoming pod);
    otherwise bad terms are dropped (existing pods, as upstream ignores their parse errors)."""
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    pod_aff = affinity.get("podAffinity") or {}
    anti = affinity.get("podAntiAffinity") or {}
    req = "requiredDuringSchedulingIgnoredDuringExecution"
    pref = "preferredDuringSchedulingIgnoredDuringExecution"
    return PodAffinityInfo(
        pod,
        _terms(pod, pod_aff.get(req) or [], strict=strict),
        _terms(pod, anti.get(req) or [], strict=strict),
        _weighted(pod, pod_aff.get(pref) or [], strict=strict),
        _weighted(pod, anti.get(pref) or [], strict=strict),
    )


# -- counting ----------------------------------------------------------------------------
Counts = dict[TopologyPair, int]


def _bump(counts: Counts, node: NodeInfo, key: str, value: int) -> None:
    labels = node.labels
    if key in labels:
        pair = (key, labels[key])
        counts[pair] = counts.get(pair, 0) + value
        if counts[pair] == 0:
            del counts[pair]


def pod_matches_all_terms(terms: Sequence[AffinityTerm], pod: Obj) -> bool:
    # The incoming pod's namespaceSelector is already merged into `namespaces`.
    return bool(terms) and all(t.matches(pod, None) for t in terms)


def _count_affinity(
    counts: Counts, terms: Sequence[AffinityTerm], pod: Obj, node: NodeInfo, value: int
) -> None:
    if pod_matches_all_terms(terms, pod):
        for t in terms:
            _bump(counts, node, t.topology_key, value)


def _count_anti_affinity(
    counts: Counts,
    terms: Sequence[AffinityTerm],
    pod: Obj,
    ns_labels: dict[str, str] | None,
    node: NodeInfo,
    value: int,
) -> None:
    for t in terms:
        if t.matches(pod, ns_labels):
            _bump(counts, node, t.topology_key, value)


@dataclass
class _PreFilterState:
    pod_info: PodAffinityInfo
    namespace_labels: dict[str, str]
    existing_anti_affinity_counts: Counts
    affinity_counts: Counts
    anti_affinity_counts: Counts
    # node name -> (the pod list PreFilter counted, its length then)
    seen: dict[str, tuple[list[Obj], int]]


# -- the plugin --------------------------------------------------------------------------
class InterPodAffinity:
    name = NAME

    def __init__(
        self,
        args: Obj | None = None,
        *,
        namespaces: NamespaceLister | None = None,
        nodes: Callable[[], list[NodeInfo]] | None = None,
    ) -> None:
        args = args or {}
        weight = args.get("hardPodAffinityWeight")
        self.hard_pod_affinity_weight = (
            DEFAULT_HARD_POD_AFFINITY_WEIGHT if weight is None else int(weight)
        )
        self.ignore_preferred_terms_of_existing_pods = bool(
            args.get("ignorePreferredTermsOfExistingPods", False)
        )
        self.namespaces = namespaces
        self.nodes = nodes
        self._parsed: dict[tuple[str, str], PodAffinityInfo] = {}

    # -- helpers -------------------------------------------------------------------------
    def _info(self, pod: Obj) -> PodAffinityInfo:
        """Parsed terms of an existing pod, cached by (uid, resourceVersion)."""
        meta = pod.get("metadata") or {}
        key = (meta.get("uid", ""), meta.get("resourceVersion", ""))
        if not key[0]:
            return pod_affinity_info(pod)
        info = self._parsed.get(key)
        if info is None:
            if len(self._parsed) > 10_000:
                self._parsed.clear()
            info = self._parsed[key] = pod_affinity_info(pod)
        return info

    def _namespace_objects(self) -> list[Obj]:
        return list(self.namespaces()) if self.namespaces is not None else []

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """GetNamespaceLabelsSnapshot: the namespace's labels, empty if it is unknown."""
        for ns in self._namespace_objects():
            if (ns.get("metadata") or {}).get("name") == namespace:
                return dict((ns.get("metadata") or {}).get("labels") or {})
        return {}

    def _merge_namespaces(self, term: AffinityTerm) -> AffinityTerm:
        """mergeAffinityTermNamespacesIfNotEmpty: resolve a non-empty namespaceSelector to
        names, so the term no longer depends on namespace labels."""
        if term.namespace_selector.empty:
            return term
        names = set(term.namespaces)
        for ns in self._namespace_objects():
            meta = ns.get("metadata") or {}
            if term.namespace_selector.matches(meta.get("labels") or {}):
                names.add(meta.get("name", ""))
        return replace(term, namespaces=names, namespace_selector=NOTHING)

    def _all_nodes(self, state: CycleState, fallback: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        nodes = state.get(_ALL_NODES_KEY)
        if nodes is not None:
            return list(nodes)
        return self.nodes() if self.nodes is not None else fallback

    # -- PreFilter / Filter --------------------------------------------------------------
    def pre_filter(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        state[_ALL_NODES_KEY] = list(nodes)
        try:
            info = pod_affinity_info(pod, strict=True)
        except ValueError as exc:
            return unschedulable(f"parsing pod: {exc}", resolvable=False)
        info.required_affinity = [self._merge_namespaces(t) for t in info.required_affinity]
        info.required_anti_affinity = [
            self._merge_namespaces(t) for t in info.required_anti_affinity
        ]
        ns_labels = self.namespace_labels((pod.get("metadata") or {}).get("namespace", ""))
        existing: Counts = {}
        for node in filter(_PODS_WITH_REQUIRED_ANTI_AFFINITY, nodes):
            for other in node.pods_with_required_anti_affinity:
                terms = self._info(other).required_anti_affinity
                if terms:
                    _count_anti_affinity(existing, terms, pod, ns_labels, node, 1)
        if not existing and not info.required_affinity and not info.required_anti_affinity:
            return Status(Code.SKIP)
        affinity: Counts = {}
        anti: Counts = {}
        if info.required_affinity or info.required_anti_affinity:
            for node in nodes:
                for other in node.pods:
                    _count_affinity(affinity, info.required_affinity, other, node, 1)
                    _count_anti_affinity(anti, info.required_anti_affinity, other, None, node, 1)
        seen = {n.name: (n.pods, len(n.pods)) for n in nodes}
        state[_PRE_FILTER_KEY] = _PreFilterState(info, ns_labels, existing, affinity, anti, seen)
        return SUCCESS

    def _update_with_pod(self, s: _PreFilterState, other: Obj, node: NodeInfo, sign: int) -> None:
        """preFilterState.updateWithPod: account for `other` appearing on (or leaving) node."""
        terms = self._info(other).required_anti_affinity
        _count_anti_affinity(
            s.existing_anti_affinity_counts, terms, s.pod_info.pod, s.namespace_labels, node, sign
        )
        _count_affinity(s.affinity_counts, s.pod_info.required_affinity, other, node, sign)
        _count_anti_affinity(
            s.anti_affinity_counts, s.pod_info.required_anti_affinity, other, None, node, sign
        )

    def _state_for(self, s: _PreFilterState, node: NodeInfo) -> _PreFilterState:
        seen_pods, seen_len = s.seen.get(node.name, ([], 0))
        if node.pods is seen_pods and len(node.pods) == seen_len:
            return s
        # The node's pods differ from what PreFilter counted (preemption's what-if).
        before = {p["metadata"].get("uid"): p for p in seen_pods}
        now = {p["metadata"].get("uid"): p for p in node.pods}
        adjusted = replace(
            s,
            existing_anti_affinity_counts=dict(s.existing_anti_affinity_counts),
            affinity_counts=dict(s.affinity_counts),
            anti_affinity_counts=dict(s.anti_affinity_counts),
        )
        for uid, pod in before.items():
            if uid not in now:
                self._update_with_pod(adjusted, pod, node, -1)
        for uid, pod in now.items():
            if uid not in before:
                self._update_with_pod(adjusted, pod, node, 1)
        return adjusted

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        s: _PreFilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None:
            return SUCCESS  # PreFilter said Skip: nothing constrains this pod
        s = self._state_for(s, node)
        if not _satisfy_pod_affinity(s, node):
            return unschedulable(ERR_REASON_AFFINITY_RULES_NOT_MATCH, resolvable=False)
        if not _satisfy_pod_anti_affinity(s, node):
            return unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if not _satisfy_existing_pods_anti_affinity(s, node):
            return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return SUCCESS

    # -- PreScore / Score ----------------------------------------------------------------
    def pre_score(self, state: CycleState, pod: Obj, nodes: Sequence[NodeInfo]) -> Status:
        state.pop(_PRE_SCORE_KEY, None)
        if not nodes:
            return Status(Code.SKIP)
        try:
            info = pod_affinity_info(pod, strict=True)
        except ValueError as exc:
            return Status(Code.ERROR, [f"failed to parse pod: {exc}"])
        has_constraints = bool(info.preferred_affinity or info.preferred_anti_affinity)
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return Status(Code.SKIP)
        if not has_constraints and not any(map(_PODS_WITH_AFFINITY, self._all_nodes(state, nodes))):
            return Status(Code.SKIP)  # nothing anywhere could score: every node ties
        info.preferred_affinity = [self._merge_weighted(t) for t in info.preferred_affinity]
        info.preferred_anti_affinity = [
            self._merge_weighted(t) for t in info.preferred_anti_affinity
        ]
        ns_labels = self.namespace_labels((pod.get("metadata") or {}).get("namespace", ""))
        scores: dict[str, dict[str, int]] = {}
        for node in self._all_nodes(state, nodes):
            if not node.labels:
                continue
            for other in node.pods if has_constraints else node.pods_with_affinity:
                other_info = self._info(other)
                if not has_constraints and not other_info.has_affinity:
                    continue
                self._process_existing_pod(scores, info, other_info, node, pod, ns_labels)
        if not scores:
            return Status(Code.SKIP)
        state[_PRE_SCORE_KEY] = scores
        return SUCCESS

    def _merge_weighted(self, term: WeightedAffinityTerm) -> WeightedAffinityTerm:
        merged = self._merge_namespaces(term)
        assert isinstance(merged, WeightedAffinityTerm)
        return merged

    def _process_existing_pod(
        self,
        scores: dict[str, dict[str, int]],
        incoming: PodAffinityInfo,
        existing: PodAffinityInfo,
        node: NodeInfo,
        pod: Obj,
        ns_labels: dict[str, str],
    ) -> None:
        def process(term: AffinityTerm, weight: int, target: Obj, labels: Any, sign: int) -> None:
            if term.matches(target, labels) and term.topology_key in node.labels:
                by_value = scores.setdefault(term.topology_key, {})
                value = node.labels[term.topology_key]
                by_value[value] = by_value.get(value, 0) + weight * sign

        # The incoming pod's preferences, about the existing pod.
        for wt in incoming.preferred_affinity:
            process(wt, wt.weight, existing.pod, None, 1)
        for wt in incoming.preferred_anti_affinity:
            process(wt, wt.weight, existing.pod, None, -1)
        # The existing pod's rules, about the incoming pod.
        if self.hard_pod_affinity_weight > 0:
            for t in existing.required_affinity:
                process(t, self.hard_pod_affinity_weight, pod, ns_labels, 1)
        for wt in existing.preferred_affinity:
            process(wt, wt.weight, pod, ns_labels, 1)
        for wt in existing.preferred_anti_affinity:
            process(wt, wt.weight, pod, ns_labels, -1)

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        scores: dict[str, dict[str, int]] | None = state.get(_PRE_SCORE_KEY)
        if not scores:
            return 0
        labels = node.labels
        return sum(
            by_value.get(labels[key], 0) for key, by_value in scores.items() if key in labels
        )

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        if not state.get(_PRE_SCORE_KEY) or not scores:
            return
        low, high = min(scores.values()), max(scores.values())
        spread = high - low
        for name, value in scores.items():
            scores[name] = int(MAX_NODE_SCORE * (value - low) / spread) if spread > 0 else 0


def _satisfy_pod_affinity(s: _PreFilterState, node: NodeInfo) -> bool:
    labels = node.labels
    pods_exist = True
    for term in s.pod_info.required_affinity:
        if term.topology_key not in labels:
            return False  # every topology key must be on the node
        if s.affinity_counts.get((term.topology_key, labels[term.topology_key]), 0) <= 0:
            pods_exist = False
    if pods_exist:
        return True
    # The first pod of a group with affinity to itself: allowed while no pod matches yet.
    return not s.affinity_counts and pod_matches_all_terms(
        s.pod_info.required_affinity, s.pod_info.pod
    )


def _satisfy_pod_anti_affinity(s: _PreFilterState, node: NodeInfo) -> bool:
    labels = node.labels
    for term in s.pod_info.required_anti_affinity:
        key = term.topology_key
        if key in labels and s.anti_affinity_counts.get((key, labels[key]), 0) > 0:
            return False
    return True


def _satisfy_existing_pods_anti_affinity(s: _PreFilterState, node: NodeInfo) -> bool:
    if not s.existing_anti_affinity_counts:
        return True
    return not any(
        s.existing_anti_affinity_counts.get((k, v), 0) > 0 for k, v in node.labels.items()
    )


# -- wiring ------------------------------------------------------------------------------
def _namespace_lister(ctx: dict[str, Any]) -> NamespaceLister | None:
    """Namespaces from the scheduler's informer factory (`ctx["informers"]`), if it has one."""
    factory = ctx.get("informers")
    if factory is None:
        return None
    informer = factory.informer(require("", "v1", "namespaces"))
    return informer.store.list  # type: ignore[no-any-return]


FACTORIES = {
    NAME: lambda args, ctx: InterPodAffinity(
        args, namespaces=_namespace_lister(ctx), nodes=ctx.get("nodes")
    )
}
