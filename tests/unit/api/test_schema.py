"""Schema access and Go-decoding checks, against what the API server answers."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from steersman.api import schema
from steersman.api.quantity import ERR_FORMAT_WRONG
from steersman.api.schema import (
    RFC3339,
    RFC3339_MICRO,
    check_object,
    compiled,
    decode_error,
    duplicate_fields,
    go_base64_error,
    go_time_parse_error,
    prune_unknown,
    strict_decoding_message,
    strict_errors,
)

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
SERVICE = "io.k8s.api.core.v1.Service"
SECRET = "io.k8s.api.core.v1.Secret"
LEASE = "io.k8s.api.coordination.v1.Lease"


def pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "annotations": {"a": "b"},
            "creationTimestamp": "2024-05-06T07:08:09Z",
            "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u"}],
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:metadata": {"f:labels": {}}}}],
        },
        "spec": {
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.25",
                    "command": ["sh", "-c", "sleep 1"],
                    "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}],
                    "env": [
                        {"name": "A", "value": "1"},
                        {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    ],
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "64Mi"},
                        "requests": {"cpu": 0.25},
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/", "port": "http"},
                        "periodSeconds": 5,
                    },
                    "livenessProbe": {"tcpSocket": {"port": 80}},
                    "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
                }
            ],
            "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "hostNetwork": False,
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 5}],
        },
        "status": {"phase": "Running", "startTime": "2024-05-06T07:08:09.5+02:00"},
    }


# ---------------------------------------------------------------------------
# access


def test_definitions_load_once_and_resolve_refs() -> None:
    assert schema.definitions() is schema.definitions()
    spec = schema.definition("io.k8s.api.core.v1.PodSpec")
    containers = spec["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    resolved = schema.resolve(containers["items"])
    assert "image" in resolved["properties"]
    with pytest.raises(KeyError):
        schema.definition("io.k8s.api.core.v1.Nope")


@pytest.mark.parametrize(
    ("group", "version", "kind", "expected"),
    [
        ("", "v1", "Pod", POD),
        ("apps", "v1", "Deployment", DEPLOYMENT),
        ("coordination.k8s.io", "v1", "Lease", LEASE),
        ("", "v1", "Status", "io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
        ("apps", "v1", "Pod", None),
        ("", "v1", "Nope", None),
    ],
)
def test_schema_for_kind_uses_the_gvk_extension(
    group: str, version: str, kind: str, expected: str | None
) -> None:
    assert schema.schema_for_kind(group, version, kind) == expected


def test_patch_metadata_comes_from_the_property_extensions() -> None:
    spec = compiled("io.k8s.api.core.v1.PodSpec")
    containers = schema.patch_meta(spec, "containers")
    assert containers is not None
    assert (containers.merge_key, containers.strategy, containers.list_type) == (
        "name",
        "merge",
        "map",
    )
    assert containers.list_map_keys == ("name",)
    volumes = schema.patch_meta(spec, "volumes")
    assert volumes is not None and volumes.strategies == ["merge", "retainKeys"]
    tolerations = schema.patch_meta(spec, "tolerations")
    assert tolerations is not None and (tolerations.strategy, tolerations.list_type) == (
        "",
        "atomic",
    )
    assert schema.patch_meta(spec, "nope") is None
    strategy = schema.patch_meta(compiled("io.k8s.api.apps.v1.DeploymentSpec"), "strategy")
    assert strategy is not None and strategy.strategy == "retainKeys"
    ports = schema.patch_meta(compiled("io.k8s.api.core.v1.Container"), "ports")
    assert ports is not None and ports.merge_key == "containerPort"


def test_compiled_nodes_carry_go_type_names() -> None:
    spec = compiled("io.k8s.api.core.v1.PodSpec")
    assert spec.go_type == "v1.PodSpec" and spec.name == "PodSpec"
    containers = spec.child("containers")
    assert containers is not None and containers.node.go_type == "[]v1.Container"
    selector = spec.child("nodeSelector")
    assert selector is not None and selector.node.go_type == "map[string]string"
    assert compiled(POD) is compiled(POD)  # compiled once


# ---------------------------------------------------------------------------
# check_object


def test_a_valid_pod_passes_and_is_not_mutated() -> None:
    obj = pod()
    before = copy.deepcopy(obj)
    result = check_object(POD, obj)
    assert result.ok and result.unknown_fields == [] and result.type_errors == []
    assert obj == before


def test_unknown_fields_use_strict_decoding_paths() -> None:
    obj = pod()
    obj["spec"]["foo"] = 1
    obj["spec"]["containers"][0]["bar"] = {"x": 1}
    obj["spec"]["volumes"][0]["emptyDir"]["baz"] = True
    obj["metadata"]["qux"] = "x"
    obj["extra"] = None  # unknown even when null
    result = check_object(POD, obj)
    assert result.unknown_fields == [
        "metadata.qux",
        "spec.containers[0].bar",
        "spec.volumes[0].emptyDir.baz",
        "spec.foo",
        "extra",
    ]
    assert result.type_errors == []


def test_maps_accept_any_key_and_opaque_types_accept_anything() -> None:
    obj = pod()
    obj["metadata"]["labels"] = {"any/key.here": "v", "x": ""}
    obj["metadata"]["managedFields"][0]["fieldsV1"] = {"f:spec": {'k:{"name":"a"}': {".": {}}}}
    assert check_object(POD, obj).ok
    revision = {"metadata": {"name": "r"}, "revision": 1, "data": {"anything": [1, {"goes": True}]}}
    assert check_object("io.k8s.api.apps.v1.ControllerRevision", revision).ok


def test_null_is_accepted_everywhere() -> None:
    obj = {
        "metadata": {"labels": None, "creationTimestamp": None, "name": None},
        "spec": {
            "replicas": None,
            "strategy": None,
            "template": {
                "spec": {"containers": [None, {"name": "c", "ports": None, "resources": None}]}
            },
        },
    }
    assert check_object(DEPLOYMENT, obj).ok


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda o: o["spec"].__setitem__("containers", "nginx"),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container",
        ),
        (
            lambda o: o["spec"].__setitem__("restartPolicy", 5),
            "json: cannot unmarshal number into Go struct field PodSpec.spec.restartPolicy of type string",
        ),
        (
            lambda o: o["spec"]["containers"][0].__setitem__("image", ["x"]),
            "json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string",
        ),
        (
            lambda o: o["spec"].__setitem__("hostNetwork", "yes"),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool",
        ),
        (
            lambda o: o["spec"].__setitem__("terminationGracePeriodSeconds", "30"),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64",
        ),
        (
            lambda o: o["spec"]["containers"][0]["ports"][0].__setitem__("containerPort", 80.5),
            "json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            lambda o: o["spec"]["containers"][0]["ports"][0].__setitem__("containerPort", 2**31),
            "json: cannot unmarshal number 2147483648 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            lambda o: o["metadata"]["labels"].__setitem__("n", 1),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            lambda o: o["spec"].__setitem__("nodeSelector", ["a"]),
            "json: cannot unmarshal array into Go struct field PodSpec.spec.nodeSelector of type map[string]string",
        ),
        (
            lambda o: o.__setitem__("spec", [1]),
            "json: cannot unmarshal array into Go struct field Pod.spec of type v1.PodSpec",
        ),
        (
            lambda o: o["spec"]["tolerations"].__setitem__(0, "x"),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.tolerations of type v1.Toleration",
        ),
        (
            lambda o: o["spec"]["containers"][0]["env"][1]["valueFrom"].__setitem__(
                "fieldRef", True
            ),
            "json: cannot unmarshal bool into Go struct field EnvVarSource.spec.containers.env.valueFrom.fieldRef"
            " of type v1.ObjectFieldSelector",
        ),
    ],
)
def test_type_errors_are_worded_as_go(mutate: Any, message: str) -> None:
    obj = pod()
    mutate(obj)
    assert check_object(POD, obj).type_errors == [message]


def test_a_root_that_is_not_an_object() -> None:
    result = check_object(POD, [1, 2])
    assert result.type_errors == ["json: cannot unmarshal array into Go value of type v1.Pod"]


def test_int_or_string_accepts_both_and_rejects_the_rest_as_int32() -> None:
    svc: dict[str, Any] = {
        "spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]}
    }
    assert check_object(SERVICE, svc).ok
    svc["spec"]["ports"][1]["targetPort"] = True
    assert check_object(SERVICE, svc).type_errors == [
        "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32"
    ]
    svc["spec"]["ports"][1]["targetPort"] = 99999999999
    assert check_object(SERVICE, svc).type_errors == [
        "json: cannot unmarshal number 99999999999 into Go struct field ServicePort.spec.ports.targetPort of type int32"
    ]


def test_an_unmarshaler_error_wins_over_an_earlier_type_error() -> None:
    obj = pod()
    obj["spec"]["containers"][0]["ports"][0]["containerPort"] = "80"  # ordinary, saved
    obj["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = {"x": 1}  # aborts decoding
    errors = check_object(POD, obj).type_errors
    assert errors[0] == (
        "json: cannot unmarshal object into Go struct field HTTPGetAction.spec.containers.readinessProbe.httpGet.port"
        " of type int32"
    )
    assert errors[1].startswith("json: cannot unmarshal string into Go struct field ContainerPort.")


@pytest.mark.parametrize("good", ["100m", "1Gi", "0", " 2 ", "1e3", 1, 0.5])
def test_quantities_accept_strings_and_numbers(good: Any) -> None:
    obj = pod()
    obj["spec"]["containers"][0]["resources"]["limits"]["cpu"] = good
    assert check_object(POD, obj).ok


@pytest.mark.parametrize("bad", ["abc", "", "1Qi", True, {"a": 1}, [1]])
def test_bad_quantities_report_the_quantity_parser_error(bad: Any) -> None:
    obj = pod()
    obj["spec"]["containers"][0]["resources"]["limits"]["cpu"] = bad
    assert check_object(POD, obj).type_errors == [ERR_FORMAT_WRONG]


def test_times_are_parsed_as_rfc3339_and_micro_times_need_microseconds() -> None:
    obj = pod()
    obj["metadata"]["creationTimestamp"] = "2024-02-30T00:00:00Z"
    assert check_object(POD, obj).type_errors == [
        'parsing time "2024-02-30T00:00:00Z": day out of range'
    ]
    obj["metadata"]["creationTimestamp"] = 5
    assert check_object(POD, obj).type_errors == [
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string"
    ]
    lease = {"spec": {"holderIdentity": "n", "renewTime": "2024-01-02T03:04:05.123456Z"}}
    assert check_object(LEASE, lease).ok
    lease["spec"]["renewTime"] = "2024-01-02T03:04:05Z"
    assert check_object(LEASE, lease).type_errors == [
        'parsing time "2024-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'
    ]


def test_secret_data_must_be_base64() -> None:
    secret: dict[str, Any] = {
        "data": {"a": "aGVsbG8=", "b": "YWJj\nZGVm", "c": ""},
        "stringData": {"d": "plain"},
    }
    assert check_object(SECRET, secret).ok
    secret["data"]["a"] = "hello!"
    assert check_object(SECRET, secret).type_errors == ["illegal base64 data at input byte 5"]
    secret["data"]["a"] = 5
    assert check_object(SECRET, secret).type_errors == [
        "json: cannot unmarshal number into Go struct field Secret.data of type []uint8"
    ]


def test_prune_unknown_drops_unknown_fields_in_place() -> None:
    obj = pod()
    obj["bogus"] = 1
    obj["spec"]["containers"][0]["bogus"] = {"deep": 1}
    obj["metadata"]["labels"]["kept"] = "yes"
    result = prune_unknown(POD, obj)
    assert result.unknown_fields == ["spec.containers[0].bogus", "bogus"]  # document order
    assert "bogus" not in obj and "bogus" not in obj["spec"]["containers"][0]
    assert obj["metadata"]["labels"]["kept"] == "yes"
    assert check_object(POD, obj).ok


def test_checking_a_typical_pod_is_fast() -> None:
    obj = pod()
    check_object(POD, obj)  # compile
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        check_object(POD, obj)
    per_check = (time.perf_counter() - start) / runs
    assert per_check < 0.001


# ---------------------------------------------------------------------------
# strict errors from the raw body

# The body of Kubernetes' own field-validation integration test, with its expected answer.
INVALID_DEPLOYMENT = b"""{
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "a", "name": "b", "unknownMeta": "x", "labels": {"app": "nginx"}},
    "spec": {
        "unknown1": "val1", "unknownDupe": "valDupe", "unknownDupe": "valDupe2",
        "paused": true, "paused": false,
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": [{
            "name": "nginx", "image": "nginx:latest", "unknownNested": "val1",
            "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}
    }
}"""


def test_strict_errors_match_kubernetes_order_and_wording() -> None:
    errors = strict_errors(DEPLOYMENT, INVALID_DEPLOYMENT)
    assert errors == [
        'duplicate field "metadata.name"',
        'unknown field "metadata.unknownMeta"',
        'unknown field "spec.unknown1"',
        'unknown field "spec.unknownDupe"',
        'duplicate field "spec.paused"',
        'unknown field "spec.template.spec.containers[0].unknownNested"',
        'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
    ]
    assert strict_decoding_message(errors[:2]) == (
        'strict decoding error: duplicate field "metadata.name", unknown field "metadata.unknownMeta"'
    )


def test_duplicate_fields_with_and_without_a_schema() -> None:
    assert duplicate_fields(INVALID_DEPLOYMENT, DEPLOYMENT) == [
        "metadata.name",
        "spec.paused",
        "spec.template.spec.containers[0].imagePullPolicy",
    ]
    # Untyped (map[string]interface{}): every repeated key counts, map keys too.
    raw = b'{"a": 1, "a": 2, "m": {"k": 1, "k": 2}, "l": [{"x": 1, "x": 1}]}'
    assert duplicate_fields(raw) == ["a", "m.k", "l[0].x"]
    assert duplicate_fields(b'{"metadata": {"labels": {"a": "1", "a": "2"}}}', POD) == [
        "metadata.labels.a"
    ]
    assert duplicate_fields(orjson.dumps(pod()), POD) == []


def test_strict_errors_are_capped_at_100_and_deduplicated() -> None:
    body = {"spec": {f"u{i}": i for i in range(150)}}
    errors = strict_errors(POD, orjson.dumps(body))
    assert len(errors) == 100 and errors[0] == 'unknown field "spec.u0"'
    repeated = b'{"spec": {"containers": [{"x": 1}, {"x": 1}], "z": 1, "z": 2}}'
    assert strict_errors(POD, repeated) == [
        'unknown field "spec.containers[0].x"',
        'unknown field "spec.containers[1].x"',
        'unknown field "spec.z"',
    ]


def test_decode_error_wraps_as_the_api_server_does() -> None:
    err = decode_error("Pod", "v1", 'strict decoding error: unknown field "spec.foo"')
    status = err.status()
    assert status["code"] == 400 and status["reason"] == "BadRequest"
    assert status["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"'
    )


# ---------------------------------------------------------------------------
# Go's base64 and time parsing


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", None),
        ("YQ==", None),
        ("YWI=", None),
        ("YWJj", None),
        ("YW\r\nJj", None),
        ("abc", "illegal base64 data at input byte 0"),
        ("YQ", "illegal base64 data at input byte 0"),
        ("YQ=", "illegal base64 data at input byte 3"),
        ("=", "illegal base64 data at input byte 0"),
        ("YQ==YQ==", "illegal base64 data at input byte 4"),
        ("YWJj!", "illegal base64 data at input byte 4"),
        ("YQ=a", "illegal base64 data at input byte 2"),
    ],
)
def test_go_base64_errors(text: str, error: str | None) -> None:
    assert go_base64_error(text) == error


@pytest.mark.parametrize(
    ("layout", "value", "error"),
    [
        (RFC3339, "2024-01-02T03:04:05Z", None),
        (RFC3339, "2024-01-02T03:04:05.999999999-07:30", None),
        (RFC3339, "2024-01-02T3:04:05Z", None),  # the hour may be one digit
        (RFC3339, "2024-02-29T00:00:00Z", None),
        (
            RFC3339,
            "abc",
            'parsing time "abc" as "2006-01-02T15:04:05Z07:00": cannot parse "abc" as "2006"',
        ),
        (
            RFC3339,
            "2024/01/02",
            'parsing time "2024/01/02" as "2006-01-02T15:04:05Z07:00": cannot parse "/01/02" as "-"',
        ),
        (
            RFC3339,
            "2024-13-01T00:00:00Z",
            'parsing time "2024-13-01T00:00:00Z": month out of range',
        ),
        (RFC3339, "2023-02-29T00:00:00Z", 'parsing time "2023-02-29T00:00:00Z": day out of range'),
        (RFC3339, "2024-01-01T24:00:00Z", 'parsing time "2024-01-01T24:00:00Z": hour out of range'),
        (
            RFC3339,
            "2024-01-01T00:00:00Zjunk",
            'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"',
        ),
        (
            RFC3339,
            "2024-01-01T00:00:00",
            'parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
        ),
        (
            RFC3339,
            "2024-01-01T00:00:00+0100",
            'parsing time "2024-01-01T00:00:00+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00"',
        ),
        (RFC3339_MICRO, "2024-01-02T03:04:05.000001+01:00", None),
        (
            RFC3339_MICRO,
            "2024-01-02T03:04:05.123Z",
            'parsing time "2024-01-02T03:04:05.123Z" as "2006-01-02T15:04:05.000000Z07:00": '
            'cannot parse ".123Z" as ".000000"',
        ),
    ],
)
def test_go_time_parse_errors(layout: str, value: str, error: str | None) -> None:
    assert go_time_parse_error(layout, value) == error


_JSON_TEXT = st.text(alphabet=st.sampled_from('ab:"\\ ,{}[]\u00e9\n'), max_size=6)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSON_TEXT, inner, max_size=3),
    max_leaves=12,
)


@given(_JSON_VALUES)
def test_keys_all_distinct_holds_for_any_encoded_value(value: Any) -> None:
    raw = json.dumps(value, indent=1).encode()
    assert schema.keys_all_distinct(raw, json.loads(raw))


@given(st.lists(st.tuples(_JSON_TEXT, _JSON_VALUES), min_size=1, max_size=4), st.data())
def test_keys_all_distinct_sees_a_repeated_key(pairs: list[Any], data: st.DataObject) -> None:
    repeated = data.draw(st.sampled_from(pairs))
    nested = [*pairs, repeated]
    raw = "[" + "{" + ",".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in nested) + "}]"
    assert not schema.keys_all_distinct(raw.encode(), json.loads(raw))
