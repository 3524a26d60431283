"""The generic registry through HTTP: CRUD semantics as Kubernetes defines them."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.integration.conftest import Api

CM = "/api/v1/namespaces/default/configmaps"


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


async def test_system_namespaces_and_kubernetes_service(api: Api) -> None:
    status, body, _ = await api.get("/api/v1/namespaces")
    assert status == 200
    names = {i["metadata"]["name"] for i in body["items"]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    status, svc, _ = await api.get("/api/v1/namespaces/default/services/kubernetes")
    assert status == 200
    assert svc["spec"]["clusterIP"] == "10.96.0.1"


async def test_create_get_sets_system_fields(api: Api) -> None:
    status, created, _ = await api.post(CM, cm("a", k="v"))
    assert status == 201, created
    meta = created["metadata"]
    assert (
        meta["namespace"] == "default" and meta["uid"] and meta["creationTimestamp"].endswith("Z")
    )
    assert int(meta["resourceVersion"]) > 0
    assert "generation" not in meta
    status, got, _ = await api.get(f"{CM}/a")
    assert status == 200 and got == created


async def test_already_exists_and_not_found(api: Api) -> None:
    await api.post(CM, cm("dup"))
    status, body, _ = await api.post(CM, cm("dup"))
    assert status == 409
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'
    status, body, _ = await api.get(f"{CM}/nope")
    assert status == 404 and body["message"] == 'configmaps "nope" not found'
    status, body, _ = await api.get("/apis/apps/v1/namespaces/default/deployments/nope")
    assert body["message"] == 'deployments.apps "nope" not found'


async def test_missing_namespace_is_not_found(api: Api) -> None:
    status, body, _ = await api.post("/api/v1/namespaces/ghost/configmaps", cm("x"))
    assert status == 404
    assert body["message"] == 'namespaces "ghost" not found'


async def test_generate_name(api: Api) -> None:
    status, body, _ = await api.post(CM, {"metadata": {"generateName": "gen-"}})
    assert status == 201
    assert body["metadata"]["name"].startswith("gen-") and len(body["metadata"]["name"]) == 9


async def test_update_conflict_on_stale_resource_version(api: Api) -> None:
    _, created, _ = await api.post(CM, cm("c", a="1"))
    first = dict(created, data={"a": "2"})
    status, updated, _ = await api.put(f"{CM}/c", first)
    assert status == 200
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    stale = dict(created, data={"a": "3"})
    status, body, _ = await api.put(f"{CM}/c", stale)
    assert status == 409 and body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]


async def test_noop_update_keeps_resource_version(api: Api) -> None:
    _, created, _ = await api.post(CM, cm("n", a="1"))
    status, same, _ = await api.put(f"{CM}/n", created)
    assert status == 200
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_patch_types(api: Api) -> None:
    await api.post(CM, cm("p", a="1"))
    status, body, _ = await api.patch(
        f"{CM}/p", {"data": {"b": "2"}}, "application/merge-patch+json"
    )
    assert status == 200 and body["data"] == {"a": "1", "b": "2"}
    status, body, _ = await api.patch(
        f"{CM}/p", [{"op": "remove", "path": "/data/a"}], "application/json-patch+json"
    )
    assert status == 200 and body["data"] == {"b": "2"}
    status, body, _ = await api.patch(
        f"{CM}/p", {"metadata": {"labels": {"x": "y"}}}, "application/strategic-merge-patch+json"
    )
    assert status == 200 and body["metadata"]["labels"] == {"x": "y"}
    status, body, _ = await api.patch(f"{CM}/p", {"data": {}}, "text/plain")
    assert status == 415


async def test_dry_run_writes_nothing(api: Api) -> None:
    status, body, _ = await api.post(CM + "?dryRun=All", cm("dry"))
    assert status == 201 and body["metadata"]["name"] == "dry"
    status, _, _ = await api.get(f"{CM}/dry")
    assert status == 404


async def test_delete_returns_status_and_preconditions(api: Api) -> None:
    _, created, _ = await api.post(CM, cm("d"))
    status, body, _ = await api.delete(f"{CM}/d", {"preconditions": {"uid": "wrong"}})
    assert status == 409
    status, body, _ = await api.delete(f"{CM}/d")
    assert (
        status == 200
        and body["status"] == "Success"
        and body["details"]["uid"] == created["metadata"]["uid"]
    )
    status, _, _ = await api.delete(f"{CM}/d")
    assert status == 404


async def test_finalizers_hold_deletion(api: Api) -> None:
    await api.post(CM, {"metadata": {"name": "f", "finalizers": ["example.com/hold"]}})
    status, body, _ = await api.delete(f"{CM}/f")
    assert status == 202 and body["metadata"]["deletionTimestamp"]
    status, body, _ = await api.patch(
        f"{CM}/f", {"metadata": {"finalizers": None}}, "application/merge-patch+json"
    )
    assert status == 200
    status, _, _ = await api.get(f"{CM}/f")
    assert status == 404


async def test_list_paging_is_consistent(api: Api) -> None:
    for i in range(25):
        await api.post(CM, cm(f"page-{i:02d}"))
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        params = {"limit": "10", "labelSelector": ""}
        if token:
            params["continue"] = token
        status, body, _ = await api.get(CM, params=params)
        assert status == 200
        pages += 1
        seen += [i["metadata"]["name"] for i in body["items"]]
        if pages == 1:
            await api.post(CM, cm("page-zz-late"))  # not visible in this snapshot
            assert body["metadata"]["remainingItemCount"] > 0
        token = body["metadata"].get("continue", "")
        if not token:
            break
    assert [s for s in seen if s.startswith("page-")] == sorted(f"page-{i:02d}" for i in range(25))
    assert pages == 3


async def test_label_and_field_selectors(api: Api) -> None:
    await api.post(CM, {"metadata": {"name": "l1", "labels": {"app": "a", "tier": "web"}}})
    await api.post(CM, {"metadata": {"name": "l2", "labels": {"app": "b"}}})
    _, body, _ = await api.get(CM, params={"labelSelector": "app in (a,c),tier"})
    assert [i["metadata"]["name"] for i in body["items"]] == ["l1"]
    _, body, _ = await api.get(CM, params={"labelSelector": "app!=a"})
    assert "l2" in [i["metadata"]["name"] for i in body["items"]]
    _, body, _ = await api.get(CM, params={"fieldSelector": "metadata.name=l2"})
    assert [i["metadata"]["name"] for i in body["items"]] == ["l2"]
    status, body, _ = await api.get(CM, params={"fieldSelector": "spec.bogus=1"})
    assert status == 400


async def test_body_errors(api: Api) -> None:
    status, body, _ = await api.post(CM, raw=b"{not json")
    assert status == 400 and body["kind"] == "Status"
    status, body, _ = await api.post(CM, raw=b"x" * (3 * 1024 * 1024 + 10))
    assert status == 413
    status, body, _ = await api.post(CM, raw=b"{}", content_type="text/plain")
    assert status == 415
    status, body, _ = await api.post(
        CM, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}}
    )
    assert status == 400


async def test_unknown_fields_follow_field_validation(api: Api) -> None:
    body = {"metadata": {"name": "u"}, "data": {}, "bogus": 1}
    status, resp, _ = await api.post(CM + "?fieldValidation=Strict", body)
    assert status == 400 and 'unknown field "bogus"' in resp["message"]
    status, resp, headers = await api.post(CM, body)
    assert status == 201 and "bogus" not in resp
    assert any("unknown field" in w for w in headers.getall("Warning", []))


async def test_watch_sees_changes_in_order(api: Api) -> None:
    _, created, _ = await api.post(CM, cm("w0"))
    rv = created["metadata"]["resourceVersion"]
    events: list[tuple[str, str]] = []

    async def watch() -> None:
        async with api.session.get(
            api.base + CM, params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "5"}
        ) as resp:
            async for line in resp.content:
                ev = orjson.loads(line)
                events.append((ev["type"], ev["object"]["metadata"]["name"]))
                if len(events) == 3:
                    return

    task = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    await api.post(CM, cm("w1"))
    await api.patch(f"{CM}/w1", {"data": {"a": "b"}}, "application/merge-patch+json")
    await api.delete(f"{CM}/w1")
    await asyncio.wait_for(task, 5)
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


async def test_service_ip_allocation(api: Api) -> None:
    svc = {"metadata": {"name": "s1"}, "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}}
    status, body, _ = await api.post("/api/v1/namespaces/default/services", svc)
    assert status == 201, body
    ip = body["spec"]["clusterIP"]
    assert ip.startswith("10.") and body["spec"]["clusterIPs"] == [ip]
    clash = {"metadata": {"name": "s2"}, "spec": {"clusterIP": ip, "ports": [{"port": 80}]}}
    status, body, _ = await api.post("/api/v1/namespaces/default/services", clash)
    assert status == 422 and "provided IP is already allocated" in body["message"]
    np = {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    status, body, _ = await api.post("/api/v1/namespaces/default/services", np)
    assert status == 201
    port = body["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    await api.delete("/api/v1/namespaces/default/services/np")
    again = {
        "metadata": {"name": "np2"},
        "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": port}]},
    }
    status, body, _ = await api.post("/api/v1/namespaces/default/services", again)
    assert status == 201, body


async def test_deployment_generation_status_and_scale(api: Api) -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    base = "/apis/apps/v1/namespaces/default/deployments"
    status, body, _ = await api.post(base, dep)
    assert status == 201, body
    assert body["metadata"]["generation"] == 1 and body["spec"]["replicas"] == 1
    status, scale, _ = await api.get(f"{base}/web/scale")
    assert status == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "app=web"
    status, scale, _ = await api.patch(
        f"{base}/web/scale", {"spec": {"replicas": 3}}, "application/merge-patch+json"
    )
    assert status == 200 and scale["spec"]["replicas"] == 3
    _, body, _ = await api.get(f"{base}/web")
    assert body["spec"]["replicas"] == 3 and body["metadata"]["generation"] == 2
    body["status"] = {"replicas": 3}
    status, after, _ = await api.put(f"{base}/web/status", body)
    assert (
        status == 200 and after["status"]["replicas"] == 3 and after["metadata"]["generation"] == 2
    )
    bad = dict(dep, metadata={"name": "bad"})
    bad["spec"] = dict(dep["spec"], selector={"matchLabels": {"app": "other"}})
    status, body, _ = await api.post(base, bad)
    assert status == 422 and body["reason"] == "Invalid"


async def test_pod_binding(api: Api) -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    status, body, _ = await api.post("/api/v1/namespaces/default/pods", pod)
    assert status == 201, body
    assert body["status"]["phase"] == "Pending"
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "p"},
        "target": {"kind": "Node", "name": "n1"},
    }
    status, body, _ = await api.post("/api/v1/namespaces/default/pods/p/binding", binding)
    assert status == 201, body
    _, got, _ = await api.get("/api/v1/namespaces/default/pods/p")
    assert got["spec"]["nodeName"] == "n1"
    status, body, _ = await api.post("/api/v1/namespaces/default/pods/p/binding", binding)
    assert status == 409 and 'is already assigned to node "n1"' in body["message"]


async def test_namespace_deletion_turns_terminating(api: Api) -> None:
    await api.post("/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    status, body, _ = await api.delete("/api/v1/namespaces/doomed")
    assert status == 202 and body["status"]["phase"] == "Terminating"
    status, body, _ = await api.post("/api/v1/namespaces/doomed/configmaps", cm("x"))
    assert status == 403 and "because it is being terminated" in body["message"]
    ns = body = (await api.get("/api/v1/namespaces/doomed"))[1]
    ns["spec"]["finalizers"] = []
    status, body, _ = await api.put("/api/v1/namespaces/doomed/finalize", ns)
    assert status == 200
    status, _, _ = await api.get("/api/v1/namespaces/doomed")
    assert status == 404


async def test_unknown_resource_and_verb(api: Api) -> None:
    status, body, _ = await api.get("/api/v1/namespaces/default/widgets")
    assert status == 404 and body["message"] == "the server could not find the requested resource"
    status, body, _ = await api.delete("/api/v1/namespaces")
    assert status == 405
