"""InterPodAffinity: filter reasons and codes, namespaces, label keys, scoring (pure)."""

from __future__ import annotations

from typing import Any

from steersman.scheduler.framework import Code, CycleState, NodeInfo, Status
from steersman.scheduler.plugins.inter_pod_affinity import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
    FACTORIES,
    InterPodAffinity,
)
from steersman.scheduler.profile import registry

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def node(name: str) -> NodeInfo:
    return NodeInfo(
        {
            "metadata": {"name": name, "labels": {HOST: name}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
        }
    )


def zoned(name: str, zone: str) -> NodeInfo:
    info = node(name)
    info.node["metadata"]["labels"][ZONE] = zone
    return info


def pod(name: str, ns: str = "default", labels: dict[str, str] | None = None, **aff: Any) -> dict:
    return {
        "metadata": {
            "name": name,
            "uid": f"{ns}-{name}",
            "namespace": ns,
            "labels": labels or {},
        },
        "spec": {"containers": [{"name": "c", "image": "busybox"}], "affinity": aff},
    }


def term(key: str, topology: str = ZONE, **extra: Any) -> dict:
    """A PodAffinityTerm selecting app=<key>."""
    return {"labelSelector": {"matchLabels": {"app": key}}, "topologyKey": topology, **extra}


def required(*terms: dict) -> dict:
    return {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}


def preferred(*weighted: tuple[int, dict]) -> dict:
    return {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": w, "podAffinityTerm": t} for w, t in weighted
        ]
    }


def filter_all(
    plugin: InterPodAffinity, incoming: dict, nodes: list[NodeInfo]
) -> tuple[Status, dict[str, Status]]:
    state = CycleState()
    pre = plugin.pre_filter(state, incoming, nodes)
    return pre, {n.name: plugin.filter(state, incoming, n) for n in nodes}


def score_all(plugin: InterPodAffinity, incoming: dict, nodes: list[NodeInfo]) -> dict[str, int]:
    state = CycleState()
    plugin.pre_filter(state, incoming, nodes)
    plugin.pre_score(state, incoming, nodes)
    scores = {n.name: plugin.score(state, incoming, n) for n in nodes}
    plugin.normalize(state, incoming, scores)
    return scores


def three_nodes() -> list[NodeInfo]:
    return [zoned("a", "z1"), zoned("b", "z1"), zoned("c", "z2")]


def test_registered_for_the_default_profile() -> None:
    assert "InterPodAffinity" in FACTORIES
    assert "InterPodAffinity" in registry()


