"""PodTopologySpread: skew filter, inclusion policies, minDomains, defaults, scoring (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from steersman.scheduler.framework import Code, CycleState, NodeInfo, Status
from steersman.scheduler.plugins.pod_topology_spread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    FACTORIES,
    PodTopologySpread,
    default_selector,
)
from steersman.scheduler.profile import registry

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"
FOO = {"matchLabels": {"app": "foo"}}


def node(name: str, zone: str | None = None, taints: list | None = None, **labels: str) -> NodeInfo:
    all_labels = {HOST: name, **labels}
    if zone:
        all_labels[ZONE] = zone
    return NodeInfo(
        {
            "metadata": {"name": name, "labels": all_labels},
            "spec": {"taints": taints or []},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
        }
    )


_seq = iter(range(10**6))


def pod(
    labels: dict[str, str] | None = None,
    ns: str = "default",
    owner: dict | None = None,
    **spec: Any,
) -> dict:
    n = next(_seq)
    meta: dict[str, Any] = {
        "name": f"p{n}",
        "uid": f"u{n}",
        "namespace": ns,
        "labels": labels or {},
    }
    if owner:
        meta["ownerReferences"] = [owner]
    return {"metadata": meta, "spec": {"containers": [{"name": "c", "image": "x"}], **spec}}


def foo(rev: str | None = None, **spec: Any) -> dict:
    """A pod labelled app=foo (and rev=<rev>), with extra spec fields."""
    return pod({"app": "foo", **({"rev": rev} if rev else {})}, **spec)


def spread(key: str = ZONE, skew: int = 1, action: str = "DoNotSchedule", **extra: Any) -> dict:
    return {
        "maxSkew": skew,
        "topologyKey": key,
        "whenUnsatisfiable": action,
        "labelSelector": FOO,
        **extra,
    }


def place(info: NodeInfo, *pods: dict) -> NodeInfo:
    for p in pods:
        info.add_pod(p)
    return info


def filter_all(
    plugin: PodTopologySpread, incoming: dict, nodes: list[NodeInfo]
) -> tuple[Status, dict[str, Status]]:
    state = CycleState()
    pre = plugin.pre_filter(state, incoming, nodes)
    return pre, {n.name: plugin.filter(state, incoming, n) for n in nodes}


def passing(statuses: dict[str, Status]) -> list[str]:
    return [n for n, s in statuses.items() if s.ok]


def score_all(plugin: PodTopologySpread, incoming: dict, nodes: list[NodeInfo]) -> dict[str, int]:
    state = CycleState()
    plugin.pre_filter(state, incoming, nodes)
    plugin.pre_score(state, incoming, nodes)
    scores = {n.name: plugin.score(state, incoming, n) for n in nodes}
    plugin.normalize(state, incoming, scores)
    return scores


def cluster() -> list[NodeInfo]:
    """Zone z1: a (1 foo), b (1 foo); zone z2: x (1 foo), y (empty)."""
    return [
        place(node("a", "z1"), foo()),
        place(node("b", "z1"), foo()),
        place(node("x", "z2"), foo()),
        node("y", "z2"),
    ]


def test_registered_for_the_default_profile() -> None:
    assert "PodTopologySpread" in FACTORIES
    assert "PodTopologySpread" in registry()


def test_zone_and_hostname_skew() -> None:
    incoming = foo(topologySpreadConstraints=[spread()])
    _, statuses = filter_all(PodTopologySpread(), incoming, cluster())
    assert passing(statuses) == ["x", "y"]
    assert statuses["a"].code == Code.UNSCHEDULABLE
    assert statuses["a"].reasons == [ERR_REASON_CONSTRAINTS_NOT_MATCH]
    by_host = foo(topologySpreadConstraints=[spread(HOST)])
    _, statuses = filter_all(PodTopologySpread(), by_host, cluster())
    assert passing(statuses) == ["y"]
    # A pod outside its own selector does not add itself to the skew.
    other = pod({"app": "bar"}, topologySpreadConstraints=[spread()])
    _, statuses = filter_all(PodTopologySpread(), other, cluster())
    assert passing(statuses) == ["a", "b", "x", "y"]


def test_node_without_the_topology_key_is_unresolvable() -> None:
    nodes = [*cluster(), place(node("bare"), foo(), foo())]
    _, statuses = filter_all(PodTopologySpread(), foo(topologySpreadConstraints=[spread()]), nodes)
    assert statuses["bare"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert statuses["bare"].reasons == [ERR_REASON_NODE_LABEL_NOT_MATCH]
    assert ERR_REASON_NODE_LABEL_NOT_MATCH == (
        "node(s) didn't match pod topology spread constraints (missing required label)"
    )
    assert passing(statuses) == ["x", "y"]  # bare's pods are not in any zone


def test_min_domains_treats_the_global_minimum_as_zero() -> None:
    strict = foo(topologySpreadConstraints=[spread(minDomains=3)])
    _, statuses = filter_all(PodTopologySpread(), strict, cluster())
    assert passing(statuses) == []
    enough = foo(topologySpreadConstraints=[spread(minDomains=2)])
    _, statuses = filter_all(PodTopologySpread(), enough, cluster())
    assert passing(statuses) == ["x", "y"]


def test_only_live_pods_of_the_namespace_count() -> None:
    terminating = foo()
    terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    nodes = cluster()
    place(nodes[3], pod({"app": "foo"}, ns="other"), pod({"app": "foo"}, ns="other"), terminating)
    _, statuses = filter_all(PodTopologySpread(), foo(topologySpreadConstraints=[spread()]), nodes)
    assert passing(statuses) == ["x", "y"]


def test_node_affinity_and_taints_policies() -> None:
    def nodes() -> list[NodeInfo]:
        taint = {"key": "k", "value": "v", "effect": "NoSchedule"}
        return [place(node("a", "z1", pool="p"), foo()), node("x", "z2", taints=[taint])]

    def verdict(**policies: str) -> bool:
        constraint = {**spread(), **policies}
        incoming = foo(topologySpreadConstraints=[constraint], nodeSelector={"pool": "p"})
        _, statuses = filter_all(PodTopologySpread(), incoming, nodes())
        return statuses["a"].ok

    # Honor (default): x does not match the nodeSelector, so z2 is not a domain.
    assert verdict()
    assert not verdict(nodeAffinityPolicy="Ignore")
    # Taints are ignored by default; Honor drops the tainted node's domain.
    assert not verdict(nodeAffinityPolicy="Ignore", nodeTaintsPolicy="Ignore")
    assert verdict(nodeAffinityPolicy="Ignore", nodeTaintsPolicy="Honor")


def test_match_label_keys_narrow_the_selector_to_the_pods_revision() -> None:
    nodes = [
        place(node("a", "z1"), foo(rev="1"), foo(rev="1")),
        place(node("x", "z2"), foo(rev="2")),
    ]
    keyed = foo(rev="2", topologySpreadConstraints=[spread(matchLabelKeys=["rev"])])
    _, statuses = filter_all(PodTopologySpread(), keyed, nodes)
    assert passing(statuses) == ["a"]
    plain = foo(rev="2", topologySpreadConstraints=[spread()])
    _, statuses = filter_all(PodTopologySpread(), plain, nodes)
    assert passing(statuses) == ["x"]


def test_filter_accounts_for_pods_removed_by_preemption() -> None:
    nodes = cluster()
    incoming = foo(topologySpreadConstraints=[spread()])
    plugin = PodTopologySpread()
    state = CycleState()
    plugin.pre_filter(state, incoming, nodes)
    assert not plugin.filter(state, incoming, nodes[0]).ok
    trial = nodes[0].clone()
    trial.remove_pod(trial.pods[0])
    assert plugin.filter(state, incoming, trial).ok


def test_pods_without_constraints_or_owners_are_not_constrained() -> None:
    pre, statuses = filter_all(PodTopologySpread(), foo(), cluster())
    assert pre.code == Code.SKIP
    assert passing(statuses) == ["a", "b", "x", "y"]
    assert score_all(PodTopologySpread(), foo(), cluster()) == {"a": 0, "b": 0, "x": 0, "y": 0}


def test_schedule_anyway_scores_prefer_the_emptier_domain() -> None:
    nodes = [place(node("a"), foo(), foo()), place(node("b"), foo()), node("c")]
    incoming = foo(topologySpreadConstraints=[spread(HOST, action="ScheduleAnyway")])
    # count * ln(3 + 2) + maxSkew - 1, rounded: a 3, b 2, c 0; 100 * (max + min - s) / max.
    assert score_all(PodTopologySpread(), incoming, nodes) == {"a": 0, "b": 33, "c": 100}
    # ScheduleAnyway constraints never filter.
    _, statuses = filter_all(PodTopologySpread(), incoming, nodes)
    assert passing(statuses) == ["a", "b", "c"]


def test_zone_scores_ignore_nodes_without_the_key() -> None:
    nodes = [
        place(node("a", "z1"), foo(), foo()),
        node("b", "z1"),
        place(node("c", "z2"), foo()),
        node("bare"),
    ]
    incoming = foo(topologySpreadConstraints=[spread(skew=2, action="ScheduleAnyway")])
    assert score_all(PodTopologySpread(), incoming, nodes) == {
        "a": 50,
        "b": 50,
        "c": 100,
        "bare": 0,
    }


def lister(*objs: tuple[str, dict]) -> Any:
    def list_(resource: str, namespace: str) -> Iterable[dict]:
        return [o for r, o in objs if r == resource and o["metadata"]["namespace"] == namespace]

    return list_


def rs(name: str = "rs", selector: dict | None = None) -> tuple[str, dict]:
    return (
        "replicasets",
        {"metadata": {"name": name, "namespace": "default"}, "spec": {"selector": selector or FOO}},
    )


OWNED = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "controller": True}


def default_cluster() -> list[NodeInfo]:
    return [
        place(node("a", "z1"), foo(), foo()),
        node("b", "z1"),
        place(node("c", "z2"), foo()),
        node("bare"),
    ]


def test_system_default_constraints_apply_to_controlled_pods() -> None:
    plugin = PodTopologySpread(lister=lister(rs()))
    incoming = pod({"app": "foo"}, owner=OWNED)
    # hostname (maxSkew 3, ln(4 + 2)) + zone (maxSkew 5, ln(3 + 2), "" is a zone here):
    # a 13, b 9, c 9, bare 2 (no zone label, yet not ignored under system defaults).
    assert score_all(plugin, incoming, default_cluster()) == {
        "a": 15,
        "b": 46,
        "c": 46,
        "bare": 100,
    }
    # ScheduleAnyway only: system defaults never filter.
    pre, _ = filter_all(plugin, incoming, default_cluster())
    assert pre.code == Code.SKIP
    # Selected by a Service instead of owned: the same.
    svc = ("services", {"metadata": {"name": "s", "namespace": "default"}, "spec": FOO_SVC})
    plugin = PodTopologySpread(lister=lister(svc))
    assert score_all(plugin, pod({"app": "foo"}), default_cluster())["bare"] == 100
    # Neither: no constraints at all.
    plugin = PodTopologySpread(lister=lister(rs()))
    assert set(score_all(plugin, pod({"app": "foo"}), default_cluster()).values()) == {0}


FOO_SVC = {"selector": {"app": "foo"}}


def test_list_defaulting_uses_the_configured_constraints() -> None:
    args = {
        "defaultingType": "List",
        "defaultConstraints": [
            {"maxSkew": 1, "topologyKey": HOST, "whenUnsatisfiable": "DoNotSchedule"}
        ],
    }
    plugin = PodTopologySpread(args, lister=lister(rs()))
    _, statuses = filter_all(plugin, pod({"app": "foo"}, owner=OWNED), default_cluster())
    assert passing(statuses) == ["b", "bare"]
    assert statuses["a"].reasons == [ERR_REASON_CONSTRAINTS_NOT_MATCH]


def test_default_selector_merges_services_and_the_controller() -> None:
    tiered = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}
    svc = ("services", {"metadata": {"name": "s", "namespace": "default"}, "spec": FOO_SVC})
    empty_svc = ("services", {"metadata": {"name": "e", "namespace": "default"}, "spec": {}})
    p = pod({"app": "foo", "tier": "web"}, owner=OWNED)
    assert str(default_selector(p, lister(svc, empty_svc, rs(selector=tiered)))) == (
        "app=foo,tier in (web)"
    )
    rc = (
        "replicationcontrollers",
        {"metadata": {"name": "rc", "namespace": "default"}, "spec": {"selector": {"rc": "1"}}},
    )
    by_rc = pod(
        {"rc": "1"},
        owner={
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": "rc",
            "controller": True,
        },
    )
    assert str(default_selector(by_rc, lister(rc))) == "rc=1"
    # Owned by something else (a Job): nothing.
    by_job = pod(
        {"app": "foo"},
        owner={"apiVersion": "batch/v1", "kind": "Job", "name": "j", "controller": True},
    )
    assert default_selector(by_job, lister(rs())).empty
