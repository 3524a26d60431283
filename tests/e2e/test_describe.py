"""`kubectl describe` of a configmap, a deployment, a pod (with its events) and a namespace.

describe reads the object, then related objects (ReplicaSets, events selected with
`involvedObject.*` field selectors, quotas and limit ranges); every one of those requests must
succeed for the output to be complete.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import DATA, dump_yaml, pod, wait_default_service_account

pytestmark = pytest.mark.e2e


def has_line(text: str, pattern: str) -> bool:
    return re.search(pattern, text, re.M) is not None


def test_describe_configmap(kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "desc-cm", "--from-literal=greeting=hello", "-n", ns)
    kubectl("label", "configmap", "desc-cm", "app=desc", "-n", ns)
    out = kubectl("describe", "configmap", "desc-cm", "-n", ns).stdout
    assert has_line(out, r"^Name:\s+desc-cm$"), out
    assert has_line(out, rf"^Namespace:\s+{ns}$"), out
    assert has_line(out, r"^Labels:\s+app=desc$"), out
    assert has_line(out, r"^Annotations:\s+<none>$"), out
    assert has_line(out, r"^Data$") and has_line(out, r"^====$"), out
    assert has_line(out, r"^greeting:$") and has_line(out, r"^hello$"), out
    assert has_line(out, r"^BinaryData$"), out
    assert has_line(out, r"^Events:\s+<none>$"), out


def test_describe_deployment(kubectl: KubectlFn, ns: str) -> None:
    kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns)
    out = kubectl("describe", "deployment", "multi-web", "-n", ns).stdout
    assert has_line(out, r"^Name:\s+multi-web$"), out
    assert has_line(out, rf"^Namespace:\s+{ns}$"), out
    assert has_line(out, r"^Selector:\s+app=multi-web$"), out
    assert has_line(
        out,
        r"^Replicas:\s+1 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$",
    ), out
    # Defaults filled in by the API server.
    assert has_line(out, r"^StrategyType:\s+RollingUpdate$"), out
    assert has_line(out, r"^MinReadySeconds:\s+0$"), out
    assert has_line(out, r"^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$"), out
    assert has_line(out, r"^Pod Template:$"), out
    assert has_line(out, r"^\s+Image:\s+busybox:1\.35$"), out


def test_describe_pod_with_event(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    wait_default_service_account(kubectl, ns)
    kubectl("apply", "-n", ns, "-f", "-", input=dump_yaml(pod("desc-pod", labels={"app": "desc"})))
    uid = kubectl_json("get", "pod", "desc-pod", "-n", ns)["metadata"]["uid"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "desc-pod.e2e"},
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": "desc-pod",
            "namespace": ns,
            "uid": uid,
        },
        "reason": "Poked",
        "message": "poked by the e2e suite",
        "type": "Warning",
        "source": {"component": "e2e-suite"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(event))
    out = kubectl("describe", "pod", "desc-pod", "-n", ns).stdout
    assert has_line(out, r"^Name:\s+desc-pod$"), out
    assert has_line(out, rf"^Namespace:\s+{ns}$"), out
    assert has_line(out, r"^Labels:\s+app=desc$"), out
    assert has_line(out, r"^Status:\s+Pending$"), out
    assert has_line(out, r"^Containers:$"), out
    assert has_line(out, r"^\s+Image:\s+busybox:1\.35$"), out
    assert has_line(out, r"^QoS Class:\s+BestEffort$"), out
    assert has_line(out, r"^Events:$"), out
    assert has_line(out, r"^\s+Warning\s+Poked\s+\S+\s+e2e-suite\s+poked by the e2e suite$"), out


def test_describe_namespace(kubectl: KubectlFn, ns: str) -> None:
    out = kubectl("describe", "namespace", ns).stdout
    assert has_line(out, rf"^Name:\s+{ns}$"), out
    # The API server labels every namespace with its own name.
    assert has_line(out, rf"^Labels:\s+kubernetes.io/metadata.name={ns}$"), out
    assert has_line(out, r"^Status:\s+Active$"), out
    assert has_line(out, r"^No resource quota\.$"), out
    assert has_line(out, r"^No LimitRange resource\.$"), out
