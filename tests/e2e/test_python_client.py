"""The official Python client (`kubernetes` package) against steersman: CRUD, watch, paging.

The client deserializes every answer into its typed models, so a missing or mistyped field in
a response breaks these tests even where kubectl would not notice.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.e2e


def cm(name: str, data: dict[str, str], labels: dict[str, str] | None = None) -> Any:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def test_configmap_crud(core_v1: Any, ns: str) -> None:
    created = core_v1.create_namespaced_config_map(ns, cm("crud", {"a": "1"}, {"app": "crud"}))
    assert created.metadata.uid
    assert created.metadata.namespace == ns
    rv1 = int(created.metadata.resource_version)

    got = core_v1.read_namespaced_config_map("crud", ns)
    assert got.data == {"a": "1"}
    assert got.metadata.uid == created.metadata.uid

    got.data["b"] = "2"
    replaced = core_v1.replace_namespaced_config_map("crud", ns, got)
    assert replaced.data == {"a": "1", "b": "2"}
    assert int(replaced.metadata.resource_version) > rv1

    patched = core_v1.patch_namespaced_config_map("crud", ns, {"data": {"c": "3"}})
    assert patched.data == {"a": "1", "b": "2", "c": "3"}

    listed = core_v1.list_namespaced_config_map(ns, label_selector="app=crud")
    assert [i.metadata.name for i in listed.items] == ["crud"]

    with pytest.raises(ApiException) as conflict:
        core_v1.create_namespaced_config_map(ns, cm("crud", {"x": "y"}))
    assert conflict.value.status == 409
    assert json.loads(conflict.value.body or "{}")["reason"] == "AlreadyExists"

    # The client leaves the answer untyped: a metav1.Status for an immediate deletion.
    status = core_v1.delete_namespaced_config_map("crud", ns)
    assert status["kind"] == "Status"
    assert status["status"] == "Success"
    assert status["details"]["name"] == "crud"
    assert status["details"]["kind"] == "configmaps"
    assert status["details"]["uid"] == created.metadata.uid
    with pytest.raises(ApiException) as missing:
        core_v1.read_namespaced_config_map("crud", ns)
    assert missing.value.status == 404
    assert json.loads(missing.value.body or "{}")["reason"] == "NotFound"


def test_deployment_crud_and_scale(apps_v1: Any, ns: str) -> None:
    labels = {"app": "pyweb"}
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="pyweb"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name="web", image="busybox:1.35")]
                ),
            ),
        ),
    )
    created = apps_v1.create_namespaced_deployment(ns, body)
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"

    patched = apps_v1.patch_namespaced_deployment("pyweb", ns, {"spec": {"replicas": 4}})
    assert patched.spec.replicas == 4
    assert patched.metadata.generation == 2

    scale = apps_v1.read_namespaced_deployment_scale("pyweb", ns)
    assert scale.spec.replicas == 4
    assert scale.status.selector == "app=pyweb"
    apps_v1.patch_namespaced_deployment_scale("pyweb", ns, {"spec": {"replicas": 1}})
    assert apps_v1.read_namespaced_deployment("pyweb", ns).spec.replicas == 1

    listed = apps_v1.list_namespaced_deployment(ns)
    assert [d.metadata.name for d in listed.items] == ["pyweb"]
    apps_v1.delete_namespaced_deployment("pyweb", ns, propagation_policy="Background")
    with pytest.raises(ApiException) as missing:
        apps_v1.read_namespaced_deployment("pyweb", ns)
    assert missing.value.status == 404


def test_watch_sees_added_modified_deleted(core_v1: Any, ns: str) -> None:
    start_rv = core_v1.list_namespaced_config_map(ns).metadata.resource_version
    seen: list[tuple[str, str, dict[str, str] | None]] = []
    failure: list[BaseException] = []
    started = threading.Event()

    def run() -> None:
        w = watch.Watch()
        try:
            started.set()
            for event in w.stream(
                core_v1.list_namespaced_config_map,
                ns,
                field_selector="metadata.name=watched",
                resource_version=start_rv,
                timeout_seconds=15,
            ):
                obj = event["object"]
                seen.append((event["type"], obj.metadata.name, obj.data))
                if event["type"] == "DELETED":
                    w.stop()
        except BaseException as exc:  # surfaced to the test thread below
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(5)
    core_v1.create_namespaced_config_map(ns, cm("watched", {"v": "1"}))
    core_v1.create_namespaced_config_map(ns, cm("not-watched", {"v": "1"}))
    core_v1.patch_namespaced_config_map("watched", ns, {"data": {"v": "2"}})
    core_v1.delete_namespaced_config_map("watched", ns)
    thread.join(20)
    assert not thread.is_alive(), f"watch did not see DELETED; saw {seen}"
    assert not failure, failure
    assert seen == [
        ("ADDED", "watched", {"v": "1"}),
        ("MODIFIED", "watched", {"v": "2"}),
        ("DELETED", "watched", {"v": "2"}),
    ]


def test_watch_resource_versions_increase(core_v1: Any, ns: str) -> None:
    start_rv = core_v1.list_namespaced_config_map(ns).metadata.resource_version
    for i in range(3):
        core_v1.create_namespaced_config_map(ns, cm(f"rv-{i}", {"i": str(i)}))
    w = watch.Watch()
    versions: list[int] = []
    names: list[str] = []
    for event in w.stream(
        core_v1.list_namespaced_config_map, ns, resource_version=start_rv, timeout_seconds=5
    ):
        if event["object"].metadata.name.startswith("rv-"):
            names.append(event["object"].metadata.name)
            versions.append(int(event["object"].metadata.resource_version))
        if len(names) == 3:
            w.stop()
    assert names == ["rv-0", "rv-1", "rv-2"]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_list_paging(core_v1: Any, ns: str) -> None:
    ours = [f"page-{i:02d}" for i in range(25)]
    for name in ours:
        core_v1.create_namespaced_config_map(ns, cm(name, {"n": name}))
    total = len(core_v1.list_namespaced_config_map(ns).items)  # may include kube-root-ca.crt
    assert total >= 25

    first = core_v1.list_namespaced_config_map(ns, limit=10)
    assert len(first.items) == 10
    assert first.metadata._continue
    assert first.metadata.remaining_item_count == total - 10
    snapshot_rv = first.metadata.resource_version

    # Objects created after the first page are not part of the paged snapshot.
    core_v1.create_namespaced_config_map(ns, cm("page-late", {"n": "late"}))

    names = [i.metadata.name for i in first.items]
    token = first.metadata._continue
    pages = 1
    while token:
        page = core_v1.list_namespaced_config_map(ns, limit=10, _continue=token)
        assert page.metadata.resource_version == snapshot_rv
        assert len(page.items) <= 10
        names += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        pages += 1
        if token:
            assert page.metadata.remaining_item_count == total - len(names)
        else:
            assert page.metadata.remaining_item_count is None
    assert pages == 3
    assert len(names) == total == len(set(names))
    assert names == sorted(names)
    assert set(ours) <= set(names)
    assert "page-late" not in names

    with pytest.raises(ApiException) as bad:
        core_v1.list_namespaced_config_map(ns, limit=10, _continue="not-a-valid-token")
    assert bad.value.status == 400
