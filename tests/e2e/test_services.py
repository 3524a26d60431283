"""Service IP and NodePort allocation: the service CIDR is 10.96.0.0/12 and the NodePort range
30000-32767 (the defaults of `steersman up`); allocations are unique, released on delete and
never taken by a dry run.
"""

from __future__ import annotations

import ipaddress
import json
import random
from typing import Any

import pytest

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import Cluster, dump_yaml, row_named, table

pytestmark = pytest.mark.e2e

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def service(
    name: str, *, cluster_ip: str | None = None, node_port: int | None = None
) -> dict[str, Any]:
    port: dict[str, Any] = {"port": 80, "targetPort": 8080, "protocol": "TCP"}
    spec: dict[str, Any] = {"selector": {"app": name}, "ports": [port]}
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
    if node_port is not None:
        spec["type"] = "NodePort"
        port["nodePort"] = node_port
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def create(
    kubectl: KubectlFn, ns: str, doc: dict[str, Any], *extra: str, check: bool = True
) -> Any:
    return kubectl("create", "-n", ns, "-f", "-", *extra, input=dump_yaml(doc), check=check)


def unused_ip(kubectl_json: KubectlFn) -> str:
    """An address in the service range that no Service holds right now."""
    taken = {
        ip
        for item in kubectl_json("get", "services", "-A")["items"]
        for ip in item["spec"].get("clusterIPs", [])
    }
    while True:
        candidate = str(SERVICE_CIDR[random.randrange(1 << 16, SERVICE_CIDR.num_addresses - 1)])
        if candidate not in taken:
            return candidate


def test_kubernetes_service(cluster: Cluster, kubectl_json: KubectlFn) -> None:
    svc = kubectl_json("get", "service", "kubernetes", "-n", "default")
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    assert svc["spec"]["clusterIPs"] == ["10.96.0.1"]
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    (port,) = svc["spec"]["ports"]
    assert (port["name"], port["port"], port["protocol"]) == ("https", 443, "TCP")
    assert port["targetPort"] == cluster.port


def test_cluster_ip_allocated_in_range_with_defaults(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl("create", "service", "clusterip", "first", "--tcp=80:8080", "-n", ns)
    assert out.stdout == "service/first created\n"
    kubectl("create", "service", "clusterip", "second", "--tcp=80:8080", "-n", ns)
    first = kubectl_json("get", "service", "first", "-n", ns)["spec"]
    second = kubectl_json("get", "service", "second", "-n", ns)["spec"]
    for spec in (first, second):
        assert ipaddress.ip_address(spec["clusterIP"]) in SERVICE_CIDR
        assert spec["clusterIPs"] == [spec["clusterIP"]]
        assert spec["ipFamilies"] == ["IPv4"]
        assert spec["ipFamilyPolicy"] == "SingleStack"
        assert spec["sessionAffinity"] == "None"
        assert spec["internalTrafficPolicy"] == "Cluster"
        assert spec["type"] == "ClusterIP"
    assert first["clusterIP"] != second["clusterIP"]
    assert first["clusterIP"] != "10.96.0.1"


def test_requested_cluster_ip(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    ip = unused_ip(kubectl_json)
    # A dry run validates and allocates only tentatively: the address stays free.
    create(kubectl, ns, service("dry", cluster_ip=ip), "--dry-run=server")
    create(kubectl, ns, service("chosen", cluster_ip=ip))
    assert kubectl_json("get", "service", "chosen", "-n", ns)["spec"]["clusterIP"] == ip

    clash = create(kubectl, ns, service("clash", cluster_ip=ip), check=False)
    assert clash.returncode == 1
    assert 'The Service "clash" is invalid: spec.clusterIPs: Invalid value: ' in clash.stderr
    assert f"failed to allocate IP {ip}: provided IP is already allocated" in clash.stderr

    kubectl("delete", "service", "chosen", "-n", ns)
    create(kubectl, ns, service("again", cluster_ip=ip))
    assert kubectl_json("get", "service", "again", "-n", ns)["spec"]["clusterIP"] == ip


def test_kubernetes_service_ip_is_taken(kubectl: KubectlFn, ns: str) -> None:
    res = create(kubectl, ns, service("steal", cluster_ip="10.96.0.1"), check=False)
    assert res.returncode == 1
    assert "failed to allocate IP 10.96.0.1: provided IP is already allocated" in res.stderr


def test_cluster_ip_out_of_range(kubectl: KubectlFn, ns: str) -> None:
    res = create(kubectl, ns, service("outside", cluster_ip="10.200.0.5"), check=False)
    assert res.returncode == 1
    # Kubernetes releases word this "provided IP is not in the valid range", "the provided IP
    # (X) is not in the valid range" or "provided IP X is not in the valid range".
    assert "spec.clusterIPs: Invalid value: " in res.stderr
    assert "failed to allocate IP 10.200.0.5: " in res.stderr
    assert "is not in the valid range" in res.stderr


def test_headless_service(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    create(kubectl, ns, service("headless", cluster_ip="None"))
    spec = kubectl_json("get", "service", "headless", "-n", ns)["spec"]
    assert spec["clusterIP"] == "None"
    assert spec["clusterIPs"] == ["None"]
    _, rows = table(kubectl("get", "service", "headless", "-n", ns).stdout)
    assert rows[0][2] == "None"


def test_node_port_allocated_and_released(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl("create", "service", "nodeport", "np", "--tcp=80:8080", "-n", ns)
    assert out.stdout == "service/np created\n"
    spec = kubectl_json("get", "service", "np", "-n", ns)["spec"]
    assert spec["type"] == "NodePort"
    assert spec["externalTrafficPolicy"] == "Cluster"
    node_port = spec["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767
    _, rows = table(kubectl("get", "service", "np", "-n", ns).stdout)
    assert row_named(rows, "np")[4] == f"80:{node_port}/TCP"

    clash = create(kubectl, ns, service("np-clash", node_port=node_port), check=False)
    assert clash.returncode == 1
    assert (
        f"spec.ports[0].nodePort: Invalid value: {node_port}: provided port is already allocated"
        in clash.stderr
    )

    out_of_range = create(kubectl, ns, service("np-low", node_port=8080), check=False)
    assert out_of_range.returncode == 1
    assert (
        "provided port is not in the valid range. The range of valid ports is 30000-32767"
        in out_of_range.stderr
    )

    kubectl("delete", "service", "np", "-n", ns)
    create(kubectl, ns, service("np-reuse", node_port=node_port))
    reused = kubectl_json("get", "service", "np-reuse", "-n", ns)["spec"]["ports"][0]["nodePort"]
    assert reused == node_port


def test_changing_cluster_ip_is_forbidden(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    kubectl("create", "service", "clusterip", "fixed", "--tcp=80:8080", "-n", ns)
    other = unused_ip(kubectl_json)
    patch = json.dumps({"spec": {"clusterIP": other, "clusterIPs": [other]}})
    res = kubectl(
        "patch", "service", "fixed", "-n", ns, "--type", "merge", "-p", patch, check=False
    )
    assert res.returncode == 1
    assert "spec.clusterIPs[0]: Invalid value: " in res.stderr
    assert "may not change once set" in res.stderr
