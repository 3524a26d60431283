"""kubectl's writing commands: create, edit, label, annotate, patch, scale, delete.

Each test checks kubectl's exact one-line report and then reads the object back, so both the
server's answer and the stored state are verified.
"""

from __future__ import annotations

import base64
import json
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import poll

pytestmark = pytest.mark.e2e


# -- create -----------------------------------------------------------------------------------
def test_create_deployment_gets_server_defaults(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl("create", "deployment", "web", "--image=busybox:1.35", "-n", ns).stdout
    assert out == "deployment.apps/web created\n"
    d = kubectl_json("get", "deployment", "web", "-n", ns)
    assert d["metadata"]["generation"] == 1
    assert d["metadata"]["labels"] == {"app": "web"}
    spec = d["spec"]
    assert spec["replicas"] == 1
    assert spec["selector"] == {"matchLabels": {"app": "web"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    template = spec["template"]
    assert template["metadata"]["labels"] == {"app": "web"}
    pod_spec = template["spec"]
    assert pod_spec["restartPolicy"] == "Always"
    assert pod_spec["terminationGracePeriodSeconds"] == 30
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert pod_spec["schedulerName"] == "default-scheduler"
    assert pod_spec["securityContext"] == {}
    (container,) = pod_spec["containers"]
    assert container["name"] == "busybox"
    assert container["image"] == "busybox:1.35"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"


def test_create_configmap_from_literal(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl(
        "create", "configmap", "lit", "--from-literal=a=1", "--from-literal=b=x=y", "-n", ns
    )
    assert out.stdout == "configmap/lit created\n"
    assert kubectl_json("get", "configmap", "lit", "-n", ns)["data"] == {"a": "1", "b": "x=y"}


def test_create_secret_generic(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl(
        "create",
        "secret",
        "generic",
        "creds",
        "--from-literal=user=admin",
        "--from-literal=password=s3cret",
        "-n",
        ns,
    )
    assert out.stdout == "secret/creds created\n"
    secret = kubectl_json("get", "secret", "creds", "-n", ns)
    assert secret["type"] == "Opaque"
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {"user": "admin", "password": "s3cret"}


def test_secret_string_data_is_merged_into_data(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "strdata"},
        "data": {"a": base64.b64encode(b"from-data").decode()},
        "stringData": {"b": "from-string-data"},
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(secret))
    stored = kubectl_json("get", "secret", "strdata", "-n", ns)
    # stringData is write-only: merged into data (base64) and never stored itself.
    assert "stringData" not in stored
    assert stored["type"] == "Opaque"
    decoded = {k: base64.b64decode(v).decode() for k, v in stored["data"].items()}
    assert decoded == {"a": "from-data", "b": "from-string-data"}


def test_create_and_delete_namespace(kubectl: KubectlFn, kubectl_json: KubectlFn) -> None:
    name = f"e2e-created-{uuid.uuid4().hex[:6]}"
    try:
        assert kubectl("create", "namespace", name).stdout == f"namespace/{name} created\n"
        got = kubectl_json("get", "namespace", name)
        assert got["status"] == {"phase": "Active"}
        assert got["spec"] == {"finalizers": ["kubernetes"]}
        assert got["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}
        again = kubectl("create", "namespace", name, check=False)
        assert again.returncode == 1
        assert f'namespaces "{name}" already exists' in again.stderr
        # --wait (the default) returns once the namespace controller has finished it.
        deleted = kubectl("delete", "namespace", name, "--timeout=30s")
        assert deleted.stdout == f'namespace "{name}" deleted\n'
        gone = kubectl("get", "namespace", name, check=False)
        assert f'namespaces "{name}" not found' in gone.stderr
    finally:
        kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false", check=False)


# -- edit -----------------------------------------------------------------------------------------
def test_edit_with_editor_script(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str, tmp_path: Path
) -> None:
    kubectl("create", "configmap", "edited", "--from-literal=state=before-edit", "-n", ns)
    editor = tmp_path / "editor.py"
    editor.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text().replace('before-edit', 'after-edit'))\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    out = kubectl("edit", "configmap", "edited", "-n", ns, env={"EDITOR": str(editor)})
    assert out.stdout == "configmap/edited edited\n"
    assert kubectl_json("get", "configmap", "edited", "-n", ns)["data"] == {"state": "after-edit"}

    # Saving the file unchanged cancels the edit.
    noop = kubectl("edit", "configmap", "edited", "-n", ns, env={"EDITOR": "true"})
    assert "Edit cancelled, no changes made." in noop.stdout + noop.stderr


# -- label / annotate ---------------------------------------------------------------------------
def test_label_overwrite_and_remove(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "lbl", "--from-literal=a=1", "-n", ns)
    assert (
        kubectl("label", "configmap", "lbl", "env=prod", "-n", ns).stdout
        == "configmap/lbl labeled\n"
    )
    clash = kubectl("label", "configmap", "lbl", "env=dev", "-n", ns, check=False)
    assert clash.returncode == 1
    assert "error: 'env' already has a value (prod), and --overwrite is false" in clash.stderr
    out = kubectl("label", "configmap", "lbl", "env=dev", "--overwrite", "-n", ns).stdout
    assert out == "configmap/lbl labeled\n"
    assert kubectl_json("get", "configmap", "lbl", "-n", ns)["metadata"]["labels"] == {"env": "dev"}
    assert (
        kubectl("label", "configmap", "lbl", "env-", "-n", ns).stdout == "configmap/lbl unlabeled\n"
    )
    assert "labels" not in kubectl_json("get", "configmap", "lbl", "-n", ns)["metadata"]


def test_annotate_overwrite_and_remove(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    kubectl("create", "configmap", "ann", "--from-literal=a=1", "-n", ns)
    out = kubectl("annotate", "configmap", "ann", "note=first", "-n", ns).stdout
    assert out == "configmap/ann annotated\n"
    clash = kubectl("annotate", "configmap", "ann", "note=second", "-n", ns, check=False)
    assert clash.returncode == 1
    assert "'note' already has a value (first)" in clash.stderr
    assert "--overwrite is false" in clash.stderr
    kubectl("annotate", "configmap", "ann", "note=second", "--overwrite", "-n", ns)
    meta = kubectl_json("get", "configmap", "ann", "-n", ns)["metadata"]
    assert meta["annotations"] == {"note": "second"}
    assert (
        kubectl("annotate", "configmap", "ann", "note-", "-n", ns).stdout
        == "configmap/ann annotated\n"
    )
    assert "annotations" not in kubectl_json("get", "configmap", "ann", "-n", ns)["metadata"]


# -- patch ----------------------------------------------------------------------------------------
def test_patch_merge_and_json(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "p", "--from-literal=a=1", "--from-literal=b=2", "-n", ns)
    out = kubectl(
        "patch", "configmap", "p", "-n", ns, "--type", "merge", "-p", '{"data":{"a":null,"c":"3"}}'
    )
    assert out.stdout == "configmap/p patched\n"
    assert kubectl_json("get", "configmap", "p", "-n", ns)["data"] == {"b": "2", "c": "3"}

    ops = [
        {"op": "replace", "path": "/data/b", "value": "22"},
        {"op": "add", "path": "/data/d", "value": "4"},
        {"op": "remove", "path": "/data/c"},
    ]
    out = kubectl("patch", "configmap", "p", "-n", ns, "--type", "json", "-p", json.dumps(ops))
    assert out.stdout == "configmap/p patched\n"
    before = kubectl_json("get", "configmap", "p", "-n", ns)
    assert before["data"] == {"b": "22", "d": "4"}

    # A patch that changes nothing stores nothing: same resourceVersion, kubectl says so.
    out = kubectl(
        "patch", "configmap", "p", "-n", ns, "--type", "merge", "-p", '{"data":{"b":"22"}}'
    )
    assert out.stdout == "configmap/p patched (no change)\n"
    after = kubectl_json("get", "configmap", "p", "-n", ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

    failed = kubectl(
        "patch",
        "configmap",
        "p",
        "-n",
        ns,
        "--type",
        "json",
        "-p",
        '[{"op":"remove","path":"/data/zzz"}]',
        check=False,
    )
    assert failed.returncode == 1
    assert kubectl_json("get", "configmap", "p", "-n", ns)["data"] == {"b": "22", "d": "4"}


def _containers(kubectl_json: KubectlFn, ns: str) -> list[dict[str, Any]]:
    d = kubectl_json("get", "deployment", "web", "-n", ns)
    containers: list[dict[str, Any]] = d["spec"]["template"]["spec"]["containers"]
    return containers


def test_patch_strategic_merges_lists_by_key(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    kubectl("create", "deployment", "web", "--image=busybox:1.35", "-n", ns)
    sidecar = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.36"}]}}
        }
    }
    # strategic is kubectl patch's default type
    out = kubectl("patch", "deployment", "web", "-n", ns, "-p", json.dumps(sidecar))
    assert out.stdout == "deployment.apps/web patched\n"
    containers = _containers(kubectl_json, ns)
    assert sorted((c["name"], c["image"]) for c in containers) == [
        ("busybox", "busybox:1.35"),
        ("sidecar", "busybox:1.36"),
    ]
    assert kubectl_json("get", "deployment", "web", "-n", ns)["metadata"]["generation"] == 2

    bump = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "busybox", "image": "busybox:1.37"}]}}
        }
    }
    kubectl("patch", "deployment", "web", "-n", ns, "--type", "strategic", "-p", json.dumps(bump))
    images = {c["name"]: c["image"] for c in _containers(kubectl_json, ns)}
    assert images == {"sidecar": "busybox:1.36", "busybox": "busybox:1.37"}

    drop = {
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}
    }
    kubectl("patch", "deployment", "web", "-n", ns, "--type", "strategic", "-p", json.dumps(drop))
    assert [c["name"] for c in _containers(kubectl_json, ns)] == ["busybox"]

    # A JSON merge patch replaces the whole list instead.
    replace = {
        "spec": {"template": {"spec": {"containers": [{"name": "only", "image": "busybox:1.35"}]}}}
    }
    kubectl("patch", "deployment", "web", "-n", ns, "--type", "merge", "-p", json.dumps(replace))
    assert [c["name"] for c in _containers(kubectl_json, ns)] == ["only"]

    # Metadata-only changes do not bump the generation.
    generation = kubectl_json("get", "deployment", "web", "-n", ns)["metadata"]["generation"]
    kubectl("patch", "deployment", "web", "-n", ns, "-p", '{"metadata":{"labels":{"extra":"yes"}}}')
    assert (
        kubectl_json("get", "deployment", "web", "-n", ns)["metadata"]["generation"] == generation
    )


