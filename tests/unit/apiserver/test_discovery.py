"""Discovery documents: shapes kubectl 1.32 / client-go read, exact entries, negotiation."""

from __future__ import annotations

import orjson
import pytest

from steersman.api.resources import GROUP_ORDER, RESOURCES
from steersman.apiserver import discovery

KUBECTL_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


def _entry(doc: dict, name: str) -> dict:
    return next(r for r in doc["resources"] if r["name"] == name)


def test_api_versions_shape() -> None:
    doc = discovery.api_versions(server_address="10.0.0.1:6443")
    assert doc == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}
        ],
    }


def test_api_group_list_in_group_order_without_core() -> None:
    doc = discovery.api_group_list()
    assert doc["kind"] == "APIGroupList"
    assert doc["apiVersion"] == "v1"
    names = [g["name"] for g in doc["groups"]]
    assert names == [g for g in GROUP_ORDER if g]
    apps = doc["groups"][0]
    assert apps == {
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }


def test_api_group() -> None:
    doc = discovery.api_group("rbac.authorization.k8s.io")
    assert doc is not None
    assert doc["kind"] == "APIGroup"
    assert doc["preferredVersion"] == {
        "groupVersion": "rbac.authorization.k8s.io/v1",
        "version": "v1",
    }
    assert discovery.api_group("nope.example.com") is None
    assert discovery.api_group("") is None


def test_core_resource_list_pods_exact() -> None:
    doc = discovery.api_resource_list("", "v1")
    assert doc is not None
    assert doc["kind"] == "APIResourceList"
    assert doc["groupVersion"] == "v1"
    assert "apiVersion" not in doc
    assert _entry(doc, "pods") == {
        "name": "pods",
        "singularName": "pod",
        "namespaced": True,
        "kind": "Pod",
        "verbs": [
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ],
        "shortNames": ["po"],
        "categories": ["all"],
        "storageVersionHash": "xPOwRZ+Yhw8=",
    }
    assert _entry(doc, "pods/status") == {
        "name": "pods/status",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get", "patch", "update"],
    }
    assert _entry(doc, "pods/eviction")["group"] == "policy"
    assert _entry(doc, "pods/exec")["kind"] == "PodExecOptions"
    assert _entry(doc, "namespaces")["namespaced"] is False
    assert "storageVersionHash" not in _entry(doc, "bindings")
    names = [r["name"] for r in doc["resources"]]
    assert names == sorted(names)


def test_deployments_scale_exact() -> None:
    doc = discovery.api_resource_list("apps", "v1")
    assert doc is not None
    assert doc["apiVersion"] == "v1"
    assert _entry(doc, "deployments/scale") == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
    }
    assert _entry(doc, "deployments")["shortNames"] == ["deploy"]


@pytest.mark.parametrize(
    ("group", "version", "kind", "expected"),
    [
        ("", "v1", "ConfigMap", "qFsyl6wFWjQ="),
        ("apps", "v1", "Deployment", "8aSe+NMegvE="),
        ("apps", "v1", "DaemonSet", "dd7pWHUlMKQ="),
    ],
)
def test_storage_version_hash_matches_kube_apiserver(
    group: str, version: str, kind: str, expected: str
) -> None:
    assert discovery.storage_version_hash(group, version, kind) == expected


def test_events_k8s_io_hash_is_the_core_storage_version() -> None:
    doc = discovery.api_resource_list("events.k8s.io", "v1")
    assert doc is not None
    assert _entry(doc, "events")["storageVersionHash"] == discovery.storage_version_hash(
        "", "v1", "Event"
    )


