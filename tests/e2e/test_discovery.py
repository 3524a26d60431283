"""Discovery and server information: api-resources, api-versions, explain, cluster-info,
version, health endpoints, /metrics, /openapi/v2 and /openapi/v3, the default namespaces.
"""

from __future__ import annotations

import json
import platform
import re

import pytest

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import Cluster, table

pytestmark = pytest.mark.e2e

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_api_resources(kubectl: KubectlFn) -> None:
    header, rows = table(kubectl("api-resources").stdout)
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    by_key = {(r[0], r[2]): r for r in rows}
    expected = [
        ["bindings", "", "v1", "true", "Binding"],
        ["configmaps", "cm", "v1", "true", "ConfigMap"],
        ["events", "ev", "v1", "true", "Event"],
        ["namespaces", "ns", "v1", "false", "Namespace"],
        ["nodes", "no", "v1", "false", "Node"],
        ["pods", "po", "v1", "true", "Pod"],
        ["secrets", "", "v1", "true", "Secret"],
        ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"],
        ["services", "svc", "v1", "true", "Service"],
        ["deployments", "deploy", "apps/v1", "true", "Deployment"],
        ["replicasets", "rs", "apps/v1", "true", "ReplicaSet"],
        ["statefulsets", "sts", "apps/v1", "true", "StatefulSet"],
        ["daemonsets", "ds", "apps/v1", "true", "DaemonSet"],
        ["jobs", "", "batch/v1", "true", "Job"],
        ["cronjobs", "cj", "batch/v1", "true", "CronJob"],
        ["leases", "", "coordination.k8s.io/v1", "true", "Lease"],
        ["events", "ev", "events.k8s.io/v1", "true", "Event"],
        ["clusterroles", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRole"],
    ]
    for row in expected:
        assert by_key.get((row[0], row[2])) == row, (row, by_key.get((row[0], row[2])))
    # Subresources are not resources of their own.
    assert not any("/" in r[0] for r in rows)

    apps = kubectl("api-resources", "--api-group=apps", "-o", "name").stdout.split()
    assert "deployments.apps" in apps
    assert all(name.endswith(".apps") for name in apps), apps
    cluster_scoped = kubectl("api-resources", "--namespaced=false", "-o", "name").stdout.split()
    assert {"namespaces", "nodes"} <= set(cluster_scoped)
    assert "pods" not in cluster_scoped

    header, rows = table(kubectl("api-resources", "-o", "wide", "--api-group=apps").stdout)
    assert header == [
        "NAME",
        "SHORTNAMES",
        "APIVERSION",
        "NAMESPACED",
        "KIND",
        "VERBS",
        "CATEGORIES",
    ]
    deployments = next(r for r in rows if r[0] == "deployments")
    verbs = re.sub(r"[\[\]]", "", deployments[5]).replace(" ", ",")
    assert verbs == "create,delete,deletecollection,get,list,patch,update,watch"
    assert deployments[6] == "all"


def test_api_versions(kubectl: KubectlFn) -> None:
    versions = kubectl("api-versions").stdout.split()
    assert versions == sorted(versions)
    for gv in [
        "v1",
        "apps/v1",
        "batch/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "networking.k8s.io/v1",
        "policy/v1",
        "rbac.authorization.k8s.io/v1",
        "scheduling.k8s.io/v1",
        "storage.k8s.io/v1",
    ]:
        assert gv in versions, (gv, versions)


def test_explain_pod_containers(kubectl: KubectlFn) -> None:
    out = kubectl("explain", "pods.spec.containers").stdout
    assert re.search(r"^KIND:\s+Pod$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M), out
    assert re.search(r"^FIELD:\s+containers <\[\]Container>$", out, re.M), out
    assert re.search(r"^DESCRIPTION:$", out, re.M), out
    assert "List of containers belonging to the pod." in out
    assert re.search(r"^FIELDS:$", out, re.M), out
    assert re.search(r"^\s+image\s+<string>$", out, re.M), out
    assert re.search(r"^\s+name\s+<string> -required-$", out, re.M), out
    assert re.search(r"^\s+ports\s+<\[\]ContainerPort>$", out, re.M), out

    deep = kubectl("explain", "deployment.spec.strategy.type").stdout
    assert re.search(r"^GROUP:\s+apps$", deep, re.M), deep
    assert re.search(r"^KIND:\s+Deployment$", deep, re.M), deep
    assert re.search(r"^FIELD:\s+type <string>$", deep, re.M), deep

    missing = kubectl("explain", "pods.spec.nosuchfield", check=False)
    assert missing.returncode == 1
    assert 'field "nosuchfield" does not exist' in missing.stderr


def test_cluster_info(cluster: Cluster, kubectl: KubectlFn) -> None:
    out = ANSI.sub("", kubectl("cluster-info").stdout)
    assert f"Kubernetes control plane is running at {cluster.server_url}" in out
    assert "kubectl cluster-info dump" in out


def test_version(kubectl: KubectlFn) -> None:
    res = kubectl("version", "-o", "json")
    info = json.loads(res.stdout)
    server = info["serverVersion"]
    assert re.fullmatch(r"v1\.36\.\d+\+steersman", server["gitVersion"]), server
    assert server["major"] == "1"
    assert server["minor"] == "36"
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    assert server["platform"] == f"linux/{arch}"
    assert info["clientVersion"]["minor"].startswith("32")
    # kubectl warns about the skew (client 1.32, server 1.36): proof the minor is served right.
    assert "exceeds the supported minor version skew of +/-1" in res.stderr
    raw = json.loads(kubectl("get", "--raw", "/version").stdout)
    assert raw["gitVersion"] == server["gitVersion"]


def test_health_endpoints(kubectl: KubectlFn) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert kubectl("get", "--raw", path).stdout == "ok"
    verbose = kubectl("get", "--raw", "/readyz?verbose").stdout
    assert verbose.rstrip().endswith("readyz check passed")
    assert "[+]ping ok" in verbose


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        m = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
            out.append((labels, float(m.group(2))))
    return out


def _count(text: str, **want: str) -> float:
    return sum(
        value
        for labels, value in _samples(text, "apiserver_request_total")
        if all(labels.get(k) == v for k, v in want.items())
    )


def test_metrics_count_requests(kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "metered", "--from-literal=a=1", "-n", ns)
    before = kubectl("get", "--raw", "/metrics").stdout
    assert "# TYPE apiserver_request_total counter" in before
    assert "# HELP apiserver_request_total" in before
    kubectl("get", "configmap", "metered", "-n", ns)
    kubectl("get", "configmap", "not-there", "-n", ns, check=False)
    after = kubectl("get", "--raw", "/metrics").stdout
    get_ok = {"verb": "GET", "resource": "configmaps", "code": "200", "scope": "resource"}
    assert _count(after, **get_ok) >= _count(before, **get_ok) + 1
    get_404 = {"verb": "GET", "resource": "configmaps", "code": "404"}
    assert _count(after, **get_404) >= _count(before, **get_404) + 1
    assert _count(after, verb="POST", resource="configmaps", code="201") >= 1
    assert _count(after, verb="LIST", resource="namespaces") >= 0  # label set parses
    # Go's client_golang exports no `_created` series.
    assert "apiserver_request_created" not in after
    # Latency histogram exists too.
    assert "# TYPE apiserver_request_duration_seconds histogram" in after


def test_openapi_v3(kubectl: KubectlFn) -> None:
    index = json.loads(kubectl("get", "--raw", "/openapi/v3").stdout)
    paths = index["paths"]
    for gv in ("api/v1", "apis/apps/v1", "apis/batch/v1"):
        assert gv in paths, sorted(paths)
        assert paths[gv]["serverRelativeURL"].startswith(f"/openapi/v3/{gv}?hash=")
    core = json.loads(kubectl("get", "--raw", paths["api/v1"]["serverRelativeURL"]).stdout)
    assert core["openapi"].startswith("3.")
    assert "io.k8s.api.core.v1.Pod" in core["components"]["schemas"]
    assert "/api/v1/namespaces/{namespace}/pods" in core["paths"]
    apps = json.loads(kubectl("get", "--raw", "/openapi/v3/apis/apps/v1").stdout)
    deployment = apps["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]


def test_openapi_v2(kubectl: KubectlFn) -> None:
    doc = json.loads(kubectl("get", "--raw", "/openapi/v2").stdout)
    assert doc["swagger"] == "2.0"
    assert doc["info"]["title"] == "Kubernetes"
    assert "io.k8s.api.apps.v1.Deployment" in doc["definitions"]
    assert "/apis/apps/v1/namespaces/{namespace}/deployments" in doc["paths"]


def test_default_namespaces_exist(kubectl_json: KubectlFn) -> None:
    items = kubectl_json("get", "namespaces")["items"]
    phases = {i["metadata"]["name"]: i["status"]["phase"] for i in items}
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert phases.get(name) == "Active", (name, phases)
