"""Field selectors and per-kind field sets: cases from apimachinery's fields tests and the
field label conversion funcs / ToSelectableFields of kube-apiserver."""

from __future__ import annotations

import pytest

from steersman.api.fields import (
    check_supported,
    convert_field_selector,
    escape_value,
    field_set,
    parse_field_selector,
    unescape_value,
)


# fields.TestSelectorParse: good strings re-print unchanged.
@pytest.mark.parametrize("text", ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"])
def test_good_selectors_round_trip(text: str) -> None:
    assert str(parse_field_selector(text)) == text


@pytest.mark.parametrize("text", ["x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"])
def test_bad_selectors_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_field_selector(text)


def test_deterministic_parse() -> None:
    assert str(parse_field_selector("x=a,a=x")) == str(parse_field_selector("a=x,x=a")) == "a=x,x=a"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "invalid selector: 'x'; can't understand 'x'"),
        ("x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"),
        ("x==a==b", "invalid field selector: unescaped character in value: 61"),
        ("x=a,b=c,d", "invalid selector: 'x=a,b=c,d'; can't understand 'd'"),
        ("x=a\\", "invalid field selector: invalid escape sequence: \\"),
        ("x=\\a", "invalid field selector: invalid escape sequence: \\a"),
    ],
)
def test_error_wording(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_field_selector(text)
    assert str(info.value) == message


def test_operators_and_escaping() -> None:
    sel = parse_field_selector(r"b==x\,y,a!=1")
    assert [(r.field, r.operator, r.value) for r in sel.requirements] == [
        ("a", "!=", "1"),
        ("b", "==", "x,y"),
    ]
    assert str(sel) == r"a!=1,b=x\,y"
    assert sel.matches({"a": "2", "b": "x,y"})
    assert not sel.matches({"a": "1", "b": "x,y"})
    # A field the object does not have reads as "".
    assert parse_field_selector("missing=").matches({})
    assert parse_field_selector("missing!=x").matches({})
    assert sel.requires_exact_match("b") == "x,y"
    assert sel.requires_exact_match("a") is None
    assert parse_field_selector("").empty and parse_field_selector(",,").empty


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("", ""),
        ("a", "a"),
        ("=", "\\="),
        (",", "\\,"),
        ("\\", "\\\\"),
        ("\\=\\,\\", "\\\\\\=\\\\\\,\\\\"),
    ],
)
def test_escape_round_trip(raw: str, escaped: str) -> None:
    assert escape_value(raw) == escaped
    assert unescape_value(escaped) == raw


