"""Invalid input, through kubectl and through raw HTTPS: every failure is a `metav1.Status`
with Kubernetes' code, reason and wording, and nothing is stored.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import DATA, RawHttp, RawResponse, dump_yaml, wait_default_service_account

pytestmark = pytest.mark.e2e

INVALID = DATA / "invalid"


def cm_body(name: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": data or {"a": "1"},
    }


def assert_status(resp: RawResponse, code: int, reason: str) -> dict[str, Any]:
    assert resp.status == code, (resp.status, resp.text[:2000])
    status: dict[str, Any] = resp.json()
    assert status["kind"] == "Status", status
    assert status["apiVersion"] == "v1", status
    assert status["status"] == "Failure", status
    assert status["code"] == code, status
    assert status["reason"] == reason, status
    return status


def absent(kubectl: KubectlFn, ns: str, *what: str) -> bool:
    res = kubectl("get", *what, "-n", ns, check=False)
    return res.returncode == 1 and "NotFound" in res.stderr


# -- malformed bodies -----------------------------------------------------------------------------
def test_malformed_json_and_yaml_are_bad_requests(
    raw: RawHttp, kubectl: KubectlFn, ns: str
) -> None:
    path = f"/api/v1/namespaces/{ns}/configmaps"
    status = assert_status(
        raw.request("POST", path, (INVALID / "malformed.json").read_bytes()), 400, "BadRequest"
    )
    assert status["message"]
    bad_yaml = (INVALID / "malformed.yaml").read_bytes()
    assert_status(
        raw.request("POST", path, bad_yaml, content_type="application/yaml"), 400, "BadRequest"
    )
    not_an_object = raw.request("POST", path, b'"just a string"')
    assert_status(not_an_object, 400, "BadRequest")

    via_kubectl = kubectl(
        "create", "--raw", path, "-f", str(INVALID / "malformed.json"), check=False
    )
    assert via_kubectl.returncode == 1
    assert "Error from server (BadRequest)" in via_kubectl.stderr

    # kubectl itself refuses YAML it cannot parse, before talking to the server.
    parsed = kubectl("apply", "-f", str(INVALID / "malformed.yaml"), "-n", ns, check=False)
    assert parsed.returncode == 1
    assert "error converting YAML to JSON" in parsed.stderr or "error parsing" in parsed.stderr
    assert absent(kubectl, ns, "configmap", "malformed")


def test_wrong_content_type_is_415(raw: RawHttp, ns: str) -> None:
    resp = raw.request(
        "POST",
        f"/api/v1/namespaces/{ns}/configmaps",
        json.dumps(cm_body("plain")).encode(),
        content_type="text/plain",
    )
    status = assert_status(resp, 415, "UnsupportedMediaType")
    assert status["message"].startswith(
        "the body of the request was in an unknown format - accepted media types include:"
    )
    assert "application/json" in status["message"]


def test_body_over_3_mib_is_413(raw: RawHttp, kubectl: KubectlFn, ns: str, tmp_path: Path) -> None:
    big = cm_body("huge", {"blob": "x" * (3 * 1024 * 1024 + 1024)})
    status = assert_status(
        raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps", big),
        413,
        "RequestEntityTooLarge",
    )
    assert status["message"] == "Request entity too large: limit is 3145728"

    manifest = tmp_path / "huge.json"
    manifest.write_text(json.dumps(big))
    res = kubectl("create", "-f", str(manifest), "-n", ns, check=False)
    assert res.returncode == 1
    assert "Request entity too large: limit is 3145728" in res.stderr
    assert absent(kubectl, ns, "configmap", "huge")


def test_configmap_over_1_mib_is_invalid(raw: RawHttp, ns: str) -> None:
    big = cm_body("too-long", {"blob": "x" * (1024 * 1024 + 10)})
    status = assert_status(
        raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps", big), 422, "Invalid"
    )
    assert "Too long: may not be more than 1048576 bytes" in status["message"]


# -- field validation -----------------------------------------------------------------------------
def test_unknown_field_is_rejected_by_default(kubectl: KubectlFn, ns: str) -> None:
    res = kubectl("apply", "-f", str(INVALID / "unknown-field.yaml"), "-n", ns, check=False)
    assert res.returncode == 1
    assert "Error from server (BadRequest)" in res.stderr
    assert 'strict decoding error: unknown field "spec.foo"' in res.stderr
    assert absent(kubectl, ns, "deployment", "unknown-field")


def test_unknown_field_validate_warn_and_ignore(kubectl: KubectlFn, ns: str) -> None:
    warn = kubectl("create", "-f", str(INVALID / "unknown-field.yaml"), "-n", ns, "--validate=warn")
    assert warn.stdout == "deployment.apps/unknown-field created\n"
    assert 'Warning: unknown field "spec.foo"' in warn.stderr
    kubectl("delete", "deployment", "unknown-field", "-n", ns)
    ignore = kubectl(
        "create", "-f", str(INVALID / "unknown-field.yaml"), "-n", ns, "--validate=false"
    )
    assert ignore.stdout == "deployment.apps/unknown-field created\n"
    assert "unknown field" not in ignore.stderr


def test_field_validation_query_parameter(raw: RawHttp, ns: str) -> None:
    path = f"/apis/apps/v1/namespaces/{ns}/deployments"
    body: dict[str, Any] = yaml.safe_load((INVALID / "unknown-field.yaml").read_text())

    strict = assert_status(
        raw.request("POST", path + "?fieldValidation=Strict", body), 400, "BadRequest"
    )
    assert 'unknown field "spec.foo"' in strict["message"]

    body["metadata"]["name"] = "warned"
    warned = raw.request("POST", path + "?fieldValidation=Warn", body)
    assert warned.status == 201, warned.text
    assert warned.headers.get("Warning") == '299 - "unknown field \\"spec.foo\\""'
    assert "foo" not in warned.json()["spec"]

    # No parameter: Warn is the server's default.
    body["metadata"]["name"] = "defaulted"
    default = raw.request("POST", path, body)
    assert default.status == 201, default.text
    assert 'unknown field \\"spec.foo\\"' in default.headers.get("Warning", "")

    # Options are validated before the body is read: an unknown directive is an invalid
    # CreateOptions.
    bogus = raw.request("POST", path + "?fieldValidation=Sometimes", body)
    status = assert_status(bogus, 422, "Invalid")
    assert (status["details"]["group"], status["details"]["kind"]) == (
        "meta.k8s.io",
        "CreateOptions",
    )
    assert status["details"]["causes"][0]["field"] == "fieldValidation"


def test_unknown_kind(kubectl: KubectlFn, raw: RawHttp, ns: str) -> None:
    res = kubectl("apply", "-f", str(INVALID / "unknown-kind.yaml"), "-n", ns, check=False)
    assert res.returncode == 1
    assert 'no matches for kind "Frobnicator" in version "v1"' in res.stderr
    status = assert_status(
        raw.request("GET", f"/api/v1/namespaces/{ns}/frobnicators"), 404, "NotFound"
    )
    assert status["message"] == "the server could not find the requested resource"


# -- semantic validation (422) --------------------------------------------------------------------
def test_deployment_selector_must_match_template(kubectl: KubectlFn, raw: RawHttp, ns: str) -> None:
    res = kubectl("apply", "-f", str(INVALID / "selector-mismatch.yaml"), "-n", ns, check=False)
    assert res.returncode == 1
    assert 'The Deployment "mismatch" is invalid: ' in res.stderr
    assert "spec.template.metadata.labels: Invalid value: " in res.stderr
    assert "`selector` does not match template `labels`" in res.stderr

    body = yaml.safe_load((INVALID / "selector-mismatch.yaml").read_text())
    status = assert_status(
        raw.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", body), 422, "Invalid"
    )
    details = status["details"]
    assert (details["name"], details["group"], details["kind"]) == (
        "mismatch",
        "apps",
        "Deployment",
    )
    fields = {c["field"] for c in details["causes"]}
    assert "spec.template.metadata.labels" in fields
    assert {
        c["reason"] for c in details["causes"] if c["field"] == "spec.template.metadata.labels"
    } == {"FieldValueInvalid"}
    assert status["message"].startswith('Deployment.apps "mismatch" is invalid: ')
    assert absent(kubectl, ns, "deployment", "mismatch")


def test_pod_without_containers(kubectl: KubectlFn, raw: RawHttp, ns: str) -> None:
    wait_default_service_account(kubectl, ns)
    res = kubectl("apply", "-f", str(INVALID / "pod-no-containers.yaml"), "-n", ns, check=False)
    assert res.returncode == 1
    assert 'The Pod "empty-pod" is invalid: spec.containers: Required value' in res.stderr

    body = yaml.safe_load((INVALID / "pod-no-containers.yaml").read_text())
    status = assert_status(
        raw.request("POST", f"/api/v1/namespaces/{ns}/pods", body), 422, "Invalid"
    )
    assert status["message"] == 'Pod "empty-pod" is invalid: spec.containers: Required value'
    assert status["details"]["kind"] == "Pod"
    assert status["details"]["name"] == "empty-pod"
    assert status["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}
    ]


def test_service_with_bad_port(kubectl: KubectlFn, ns: str) -> None:
    res = kubectl("apply", "-f", str(INVALID / "service-bad-port.yaml"), "-n", ns, check=False)
    assert res.returncode == 1
    assert 'The Service "bad-port" is invalid: ' in res.stderr
    assert (
        "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"
        in res.stderr
    )
    assert absent(kubectl, ns, "service", "bad-port")


def test_invalid_name(raw: RawHttp, ns: str) -> None:
    status = assert_status(
        raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps", cm_body("Not_Valid")),
        422,
        "Invalid",
    )
    assert status["message"].startswith(
        'ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": '
    )
    assert "a lowercase RFC 1123 subdomain must consist of" in status["message"]


# -- conflicts and missing things -----------------------------------------------------------------
def test_stale_resource_version_conflicts(
    kubectl: KubectlFn, kubectl_json: KubectlFn, raw: RawHttp, ns: str, tmp_path: Path
) -> None:
    kubectl("create", "configmap", "racy", "--from-literal=a=1", "-n", ns)
    stale = kubectl_json("get", "configmap", "racy", "-n", ns)
    kubectl("patch", "configmap", "racy", "-n", ns, "--type", "merge", "-p", '{"data":{"a":"2"}}')

    stale["data"] = {"a": "from-stale-copy"}
    manifest = tmp_path / "racy.json"
    manifest.write_text(json.dumps(stale))
    res = kubectl("replace", "-f", str(manifest), check=False)
    assert res.returncode == 1
    assert "Error from server (Conflict)" in res.stderr
    assert (
        'Operation cannot be fulfilled on configmaps "racy": the object has been modified; '
        "please apply your changes to the latest version and try again"
    ) in res.stderr

    status = assert_status(
        raw.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/racy", stale), 409, "Conflict"
    )
    assert status["details"] == {"name": "racy", "kind": "configmaps"}
    assert kubectl_json("get", "configmap", "racy", "-n", ns)["data"] == {"a": "2"}


def test_create_existing_is_already_exists(kubectl: KubectlFn, raw: RawHttp, ns: str) -> None:
    doc = dump_yaml(cm_body("dup"))
    kubectl("create", "-n", ns, "-f", "-", input=doc)
    res = kubectl("create", "-n", ns, "-f", "-", input=doc, check=False)
    assert res.returncode == 1
    assert (
        'Error from server (AlreadyExists): error when creating "STDIN": configmaps "dup" already exists'
        in res.stderr
    )

    status = assert_status(
        raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps", cm_body("dup")),
        409,
        "AlreadyExists",
    )
    assert status["message"] == 'configmaps "dup" already exists'
    assert status["details"] == {"name": "dup", "kind": "configmaps"}


def test_missing_namespace_is_not_found(kubectl: KubectlFn, raw: RawHttp) -> None:
    missing = f"e2e-missing-{uuid.uuid4().hex[:6]}"
    res = kubectl("create", "configmap", "orphan", "--from-literal=a=1", "-n", missing, check=False)
    assert res.returncode == 1
    assert f'namespaces "{missing}" not found' in res.stderr

    status = assert_status(
        raw.request("POST", f"/api/v1/namespaces/{missing}/configmaps", cm_body("orphan")),
        404,
        "NotFound",
    )
    assert status["message"] == f'namespaces "{missing}" not found'
    assert status["details"] == {"name": missing, "kind": "namespaces"}


def test_get_missing_object_raw(raw: RawHttp, ns: str) -> None:
    status = assert_status(
        raw.request("GET", f"/api/v1/namespaces/{ns}/configmaps/ghost"), 404, "NotFound"
    )
    assert status["message"] == 'configmaps "ghost" not found'
    assert status["details"] == {"name": "ghost", "kind": "configmaps"}


# -- dry run --------------------------------------------------------------------------------------
def test_dry_run_server_creates_nothing(kubectl: KubectlFn, raw: RawHttp, ns: str) -> None:
    out = kubectl(
        "create",
        "configmap",
        "dry",
        "--from-literal=a=1",
        "-n",
        ns,
        "--dry-run=server",
        "-o",
        "json",
    )
    preview = json.loads(out.stdout)
    assert preview["metadata"]["name"] == "dry"
    assert preview["metadata"]["namespace"] == ns
    assert absent(kubectl, ns, "configmap", "dry")

    applied = kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns, "--dry-run=server")
    assert applied.stdout.splitlines() == [
        "configmap/multi-config created (server dry run)",
        "deployment.apps/multi-web created (server dry run)",
        "service/multi-svc created (server dry run)",
    ]
    assert absent(kubectl, ns, "configmap", "multi-config")
    assert absent(kubectl, ns, "deployment", "multi-web")

    kubectl("create", "configmap", "kept", "--from-literal=a=1", "-n", ns)
    deleted = kubectl("delete", "configmap", "kept", "-n", ns, "--dry-run=server")
    assert deleted.stdout == 'configmap "kept" deleted (server dry run)\n'
    assert not absent(kubectl, ns, "configmap", "kept")

    resp = raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps?dryRun=All", cm_body("raw-dry"))
    assert resp.status == 201, resp.text
    assert absent(kubectl, ns, "configmap", "raw-dry")
    bad = raw.request(
        "POST", f"/api/v1/namespaces/{ns}/configmaps?dryRun=Maybe", cm_body("raw-dry")
    )
    assert_status(bad, 400, "BadRequest")
