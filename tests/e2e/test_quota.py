"""ResourceQuota through kubectl: the controller reports usage, admission refuses what would
exceed it, worded as Kubernetes does."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import poll


def test_quota_counts_and_refuses(kubectl: Any, kubectl_json: Any, ns: str) -> None:
    kubectl("create", "quota", "q", "-n", ns, "--hard=pods=1,configmaps=3")
    poll(
        lambda: (kubectl_json("get", "quota", "q", "-n", ns).get("status") or {}).get("hard"),
        what="quota status",
        timeout=20,
    )
    kubectl("run", "one", "-n", ns, "--image=busybox:1")
    res = kubectl("run", "two", "-n", ns, "--image=busybox:1", check=False)
    assert res.returncode != 0
    assert (
        'pods "two" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, '
        "limited: pods=1" in res.stderr
    )
    poll(
        lambda: (
            (kubectl_json("get", "quota", "q", "-n", ns).get("status") or {})
            .get("used", {})
            .get("pods")
            == "1"
        ),
        what="used pods",
        timeout=20,
    )
    described = kubectl("describe", "quota", "q", "-n", ns).stdout
    assert "pods" in described and "configmaps" in described


def test_quota_refuses_an_update_that_grows_usage(kubectl: Any, kubectl_json: Any, ns: str) -> None:
    kubectl("create", "quota", "q", "-n", ns, "--hard=services.nodeports=0")
    poll(
        lambda: (
            (
                (kubectl_json("get", "quota", "q", "-n", ns).get("status") or {}).get("used") or {}
            ).get("services.nodeports")
            == "0"
        ),
        what="quota usage",
        timeout=20,
    )
    kubectl("create", "service", "clusterip", "web", "-n", ns, "--tcp=80:8080")
    res = kubectl(
        "patch", "service", "web", "-n", ns, "-p", '{"spec":{"type":"NodePort"}}', check=False
    )
    assert res.returncode != 0
    assert (
        'services "web" is forbidden: exceeded quota: q, requested: services.nodeports=1, '
        "used: services.nodeports=0, limited: services.nodeports=0" in res.stderr
    )
    assert kubectl_json("get", "service", "web", "-n", ns)["spec"]["type"] == "ClusterIP"
    # An update that does not grow usage is admitted.
    kubectl("label", "service", "web", "-n", ns, "tier=front")
