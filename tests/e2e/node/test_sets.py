"""StatefulSets and DaemonSets on a real node, through kubectl."""

from __future__ import annotations

import json

from tests.e2e.harness import Cluster, poll
from tests.e2e.node.workloads import IMAGE


def pod_spec() -> dict:
    return {
        "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": IMAGE, "command": ["sleep", "3600"]}],
    }


def test_statefulset_creates_ordered_stable_pods(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "serviceName": "web",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec()},
        },
    }
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(sts))
    out = c.kubectl(
        "rollout", "status", "statefulset/web", "-n", ns, "--timeout=90s", timeout=120
    ).stdout
    assert "partitioned roll out complete" in out or "roll out complete" in out
    pods = c.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    assert sorted(p["metadata"]["name"] for p in pods) == ["web-0", "web-1"]
    web0 = next(p for p in pods if p["metadata"]["name"] == "web-0")
    assert web0["spec"]["hostname"] == "web-0" and web0["spec"]["subdomain"] == "web"
    assert web0["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-0"
    c.kubectl("scale", "statefulset/web", "-n", ns, "--replicas=1")
    poll(
        lambda: (
            [
                p["metadata"]["name"]
                for p in c.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
            ]
            == ["web-0"]
        ),
        what="scaled down from the highest ordinal",
        timeout=60,
    )


def test_daemonset_runs_one_pod_per_node(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec()},
        },
    }
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(ds))
    out = c.kubectl(
        "rollout", "status", "daemonset/agent", "-n", ns, "--timeout=90s", timeout=120
    ).stdout
    assert 'daemon set "agent" successfully rolled out' in out
    nodes = c.kubectl_json("get", "nodes")["items"]
    pods = c.kubectl_json("get", "pods", "-n", ns, "-l", "app=agent")["items"]
    ready_nodes = [n for n in nodes if not (n.get("spec") or {}).get("taints")]
    assert len(pods) == len(ready_nodes)
    tolerations = {t["key"] for t in pods[0]["spec"]["tolerations"] if t.get("key")}
    assert (
        "node.kubernetes.io/not-ready" in tolerations
        and "node.kubernetes.io/unreachable" in tolerations
    )


def test_service_endpoints_and_slices_follow_ready_pods(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    c.kubectl(
        "create",
        "deployment",
        "web",
        "-n",
        ns,
        f"--image={IMAGE}",
        "--replicas=2",
        "--",
        "sleep",
        "3600",
    )
    c.kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=120)
    c.kubectl("expose", "deployment", "web", "-n", ns, "--port=80", "--target-port=8080")
    pod_ips = sorted(
        p["status"]["podIP"]
        for p in c.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    )

    def addresses() -> list[str]:
        ep = c.kubectl_json("get", "endpoints", "web", "-n", ns)
        return sorted(a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or [])

    assert poll(addresses, what="endpoints", timeout=30) == pod_ips
    slices = c.kubectl_json(
        "get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web"
    )["items"]
    assert sorted(a for s in slices for e in s["endpoints"] for a in e["addresses"]) == pod_ips
    assert all(e["conditions"]["ready"] for s in slices for e in s["endpoints"])
    row = c.kubectl("get", "endpoints", "web", "-n", ns, "--no-headers").stdout.split()
    assert row[0] == "web" and ":8080" in row[1]
