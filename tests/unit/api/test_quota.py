"""ResourceQuota accounting and admission (api/quota*.py), against Kubernetes' behaviour."""

from __future__ import annotations

import datetime
from typing import Any

from steersman.api import quota, quota_resources, quota_usage
from steersman.api.quantity import parse_quantity

NOW = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def pod(
    name: str = "p", *, requests: dict | None = None, limits: dict | None = None, **spec: Any
) -> dict:
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": "i", "resources": resources}], **spec},
    }


def rq(name: str, hard: dict, used: dict | None = None, **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": "5"},
        "spec": {"hard": hard, **spec},
        "status": {"hard": hard, "used": used if used is not None else dict.fromkeys(hard, "0")},
    }


def test_pods_over_quota_are_refused_with_kubernetes_wording() -> None:
    q = rq("q", {"pods": "2"}, {"pods": "2"})
    assert quota.check([q], pod()) == (
        "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
    )


def test_admit_charges_the_quota_it_passes() -> None:
    q = rq("q", {"pods": "3", "requests.cpu": "1"}, {"pods": "1", "requests.cpu": "250m"})
    decision = quota.admit([q], pod(requests={"cpu": "500m"}))
    assert decision.error is None
    (charged,) = decision.updated
    assert charged["status"]["used"] == {"pods": "2", "requests.cpu": "750m"}
    assert q["status"]["used"] == {"pods": "1", "requests.cpu": "250m"}  # inputs untouched


def test_only_exceeded_resources_are_reported() -> None:
    q = rq(
        "compute",
        {"pods": "5", "requests.memory": "1Gi"},
        {"pods": "1", "requests.memory": "900Mi"},
    )
    assert quota.check([q], pod(requests={"memory": "200Mi"})) == (
        "exceeded quota: compute, requested: requests.memory=200Mi, "
        "used: requests.memory=900Mi, limited: requests.memory=1Gi"
    )


def test_compute_quota_demands_explicit_container_values() -> None:
    q = rq("q", {"limits.cpu": "2", "requests.memory": "1Gi"})
    p = pod()
    p["spec"]["initContainers"] = [{"name": "init", "image": "i"}]
    assert quota.check([q], p) == (
        "failed quota: q: must specify limits.cpu for: c,init; requests.memory for: c,init"
    )
    ok = pod(requests={"memory": "1Mi"}, limits={"cpu": "1"})
    assert quota.check([q], ok) is None


def test_quota_without_usage_yet_refuses() -> None:
    q = rq("q", {"pods": "2", "count/pods": "3"}, {})
    assert quota.check([q], pod()) == "status unknown for quota: q, resources: count/pods,pods"


def test_scopes_select_which_pods_a_quota_charges() -> None:
    best_effort = rq("be", {"pods": "0"}, scopes=["BestEffort"])
    assert quota.check([best_effort], pod()) is not None
    assert quota.check([best_effort], pod(requests={"cpu": "1"})) is None
    terminating = rq("t", {"pods": "0"}, scopes=["Terminating"])
    assert quota.check([terminating], pod()) is None
    assert quota.check([terminating], pod(activeDeadlineSeconds=30)) is not None
    high = rq(
        "high",
        {"pods": "0"},
        scopeSelector={
            "matchExpressions": [
                {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
            ]
        },
    )
    assert quota.check([high], pod(priorityClassName="high")) is not None
    assert quota.check([high], pod(priorityClassName="low")) is None
    assert quota.check([high], pod()) is None


def test_object_counts_and_legacy_names() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    q = rq("q", {"configmaps": "1"}, {"configmaps": "1"})
    assert quota.check([q], cm) == (
        "exceeded quota: q, requested: configmaps=1, used: configmaps=1, limited: configmaps=1"
    )
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}
    q2 = rq("q2", {"count/deployments.apps": "0"})
    assert "count/deployments.apps=1" in (quota.check([q2], deploy) or "")
    # Object counters only charge creations.
    assert quota.check([q], cm, dict(cm, metadata={"name": "c", "resourceVersion": "3"})) is None


