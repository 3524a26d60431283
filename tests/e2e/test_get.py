"""`kubectl get`: output formats, selectors, server-side table columns and `get -w`.

The column headers are the ones Kubernetes' own printers serve (pkg/printers/internalversion);
kubectl upper-cases them. Pods in these tests are bound to a node that does not exist, so no
kubelet ever runs them and they stay `Pending`.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import (
    DATA,
    GHOST_NODE,
    Cluster,
    StreamedKubectl,
    configmap,
    dump_yaml,
    pod,
    row_named,
    split_row,
    table,
    wait_default_service_account,
)

pytestmark = pytest.mark.e2e


def names(kubectl: KubectlFn, *args: str) -> list[str]:
    out = kubectl("get", *args, "-o", "jsonpath={.items[*].metadata.name}").stdout
    return sorted(out.split())


# -- output formats ---------------------------------------------------------------------------
def test_output_formats(kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "fmt", "--from-literal=a=1", "--from-literal=b=two", "-n", ns)

    as_yaml = yaml.safe_load(kubectl("get", "configmap", "fmt", "-n", ns, "-o", "yaml").stdout)
    as_json = json.loads(kubectl("get", "configmap", "fmt", "-n", ns, "-o", "json").stdout)
    assert as_yaml == as_json
    assert as_json["apiVersion"] == "v1"
    assert as_json["kind"] == "ConfigMap"
    assert as_json["data"] == {"a": "1", "b": "two"}
    meta = as_json["metadata"]
    assert meta["name"] == "fmt"
    assert meta["namespace"] == ns
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    datetime.strptime(meta["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")

    jp = kubectl("get", "configmap", "fmt", "-n", ns, "-o", "jsonpath={.data.a}-{.data.b}")
    assert jp.stdout == "1-two"
    assert kubectl("get", "configmap", "fmt", "-n", ns, "-o", "name").stdout == "configmap/fmt\n"

    cc = kubectl(
        "get",
        "configmap",
        "fmt",
        "-n",
        ns,
        "-o",
        "custom-columns=NAME:.metadata.name,A:.data.a,NS:.metadata.namespace",
    )
    header, rows = table(cc.stdout)
    assert header == ["NAME", "A", "NS"]
    assert rows == [["fmt", "1", ns]]

    # A list in -o json is a v1 List carrying the items.
    as_list = json.loads(
        kubectl(
            "get", "configmaps", "-n", ns, "--field-selector", "metadata.name=fmt", "-o", "json"
        ).stdout
    )
    assert as_list["kind"] == "List"
    assert [i["metadata"]["name"] for i in as_list["items"]] == ["fmt"]


def test_get_missing_object_is_not_found(kubectl: KubectlFn, ns: str) -> None:
    res = kubectl("get", "configmap", "nothing-here", "-n", ns, check=False)
    assert res.returncode == 1
    assert 'Error from server (NotFound): configmaps "nothing-here" not found' in res.stderr


def test_empty_list_message(kubectl: KubectlFn, ns: str) -> None:
    res = kubectl("get", "pods", "-n", ns)
    assert res.stdout == ""
    assert res.stderr.strip() == f"No resources found in {ns} namespace."


# -- table columns ----------------------------------------------------------------------------
def test_pod_columns(kubectl: KubectlFn, ns: str) -> None:
    wait_default_service_account(kubectl, ns)
    kubectl("apply", "-n", ns, "-f", "-", input=dump_yaml(pod("tbl-pod")))
    header, rows = table(kubectl("get", "pods", "-n", ns).stdout)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows[0][:4] == ["tbl-pod", "0/1", "Pending", "0"]

    header, rows = table(kubectl("get", "pods", "-n", ns, "-o", "wide").stdout)
    assert header == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    row = rows[0]
    assert row[:4] == ["tbl-pod", "0/1", "Pending", "0"]
    assert row[5:] == ["<none>", GHOST_NODE, "<none>", "<none>"]


def test_workload_and_config_columns(kubectl: KubectlFn, ns: str) -> None:
    kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns)
    kubectl("create", "secret", "generic", "tbl-secret", "--from-literal=x=y", "-n", ns)

    header, rows = table(kubectl("get", "deployments", "-n", ns).stdout)
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    row = row_named(rows, "multi-web")
    assert row[1].endswith("/1")
    header, rows = table(kubectl("get", "deployments", "-n", ns, "-o", "wide").stdout)
    assert header == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert row_named(rows, "multi-web")[5:] == ["web", "busybox:1.35", "app=multi-web"]

    header, rows = table(kubectl("get", "services", "-n", ns).stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    row = row_named(rows, "multi-svc")
    assert row[1] == "ClusterIP"
    assert row[2].startswith("10.")
    assert row[3:5] == ["<none>", "80/TCP"]
    header, rows = table(kubectl("get", "services", "-n", ns, "-o", "wide").stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    assert row_named(rows, "multi-svc")[6] == "app=multi-web"

    header, rows = table(kubectl("get", "configmaps", "-n", ns).stdout)
    assert header == ["NAME", "DATA", "AGE"]
    assert row_named(rows, "multi-config")[1] == "2"

    header, rows = table(kubectl("get", "secrets", "-n", ns).stdout)
    assert header == ["NAME", "TYPE", "DATA", "AGE"]
    assert row_named(rows, "tbl-secret")[1:3] == ["Opaque", "1"]

    header, rows = table(kubectl("get", "namespace", ns).stdout)
    assert header == ["NAME", "STATUS", "AGE"]
    assert rows[0][:2] == [ns, "Active"]


def test_node_columns(kubectl: KubectlFn) -> None:
    name = f"e2e-node-{uuid.uuid4().hex[:6]}"
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"node-role.kubernetes.io/worker": ""}},
        "status": {
            "addresses": [{"type": "InternalIP", "address": "10.250.0.9"}],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "fake node for e2e",
                    "lastHeartbeatTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "lastTransitionTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ],
            "nodeInfo": {
                "machineID": "m",
                "systemUUID": "s",
                "bootID": "b",
                "kernelVersion": "6.1.0-e2e",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.6.20",
                "kubeletVersion": "v1.36.0",
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }
    kubectl("create", "-f", "-", input=json.dumps(node))
    try:
        header, rows = table(kubectl("get", "nodes").stdout)
        assert header == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
        row = row_named(rows, name)
        assert (row[1], row[2], row[4]) == ("Ready", "worker", "v1.36.0")

        header, rows = table(kubectl("get", "nodes", "-o", "wide").stdout)
        assert header == [
            "NAME",
            "STATUS",
            "ROLES",
            "AGE",
            "VERSION",
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME",
        ]
        assert row_named(rows, name)[5:] == [
            "10.250.0.9",
            "<none>",
            "Debian GNU/Linux 12 (bookworm)",
            "6.1.0-e2e",
            "containerd://1.6.20",
        ]
    finally:
        kubectl("delete", "node", name, "--wait=false", check=False)


def test_event_columns(kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "evt-target", "--from-literal=a=b", "-n", ns)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "evt-target.e2e"},
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "evt-target",
            "namespace": ns,
        },
        "reason": "Testing",
        "message": "hello from e2e",
        "type": "Normal",
        "source": {"component": "e2e-suite"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 3,
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(event))
    header, rows = table(kubectl("get", "events", "-n", ns).stdout)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert [r[1:] for r in rows] == [
        ["Normal", "Testing", "configmap/evt-target", "hello from e2e"]
    ]

    header, rows = table(kubectl("get", "events", "-n", ns, "-o", "wide").stdout)
    assert header == [
        "LAST SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "SUBOBJECT",
        "SOURCE",
        "MESSAGE",
        "FIRST SEEN",
        "COUNT",
        "NAME",
    ]
    assert rows[0][4:6] == ["", "e2e-suite"]
    assert rows[0][8:] == ["3", "evt-target.e2e"]


# -- selectors ---------------------------------------------------------------------------------
def test_label_selectors(kubectl: KubectlFn, ns: str) -> None:
    docs = [
        configmap("sel-a", {"set": "sel", "app": "web", "tier": "fe"}),
        configmap("sel-b", {"set": "sel", "app": "db", "tier": "be"}),
        configmap("sel-c", {"set": "sel", "app": "cache"}),
    ]
    kubectl("apply", "-n", ns, "-f", "-", input=dump_yaml(*docs))
    cm = ("configmaps", "-n", ns)
    assert names(kubectl, *cm, "-l", "app=web") == ["sel-a"]
    assert names(kubectl, *cm, "-l", "app==web") == ["sel-a"]
    assert names(kubectl, *cm, "-l", "set=sel,app!=web") == ["sel-b", "sel-c"]
    assert names(kubectl, *cm, "-l", "app in (web,db)") == ["sel-a", "sel-b"]
    assert names(kubectl, *cm, "-l", "set=sel,app notin (web)") == ["sel-b", "sel-c"]
    assert names(kubectl, *cm, "-l", "tier") == ["sel-a", "sel-b"]
    assert names(kubectl, *cm, "-l", "set=sel,!tier") == ["sel-c"]
    assert names(kubectl, *cm, "-l", "app=nothing") == []


def test_show_labels(kubectl: KubectlFn, ns: str) -> None:
    kubectl(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=dump_yaml(configmap("lbl", {"tier": "fe", "app": "web"})),
    )
    header, rows = table(kubectl("get", "configmap", "lbl", "-n", ns, "--show-labels").stdout)
    assert header == ["NAME", "DATA", "AGE", "LABELS"]
    assert rows[0][0] == "lbl"
    assert rows[0][3] == "app=web,tier=fe"


def test_field_selectors(kubectl: KubectlFn, ns: str) -> None:
    docs = [configmap("fs-a", {"set": "fs"}), configmap("fs-b", {"set": "fs"})]
    kubectl("apply", "-n", ns, "-f", "-", input=dump_yaml(*docs))
    assert names(kubectl, "configmaps", "-n", ns, "--field-selector", "metadata.name=fs-a") == [
        "fs-a"
    ]
    assert names(
        kubectl, "configmaps", "-n", ns, "-l", "set=fs", "--field-selector", "metadata.name!=fs-a"
    ) == ["fs-b"]
    assert names(
        kubectl,
        "configmaps",
        "-A",
        "--field-selector",
        f"metadata.namespace={ns},metadata.name=fs-b",
    ) == ["fs-b"]

    wait_default_service_account(kubectl, ns)
    kubectl(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=dump_yaml(pod("fs-pod-1"), pod("fs-pod-2", node="e2e-other-node")),
    )
    assert names(kubectl, "pods", "-n", ns, "--field-selector", "status.phase=Pending") == [
        "fs-pod-1",
        "fs-pod-2",
    ]
    assert names(kubectl, "pods", "-n", ns, "--field-selector", f"spec.nodeName={GHOST_NODE}") == [
        "fs-pod-1"
    ]
    running = kubectl("get", "pods", "-n", ns, "--field-selector", "status.phase=Running")
    assert running.stdout == ""
    assert running.stderr.strip() == f"No resources found in {ns} namespace."

    # Kinds without their own field labels accept only the metadata ones; pods have a list.
    bad = kubectl("get", "configmaps", "-n", ns, "--field-selector", "spec.foo=bar", check=False)
    assert bad.returncode == 1
    assert "Error from server (BadRequest)" in bad.stderr
    expected = (
        '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )
    assert expected in bad.stderr
    bad_pod = kubectl("get", "pods", "-n", ns, "--field-selector", "spec.foo=bar", check=False)
    assert bad_pod.returncode == 1
    assert "Error from server (BadRequest)" in bad_pod.stderr
    assert "field label not supported: spec.foo" in bad_pod.stderr


def test_all_namespaces(kubectl: KubectlFn, new_namespace: Any) -> None:
    ns1, ns2 = new_namespace(), new_namespace()
    mark = uuid.uuid4().hex[:8]
    for ns in (ns1, ns2):
        kubectl(
            "apply", "-n", ns, "-f", "-", input=dump_yaml(configmap("everywhere", {"mark": mark}))
        )
    header, rows = table(kubectl("get", "configmaps", "-A", "-l", f"mark={mark}").stdout)
    assert header == ["NAMESPACE", "NAME", "DATA", "AGE"]
    assert sorted((r[0], r[1]) for r in rows) == sorted([(ns1, "everywhere"), (ns2, "everywhere")])
    as_json = json.loads(
        kubectl("get", "configmaps", "--all-namespaces", "-l", f"mark={mark}", "-o", "json").stdout
    )
    assert sorted(i["metadata"]["namespace"] for i in as_json["items"]) == sorted([ns1, ns2])


# -- watch ---------------------------------------------------------------------------------------
def test_get_watch_sees_added_then_modified(cluster: Cluster, kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "watched", "--from-literal=a=1", "-n", ns)
    stream = StreamedKubectl(
        cluster, "get", "configmap", "watched", "-n", ns, "-w", "--output-watch-events"
    )
    try:
        header = stream.wait_for(lambda line: line.startswith("EVENT"))
        assert split_row(header) == ["EVENT", "NAME", "DATA", "AGE"]
        added = split_row(stream.wait_for(lambda line: "watched" in line))
        assert added[:3] == ["ADDED", "watched", "1"]
        kubectl(
            "patch", "configmap", "watched", "-n", ns, "--type", "merge", "-p", '{"data":{"b":"2"}}'
        )
        modified = split_row(stream.wait_for(lambda line: "watched" in line))
        assert modified[:3] == ["MODIFIED", "watched", "2"]
        kubectl("delete", "configmap", "watched", "-n", ns, "--wait=false")
        deleted = split_row(stream.wait_for(lambda line: "watched" in line))
        assert deleted[:2] == ["DELETED", "watched"]
    finally:
        stream.stop()


def test_get_watch_plain_prints_rows(cluster: Cluster, kubectl: KubectlFn, ns: str) -> None:
    stream = StreamedKubectl(cluster, "get", "configmaps", "-n", ns, "-l", "w=plain", "-w")
    try:
        kubectl("apply", "-n", ns, "-f", "-", input=dump_yaml(configmap("wp", {"w": "plain"})))
        row = split_row(stream.wait_for(lambda line: line.startswith("wp ")))
        assert row[:2] == ["wp", "1"]
        assert "NAME" in stream.seen[0]
    finally:
        stream.stop()
