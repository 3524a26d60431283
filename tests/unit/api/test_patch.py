"""JSON patch, merge patch and strategic merge patch, as the API server applies them."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest

from steersman.api.errors import ApiError
from steersman.api.patch import (
    MAX_JSON_PATCH_OPERATIONS,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    decode_patch,
    go_json_syntax_error,
    json_patch_strict_errors,
)
from steersman.api.schema import check_object
from steersman.api.strategic_merge import GENERIC_422_MESSAGE, go_sprint

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
NODE = "io.k8s.api.core.v1.Node"
SERVICE = "io.k8s.api.core.v1.Service"


def smp(doc: dict[str, Any], patch: Any, schema: str = POD) -> dict[str, Any]:
    before = (copy.deepcopy(doc), copy.deepcopy(patch))
    result = apply_strategic_merge_patch(doc, patch, schema)
    assert (doc, patch) == before, "inputs must not be mutated"
    return result


def smp_error(doc: dict[str, Any], patch: Any, schema: str = POD) -> PatchError:
    with pytest.raises(PatchError) as info:
        apply_strategic_merge_patch(doc, patch, schema)
    return info.value


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "generation": 3,
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.24",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        },
                        {"name": "sidecar", "image": "busybox", "args": ["sleep", "10"]},
                    ],
                    "volumes": [
                        {"name": "data", "emptyDir": {}},
                        {"name": "cfg", "configMap": {"name": "cfg"}},
                    ],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                },
            },
        },
        "status": {"replicas": 2},
    }


# ---------------------------------------------------------------------------
# strategic merge patch: what kubectl sends


def test_kubectl_apply_three_way_patch_on_a_deployment() -> None:
    # What `kubectl apply` computes after the user edits the manifest: a new image, an added
    # env var and port, a removed env var and volume, replaced tolerations, Recreate strategy.
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}"}},
        "spec": {
            "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                    "$setElementOrder/volumes": [{"name": "data"}, {"name": "logs"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                            "$setElementOrder/ports": [
                                {"containerPort": 80},
                                {"containerPort": 443},
                            ],
                            "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "B"}],
                            "image": "nginx:1.25",
                            "name": "nginx",
                            "ports": [{"containerPort": 443}],
                        }
                    ],
                    "tolerations": [{"key": "b", "operator": "Equal", "value": "x"}],
                    "volumes": [
                        {"emptyDir": {}, "name": "logs"},
                        {"$patch": "delete", "name": "cfg"},
                    ],
                }
            },
        },
    }
    result = smp(deployment(), patch, DEPLOYMENT)
    spec = result["spec"]
    assert spec["strategy"] == {"type": "Recreate"}  # retainKeys cleared rollingUpdate
    pod_spec = spec["template"]["spec"]
    nginx, sidecar = pod_spec["containers"]
    assert nginx == {
        "name": "nginx",
        "image": "nginx:1.25",
        "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}],
        "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    assert sidecar == {"name": "sidecar", "image": "busybox", "args": ["sleep", "10"]}
    assert pod_spec["volumes"] == [
        {"name": "data", "emptyDir": {}},
        {"emptyDir": {}, "name": "logs"},
    ]
    assert pod_spec["tolerations"] == [{"key": "b", "operator": "Equal", "value": "x"}]  # atomic
    assert result["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": "{...}"
    }
    assert result["metadata"]["labels"] == {"app": "web"} and result["status"] == {"replicas": 2}
    assert check_object(DEPLOYMENT, result).ok


def test_kubectl_label_annotate_and_unlabel() -> None:
    doc = deployment()
    result = smp(
        doc, {"metadata": {"labels": {"tier": "front"}, "annotations": {"note": "x"}}}, DEPLOYMENT
    )
    assert result["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert result["metadata"]["annotations"] == {"note": "x"}
    result = smp(result, {"metadata": {"labels": {"tier": None}}}, DEPLOYMENT)
    assert result["metadata"]["labels"] == {"app": "web"}


def test_kubectl_set_image_and_rollout_restart() -> None:
    patch = {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}
                },
                "spec": {"containers": [{"name": "sidecar", "image": "busybox:1.36"}]},
            }
        }
    }
    result = smp(deployment(), patch, DEPLOYMENT)
    template = result["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"
    }
    names = [(c["name"], c["image"]) for c in template["spec"]["containers"]]
    assert names == [("nginx", "nginx:1.24"), ("sidecar", "busybox:1.36")]


def test_kubectl_cordon_and_taint_on_a_node() -> None:
    node = {"metadata": {"name": "n1"}, "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}}
    result = smp(node, {"spec": {"unschedulable": True}}, NODE)
    assert result["spec"] == {
        "taints": [{"key": "a", "effect": "NoSchedule"}],
        "unschedulable": True,
    }
    result = smp(result, {"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}}, NODE)
    assert result["spec"]["taints"] == [{"key": "b", "effect": "NoExecute"}]  # atomic: replaced


def test_new_list_items_without_set_element_order_go_first() -> None:
    # Go's mergeSortedSlice puts patch items not found in the live list ahead of it.
    result = smp(
        deployment(),
        {"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "x"}]}}}},
        DEPLOYMENT,
    )
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == [
        "new",
        "nginx",
        "sidecar",
    ]


def test_service_ports_merge_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}
    result = smp(svc, {"spec": {"ports": [{"port": 443, "targetPort": "https"}]}}, SERVICE)
    assert result["spec"]["ports"] == [
        {"port": 80, "targetPort": 8080},
        {"port": 443, "targetPort": "https"},
    ]


def test_finalizers_are_a_merging_primitive_list() -> None:
    doc = {"metadata": {"finalizers": ["a", "b"]}}
    assert smp(doc, {"metadata": {"finalizers": ["b", "c"]}})["metadata"]["finalizers"] == [
        "a",
        "b",
        "c",
    ]
    deleted = smp(doc, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert deleted["metadata"]["finalizers"] == ["b"]
    ordered = smp(doc, {"metadata": {"$setElementOrder/finalizers": ["b", "a"]}})
    assert ordered["metadata"]["finalizers"] == ["b", "a"]
    # A delete list for a field the object lacks adds nothing.
    assert smp({"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}) == {
        "metadata": {}
    }


def test_args_are_replaced_not_merged() -> None:
    doc = {"spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}}
    result = smp(doc, {"spec": {"containers": [{"name": "c", "args": ["c"]}]}})
    assert result["spec"]["containers"][0]["args"] == ["c"]


# ---------------------------------------------------------------------------
# strategic merge patch: apimachinery's test cases (schema: Pod fields standing in for MergeItem)

M = {"metadata": {"name": "x"}}


def with_containers(*items: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"containers": list(items)}}


@pytest.mark.parametrize(
    ("original", "patch", "expected"),
    [
        pytest.param({"a": 1}, {}, {"a": 1}, id="empty patch"),
        pytest.param(
            {"metadata": {"name": "1"}},
            {"kind": "1"},
            {"metadata": {"name": "1"}, "kind": "1"},
            id="add field",
        ),
        pytest.param(
            {"metadata": {"labels": {"k1": "1", "k2": "1"}}},
            {"metadata": {"labels": {"k2": None}}},
            {"metadata": {"labels": {"k1": "1"}}},
            id="delete field from nested map",
        ),
        pytest.param(
            {"metadata": {"labels": {"k1": "1"}}},
            {"metadata": {"labels": {"$patch": "delete"}}},
            {"metadata": {"labels": {}}},
            id="delete map from nested map",
        ),
        pytest.param(
            {"metadata": {"name": "1", "namespace": "1"}},
            {"metadata": {"$patch": "replace"}},
            {"metadata": {}},
            id="replace a map with nothing",
        ),
        pytest.param(
            {"metadata": {"name": "1", "namespace": "1"}},
            {"metadata": {"generateName": "a", "$patch": "replace"}},
            {"metadata": {"generateName": "a"}},
            id="replace a map",
        ),
        pytest.param(
            with_containers({"name": "1"}, {"name": "2"}),
            {"spec": {"containers": [{"$patch": "replace"}]}},
            with_containers(),
            id="replace a merging list with nothing",
        ),
        pytest.param(
            with_containers({"name": "1"}, {"name": "2"}),
            {"spec": {"containers": [{"name": "3"}, {"$patch": "replace"}]}},
            with_containers({"name": "3"}),
            id="replace a merging list",
        ),
        pytest.param(
            with_containers(
                {"name": "1"}, {"name": "1", "image": "dup"}, {"name": "2", "image": "a"}
            ),
            {"spec": {"containers": [{"name": "1", "$patch": "delete"}]}},
            with_containers({"name": "2", "image": "a"}),
            id="delete removes every entry with the key",
        ),
        pytest.param(
            with_containers({"name": "1"}, {"name": "2", "image": "b"}, {"name": "3"}),
            {
                "spec": {
                    "containers": [
                        {"name": "3", "image": "c"},
                        {"name": "1", "image": "a"},
                        {"name": "2", "tty": True},
                    ]
                }
            },
            with_containers(
                {"name": "3", "image": "c"},
                {"name": "1", "image": "a"},
                {"name": "2", "image": "b", "tty": True},
            ),
            id="preserve the order from the patch",
        ),
        pytest.param(
            with_containers({"name": "1"}, {"name": "2", "image": "b"}, {"name": "3"}),
            {"spec": {"containers": [{"name": "3", "image": "c"}, {"name": "1", "image": "a"}]}},
            with_containers(
                {"name": "2", "image": "b"},
                {"name": "3", "image": "c"},
                {"name": "1", "image": "a"},
            ),
            id="preserve the order from the patch 2",
        ),
        pytest.param(
            {"metadata": {"finalizers": ["1", "2", "3"]}},
            {"metadata": {"finalizers": ["3", "1"]}},
            {"metadata": {"finalizers": ["2", "3", "1"]}},
            id="preserve the order from the patch in a primitive list",
        ),
        pytest.param(
            with_containers({"name": "1"}, {"name": "3"}),
            {
                "spec": {
                    "$setElementOrder/containers": [{"name": "3"}, {"name": "2"}, {"name": "1"}],
                    "containers": [{"name": "3", "image": "3"}, {"name": "1", "image": "1"}],
                }
            },
            with_containers({"name": "3", "image": "3"}, {"name": "1", "image": "1"}),
            id="setElementOrder naming an absent item",
        ),
        pytest.param(
            with_containers({"name": "1"}, {"name": "2", "image": "2"}),
            {
                "spec": {
                    "$setElementOrder/containers": [
                        {"name": "4"},
                        {"name": "1"},
                        {"name": "2"},
                        {"name": "3"},
                    ],
                    "containers": [{"name": "4", "image": "4"}, {"name": "3", "image": "3"}],
                }
            },
            with_containers(
                {"name": "4", "image": "4"},
                {"name": "1"},
                {"name": "2", "image": "2"},
                {"name": "3", "image": "3"},
            ),
            id="merge lists of maps with setElementOrder",
        ),
        pytest.param(
            {"metadata": {"finalizers": ["1", "2", "3", "3", "4"]}},
            {
                "metadata": {
                    "$setElementOrder/finalizers": ["1", "2"],
                    "$deleteFromPrimitiveList/finalizers": ["3"],
                }
            },
            {"metadata": {"finalizers": ["1", "2", "4"]}},
            id="delete all duplicate items in lists of scalars",
        ),
        pytest.param(
            {"metadata": {"finalizers": ["1", "2", "3", "4"]}},
            {
                "metadata": {
                    "$setElementOrder/finalizers": ["1", "2", "4"],
                    "$deleteFromPrimitiveList/finalizers": ["3"],
                    "finalizers": ["4"],
                }
            },
            {"metadata": {"finalizers": ["1", "2", "4"]}},
            id="add and delete items in lists of scalars",
        ),
        pytest.param(
            {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
            {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 2}}}},
            {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}}},
            id="retainKeys field without the directive merges",
        ),
        pytest.param(
            {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
            {"spec": {"strategy": {}}},
            {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
            id="retainKeys map merges an empty map",
        ),
        pytest.param(
            {"a": {"b": 1}},
            {"a": "x", "c": {"d": None, "e": [{"f": None}]}},
            {"a": "x", "c": {"e": [{}]}},
            id="replaced and added values lose their nulls",
        ),
        pytest.param(
            {"spec": {}},
            {
                "spec": {
                    "containers": [
                        {"name": "a", "env": [{"name": "x", "$patch": "delete"}]},
                        {"$patch": "delete", "name": "b"},
                    ]
                }
            },
            {"spec": {"containers": [{"name": "a", "env": []}]}},
            id="directives inside an added value are removed",
        ),
        pytest.param({"a": 1}, {"$patch": "delete"}, {}, id="delete the whole document"),
    ],
)
def test_strategic_merge_cases(
    original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]
) -> None:
    schema = DEPLOYMENT if "strategy" in json.dumps(original) else POD
    assert smp(original, patch, schema) == expected


def test_null_patch_is_a_no_op_and_other_bodies_are_refused() -> None:
    doc = deployment()
    result = smp(doc, None, DEPLOYMENT)
    assert result == doc and result is not doc
    err = smp_error(doc, [1], DEPLOYMENT)
    assert (err.code, err.message) == (
        400,
        "json: cannot unmarshal array into Go value of type map[string]interface {}",
    )


# ---------------------------------------------------------------------------
# strategic merge patch: errors


@pytest.mark.parametrize(
    ("original", "patch", "code", "message"),
    [
        (
            with_containers({"name": "1", "image": "a"}),
            {"spec": {"containers": [{"image": "b"}]}},
            500,
            "map: map[image:b] does not contain declared merge key: name",
        ),
        (
            with_containers({"name": "1"}, {"name": "3"}, {"name": "2"}),
            {
                "spec": {
                    "$setElementOrder/containers": [{"name": "1"}, {"name": "2"}, {"name": "3"}],
                    "containers": [{"name": "3", "image": "3"}, {"name": "1", "image": "1"}],
                }
            },
            500,
            "the order in patch list:\n[map[image:3 name:3] map[image:1 name:1]]\n doesn't match $setElementOrder list:\n"
            "[map[name:1] map[name:2] map[name:3]]",
        ),
        (
            {"metadata": {"finalizers": ["1"]}},
            {"metadata": {"$deleteFromPrimitiveListfinalizers": ["1"]}},
            400,
            "invalid patch format of primitive list",
        ),
        (
            {"metadata": {"finalizers": ["1"]}},
            {"metadata": {"$setElementOrder": ["1"]}},
            400,
            "invalid patch format of setElementOrder list",
        ),
        (
            {"metadata": {"finalizers": ["1"]}},
            {"metadata": {"$setElementOrder/finalizers": "1"}},
            500,
            "expected a []interface {}, but received a string",
        ),
        (
            {"metadata": {}},
            {"metadata": {"$retainKeys": "name"}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            {"metadata": {}},
            {"metadata": {"$retainKeys": ["name"], "namespace": "x"}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            {"metadata": {}},
            {"metadata": {"$patch": "merge"}},
            500,
            "unknown patch type: merge in map: map[$patch:merge]",
        ),
        (
            {"metadata": {}},
            {"metadata": {"$patch": 1}},
            500,
            "unknown patch type: %!s(int64=1) in map: map[$patch:1]",
        ),
        (
            with_containers({"name": "1"}),
            {"spec": {"containers": [{"name": "1", "$patch": "merge"}]}},
            500,
            "merging lists cannot yet be specified in the patch",
        ),
        (
            with_containers({"name": "1"}),
            {"spec": {"containers": [{"name": "1", "$patch": "nope"}]}},
            500,
            "unknown patch type: nope in map: map[$patch:nope name:1]",
        ),
        (
            {"metadata": {"finalizers": []}},
            {"metadata": {"finalizers": [["a"]]}},
            422,
            "lists of lists are not supported",
        ),
        (
            {"metadata": {"finalizers": ["a"]}},
            {"metadata": {"finalizers": [1]}},
            500,
            "list element types are not identical: [[a] [1]]",
        ),
        (
            {"spec": {"foo": {"a": 1}}},
            {"spec": {"foo": {"a": 2}}},
            500,
            'unable to find api field in struct PodSpec for the json field "foo"',
        ),
        (
            {"metadata": {"finalizers": [{"a": 1}]}},
            {"metadata": {"finalizers": [{"a": 2}]}},
            500,
            "cannot merge lists without merge key for string",
        ),
    ],
)
def test_strategic_merge_errors(
    original: dict[str, Any], patch: dict[str, Any], code: int, message: str
) -> None:
    err = smp_error(original, patch)
    assert (err.code, err.message) == (code, message)
    assert isinstance(err, ValueError)


def test_patch_errors_become_the_status_kubernetes_sends() -> None:
    assert PatchError("invalid patch format of retainKeys").api_error().status()["code"] == 400
    unprocessable = PatchError("lists of lists are not supported").api_error().status()
    assert unprocessable["code"] == 422 and unprocessable["reason"] == "Invalid"
    assert unprocessable["message"] == GENERIC_422_MESSAGE and unprocessable["details"] == {}
    internal = PatchError("map: map[] does not contain declared merge key: name").api_error()
    assert (internal.code, internal.reason) == (500, "")


def test_go_sprint_formats_like_fmt() -> None:
    value = {"b": [1, 2.5, None, True], "a": {"y": "s", "x": 1e6}, "c": 1.5e-7}
    assert go_sprint(value) == "map[a:map[x:1e+06 y:s] b:[1 2.5 <nil> true] c:1.5e-07]"


# ---------------------------------------------------------------------------
# JSON patch


def json_patch(doc: Any, ops: Any) -> Any:
    before = copy.deepcopy(doc)
    result = apply_json_patch(doc, orjson.dumps(ops))
    assert doc == before
    return result


def json_patch_status(doc: Any, body: bytes) -> dict[str, Any]:
    with pytest.raises(ApiError) as info:
        apply_json_patch(doc, body)
    return info.value.status()


def test_json_patch_operations() -> None:
    doc = deployment()
    ops = [
        {"op": "test", "path": "/metadata/name", "value": "web"},
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
        {"op": "remove", "path": "/spec/template/spec/tolerations"},
        {"op": "add", "path": "/spec/template/spec/containers/0/args", "value": ["-v"]},
        {
            "op": "add",
            "path": "/spec/template/spec/containers/-",
            "value": {"name": "c3", "image": "x"},
        },
        {"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"},
        {"op": "move", "from": "/metadata/labels/tier", "path": "/metadata/labels/layer"},
    ]
    result = json_patch(doc, ops)
    assert result["spec"]["replicas"] == 5
    assert result["metadata"]["labels"] == {"app": "web", "layer": "front"}
    assert result["metadata"]["annotations"] == {"app": "web", "tier": "front"}
    assert "tolerations" not in result["spec"]["template"]["spec"]
    containers = result["spec"]["template"]["spec"]["containers"]
    assert containers[0]["args"] == ["-v"] and containers[2]["name"] == "c3"


def test_json_patch_test_compares_json_values_like_go() -> None:
    doc = {"a": 1, "b": None, "c": {"d": [1, {"e": True}]}}
    assert json_patch(doc, [{"op": "test", "path": "/a", "value": 1.0}]) == doc
    assert json_patch(doc, [{"op": "test", "path": "/b", "value": None}]) == doc
    assert json_patch(doc, [{"op": "test", "path": "/missing", "value": None}]) == doc
    assert (
        json_patch(doc, [{"op": "test", "path": "/c", "value": {"d": [1.0, {"e": True}]}}]) == doc
    )
    for value in (True, "1", 2, None):
        status = json_patch_status(
            doc, orjson.dumps([{"op": "test", "path": "/a", "value": value}])
        )
        assert (status["code"], status["reason"], status["message"]) == (
            422,
            "Invalid",
            GENERIC_422_MESSAGE,
        )


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "remove", "path": "/nope"}],
        [{"op": "replace", "path": "/nope", "value": 1}],
        [{"op": "add", "path": "/a/b/c", "value": 1}],
        [{"op": "frobnicate", "path": "/a"}],
        [{"path": "/a"}],
        [{"op": "test", "path": "/spec/replicas", "value": 3}],
        [None],
    ],
)
def test_json_patch_that_cannot_apply_is_422(ops: Any) -> None:
    status = json_patch_status(deployment(), orjson.dumps(ops))
    assert status["code"] == 422 and status["message"] == GENERIC_422_MESSAGE


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"op": "add"}', "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        (b"[1]", "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
        (b'[{"op": "add",}]', "invalid character '}' looking for beginning of object key string"),
        (b"", "unexpected end of JSON input"),
    ],
)
def test_json_patch_that_does_not_decode_is_400(body: bytes, message: str) -> None:
    status = json_patch_status({}, body)
    assert (status["code"], status["reason"], status["message"]) == (400, "BadRequest", message)


def test_json_patch_limits_and_edge_bodies() -> None:
    too_many = orjson.dumps(
        [{"op": "test", "path": "/a", "value": 1}] * (MAX_JSON_PATCH_OPERATIONS + 1)
    )
    status = json_patch_status({"a": 1}, too_many)
    assert status["code"] == 413 and status["message"].endswith("got 10001")
    assert apply_json_patch({"a": 1}, b"null") == {"a": 1}
    assert apply_json_patch({"a": 1}, b"[]") == {"a": 1}
    replaced = apply_json_patch({"a": 1}, b'[{"op": "replace", "path": "", "value": [1]}]')
    assert replaced == [1]
    assert check_object(POD, replaced).type_errors == [
        "json: cannot unmarshal array into Go value of type v1.Pod"
    ]


def test_json_patch_strict_field_validation() -> None:
    body = b'[{"op": "add", "path": "/a", "value": 1, "foo": 2, "op": "add"}, {"op": "remove", "path": "/b"}]'
    assert json_patch_strict_errors(body) == [
        'json patch unknown field "[0].foo"',
        'json patch duplicate field "[0].op"',
    ]
    # `value` is an interface{}: Go decodes it generically and still sees duplicate keys.
    assert json_patch_strict_errors(
        b'[{"op": "add", "path": "/a", "value": {"x": 1, "x": 2}}]'
    ) == ['json patch duplicate field "[0].value.x"']
    with pytest.raises(ApiError) as info:
        json_patch_strict_errors(b'[{"op": 1}]')
    assert info.value.message == (
        "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"
    )
    with pytest.raises(ApiError) as info:
        json_patch_strict_errors(b'{"op": "add"}')
    assert info.value.message == (
        "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
    )


# ---------------------------------------------------------------------------
# JSON merge patch


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [  # RFC 7386 appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
        # evanphx also strips nulls inside arrays it adds
        ({}, {"a": [{"b": None}, None]}, {"a": [{}, None]}),
    ],
)
def test_merge_patch(target: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy((target, patch))
    assert apply_merge_patch(target, patch) == expected
    assert (target, patch) == before


def test_merge_patch_scale_and_invalid_bodies() -> None:
    result = apply_merge_patch(deployment(), {"spec": {"replicas": 5}})
    assert (
        result["spec"]["replicas"] == 5
        and result["spec"]["template"] == deployment()["spec"]["template"]
    )
    for bad in (None, 1, "x", True):
        with pytest.raises(PatchError) as info:
            apply_merge_patch({}, bad)
        # ErrBadJSONPatch: the handler maps it to 400 BadRequest (patch.go applyJSPatch)
        assert (info.value.code, info.value.message) == (400, "Invalid JSON Patch")


# ---------------------------------------------------------------------------
# decoding bodies with Go's wording


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "unexpected end of JSON input"),
        (b"{", "unexpected end of JSON input"),
        (b"[1,]", "invalid character ']' looking for beginning of value"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        (b'{"a":tru}', "invalid character '}' in literal true (expecting 'e')"),
        (b"nul", "unexpected end of JSON input"),
        (b"01", "invalid character '1' after top-level value"),
        (b"{} x", "invalid character 'x' after top-level value"),
        (b'"\x01"', "invalid character '\\x01' in string literal"),
        (b'"\\q"', "invalid character 'q' in string escape code"),
        (b'"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
        (b"-x", "invalid character 'x' in numeric literal"),
        (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
        (b"1e+", "unexpected end of JSON input"),
        (b"1ex", "invalid character 'x' in exponent of numeric literal"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
        (b' \t\n{"a": [1, -0.5e10, true, false, null, "\\u00e9"]} ', None),
    ],
)
def test_go_json_syntax_errors(body: bytes, message: str | None) -> None:
    assert go_json_syntax_error(body) == message


def test_decode_patch() -> None:
    assert decode_patch(b'{"a": 1}') == {"a": 1}
    assert decode_patch(b"null") is None
    # Beyond int64, Go falls back to float64; invalid UTF-8 becomes U+FFFD.
    assert decode_patch(b'{"big": 123456789012345678901234567890}') == {
        "big": 1.2345678901234568e29
    }
    assert decode_patch(b'{"a": "\xff"}') == {"a": "\ufffd"}
    with pytest.raises(PatchError) as info:
        decode_patch(b"[1]")
    assert (info.value.code, info.value.message) == (
        400,
        "json: cannot unmarshal array into Go value of type map[string]interface {}",
    )
    with pytest.raises(PatchError) as info:
        decode_patch(b"{x}")
    assert info.value.message == "invalid character 'x' looking for beginning of object key string"
