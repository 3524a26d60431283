from steersman.apiserver.request_info import parse_request_info


def p(method: str, path: str, **query: str):  # type: ignore[no-untyped-def]
    return parse_request_info(method, path, query)


def test_namespaced_collection_and_item() -> None:
    ri = p("GET", "/api/v1/namespaces/foo/pods")
    assert (ri.verb, ri.namespace, ri.resource, ri.name) == ("list", "foo", "pods", "")
    ri = p("GET", "/apis/apps/v1/namespaces/x/deployments/d/scale")
    assert (ri.group, ri.version, ri.resource, ri.name, ri.subresource, ri.verb) == (
        "apps",
        "v1",
        "deployments",
        "d",
        "scale",
        "get",
    )


def test_namespace_object_and_its_subresources() -> None:
    ri = p("GET", "/api/v1/namespaces/foo")
    assert (ri.resource, ri.name, ri.namespace) == ("namespaces", "foo", "")
    ri = p("PUT", "/api/v1/namespaces/foo/finalize")
    assert (ri.resource, ri.name, ri.subresource, ri.verb) == (
        "namespaces",
        "foo",
        "finalize",
        "update",
    )


def test_watch_forms_and_verbs() -> None:
    assert p("GET", "/api/v1/watch/namespaces/x/pods").verb == "watch"
    assert p("GET", "/api/v1/pods", watch="true").verb == "watch"
    assert p("DELETE", "/api/v1/namespaces/x/configmaps").verb == "deletecollection"
    assert p("DELETE", "/api/v1/namespaces/x/configmaps/a").verb == "delete"
    assert p("PATCH", "/api/v1/nodes/n").verb == "patch"


def test_non_resource_paths() -> None:
    for path in ("/api", "/apis", "/apis/apps", "/apis/apps/v1", "/healthz", "/openapi/v2"):
        assert not p("GET", path).is_resource_request
