"""Events through both APIs, core v1 and events.k8s.io/v1, which Kubernetes stores as one kind:
an Event written through either is read, selected, watched and described through the other."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import Cluster, StreamedKubectl, dump_yaml, pod, wait_default_service_account

pytestmark = pytest.mark.e2e

EVENTS_V1 = "events.v1.events.k8s.io"


def _now(micro: bool = False) -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def _events_v1(name: str, ns: str, regarding: dict[str, Any], **fields: Any) -> str:
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": name},
        "eventTime": _now(micro=True),
        "reportingController": "example.com/e2e-controller",
        "reportingInstance": "e2e-controller-1",
        "action": "Check",
        "reason": "Checked",
        "type": "Normal",
        "note": "checked by the e2e suite",
        "regarding": {"namespace": ns, **regarding},
        **fields,
    }
    return json.dumps(event)


def test_an_events_k8s_io_event_is_a_core_event(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    kubectl(
        "create", "-n", ns, "-f", "-", input=_events_v1("new", ns, {"kind": "Pod", "name": "a"})
    )
    core = kubectl_json("get", "events", "new", "-n", ns)
    assert core["apiVersion"] == "v1"
    assert core["involvedObject"] == {"kind": "Pod", "name": "a", "namespace": ns}
    assert core["message"] == "checked by the e2e suite"
    assert core["reportingComponent"] == "example.com/e2e-controller"
    assert core["reason"] == "Checked" and core["action"] == "Check"
    table = kubectl("get", "events", "-n", ns).stdout
    assert re.search(r"Normal\s+Checked\s+pod/a\s+checked by the e2e suite", table), table
    listed = kubectl("events", "-n", ns).stdout
    assert re.search(r"Normal\s+Checked\s+Pod/a\s+checked by the e2e suite", listed), listed

    now = _now()
    legacy = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "old"},
        "involvedObject": {"kind": "Pod", "name": "b", "namespace": ns},
        "reason": "Poked",
        "message": "poked",
        "type": "Warning",
        "source": {"component": "e2e-suite"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 2,
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(legacy))
    v1 = kubectl_json("get", EVENTS_V1, "old", "-n", ns)
    assert v1["apiVersion"] == "events.k8s.io/v1"
    assert v1["regarding"] == legacy["involvedObject"]
    assert v1["note"] == "poked" and v1["deprecatedCount"] == 2
    assert v1["deprecatedSource"] == {"component": "e2e-suite"}
    assert v1["deprecatedFirstTimestamp"] == now
    table = kubectl("get", EVENTS_V1, "-n", ns).stdout
    assert re.search(r"Normal\s+Checked\s+pod/a\s+checked by the e2e suite", table), table
    assert re.search(r"Warning\s+Poked\s+pod/b\s+poked", table), table
    names = kubectl("get", EVENTS_V1, "-n", ns, "-o", "name").stdout.split()
    assert sorted(names) == ["event.events.k8s.io/new", "event.events.k8s.io/old"]

    # Each API's own field labels select the same Events.
    selected = kubectl(
        "get", EVENTS_V1, "-n", ns, "--field-selector", "regarding.name=b", "-o", "name"
    ).stdout.split()
    assert selected == ["event.events.k8s.io/old"]
    selected = kubectl(
        "get", "events", "-n", ns, "--field-selector", "involvedObject.name=a", "-o", "name"
    ).stdout.split()
    assert selected == ["event/new"]

    # Changed through core v1, read through events.k8s.io/v1, which keeps an Event's content
    # immutable (its writes may change the series only), in Kubernetes' internal field names.
    kubectl("patch", "events", "old", "-n", ns, "--type=merge", "-p", '{"message":"poked again"}')
    assert kubectl_json("get", EVENTS_V1, "old", "-n", ns)["note"] == "poked again"
    res = kubectl(
        "patch", EVENTS_V1, "old", "-n", ns, "--type=merge", "-p", '{"note":"changed"}', check=False
    )
    assert res.returncode != 0
    assert 'message: Invalid value: "changed": field is immutable' in res.stderr
    kubectl("delete", "events", "new", "-n", ns)
    res = kubectl("get", EVENTS_V1, "new", "-n", ns, check=False)
    assert res.returncode != 0
    assert 'events.events.k8s.io "new" not found' in res.stderr


def test_events_k8s_io_rules_apply_to_its_writes(kubectl: KubectlFn, ns: str) -> None:
    bad = json.loads(_events_v1("bad", ns, {"kind": "Pod", "name": "a"}))
    del bad["eventTime"]
    res = kubectl("create", "-n", ns, "-f", "-", input=json.dumps(bad), check=False)
    assert res.returncode != 0
    assert 'The Event "bad" is invalid' in res.stderr
    assert "eventTime: Required value" in res.stderr
    # The same Event through core v1 (no eventTime, no reportingController) is fine there.
    now = _now()
    legacy = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "bad"},
        "involvedObject": {"kind": "Pod", "name": "a", "namespace": ns},
        "reason": "Checked",
        "source": {"component": "e2e-suite"},
        "firstTimestamp": now,
        "lastTimestamp": now,
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(legacy))


def test_describe_shows_events_k8s_io_events(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    wait_default_service_account(kubectl, ns)
    kubectl("apply", "-n", ns, "-f", "-", input=dump_yaml(pod("ev-pod")))
    uid = kubectl_json("get", "pod", "ev-pod", "-n", ns)["metadata"]["uid"]
    regarding = {"apiVersion": "v1", "kind": "Pod", "name": "ev-pod", "uid": uid}
    kubectl("create", "-n", ns, "-f", "-", input=_events_v1("ev-pod.1", ns, regarding))
    out = kubectl("describe", "pod", "ev-pod", "-n", ns).stdout
    assert re.search(
        r"^\s+Normal\s+Checked\s+\S+\s+example.com/e2e-controller\s+checked by the e2e suite$",
        out,
        re.M,
    ), out


def test_watch_through_events_k8s_io_sees_core_writes(
    cluster: Cluster, kubectl: KubectlFn, ns: str
) -> None:
    stream = StreamedKubectl(
        cluster,
        "get",
        EVENTS_V1,
        "-n",
        ns,
        "-w",
        "-o",
        'jsonpath={.apiVersion} {.metadata.name} {.note}{"\\n"}',
    )
    try:
        now = _now()
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "watched"},
            "involvedObject": {"kind": "Pod", "name": "w", "namespace": ns},
            "reason": "Seen",
            "message": "seen-through-both",
            "source": {"component": "e2e-suite"},
            "firstTimestamp": now,
            "lastTimestamp": now,
        }
        kubectl("create", "-n", ns, "-f", "-", input=json.dumps(event))
        line = stream.wait_for(lambda text: " watched " in text, timeout=20)
        assert line.split() == ["events.k8s.io/v1", "watched", "seen-through-both"]
    finally:
        stream.stop()
    # kubectl's default watch output is a Table, printed from the stored core Event.
    table = StreamedKubectl(cluster, "get", EVENTS_V1, "-n", ns, "-w")
    try:
        row = table.wait_for(lambda text: "seen-through-both" in text, timeout=20)
        assert re.search(r"Seen\s+pod/w\s+seen-through-both", row), row
    finally:
        table.stop()