def test_required_affinity_follows_the_topology_of_matching_pods() -> None:
    nodes = three_nodes()
    nodes[0].add_pod(pod("db", labels={"app": "db"}))
    incoming = pod("web", labels={"app": "web"}, podAffinity=required(term("db")))
    pre, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert pre.ok
    assert statuses["a"].ok and statuses["b"].ok
    assert statuses["c"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert statuses["c"].reasons == [ERR_REASON_AFFINITY_RULES_NOT_MATCH]


def test_affinity_needs_the_topology_key_on_the_node() -> None:
    nodes = [*three_nodes(), node("bare")]
    nodes[0].add_pod(pod("db", labels={"app": "db"}))
    incoming = pod("web", podAffinity=required(term("db")))
    _, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert statuses["bare"].reasons == [ERR_REASON_AFFINITY_RULES_NOT_MATCH]


def test_first_pod_of_a_self_affine_group_may_go_anywhere_with_the_key() -> None:
    nodes = [*three_nodes(), node("bare")]
    # A matching pod in another namespace does not count (namespaces default to the pod's).
    nodes[2].add_pod(pod("other", ns="elsewhere", labels={"app": "web"}))
    incoming = pod("web-0", labels={"app": "web"}, podAffinity=required(term("web")))
    _, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert [n for n, s in statuses.items() if s.ok] == ["a", "b", "c"]
    assert statuses["bare"].reasons == [ERR_REASON_AFFINITY_RULES_NOT_MATCH]
    # Not self-matching: no exception.
    lonely = pod("x", labels={"app": "other"}, podAffinity=required(term("web")))
    _, statuses = filter_all(InterPodAffinity(), lonely, three_nodes())
    assert all(s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE for s in statuses.values())
    # Once a group member runs, the rest must follow it.
    nodes = three_nodes()
    nodes[2].add_pod(pod("web-1", labels={"app": "web"}))
    _, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert [n for n, s in statuses.items() if s.ok] == ["c"]


def test_anti_affinity_of_the_incoming_pod_is_resolvable() -> None:
    nodes = three_nodes()
    nodes[0].add_pod(pod("web-1", labels={"app": "web"}))
    incoming = pod("web-2", labels={"app": "web"}, podAntiAffinity=required(term("web", HOST)))
    _, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert statuses["a"].code == Code.UNSCHEDULABLE
    assert statuses["a"].reasons == [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH]
    assert statuses["b"].ok and statuses["c"].ok


def test_existing_pods_anti_affinity_is_honoured() -> None:
    nodes = three_nodes()
    nodes[0].add_pod(pod("loner", labels={"app": "db"}, podAntiAffinity=required(term("web"))))
    incoming = pod("web", labels={"app": "web"})
    pre, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert pre.ok
    for name in ("a", "b"):
        assert statuses[name].code == Code.UNSCHEDULABLE
        assert statuses[name].reasons == [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH]
    assert statuses["c"].ok
    # A pod nobody's rules concern: PreFilter skips and every node passes.
    pre, statuses = filter_all(InterPodAffinity(), pod("free", labels={"app": "x"}), nodes)
    assert pre.code == Code.SKIP
    assert all(s.ok for s in statuses.values())


def test_namespace_selectors_in_both_directions() -> None:
    namespaces = [
        {"metadata": {"name": "default", "labels": {"team": "web"}}},
        {"metadata": {"name": "prod", "labels": {"team": "db"}}},
        {"metadata": {"name": "dev", "labels": {"team": "db", "env": "dev"}}},
    ]
    plugin = InterPodAffinity(namespaces=lambda: namespaces)
    nodes = three_nodes()
    nodes[2].add_pod(pod("db", ns="prod", labels={"app": "db"}))
    by_selector = term("db", namespaceSelector={"matchLabels": {"team": "db"}})
    _, statuses = filter_all(plugin, pod("w", podAffinity=required(by_selector)), nodes)
    assert [n for n, s in statuses.items() if s.ok] == ["c"]
    # Explicit names, and {} for every namespace.
    for t in (term("db", namespaces=["prod"]), term("db", namespaceSelector={})):
        _, statuses = filter_all(plugin, pod("w", podAffinity=required(t)), nodes)
        assert [n for n, s in statuses.items() if s.ok] == ["c"]
    # The existing pod's term selects namespaces by label: the incoming pod's namespace counts.
    nodes = three_nodes()
    guard = term("web", namespaceSelector={"matchLabels": {"team": "web"}})
    nodes[0].add_pod(pod("guard", ns="prod", podAntiAffinity=required(guard)))
    _, statuses = filter_all(plugin, pod("w", labels={"app": "web"}), nodes)
    assert statuses["a"].reasons == [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH]
    _, statuses = filter_all(plugin, pod("w", ns="dev", labels={"app": "web"}), nodes)
    assert all(s.ok for s in statuses.values())


def test_match_and_mismatch_label_keys() -> None:
    nodes = three_nodes()
    nodes[0].add_pod(pod("v1", labels={"app": "web", "rev": "1"}))
    nodes[2].add_pod(pod("v2", labels={"app": "web", "rev": "2"}))
    anti = term("web", HOST, matchLabelKeys=["rev"])
    incoming = pod("new", labels={"app": "web", "rev": "2"}, podAntiAffinity=required(anti))
    _, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert statuses["a"].ok and statuses["b"].ok
    assert statuses["c"].reasons == [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH]
    # mismatchLabelKeys: keep away from other tenants' pods.
    nodes = three_nodes()
    nodes[0].add_pod(pod("t1", labels={"tenant": "t1"}))
    nodes[2].add_pod(pod("t2", labels={"tenant": "t2"}))
    exclusive = {
        "labelSelector": {"matchExpressions": [{"key": "tenant", "operator": "Exists"}]},
        "mismatchLabelKeys": ["tenant"],
        "topologyKey": ZONE,
    }
    incoming = pod("new", labels={"tenant": "t2"}, podAntiAffinity=required(exclusive))
    _, statuses = filter_all(InterPodAffinity(), incoming, nodes)
    assert [n for n, s in statuses.items() if s.ok] == ["c"]


def test_filter_accounts_for_pods_removed_by_preemption() -> None:
    nodes = three_nodes()
    victim = pod("web-1", labels={"app": "web"})
    nodes[0].add_pod(victim)
    incoming = pod("web-2", labels={"app": "web"}, podAntiAffinity=required(term("web", HOST)))
    plugin = InterPodAffinity()
    state = CycleState()
    plugin.pre_filter(state, incoming, nodes)
    assert not plugin.filter(state, incoming, nodes[0]).ok
    trial = nodes[0].clone()
    trial.remove_pod(victim)
    assert plugin.filter(state, incoming, trial).ok
    # And a pod added in a what-if counts too.
    other = nodes[1].clone()
    other.add_pod(pod("web-3", labels={"app": "web"}))
    assert plugin.filter(state, incoming, other).reasons == [
        ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH
    ]


def test_invalid_selector_of_the_incoming_pod_is_unresolvable() -> None:
    bad = {
        "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Bogus"}]},
        "topologyKey": ZONE,
    }
    pre, _ = filter_all(InterPodAffinity(), pod("p", podAffinity=required(bad)), three_nodes())
    assert pre.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert pre.reasons[0].startswith("parsing pod: ")