# -- scale ----------------------------------------------------------------------------------------
def test_scale_deployment(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    kubectl("create", "deployment", "web", "--image=busybox:1.35", "-n", ns)
    out = kubectl("scale", "deployment", "web", "--replicas=3", "-n", ns)
    assert out.stdout == "deployment.apps/web scaled\n"
    assert kubectl_json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 3
    scale = json.loads(
        kubectl("get", "--raw", f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale").stdout
    )
    assert scale["apiVersion"] == "autoscaling/v1"
    assert scale["kind"] == "Scale"
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"]["selector"] == "app=web"
    wrong = kubectl(
        "scale", "deployment", "web", "--replicas=5", "--current-replicas=1", "-n", ns, check=False
    )
    assert wrong.returncode == 1
    assert "expected replicas to be 1, was 3" in wrong.stderr.lower()
    assert kubectl_json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 3


# -- delete ---------------------------------------------------------------------------------------
def test_delete_waits_until_gone(kubectl: KubectlFn, ns: str) -> None:
    kubectl("create", "configmap", "doomed", "--from-literal=a=1", "-n", ns)
    out = kubectl("delete", "configmap", "doomed", "-n", ns, "--wait")
    assert out.stdout == 'configmap "doomed" deleted\n'
    gone = kubectl("get", "configmap", "doomed", "-n", ns, check=False)
    assert 'Error from server (NotFound): configmaps "doomed" not found' in gone.stderr
    again = kubectl("delete", "configmap", "doomed", "-n", ns, check=False)
    assert again.returncode == 1
    assert 'configmaps "doomed" not found' in again.stderr


def test_delete_with_finalizer_waits_for_it(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "held", "finalizers": ["e2e.steersman.dev/hold"]},
        "data": {"a": "1"},
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(cm))
    out = kubectl("delete", "configmap", "held", "-n", ns, "--wait=false")
    assert out.stdout == 'configmap "held" deleted\n'
    live = kubectl_json("get", "configmap", "held", "-n", ns)
    assert live["metadata"]["deletionTimestamp"]
    assert live["metadata"]["deletionGracePeriodSeconds"] == 0
    kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        ns,
        "--type",
        "merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    poll(
        lambda: kubectl("get", "configmap", "held", "-n", ns, check=False).returncode == 1,
        what="configmap held to disappear once its finalizer is removed",
    )


