"""Scheduler and controller manager end to end on a real node, through kubectl: Deployments
roll out, roll back, pause and scale; cascading deletes; scheduling failures and preemption;
taint eviction; a second scheduler; a node that stops heartbeating."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.e2e.harness import Cluster, poll
from tests.e2e.node.workloads import IMAGE, apply, get, phase, pod


def deployment(
    name: str, replicas: int, command: str = "sleep 3600", **spec: Any
) -> dict[str, Any]:
    template = pod(name, command)
    template["metadata"] = {"labels": {"app": name}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": template["metadata"], "spec": template["spec"]},
            **spec,
        },
    }


def rollout_status(c: Cluster, ns: str, name: str) -> str:
    return str(
        c.kubectl(
            "rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=90s", timeout=120
        ).stdout
    )


def pods_of(c: Cluster, ns: str, app: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = c.kubectl_json("get", "pods", "-n", ns, "-l", f"app={app}")[
        "items"
    ]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def test_rollout_history_undo_pause_resume_and_scale(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    apply(c, ns, deployment("web", 2))
    assert 'deployment "web" successfully rolled out' in rollout_status(c, ns, "web")
    c.kubectl("set", "image", "deployment/web", "main=e2e-busybox:v2", "-n", ns)
    # The new image cannot be had: the rollout stalls on it, the old pods keep serving.
    c.kubectl("annotate", "deployment/web", "-n", ns, "kubernetes.io/change-cause=bad image")
    poll(
        lambda: any(
            p["spec"]["containers"][0]["image"] == "e2e-busybox:v2" for p in pods_of(c, ns, "web")
        ),
        what="a pod of revision 2",
        timeout=30,
    )
    history = c.kubectl("rollout", "history", "deployment/web", "-n", ns).stdout
    assert "REVISION" in history and "bad image" in history
    rows = history.splitlines()
    header = next(i for i, line in enumerate(rows) if line.startswith("REVISION"))
    assert [line.split()[0] for line in rows[header + 1 :] if line.strip()] == ["1", "2"]
    assert c.kubectl("rollout", "undo", "deployment/web", "-n", ns).stdout.strip() == (
        "deployment.apps/web rolled back"
    )
    assert "successfully rolled out" in rollout_status(c, ns, "web")
    images = {p["spec"]["containers"][0]["image"] for p in pods_of(c, ns, "web")}
    assert images == {IMAGE}
    d = c.kubectl_json("get", "deployment", "web", "-n", ns)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"

    c.kubectl("rollout", "pause", "deployment/web", "-n", ns)
    c.kubectl("set", "env", "deployment/web", "-n", ns, "COLOR=blue")
    time.sleep(2)
    assert all("env" not in p["spec"]["containers"][0] for p in pods_of(c, ns, "web"))
    c.kubectl("rollout", "resume", "deployment/web", "-n", ns)
    assert "successfully rolled out" in rollout_status(c, ns, "web")
    assert all(
        p["spec"]["containers"][0].get("env") == [{"name": "COLOR", "value": "blue"}]
        for p in pods_of(c, ns, "web")
    )

    c.kubectl("scale", "deployment/web", "-n", ns, "--replicas=3")
    assert "successfully rolled out" in rollout_status(c, ns, "web")
    poll(lambda: len(pods_of(c, ns, "web")) == 3, what="3 replicas", timeout=30)
    row = c.kubectl("get", "deployment", "web", "-n", ns, "--no-headers").stdout.split()
    assert row[:4] == ["web", "3/3", "3", "3"]


def test_cascading_deletes_of_a_deployment(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    apply(c, ns, deployment("bg", 1))
    apply(c, ns, deployment("orph", 1))
    for name in ("bg", "orph"):
        rollout_status(c, ns, name)
    c.kubectl("delete", "deployment", "orph", "-n", ns, "--cascade=orphan")
    c.kubectl("delete", "deployment", "bg", "-n", ns, "--cascade=background")
    poll(lambda: not pods_of(c, ns, "bg"), what="bg pods collected", timeout=60)
    sets = c.kubectl_json("get", "replicasets", "-n", ns)["items"]
    assert [s["metadata"]["labels"]["app"] for s in sets] == ["orph"]
    assert not sets[0]["metadata"].get("ownerReferences")
    assert len(pods_of(c, ns, "orph")) == 1


def test_namespace_deletion_removes_running_pods(node_cluster: Cluster) -> None:
    c = node_cluster
    c.kubectl("create", "namespace", "e2e-doomed")
    poll(
        lambda: c.kubectl("get", "sa", "default", "-n", "e2e-doomed", check=False).returncode == 0,
        what="default sa",
    )
    apply(c, "e2e-doomed", deployment("x", 2))
    rollout_status(c, "e2e-doomed", "x")
    c.kubectl("delete", "namespace", "e2e-doomed", "--timeout=90s", timeout=120)
    assert c.kubectl("get", "namespace", "e2e-doomed", check=False).returncode != 0


def test_unschedulable_pod_reports_failed_scheduling(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    apply(
        c,
        ns,
        pod("huge", "sleep 3600", container={"resources": {"requests": {"cpu": "500"}}}),
    )

    def condition() -> dict[str, Any]:
        for cond in get(c, ns, "huge").get("status", {}).get("conditions") or []:
            if cond["type"] == "PodScheduled" and cond["status"] == "False":
                return dict(cond)
        return {}

    cond = poll(condition, what="PodScheduled=False", timeout=30)
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    )
    events = c.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=FailedScheduling"
    ).stdout
    assert "Insufficient cpu" in events


def test_high_priority_pod_preempts_a_low_one(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    node = c.kubectl_json("get", "nodes")["items"][0]
    cpus = node["status"]["allocatable"]["cpu"]
    big = f"{int(cpus) * 1000 * 3 // 4}m"
    c.kubectl(
        "apply",
        "-f",
        "-",
        input=json.dumps(
            {
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": f"{ns}-high"},
                "value": 1000000,
            }
        ),
    )
    try:
        apply(c, ns, pod("low", "sleep 3600", container={"resources": {"requests": {"cpu": big}}}))
        poll(lambda: phase(c, ns, "low") == "Running", what="low running", timeout=30)
        high = pod("high", "sleep 3600", container={"resources": {"requests": {"cpu": big}}})
        high["spec"]["priorityClassName"] = f"{ns}-high"
        apply(c, ns, high)
        poll(lambda: phase(c, ns, "high") == "Running", what="high running", timeout=60)
        assert c.kubectl("get", "pod", "low", "-n", ns, check=False).returncode != 0
    finally:
        c.kubectl("delete", "priorityclass", f"{ns}-high", check=False)


def test_no_execute_taint_evicts_untolerating_pods(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    node = c.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"]
    apply(c, ns, pod("plain", "sleep 3600"))
    tolerant = pod("tolerant", "sleep 3600")
    tolerant["spec"]["tolerations"] = [
        {"key": "e2e-evict", "operator": "Exists", "effect": "NoExecute"}
    ]
    apply(c, ns, tolerant)
    for name in ("plain", "tolerant"):
        poll(lambda name=name: phase(c, ns, name) == "Running", what=name, timeout=30)
    c.kubectl("taint", "node", node, "e2e-evict=yes:NoExecute")
    try:
        poll(
            lambda: c.kubectl("get", "pod", "plain", "-n", ns, check=False).returncode != 0,
            what="untolerating pod evicted",
            timeout=60,
        )
        assert phase(c, ns, "tolerant") == "Running"
        events = c.kubectl("get", "events", "-n", ns).stdout
        assert "TaintManagerEviction" in events
    finally:
        c.kubectl("taint", "node", node, "e2e-evict=yes:NoExecute-", check=False)


def test_second_scheduler_binds_only_its_own_pods(
    node_cluster: Cluster, ns: str, tmp_path: Path
) -> None:
    c = node_cluster
    config = tmp_path / "sched.yaml"
    config.write_text(
        "apiVersion: kubescheduler.config.k8s.io/v1\n"
        "kind: KubeSchedulerConfiguration\n"
        "profiles:\n- schedulerName: e2e-scheduler\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steersman",
            "scheduler",
            "--kubeconfig",
            str(c.kubeconfig),
            "--config",
            str(config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        mine = pod("mine", "sleep 3600", schedulerName="e2e-scheduler")
        nobody = pod("nobody", "sleep 3600", schedulerName="no-such-scheduler")
        apply(c, ns, mine)
        apply(c, ns, nobody)
        poll(lambda: phase(c, ns, "mine") == "Running", what="mine running", timeout=30)
        events = c.kubectl_json(
            "get",
            "events",
            "-n",
            ns,
            "--field-selector",
            "involvedObject.name=mine,reason=Scheduled",
        )["items"]
        assert [e["source"]["component"] for e in events] == ["e2e-scheduler"]
        assert not get(c, ns, "nobody")["spec"].get("nodeName")
    finally:
        proc.terminate()
        proc.wait(10)


def test_silent_node_goes_not_ready_and_its_pods_move(
    node_cluster: Cluster, ns: str, tmp_path: Path
) -> None:
    """A hollow second node takes some replicas; when its kubelet is killed its Lease stops,
    the node goes Unknown (40 s), is tainted unreachable, and the pods (tolerating that for 1 s)
    are evicted and replaced on the real node."""
    c = node_cluster
    name = f"hollow-{ns[-8:]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steersman",
            "kubelet",
            "--hollow",
            "--kubeconfig",
            str(c.kubeconfig),
            "--node-name",
            name,
            "--root-dir",
            str(tmp_path / "hollow"),
            "--node-ip",
            "127.0.0.9",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def ready() -> bool:
            res = c.kubectl("get", "node", name, "-o", "json", check=False)
            if res.returncode != 0:
                return False
            conds = {x["type"]: x["status"] for x in json.loads(res.stdout)["status"]["conditions"]}
            return conds.get("Ready") == "True"

        poll(ready, what="hollow node ready", timeout=30)
        spec = deployment("spread", 4)
        spec["spec"]["template"]["spec"]["tolerations"] = [
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 1,
            },
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 1,
            },
        ]
        spec["spec"]["template"]["spec"]["affinity"] = {
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}
        }
        apply(c, ns, spec)
        poll(
            lambda: any(p["spec"].get("nodeName") == name for p in pods_of(c, ns, "spread")),
            what="a replica on the hollow node",
            timeout=60,
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

        def not_ready() -> bool:
            node = c.kubectl_json("get", "node", name)
            conds = {x["type"]: x["status"] for x in node["status"]["conditions"]}
            return conds.get("Ready") == "Unknown"

        poll(not_ready, what="node Unknown", timeout=90)
        row = c.kubectl("get", "node", name, "--no-headers").stdout.split()
        assert row[1] == "NotReady"
        poll(
            lambda: (
                len(pods_of(c, ns, "spread")) == 4
                and all(p["spec"].get("nodeName") != name for p in pods_of(c, ns, "spread"))
            ),
            what="replicas moved off the silent node",
            timeout=90,
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        c.kubectl("delete", "node", name, "--wait=false", check=False)


def test_node_pressure_sets_the_condition_and_evicts(
    node_cluster: Cluster, ns: str, tmp_path: Path
) -> None:
    """A hollow node whose memory threshold can never be met (memory.available<1000Ti) reports
    MemoryPressure and evicts what runs there, worded as Kubernetes does."""
    c = node_cluster
    name = f"pressed-{ns[-8:]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steersman",
            "kubelet",
            "--hollow",
            "--kubeconfig",
            str(c.kubeconfig),
            "--node-name",
            name,
            "--root-dir",
            str(tmp_path / "pressed"),
            "--node-ip",
            "127.0.0.10",
            "--eviction-hard",
            "memory.available<1000Ti",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        apply(c, ns, pod("victim", "sleep 3600", nodeName=name))

        def pressure() -> bool:
            res = c.kubectl("get", "node", name, "-o", "json", check=False)
            if res.returncode != 0:
                return False
            conds = {x["type"]: x for x in json.loads(res.stdout)["status"]["conditions"]}
            return conds.get("MemoryPressure", {}).get("status") == "True"

        poll(pressure, what="MemoryPressure", timeout=60)

        def evicted() -> dict[str, Any]:
            status = get(c, ns, "victim").get("status", {})
            return status if status.get("reason") == "Evicted" else {}

        status = poll(evicted, what="pod evicted", timeout=60)
        assert status["phase"] == "Failed"
        assert status["message"].startswith("The node was low on resource: memory.")
        conds = {x["type"]: x for x in status.get("conditions") or []}
        assert "DisruptionTarget" in conds, status
        assert conds["DisruptionTarget"]["reason"] == "TerminationByKubelet"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        c.kubectl("delete", "node", name, "--wait=false", check=False)
