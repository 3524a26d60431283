"""Scheduler plugins and resource arithmetic (pure)."""

from __future__ import annotations

import asyncio
from typing import Any

from steersman.scheduler.framework import Code, CycleState, NodeInfo
from steersman.scheduler.plugins.balanced_allocation import NodeResourcesBalancedAllocation
from steersman.scheduler.plugins.image_locality import ImageLocality
from steersman.scheduler.plugins.node_ports import NodePorts
from steersman.scheduler.plugins.node_resources_fit import NodeResourcesFit
from steersman.scheduler.plugins.priority_sort import PrioritySort
from steersman.scheduler.plugins.taint_toleration import TaintToleration, tolerates
from steersman.scheduler.queue import SchedulingQueue
from steersman.scheduler.resources import pod_requests


def node(name: str = "n", cpu: str = "2", memory: str = "4Gi", **status: Any) -> NodeInfo:
    return NodeInfo(
        {
            "metadata": {"name": name},
            "spec": status.pop("spec", {}),
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "3"}, **status},
        }
    )


def pod(uid: str = "u", cpu: str | None = None, memory: str | None = None, **spec: Any) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {
        "metadata": {"name": uid, "uid": uid, "namespace": "default"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "resources": {"requests": requests}}],
            **spec,
        },
    }


def test_pod_requests_take_init_and_sidecars_into_account() -> None:
    p = pod(cpu="100m")
    p["spec"]["initContainers"] = [
        {"name": "init", "resources": {"requests": {"cpu": "1"}}},
        {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "200m"}}},
    ]
    p["spec"]["overhead"] = {"cpu": "10m"}
    # max(100m + 200m, 1000m) + 10m
    assert pod_requests(p)["cpu"] == 1010
    assert pod_requests(pod()).get("cpu", 0) == 0
    assert pod_requests(pod(), non_zero=True)["cpu"] == 100


def test_resources_fit_reasons_and_least_allocated_scores() -> None:
    fit = NodeResourcesFit()
    n = node(cpu="1", memory="1Gi")
    status = fit.filter(CycleState(), pod(cpu="2", memory="2Gi"), n)
    assert status.code == Code.UNSCHEDULABLE
    assert status.reasons == ["Insufficient cpu", "Insufficient memory"]
    for i in range(3):
        n.add_pod(pod(uid=str(i)))
    assert fit.filter(CycleState(), pod(), n).reasons == ["Too many pods"]
    empty, busy = node("a", cpu="4"), node("b", cpu="4")
    busy.add_pod(pod("x", cpu="3"))
    assert fit.score(CycleState(), pod(cpu="500m"), empty) > fit.score(
        CycleState(), pod(cpu="500m"), busy
    )
    most = NodeResourcesFit({"scoringStrategy": {"type": "MostAllocated"}})
    assert most.score(CycleState(), pod(cpu="500m"), busy) > most.score(
        CycleState(), pod(cpu="500m"), empty
    )