def _owner_and_dependent(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str, *, finalizers: list[str] | None = None
) -> str:
    kubectl("create", "deployment", "owner", "--image=busybox:1.35", "-n", ns)
    uid: str = kubectl_json("get", "deployment", "owner", "-n", ns)["metadata"]["uid"]
    dependent = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "dependent",
            "finalizers": finalizers or [],
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "owner",
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": {"a": "1"},
    }
    kubectl("create", "-n", ns, "-f", "-", input=json.dumps(dependent))
    return uid


def _exists(kubectl: KubectlFn, ns: str, *what: str) -> bool:
    return kubectl("get", *what, "-n", ns, "-o", "name", check=False).returncode == 0


def test_delete_cascade_orphan_keeps_dependents(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    _owner_and_dependent(kubectl, kubectl_json, ns)
    out = kubectl("delete", "deployment", "owner", "-n", ns, "--cascade=orphan", "--timeout=10s")
    assert out.stdout == 'deployment.apps "owner" deleted\n'
    assert not _exists(kubectl, ns, "deployment", "owner")
    dependent = kubectl_json("get", "configmap", "dependent", "-n", ns)
    assert not dependent["metadata"].get("ownerReferences")


def test_delete_cascade_background_removes_dependents(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    _owner_and_dependent(kubectl, kubectl_json, ns)
    out = kubectl("delete", "deployment", "owner", "-n", ns, "--cascade=background")
    assert out.stdout == 'deployment.apps "owner" deleted\n'
    assert not _exists(kubectl, ns, "deployment", "owner")
    poll(
        lambda: not _exists(kubectl, ns, "configmap", "dependent"),
        what="garbage collection of the dependent",
        timeout=10,
    )


def test_delete_cascade_foreground_deletes_dependents_first(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    hold = "e2e.steersman.dev/hold"
    _owner_and_dependent(kubectl, kubectl_json, ns, finalizers=[hold])
    out = kubectl("delete", "deployment", "owner", "-n", ns, "--cascade=foreground", "--wait=false")
    assert out.stdout == 'deployment.apps "owner" deleted\n'

    def owner_waits() -> bool:
        meta = kubectl_json("get", "deployment", "owner", "-n", ns)["metadata"]
        return bool(meta.get("deletionTimestamp")) and "foregroundDeletion" in meta.get(
            "finalizers", []
        )

    poll(owner_waits, what="owner marked for foreground deletion", timeout=10)
    # The garbage collector deletes the blocking dependent; its own finalizer keeps it alive,
    # and the owner stays until the dependent is really gone.
    poll(
        lambda: bool(
            kubectl_json("get", "configmap", "dependent", "-n", ns)["metadata"].get(
                "deletionTimestamp"
            )
        ),
        what="dependent deleted by the garbage collector",
        timeout=10,
    )
    assert _exists(kubectl, ns, "deployment", "owner")
    kubectl(
        "patch",
        "configmap",
        "dependent",
        "-n",
        ns,
        "--type",
        "merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    kubectl("wait", "--for=delete", "deployment/owner", "-n", ns, "--timeout=20s")
    assert not _exists(kubectl, ns, "configmap", "dependent")


def test_delete_cascade_foreground_with_wait(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    _owner_and_dependent(kubectl, kubectl_json, ns)
    out = kubectl(
        "delete", "deployment", "owner", "-n", ns, "--cascade=foreground", "--wait", "--timeout=10s"
    )
    assert out.stdout == 'deployment.apps "owner" deleted\n'
    # Foreground: by the time the owner is gone its blocking dependents are gone too.
    assert not _exists(kubectl, ns, "deployment", "owner")
    assert not _exists(kubectl, ns, "configmap", "dependent")