@pytest.mark.parametrize(
    ("group", "kind", "selector", "message"),
    [
        ("", "Pod", "spec.foo=1", "field label not supported: spec.foo"),
        ("", "Node", "metadata.namespace=x", "field label not supported: metadata.namespace"),
        ("", "Namespace", "metadata.namespace=x", "field label not supported: metadata.namespace"),
        ("", "Secret", "data=x", "field label not supported: data"),
        ("", "Event", "regarding.kind=Pod", "field label not supported: regarding.kind"),
        (
            "events.k8s.io",
            "Event",
            "involvedObject.kind=Pod",
            "field label not supported: involvedObject.kind",
        ),
        ("batch", "Job", "spec.x=1", 'field label "spec.x" not supported for Job'),
        (
            "networking.k8s.io",
            "Ingress",
            "foo.bar=baz",
            '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        # apps/v1 registers no conversion func, so ReplicaSet rejects its own status.replicas.
        (
            "apps",
            "ReplicaSet",
            "status.replicas=0",
            '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        # The first failing term in sorted order is reported.
        ("", "Pod", "zz=1,aa=2", "field label not supported: aa"),
    ],
)
def test_unsupported_labels(group: str, kind: str, selector: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        check_supported(group, kind, parse_field_selector(selector))
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("group", "kind", "selector"),
    [
        (
            "",
            "Pod",
            "spec.nodeName=n,status.phase=Running,status.podIPs=1.2.3.4,spec.hostNetwork=true",
        ),
        ("", "Node", "spec.unschedulable=true,metadata.name=n"),
        ("", "Namespace", "status.phase=Active"),
        ("", "Event", "involvedObject.kind=Pod,reason=Started,source=kubelet,type=Normal"),
        ("", "Service", "spec.clusterIP=None,spec.type=ClusterIP"),
        ("", "ReplicationController", "status.replicas=1"),
        ("batch", "Job", "status.successful=1"),
        ("apps", "Deployment", "metadata.name=x,metadata.namespace=y"),
    ],
)
def test_supported_labels(group: str, kind: str, selector: str) -> None:
    check_supported(group, kind, parse_field_selector(selector))


def test_conversion_renames_aliases() -> None:
    pod = convert_field_selector("", "Pod", parse_field_selector("spec.host=n1"))
    assert str(pod) == "spec.nodeName=n1"
    ev = convert_field_selector(
        "events.k8s.io",
        "Event",
        parse_field_selector("regarding.name=p,reportingController=kubelet"),
    )
    assert str(ev) == "involvedObject.name=p,reportingComponent=kubelet"


POD = {
    "metadata": {"name": "p", "namespace": "ns"},
    "spec": {
        "nodeName": "n1",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "sa",
    },
    "status": {
        "phase": "Running",
        "podIP": "10.0.0.9",
        "podIPs": [{"ip": "10.0.0.9"}, {"ip": "fd00::9"}],
    },
}


def test_pod_field_set() -> None:
    fs = field_set("", "Pod", POD)
    assert fs == {
        "metadata.name": "p",
        "metadata.namespace": "ns",
        "spec.nodeName": "n1",
        "spec.host": "n1",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "sa",
        "spec.hostNetwork": "false",
        "status.phase": "Running",
        "status.podIP": "10.0.0.9",
        "status.nominatedNodeName": "",
    }
    # status.podIPs is accepted but never set: any non-empty value matches nothing.
    assert not parse_field_selector("status.podIPs=10.0.0.9").matches(fs)
    assert parse_field_selector("spec.nodeName=n1,status.phase!=Pending").matches(fs)
    assert parse_field_selector("spec.host=n1").matches(fs)


def test_other_field_sets() -> None:
    node = {"metadata": {"name": "n"}, "spec": {"unschedulable": True}}
    assert field_set("", "Node", node) == {"metadata.name": "n", "spec.unschedulable": "true"}
    ns = {"metadata": {"name": "kube-system"}, "status": {"phase": "Active"}}
    assert field_set("", "Namespace", ns) == {
        "metadata.name": "kube-system",
        "status.phase": "Active",
        "name": "kube-system",
    }
    secret = {"metadata": {"name": "s", "namespace": "d"}, "type": "Opaque"}
    assert field_set("", "Secret", secret)["type"] == "Opaque"
    job = {"metadata": {"name": "j", "namespace": "d"}, "status": {"succeeded": 2}}
    assert field_set("batch", "Job", job)["status.successful"] == "2"
    assert field_set("batch", "Job", {"metadata": {"name": "j"}})["status.successful"] == "0"
    rc = {"metadata": {"name": "r", "namespace": "d"}, "status": {"replicas": 3}}
    assert field_set("", "ReplicationController", rc)["status.replicas"] == "3"
    cm = {"metadata": {"name": "c", "namespace": "d"}, "data": {"k": "v"}}
    assert field_set("", "ConfigMap", cm) == {"metadata.name": "c", "metadata.namespace": "d"}
    cluster_role = {"metadata": {"name": "admin"}}
    assert field_set("rbac.authorization.k8s.io", "ClusterRole", cluster_role) == {
        "metadata.name": "admin"
    }


def test_event_field_sets_for_both_apis() -> None:
    core = {
        "metadata": {"name": "e", "namespace": "d"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "d", "uid": "u1"},
        "reason": "Started",
        "type": "Normal",
        "reportingComponent": "kubelet",
    }
    fs = field_set("", "Event", core)
    assert fs["involvedObject.kind"] == "Pod"
    assert fs["source"] == "kubelet"  # falls back to the reporting controller
    assert fs["reportingComponent"] == "kubelet"
    new = {
        "metadata": {"name": "e", "namespace": "d"},
        "regarding": {"kind": "Pod", "name": "p"},
        "reason": "Started",
        "type": "Normal",
        "reportingController": "ctrl",
        "deprecatedSource": {"component": "kubelet"},
    }
    fs2 = field_set("events.k8s.io", "Event", new)
    assert fs2["involvedObject.kind"] == fs2["regarding.kind"] == "Pod"
    assert fs2["reportingComponent"] == fs2["reportingController"] == "ctrl"
    assert fs2["source"] == "kubelet"
    sel = parse_field_selector("regarding.kind=Pod,reason=Started")
    assert sel.matches(fs2)
    assert convert_field_selector("events.k8s.io", "Event", sel).matches(fs2)
