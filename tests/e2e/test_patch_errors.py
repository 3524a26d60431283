"""Patch, decode and unknown-field errors as the real kubectl shows them (and raw HTTPS where
kubectl cannot ask): the server's wording must reach the user byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import RawHttp

pytestmark = pytest.mark.e2e


def deployment(name: str, **spec_extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "busybox:1.35"}]},
            },
            **spec_extra,
        },
    }


def create(kubectl: KubectlFn, ns: str, obj: dict[str, Any]) -> None:
    kubectl("create", "-f", "-", "-n", ns, input=json.dumps(obj))


def test_strategic_patch_warns_about_each_unknown_field(kubectl: KubectlFn, ns: str) -> None:
    create(kubectl, ns, deployment("web"))
    patch = {"metadata": {"labels": {"tier": "front"}}, "spec": {"zeta": 1, "alpha": "x"}}
    res = kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(patch))
    assert res.stdout == "deployment.apps/web patched\n"
    # kubectl patch sends no fieldValidation: the server's default, Warn, applies; the
    # converter reports unknown fields sorted
    assert res.stderr == (
        'Warning: unknown field "spec.alpha"\nWarning: unknown field "spec.zeta"\n'
    )
    got = json.loads(kubectl("get", "deployment", "web", "-n", ns, "-o", "json").stdout)
    assert got["metadata"]["labels"] == {"tier": "front"}
    assert "zeta" not in got["spec"] and "alpha" not in got["spec"]


def test_malformed_patches_through_kubectl(kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "cm", "-n", ns, "--from-literal=a=1")
    merge = kubectl(
        "patch", "configmap", "cm", "-n", ns, "--type", "merge", "-p", "[1]", check=False
    )
    assert merge.returncode == 1
    assert merge.stderr == (
        "Error from server (BadRequest): error decoding patch: json: cannot unmarshal array "
        "into Go value of type map[string]interface {}\n"
    )
    strategic = kubectl("patch", "configmap", "cm", "-n", ns, "-p", '"x"', check=False)
    assert strategic.stderr == (
        "Error from server (BadRequest): json: cannot unmarshal string into Go value of type "
        "map[string]interface {}\n"
    )
    ops = kubectl(
        "patch", "configmap", "cm", "-n", ns, "--type", "json", "-p", '{"op":"add"}', check=False
    )
    assert ops.stderr == (
        "Error from server (BadRequest): error decoding patch: json: cannot unmarshal object "
        "into Go value of type []handlers.jsonPatchOp\n"
    )


def test_patch_with_a_wrong_type_is_invalid(kubectl: KubectlFn, ns: str) -> None:
    create(kubectl, ns, deployment("typed"))
    res = kubectl(
        "patch", "deployment", "typed", "-n", ns, "-p", '{"spec":{"replicas":"two"}}', check=False
    )
    assert res.returncode == 1
    assert res.stderr == (
        'The request is invalid: patch: Invalid value: "map[spec:map[replicas:two]]": '
        "unrecognized type: int32\n"
    )


def test_create_reports_unknown_fields_in_document_order(kubectl: KubectlFn, ns: str) -> None:
    obj = deployment("unknowns", zeta=1)
    obj["metadata"]["bogus"] = "x"
    res = kubectl("create", "-f", "-", "-n", ns, input=json.dumps(obj), check=False)
    assert res.returncode == 1
    assert (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "metadata.bogus", unknown field "spec.zeta"'
    ) in res.stderr
    warn = kubectl(
        "create", "-f", "-", "-n", ns, "--validate=warn", input=json.dumps(obj), check=False
    )
    assert warn.returncode == 0, warn.stderr
    assert warn.stderr == (
        'Warning: unknown field "metadata.bogus"\nWarning: unknown field "spec.zeta"\n'
    )


def test_strict_patches_over_https(raw: RawHttp, kubectl: KubectlFn, ns: str) -> None:
    create(kubectl, ns, deployment("strict"))
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/strict?fieldValidation=Strict"
    merge = raw.request(
        "PATCH", path, {"spec": {"bogus": 1}}, content_type="application/merge-patch+json"
    )
    assert merge.status == 422, merge.text
    body = merge.json()
    assert (body["reason"], body["code"]) == ("Invalid", 422)
    assert body["message"].startswith(' "" is invalid: patch: Invalid value: "{\\"apiVersion')
    assert body["message"].endswith('strict decoding error: unknown field "spec.bogus"')
    assert [c["field"] for c in body["details"]["causes"]] == ["patch"]

    smp = raw.request(
        "PATCH",
        path,
        b'{"spec":{"bogus":1},"spec":{"paused":true}}',
        content_type="application/strategic-merge-patch+json",
    )
    assert smp.status == 422, smp.text
    assert smp.json()["message"] == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[paused:true]]": strict decoding '
        'error: duplicate field "spec"'
    )
    # nothing was written
    got = json.loads(kubectl("get", "deployment", "strict", "-n", ns, "-o", "json").stdout)
    assert got["metadata"]["generation"] == 1