def test_every_resource_is_discoverable() -> None:
    aggregated = {
        (item["metadata"].get("name", ""), v["version"], r["resource"]): r
        for legacy in (True, False)
        for item in discovery.aggregated_discovery(legacy, "v2")["items"]
        for v in item["versions"]
        for r in v["resources"]
    }
    for info in RESOURCES:
        doc = discovery.api_resource_list(info.group, info.version)
        assert doc is not None, info.group_version
        entry = _entry(doc, info.resource)
        assert entry["kind"] == info.kind
        for sub in info.subresources:
            assert _entry(doc, f"{info.resource}/{sub.name}")["verbs"] == list(sub.verbs)
        agg = aggregated[(info.group, info.version, info.resource)]
        assert agg["responseKind"]["kind"] == info.kind
        assert {s["subresource"] for s in agg.get("subresources", [])} == {
            s.name for s in info.subresources
        }


def test_unknown_group_version() -> None:
    assert discovery.api_resource_list("apps", "v1beta1") is None
    assert discovery.api_resource_list("", "v2") is None


def test_aggregated_legacy_core() -> None:
    doc = discovery.aggregated_discovery(legacy=True, version="v2")
    assert doc["kind"] == "APIGroupDiscoveryList"
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    (item,) = doc["items"]
    assert "name" not in item["metadata"]
    (version,) = item["versions"]
    assert version["version"] == "v1"
    assert version["freshness"] == "Current"
    pods = next(r for r in version["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced"
    assert pods["singularResource"] == "pod"
    assert pods["responseKind"] == {"group": "", "version": "", "kind": "Pod"}
    assert pods["shortNames"] == ["po"]
    assert pods["categories"] == ["all"]
    nodes = next(r for r in version["resources"] if r["resource"] == "nodes")
    assert nodes["scope"] == "Cluster"


def test_aggregated_apis_deployments_exact() -> None:
    doc = discovery.aggregated_discovery(legacy=False, version="v2beta1")
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    assert [i["metadata"]["name"] for i in doc["items"]] == [g for g in GROUP_ORDER if g]
    apps = doc["items"][0]["versions"][0]
    deployments = next(r for r in apps["resources"] if r["resource"] == "deployments")
    assert deployments == {
        "resource": "deployments",
        "responseKind": {"group": "", "version": "", "kind": "Deployment"},
        "scope": "Namespaced",
        "singularResource": "deployment",
        "verbs": [
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ],
        "shortNames": ["deploy"],
        "categories": ["all"],
        "subresources": [
            {
                "subresource": "scale",
                "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                "verbs": ["get", "patch", "update"],
            },
            {
                "subresource": "status",
                "responseKind": {"group": "", "version": "", "kind": "Deployment"},
                "verbs": ["get", "patch", "update"],
            },
        ],
    }


def test_aggregated_rejects_unknown_version() -> None:
    with pytest.raises(ValueError):
        discovery.aggregated_discovery(legacy=False, version="v1")


def test_aggregated_bytes_and_etag_are_stable() -> None:
    body, etag = discovery.aggregated_discovery_bytes(False, "v2")
    assert orjson.loads(body) == discovery.aggregated_discovery(False, "v2")
    assert discovery.aggregated_discovery_bytes(False, "v2") == (body, etag)
    assert len(etag) == 128


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (KUBECTL_ACCEPT, "v2"),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
            "v2beta1",
        ),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;profile=nopeer",
            "v2",
        ),
        ("application/json", None),
        ("", None),
        ("*/*", None),
        (
            "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            None,
        ),
        # Higher quality wins over header order.
        (
            "application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            "v2",
        ),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,application/json",
            None,
        ),
        # An alternative we cannot produce is skipped.
        (
            "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json",
            None,
        ),
        ("application/json;as=Table;v=v1;g=meta.k8s.io," + KUBECTL_ACCEPT, "v2"),
    ],
)
def test_negotiate_discovery(accept: str, expected: str | None) -> None:
    result = discovery.negotiate_discovery(accept)
    if expected is None:
        assert result is None
    else:
        assert result == (
            expected,
            f"application/json;g=apidiscovery.k8s.io;v={expected};as=APIGroupDiscoveryList",
        )