def test_taints_and_tolerations() -> None:
    taint = {"key": "k", "value": "v", "effect": "NoSchedule"}
    assert tolerates({"key": "k", "operator": "Exists"}, taint)
    assert tolerates({"key": "k", "value": "v"}, taint)
    assert not tolerates({"key": "k", "value": "w"}, taint)
    assert not tolerates({"key": "k", "operator": "Exists", "effect": "NoExecute"}, taint)
    assert tolerates({"operator": "Exists"}, taint)
    status = TaintToleration().filter(CycleState(), pod(), node(spec={"taints": [taint]}))
    assert status.reasons == ["node(s) had untolerated taint {k: v}"]
    assert status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_host_port_conflicts() -> None:
    n = node()
    n.add_pod(
        pod("a", containers=[{"name": "c", "ports": [{"containerPort": 80, "hostPort": 8080}]}])
    )
    clash = pod(
        "b",
        containers=[
            {"name": "c", "ports": [{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}]}
        ],
    )
    ok = pod(
        "c",
        containers=[
            {"name": "c", "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]}
        ],
    )
    assert NodePorts().filter(CycleState(), clash, n).reasons == [
        "node(s) didn't have free ports for the requested pod ports"
    ]
    assert NodePorts().filter(CycleState(), ok, n).ok


def test_balanced_allocation_and_image_locality() -> None:
    balanced = NodeResourcesBalancedAllocation()
    even, lopsided = node("a", cpu="2", memory="2Gi"), node("b", cpu="2", memory="2Gi")
    lopsided.add_pod(pod("x", cpu="1900m", memory="10Mi"))
    assert balanced.score(CycleState(), pod(cpu="100m", memory="100Mi"), even) > balanced.score(
        CycleState(), pod(cpu="100m", memory="100Mi"), lopsided
    )
    with_image = node("i", images=[{"names": ["busybox:latest"], "sizeBytes": 500 * 1024 * 1024}])
    without = node("j")
    locality = ImageLocality(lambda: [with_image, without])
    state = CycleState()
    assert locality.score(state, pod(), with_image) > locality.score(state, pod(), without) == 0


async def test_queue_orders_by_priority_then_arrival() -> None:
    queue = SchedulingQueue(PrioritySort().less)
    queue.add(pod("low", priority=1))
    queue.add(pod("first", priority=5))
    queue.add(pod("second", priority=5))
    order = [(await asyncio.wait_for(queue.pop(), 1)).pod["metadata"]["name"] for _ in range(3)]
    assert order == ["first", "second", "low"]


def test_batch_scores_equal_per_node_scores() -> None:
    nodes = [
        node("a"),
        node("b", cpu="4", memory="1Gi"),
        node("c", cpu="500m", memory="8Gi"),
        node("d", cpu="0", memory="2Gi"),
    ]
    nodes[0].add_pod(pod("p1", cpu="1500m", memory="1Gi"))
    nodes[1].add_pod(pod("p2"))  # no requests: counted with the non-zero defaults
    incoming = pod("in", cpu="250m", memory="512Mi")
    plugins = [
        NodeResourcesFit(),
        NodeResourcesFit({"scoringStrategy": {"type": "MostAllocated"}}),
        NodeResourcesBalancedAllocation(),
        NodeResourcesBalancedAllocation(["cpu", "memory", "ephemeral-storage"]),
    ]
    for plugin in plugins:
        state = CycleState()
        per_node = [plugin.score(state, incoming, n) for n in nodes]
        assert plugin.score_nodes(CycleState(), incoming, nodes) == per_node


def test_batch_filters_equal_per_node_filters() -> None:
    from steersman.scheduler.plugins.node_unschedulable import NodeUnschedulable

    nodes = [
        node("free"),
        node("full", cpu="100m"),
        node("cordoned", spec={"unschedulable": True}),
        node("tainted", spec={"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}),
        node("soft", spec={"taints": [{"key": "k", "effect": "PreferNoSchedule"}]}),
    ]
    for i in range(3):
        nodes[0].add_pod(pod(f"p{i}"))  # at the node's 3-pod capacity
    incoming = [
        pod("in", cpu="250m", memory="512Mi"),
        pod(
            "tolerant",
            cpu="250m",
            tolerations=[
                {"key": "k", "operator": "Exists"},
                {"key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
            ],
        ),
    ]
    for plugin in (NodeResourcesFit(), NodeUnschedulable(), TaintToleration()):
        for p in incoming:
            expected = {
                i: s.reasons
                for i, n in enumerate(nodes)
                if not (s := plugin.filter(CycleState(), p, n)).ok
            }
            got = {i: s.reasons for i, s in plugin.filter_nodes(CycleState(), p, nodes).items()}
            assert got == expected, (plugin.name, p["metadata"]["name"])
    fit_failures = NodeResourcesFit().filter_nodes(CycleState(), incoming[0], nodes)
    assert fit_failures[0].reasons == ["Too many pods"]
    assert fit_failures[1].reasons == ["Insufficient cpu"]
