"""DaemonSet helpers: placement, default tolerations, node affinity pinning, update counts."""

from __future__ import annotations

import pytest

from steersman.controllers import daemonset_util as dsu


def ds(pod_spec: dict | None = None, strategy: dict | None = None) -> dict:
    return {
        "metadata": {"name": "agent", "namespace": "ns", "uid": "u"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "c", "image": "x"}], **(pod_spec or {})},
            },
            "updateStrategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {}},
        },
    }


def node(name: str = "n1", taints: list[dict] | None = None, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}, "spec": {"taints": taints or []}}


def test_should_run_follows_selector_affinity_and_node_name() -> None:
    assert dsu.node_should_run_daemon_pod(node(role="a"), ds({"nodeSelector": {"role": "a"}})) == (
        True,
        True,
    )
    assert dsu.node_should_run_daemon_pod(node(role="b"), ds({"nodeSelector": {"role": "a"}})) == (
        False,
        False,
    )
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]}
                ]
            }
        }
    }
    assert dsu.node_should_run_daemon_pod(node(zone="z1"), ds({"affinity": affinity}))[0]
    assert not dsu.node_should_run_daemon_pod(node(zone="z2"), ds({"affinity": affinity}))[0]
    assert dsu.node_should_run_daemon_pod(node("n2"), ds({"nodeName": "n1"})) == (False, False)


def test_taints() -> None:
    no_schedule = [{"key": "k", "value": "v", "effect": "NoSchedule"}]
    no_execute = [{"key": "k", "value": "v", "effect": "NoExecute"}]
    # A running pod survives a NoSchedule taint but not a NoExecute one.
    assert dsu.node_should_run_daemon_pod(node(taints=no_schedule), ds()) == (False, True)
    assert dsu.node_should_run_daemon_pod(node(taints=no_execute), ds()) == (False, False)
    tolerant = ds({"tolerations": [{"key": "k", "operator": "Equal", "value": "v"}]})
    assert dsu.node_should_run_daemon_pod(node(taints=no_execute), tolerant) == (True, True)
    # The DaemonSet defaults tolerate an unschedulable or not-ready node.
    defaults = [
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
    ]
    assert dsu.node_should_run_daemon_pod(node(taints=defaults), ds()) == (True, True)
    network = [{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]
    assert not dsu.node_should_run_daemon_pod(node(taints=network), ds())[0]
    assert dsu.node_should_run_daemon_pod(node(taints=network), ds({"hostNetwork": True}))[0]


def test_default_tolerations_replace_matching_ones() -> None:
    spec = {
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {"key": "mine", "operator": "Exists"},
        ]
    }
    dsu.add_or_update_daemon_pod_tolerations(spec)
    assert spec["tolerations"][0] == {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
    }
    assert spec["tolerations"][1] == {"key": "mine", "operator": "Exists"}
    assert [t["key"] for t in spec["tolerations"][2:]] == [
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ]


def test_node_name_affinity_replaces_required_terms_only() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Exists"}]}]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {}}],
        },
        "podAntiAffinity": {"x": 1},
    }
    out = dsu.replace_node_name_node_affinity(affinity, "n7")
    assert out["podAntiAffinity"] == {"x": 1}
    assert out["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    terms = out["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert terms == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n7"]}]}
    ]
    assert dsu.get_target_node_name({"spec": {"affinity": out}}) == "n7"
    assert dsu.get_target_node_name({"spec": {"nodeName": "n1", "affinity": out}}) == "n1"
    assert dsu.get_target_node_name({"spec": {}}) is None
    assert affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ][0]["matchExpressions"]  # input untouched


@pytest.mark.parametrize(
    ("rolling", "surge", "unavailable"),
    [
        ({"maxUnavailable": 1, "maxSurge": 0}, 0, 1),
        ({"maxUnavailable": "10%", "maxSurge": "10%"}, 1, 1),  # percentages round up
        ({"maxUnavailable": 0, "maxSurge": "50%"}, 3, 0),
    ],
)
def test_surge_and_unavailable_counts(rolling: dict, surge: int, unavailable: int) -> None:
    d = ds(strategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    assert dsu.surge_count(d, 5) == surge
    assert dsu.unavailable_count(d, 5) == unavailable
    assert dsu.allows_surge(d) == (surge > 0)
    assert dsu.surge_count(ds(strategy={"type": "OnDelete"}), 5) == 0


def test_pod_template_and_updated_check() -> None:
    d = ds()
    d["metadata"]["annotations"] = {dsu.DEPRECATED_TEMPLATE_GENERATION: "4"}
    template = dsu.create_pod_template(d["spec"]["template"], dsu.template_generation(d), "h1")
    assert template["metadata"]["labels"] == {
        "app": "agent",
        "pod-template-generation": "4",
        "controller-revision-hash": "h1",
    }
    pod = {"metadata": {"labels": {"controller-revision-hash": "h1"}}}
    assert dsu.is_pod_updated(pod, "h1", None)
    assert not dsu.is_pod_updated(pod, "h2", None)
    assert dsu.is_pod_updated({"metadata": {"labels": {"pod-template-generation": "4"}}}, "h2", 4)


def test_backoff_doubles_and_expires() -> None:
    b = dsu.Backoff(1.0, 4.0)
    assert not b.is_in_backoff_since_update("k", now=0.0)
    b.next("k", now=0.0)
    assert b.get("k") == 1.0 and b.is_in_backoff_since_update("k", now=0.5)
    assert not b.is_in_backoff_since_update("k", now=1.5)
    b.next("k", now=1.5)
    b.next("k", now=2.0)
    b.next("k", now=3.0)
    assert b.get("k") == 4.0  # capped
    b.next("k", now=100.0)  # idle for more than 2 x max: starts over
    assert b.get("k") == 1.0
    b.gc(now=1000.0)
    assert b.get("k") == 0.0
