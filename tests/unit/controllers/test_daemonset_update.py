"""DaemonSet rolling-update planning: maxUnavailable without surge, maxSurge with it."""

from __future__ import annotations

import datetime

from steersman.controllers import daemonset_update as du

NOW = datetime.datetime(2026, 1, 1, 0, 10, tzinfo=datetime.UTC)


def ds(rolling: dict) -> dict:
    return {
        "metadata": {"name": "agent", "namespace": "ns", "uid": "u"},
        "spec": {
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": []}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling},
        },
    }


def node(name: str) -> dict:
    return {"metadata": {"name": name, "labels": {}}, "spec": {}}


def pod(
    name: str, hash_: str, *, ready: bool = True, created: str = "2026-01-01T00:00:00Z"
) -> dict:
    conditions = [
        {
            "type": "Ready",
            "status": "True" if ready else "False",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        }
    ]
    return {
        "metadata": {
            "name": name,
            "creationTimestamp": created,
            "labels": {"controller-revision-hash": hash_},
        },
        "spec": {"nodeName": name.split("-")[0]},
        "status": {"phase": "Running", "conditions": conditions},
    }


def test_without_surge_deletes_up_to_max_unavailable() -> None:
    nodes = [node("n1"), node("n2"), node("n3")]
    pods = {n: [pod(f"{n}-a", "old")] for n in ("n1", "n2", "n3")}
    to_delete, to_create = du.plan_rolling_update(
        ds({"maxUnavailable": 2, "maxSurge": 0}), nodes, pods, "new", NOW
    )
    assert (to_delete, to_create) == (["n1-a", "n2-a"], [])


def test_without_surge_unavailable_nodes_use_up_the_budget() -> None:
    nodes = [node("n1"), node("n2"), node("n3")]
    pods = {
        "n1": [pod("n1-a", "new", ready=False)],  # updated but not available yet
        "n2": [pod("n2-a", "old")],
        "n3": [pod("n3-a", "old", ready=False)],  # old and unavailable: always replaced
    }
    to_delete, _ = du.plan_rolling_update(
        ds({"maxUnavailable": 1, "maxSurge": 0}), nodes, pods, "new", NOW
    )
    assert to_delete == ["n3-a"]
    # A wanted node without any pod counts as unavailable too.
    to_delete, _ = du.plan_rolling_update(
        ds({"maxUnavailable": 1, "maxSurge": 0}), nodes, {"n2": [pod("n2-a", "old")]}, "new", NOW
    )
    assert to_delete == []


def test_with_surge_creates_first_and_deletes_once_available() -> None:
    nodes = [node("n1"), node("n2")]
    pods = {"n1": [pod("n1-a", "old")], "n2": [pod("n2-a", "old")]}
    plan = du.plan_rolling_update(ds({"maxUnavailable": 0, "maxSurge": 1}), nodes, pods, "new", NOW)
    assert plan == ([], ["n1"])
    pods["n1"].append(pod("n1-b", "new", ready=False))
    plan = du.plan_rolling_update(ds({"maxUnavailable": 0, "maxSurge": 1}), nodes, pods, "new", NOW)
    assert plan == ([], [])  # the surge slot is taken until n1-b is available
    pods["n1"][1] = pod("n1-b", "new")
    plan = du.plan_rolling_update(ds({"maxUnavailable": 0, "maxSurge": 1}), nodes, pods, "new", NOW)
    assert plan == (["n1-a"], ["n2"])


def test_surge_excess_keeps_oldest_new_and_old() -> None:
    d = ds({"maxSurge": 1})
    running = [
        pod("n1-a", "old", created="2026-01-01T00:00:00Z"),
        pod("n1-b", "new", ready=False, created="2026-01-01T00:01:00Z"),
        pod("n1-c", "old", created="2026-01-01T00:02:00Z"),
    ]
    assert du.surge_excess(d, running, "new", NOW) == ["n1-c"]
    running[1] = pod("n1-b", "new", created="2026-01-01T00:01:00Z")
    assert du.surge_excess(d, running, "new", NOW) == ["n1-c", "n1-a"]