def test_preferred_affinity_and_anti_affinity_scores() -> None:
    nodes = three_nodes()
    nodes[0].add_pod(pod("db", labels={"app": "db"}))
    likes_db = pod("w", podAffinity=preferred((10, term("db"))))
    assert score_all(InterPodAffinity(), likes_db, nodes) == {"a": 100, "b": 100, "c": 0}
    avoids_db = pod("w", podAntiAffinity=preferred((10, term("db"))))
    assert score_all(InterPodAffinity(), avoids_db, nodes) == {"a": 0, "b": 0, "c": 100}
    # Mixed weights normalize by (s - min) / (max - min): z1 = 10 - 4 = 6 > 0 (c).
    nodes[2].add_pod(pod("cache", labels={"app": "cache"}))
    mixed = pod(
        "w",
        podAffinity=preferred((10, term("db"))),
        podAntiAffinity=preferred((4, term("db")), (3, term("cache"))),
    )
    assert score_all(InterPodAffinity(), mixed, nodes) == {"a": 100, "b": 100, "c": 0}


def test_existing_pods_rules_score_the_incoming_pod() -> None:
    nodes = three_nodes()
    nodes[0].add_pod(pod("fan", podAffinity=preferred((5, term("web", HOST)))))
    nodes[2].add_pod(pod("hater", podAntiAffinity=preferred((5, term("web", HOST)))))
    incoming = pod("web", labels={"app": "web"})
    assert score_all(InterPodAffinity(), incoming, nodes) == {"a": 100, "b": 50, "c": 0}
    # Existing required affinity counts with hardPodAffinityWeight (default 1).
    nodes = three_nodes()
    nodes[1].add_pod(pod("needy", podAffinity=required(term("web", HOST))))
    assert score_all(InterPodAffinity(), incoming, nodes) == {"a": 0, "b": 100, "c": 0}
    plugin = InterPodAffinity({"hardPodAffinityWeight": 0})
    assert score_all(plugin, incoming, nodes) == {"a": 0, "b": 0, "c": 0}
    # ignorePreferredTermsOfExistingPods skips them for a pod without preferences.
    nodes[0].add_pod(pod("fan", podAffinity=preferred((5, term("web", HOST)))))
    plugin = InterPodAffinity({"ignorePreferredTermsOfExistingPods": True})
    assert score_all(plugin, incoming, nodes) == {"a": 0, "b": 0, "c": 0}