def test_service_updates_are_charged_by_their_delta() -> None:
    svc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "ns", "resourceVersion": "7"},
        "spec": {"type": "ClusterIP", "ports": [{"port": 80}, {"port": 81}]},
    }
    node_port = dict(svc, spec={"type": "NodePort", "ports": svc["spec"]["ports"]})
    q = rq(
        "q",
        {"services": "1", "services.nodeports": "1"},
        {"services": "1", "services.nodeports": "0"},
    )
    # The update does not add a service, only two node ports.
    assert quota.check([q], node_port, svc) == (
        "exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, "
        "limited: services.nodeports=1"
    )
    assert quota.check([q], svc, svc) is None


def test_claims_are_charged_per_storage_class() -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"storageClassName": "fast", "resources": {"requests": {"storage": "5Gi"}}},
    }
    usage = quota_usage.claim_usage(claim, NOW)
    assert quota_resources.format_list(usage) == {
        "count/persistentvolumeclaims": "1",
        "fast.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
        "fast.storageclass.storage.k8s.io/requests.storage": "5Gi",
        "persistentvolumeclaims": "1",
        "requests.storage": "5Gi",
    }
    q = rq("q", {"fast.storageclass.storage.k8s.io/requests.storage": "4Gi"})
    assert "requested: fast.storageclass.storage.k8s.io/requests.storage=5Gi" in (
        quota.check([q], claim) or ""
    )


def test_pod_requests_follow_init_and_sidecar_rules() -> None:
    p = pod(requests={"cpu": "100m", "memory": "64Mi"}, limits={"cpu": "200m"})
    p["spec"]["initContainers"] = [
        {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
        {"name": "big", "resources": {"requests": {"cpu": "1", "memory": "32Mi"}}},
    ]
    p["spec"]["overhead"] = {"cpu": "10m"}
    requests = quota_resources.format_list(quota_usage.pod_requests(p))
    # max(100m + 50m, 1 + 50m) + 10m overhead; memory max(64Mi, 32Mi).
    assert requests == {"cpu": "1060m", "memory": "64Mi"}
    assert quota_resources.format_list(quota_usage.pod_limits(p)) == {"cpu": "210m"}


def test_controller_usage_counts_every_pod_but_charges_live_ones() -> None:
    q = rq("q", {"pods": "10", "count/pods": "10", "requests.cpu": "4", "configmaps": "3"})
    running = pod("a", requests={"cpu": "250m"})
    done = pod("b", requests={"cpu": "1"})
    done["status"] = {"phase": "Succeeded"}
    gone = pod("c", requests={"cpu": "1"})
    gone["metadata"]["deletionTimestamp"] = "2024-12-31T23:00:00Z"
    gone["metadata"]["deletionGracePeriodSeconds"] = 30
    used = quota.calculate_usage(
        q, {"pods": [running, done, gone], "configmaps": [], "services": [{}]}, now=NOW
    )
    assert quota_resources.format_list(used) == {
        "configmaps": "0",
        "count/pods": "3",
        "pods": "1",
        "requests.cpu": "250m",
    }


def test_scoped_quota_usage_only_counts_matching_pods() -> None:
    q = rq("q", {"pods": "10"}, scopes=["NotBestEffort"])
    used = quota.calculate_usage(q, {"pods": [pod("a"), pod("b", requests={"cpu": "1"})]}, now=NOW)
    assert used == {"pods": parse_quantity("1")}


def test_tracked_group_resources() -> None:
    assert quota.tracked_group_resources(
        ["requests.cpu", "count/deployments.apps", "secrets", "services.nodeports"]
    ) == {"pods", "deployments.apps", "secrets", "services"}
    assert quota.tracked_group_resources(["requests.storage"]) == {"persistentvolumeclaims"}
