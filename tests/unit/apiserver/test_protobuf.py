"""Tests for the protobuf request-body decoder.

The KUBECTL fixtures are bodies kubectl v1.32.4 really sent (`kubectl create ... --dry-run=server
-v=9`); each expected dict is what `kubectl create ... --dry-run=client -o json` printed for the
same command, minus `creationTimestamp: null` (a zero Time, which the decoder omits).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from steersman.apiserver.protobuf import decode_protobuf_object

KUBECTL: dict[str, tuple[bytes, dict[str, Any]]] = {
    "configmap": (
        bytes.fromhex(
            "6b3873000a0f0a0276311209436f6e6669674d617012250a110a017812001a0022002a003200380042001206"
            "0a016112016212080a026b32120276321a002200"
        ),
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "x"},
            "data": {"a": "b", "k2": "v2"},
        },
    ),
    "secret": (
        bytes.fromhex(
            "6b3873000a0c0a027631120653656372657412300a110a017312001a0022002a00320038004200120a0a0270"
            "77120470407373120d0a0475736572120561646d696e1a001a002200"
        ),
        {
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {"name": "s"},
            "data": {"pw": "cEBzcw==", "user": "YWRtaW4="},
        },
    ),
    "namespace": (
        bytes.fromhex(
            "6b3873000a0f0a02763112094e616d657370616365121b0a130a036e733112001a0022002a00320038004200"
            "12001a020a001a002200"
        ),
        {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": "ns1"},
            "spec": {},
            "status": {},
        },
    ),
    "deployment": (
        bytes.fromhex(
            "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412be010a1f0a0377656212001a0022002a"
            "003200380042005a0a0a036170701203776562128c010803120c0a0a0a0361707012037765621a720a1c0a00"
            "12001a0022002a003200380042005a0a0a036170701203776562125212340a056e67696e78120a6e67696e78"
            "3a312e32352a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a0032004200"
            "4a0052005800600068008201008a01009a0100c2010022020a00280038001a0c080010001800200028003800"
            "1a002200"
        ),
        {
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": "nginx:1.25",
                                "ports": [{"containerPort": 8080}],
                                "resources": {},
                            }
                        ]
                    },
                },
                "strategy": {},
            },
            "status": {},
        },
    ),
    "deployment_cmd": (
        bytes.fromhex(
            "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a210a047765623212001a002200"
            "2a003200380042005a0b0a03617070120477656232128d010801120d0a0b0a036170701204776562321a720a"
            "1d0a0012001a0022002a003200380042005a0b0a03617070120477656232125112330a0762757379626f7812"
            "0762757379626f781a05736c6565701a04333630302a0042006a007200800100880100900100a201001a0032"
            "0042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c080010001800200028"
            "0038001a002200"
        ),
        {
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "web2", "labels": {"app": "web2"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web2"}},
                "template": {
                    "metadata": {"labels": {"app": "web2"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "busybox",
                                "image": "busybox",
                                "command": ["sleep", "3600"],
                                "resources": {},
                            }
                        ]
                    },
                },
                "strategy": {},
            },
            "status": {},
        },
    ),
    "service": (
        bytes.fromhex(
            "6b3873000a0d0a027631120753657276696365128d010a1f0a0373766312001a0022002a003200380042005a"
            "0a0a03617070120373766312660a1b0a0738302d38303830120354435018502207080010903f1a0028000a22"
            "0a093434332d6874747073120354435018bb03220b080110001a0568747470732800120a0a03617070120373"
            "76631a002209436c757374657249503a00420052005a00600068001a020a001a002200"
        ),
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "svc", "labels": {"app": "svc"}},
            "spec": {
                "ports": [
                    {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080},
                    {"name": "443-https", "protocol": "TCP", "port": 443, "targetPort": "https"},
                ],
                "selector": {"app": "svc"},
                "type": "ClusterIP",
            },
            "status": {"loadBalancer": {}},
        },
    ),
    "job": (
        bytes.fromhex(
            "6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a0032003800420012"
            "6332610a100a0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a"
            "0268692a0042006a007200800100880100900100a201001a054e65766572320042004a005200580060006800"
            "8201008a01009a0100c201001a082000280030003a001a002200"
        ),
        {
            "kind": "Job",
            "apiVersion": "batch/v1",
            "metadata": {"name": "j"},
            "spec": {
                "template": {
                    "metadata": {},
                    "spec": {
                        "containers": [
                            {
                                "name": "j",
                                "image": "busybox",
                                "command": ["echo", "hi"],
                                "resources": {},
                            }
                        ],
                        "restartPolicy": "Never",
                    },
                }
            },
            "status": {},
        },
    ),
    "cronjob": (
        bytes.fromhex(
            "6b3873000a130a0862617463682f7631120743726f6e4a6f6212a4010a120a02636a12001a0022002a003200"
            "38004200128b010a0b2a2f35202a202a202a202a1a002a7a0a120a02636a12001a0022002a00320038004200"
            "126432620a100a0012001a0022002a00320038004200124e12270a02636a120762757379626f781a04646174"
            "652a0042006a007200800100880100900100a201001a094f6e4661696c757265320042004a00520058006000"
            "68008201008a01009a0100c201001a001a002200"
        ),
        {
            "kind": "CronJob",
            "apiVersion": "batch/v1",
            "metadata": {"name": "cj"},
            "spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {
                    "metadata": {"name": "cj"},
                    "spec": {
                        "template": {
                            "metadata": {},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "cj",
                                        "image": "busybox",
                                        "command": ["date"],
                                        "resources": {},
                                    }
                                ],
                                "restartPolicy": "OnFailure",
                            },
                        }
                    },
                },
            },
            "status": {},
        },
    ),
    "serviceaccount": (
        bytes.fromhex(
            "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a0032"
            "00380042001a002200"
        ),
        {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "sa1"}},
    ),
    "priorityclass": (
        bytes.fromhex(
            "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312"
            "3c0a140a046869676812001a0022002a0032003800420010e80718002209696d706f7274616e742a14507265"
            "656d70744c6f7765725072696f726974791a002200"
        ),
        {
            "kind": "PriorityClass",
            "apiVersion": "scheduling.k8s.io/v1",
            "metadata": {"name": "high"},
            "value": 1000,
            "description": "important",
            "preemptionPolicy": "PreemptLowerPriority",
        },
    ),
    "quota": (
        bytes.fromhex(
            "6b3873000a130a027631120d5265736f7572636551756f746112420a110a017112001a0022002a0032003800"
            "4200122b0a0a0a0363707512030a01310a0f0a066d656d6f727912050a033147690a0c0a04706f647312040a"
            "0231301a001a002200"
        ),
        {
            "kind": "ResourceQuota",
            "apiVersion": "v1",
            "metadata": {"name": "q"},
            "spec": {"hard": {"cpu": "1", "memory": "1Gi", "pods": "10"}},
            "status": {},
        },
    ),
    "rolebinding": (
        bytes.fromhex(
            "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c654269"
            "6e64696e671288010a120a02726212001a0022002a00320038004200122a0a04557365721219726261632e61"
            "7574686f72697a6174696f6e2e6b38732e696f1a05616c696365220012200a0e536572766963654163636f75"
            "6e7412001a03736131220764656661756c741a240a19726261632e617574686f72697a6174696f6e2e6b3873"
            "2e696f1204526f6c651a01721a002200"
        ),
        {
            "kind": "RoleBinding",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": "rb"},
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                {"kind": "ServiceAccount", "name": "sa1", "namespace": "default"},
            ],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        },
    ),
    "pdb": (
        bytes.fromhex(
            "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123c0a130a03"
            "70646212001a0022002a0032003800420012190a09080110001a03353025120c0a0a0a036170701203776562"
            "1a0a080018002000280030001a002200"
        ),
        {
            "kind": "PodDisruptionBudget",
            "apiVersion": "policy/v1",
            "metadata": {"name": "pdb"},
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
            "status": {
                "disruptionsAllowed": 0,
                "currentHealthy": 0,
                "desiredHealthy": 0,
                "expectedPods": 0,
            },
        },
    ),
    "ingress": (
        bytes.fromhex(
            "6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e6772657373124a0a130a0369"
            "6e6712001a0022002a00320038004200122f1a2d0a07666f6f2e636f6d12220a200a1e0a042f626172120f22"
            "0d0a047376633112050a0010903f1a0545786163741a020a001a002200"
        ),
        {
            "kind": "Ingress",
            "apiVersion": "networking.k8s.io/v1",
            "metadata": {"name": "ing"},
            "spec": {
                "rules": [
                    {
                        "host": "foo.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/bar",
                                    "pathType": "Exact",
                                    "backend": {
                                        "service": {"name": "svc1", "port": {"number": 8080}}
                                    },
                                }
                            ]
                        },
                    }
                ]
            },
            "status": {"loadBalancer": {}},
        },
    ),
}


@pytest.mark.parametrize("name", sorted(KUBECTL))
def test_real_kubectl_bodies(name: str) -> None:
    body, expected = KUBECTL[name]
    assert decode_protobuf_object(body) == expected


# --- a tiny encoder, so hand-built messages can exercise what kubectl does not send ---------


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def f_int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def f_len(number: int, value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(raw)) + raw


def entry(number: int, key: str, value: bytes | str) -> bytes:
    return f_len(number, f_len(1, key) + f_len(2, value))


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = f_len(1, api_version) + f_len(2, kind)
    return b"k8s\x00" + f_len(1, type_meta) + f_len(2, raw)


def test_object_meta_fields() -> None:
    owner = f_len(5, "apps/v1") + f_len(1, "ReplicaSet") + f_len(3, "rs") + f_len(4, "u-1")
    owner += f_int(6, 1) + f_int(7, 0)
    managed = f_len(1, "kubectl") + f_len(2, "Apply") + f_len(3, "v1")
    managed += f_len(4, f_int(1, 1_700_000_000)) + f_len(6, "FieldsV1")
    managed += f_len(7, f_len(1, b'{"f:data":{}}'))
    meta = (
        f_len(1, "n")
        + f_len(2, "gen-")
        + f_len(3, "ns")
        + f_len(5, "uid-1")
        + f_len(6, "42")
        + f_int(7, 3)
        + f_len(8, f_int(1, 1_700_000_000) + f_int(2, 5))
        + f_len(9, f_int(1, 1_700_000_030))
        + f_int(10, 0)
        + entry(11, "app", "web")
        + entry(12, "note", "x")
        + f_len(13, owner)
        + f_len(14, "example.com/f")
        + f_len(14, "second")
        + f_len(17, managed)
        + f_len(99, "unknown field is skipped")
    )
    got = decode_protobuf_object(envelope("v1", "ConfigMap", f_len(1, meta)))
    assert got["metadata"] == {
        "name": "n",
        "generateName": "gen-",
        "namespace": "ns",
        "uid": "uid-1",
        "resourceVersion": "42",
        "generation": 3,
        "creationTimestamp": "2023-11-14T22:13:20Z",
        "deletionTimestamp": "2023-11-14T22:13:50Z",
        "deletionGracePeriodSeconds": 0,
        "labels": {"app": "web"},
        "annotations": {"note": "x"},
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "rs",
                "uid": "u-1",
                "controller": True,
                "blockOwnerDeletion": False,
            }
        ],
        "finalizers": ["example.com/f", "second"],
        "managedFields": [
            {
                "manager": "kubectl",
                "operation": "Apply",
                "apiVersion": "v1",
                "time": "2023-11-14T22:13:20Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {}},
            }
        ],
    }


def test_configmap_binary_data_and_immutable_false() -> None:
    raw = f_len(1, f_len(1, "c")) + entry(3, "bin", b"\x00\xff") + f_int(4, 0)
    got = decode_protobuf_object(envelope("v1", "ConfigMap", raw))
    assert got["binaryData"] == {"bin": base64.b64encode(b"\x00\xff").decode()}
    assert got["immutable"] is False  # a pointer field: false is meaningful


def test_container_details_and_negative_ints() -> None:
    env = f_len(1, "A") + f_len(3, f_len(4, f_len(1, f_len(1, "sec")) + f_len(2, "k")))
    resources = entry(1, "cpu", f_len(1, "500m")) + entry(2, "memory", f_len(1, "64Mi"))
    probe = f_len(1, f_len(2, f_len(1, "/hz") + f_len(2, f_int(1, 1) + f_len(3, "http"))))
    probe += f_int(4, 10)
    mount = f_len(1, "data") + f_int(2, 1) + f_len(3, "/data")
    container = (
        f_len(1, "c")
        + f_len(2, "img")
        + f_len(4, "--x")
        + f_len(5, "/w")
        + f_len(7, env)
        + f_len(8, resources)
        + f_len(9, mount)
        + f_len(11, probe)
        + f_len(14, "IfNotPresent")
    )
    volume = f_len(1, "data") + f_len(2, f_len(2, b""))
    pod = f_len(1, volume) + f_len(2, container) + f_int(4, -1)
    spec = f_len(3, f_len(2, pod)) + f_len(
        4, f_len(1, "RollingUpdate") + f_len(2, f_len(1, f_int(1, 0) + f_int(2, 1)))
    )
    got = decode_protobuf_object(envelope("apps/v1", "Deployment", f_len(2, spec)))
    pod_spec = got["spec"]["template"]["spec"]
    assert pod_spec["terminationGracePeriodSeconds"] == -1
    assert pod_spec["volumes"] == [{"name": "data", "emptyDir": {}}]
    assert pod_spec["containers"] == [
        {
            "name": "c",
            "image": "img",
            "args": ["--x"],
            "workingDir": "/w",
            "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "k"}}}],
            "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
            "volumeMounts": [{"name": "data", "readOnly": True, "mountPath": "/data"}],
            "readinessProbe": {
                "httpGet": {"path": "/hz", "port": "http"},
                "periodSeconds": 10,
            },
            "imagePullPolicy": "IfNotPresent",
        }
    ]
    assert got["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "magic"),
        (b"{}", "magic"),
        (b"k8s\x00\x0a\x05ab", "exceeds"),
        (b"k8s\x00\x0a", "truncated varint"),
        (b"k8s\x00\x0b", "wire type"),
        (b"k8s\x00" + f_len(2, b""), "apiVersion/kind"),
        (envelope("v1", "Frobnicator", b""), "not supported"),
        (envelope("v1", "ConfigMap", f_len(1, f_len(1, b"\xff\xfe"))), "UTF-8"),
        (envelope("v1", "ConfigMap", f_int(1, 5)), "length-delimited"),
        (envelope("v1", "ConfigMap", f_len(1, b"\x0a\x80")), "truncated varint"),
    ],
)
def test_malformed_input(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_protobuf_object(body)


def test_content_encoding_rejected() -> None:
    body = envelope("v1", "ConfigMap", b"") + f_len(3, "gzip")
    with pytest.raises(ValueError, match="contentEncoding"):
        decode_protobuf_object(body)
