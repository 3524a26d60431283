"""`kubectl apply` (file with several documents, directory, kustomization) and `kubectl diff`.

kubectl prints one `<resource>[.<group>]/<name> <verb>` line per object; a re-apply of the same
configuration is `unchanged`, a changed one `configured`. `kubectl diff` exits 0 when the
server-side dry run equals the live object and 1 when they differ.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import DATA

pytestmark = pytest.mark.e2e


def test_apply_multi_document_file_then_unchanged(kubectl: KubectlFn, ns: str) -> None:
    first = kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns)
    assert first.stdout.splitlines() == [
        "configmap/multi-config created",
        "deployment.apps/multi-web created",
        "service/multi-svc created",
    ]
    second = kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns)
    assert second.stdout.splitlines() == [
        "configmap/multi-config unchanged",
        "deployment.apps/multi-web unchanged",
        "service/multi-svc unchanged",
    ]
    names = kubectl(
        "get", "configmap,deployment,service", "-l", "app=multi", "-n", ns, "-o", "name"
    ).stdout.split()
    assert sorted(names) == [
        "configmap/multi-config",
        "deployment.apps/multi-web",
        "service/multi-svc",
    ]


def test_apply_records_last_applied_configuration(
    kubectl_json: KubectlFn, kubectl: KubectlFn, ns: str
) -> None:
    kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns)
    cm = kubectl_json("get", "configmap", "multi-config", "-n", ns)
    last = cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert yaml.safe_load(last)["data"] == {"greeting": "hello", "target": "world"}
    assert cm["data"] == {"greeting": "hello", "target": "world"}


def test_apply_changed_file_is_configured(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str, tmp_path: Path
) -> None:
    kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", ns)
    changed = tmp_path / "multi.yaml"
    changed.write_text(
        (DATA / "multi.yaml").read_text().replace("greeting: hello", "greeting: hola")
    )
    out = kubectl("apply", "-f", str(changed), "-n", ns).stdout.splitlines()
    assert out == [
        "configmap/multi-config configured",
        "deployment.apps/multi-web unchanged",
        "service/multi-svc unchanged",
    ]
    assert kubectl_json("get", "configmap", "multi-config", "-n", ns)["data"]["greeting"] == "hola"


def test_apply_directory_reads_only_manifest_files(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl("apply", "-f", str(DATA / "dir"), "-n", ns).stdout.splitlines()
    # Files are visited in lexical order; notes.txt is not a manifest and is skipped.
    assert out == [
        "configmap/dir-one created",
        "configmap/dir-two created",
        "secret/dir-secret created",
    ]
    again = kubectl("apply", "-f", str(DATA / "dir"), "-n", ns).stdout.splitlines()
    assert again == [
        "configmap/dir-one unchanged",
        "configmap/dir-two unchanged",
        "secret/dir-secret unchanged",
    ]
    secret = kubectl_json("get", "secret", "dir-secret", "-n", ns)
    assert secret["data"] == {"password": "czNjcmV0"}
    assert secret["type"] == "Opaque"


def test_apply_kustomization(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl("apply", "-k", str(DATA / "kustomize"), "-n", ns).stdout.splitlines()
    assert len(out) == 2, out
    match = re.fullmatch(r"configmap/(kapp-config-[a-z0-9]{10}) created", out[0])
    assert match, out
    assert out[1] == "deployment.apps/kweb created"
    cm_name = match.group(1)
    cm = kubectl_json("get", "configmap", cm_name, "-n", ns)
    assert cm["data"] == {"level": "3", "mode": "e2e"}
    assert cm["metadata"]["labels"] == {"managed-by": "kustomize-e2e"}
    deploy = kubectl_json("get", "deployment", "kweb", "-n", ns)
    volumes = deploy["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["configMap"]["name"] == cm_name
    again = kubectl("apply", "-k", str(DATA / "kustomize"), "-n", ns).stdout.splitlines()
    assert again == [f"configmap/{cm_name} unchanged", "deployment.apps/kweb unchanged"]


def test_diff_exit_codes(kubectl: KubectlFn, ns: str, tmp_path: Path) -> None:
    manifest = DATA / "multi.yaml"
    new = kubectl("diff", "-f", str(manifest), "-n", ns, check=False)
    assert new.returncode == 1, new.stderr  # nothing exists yet: everything is an addition
    assert re.search(r"^\+\s+name: multi-config$", new.stdout, re.M), new.stdout

    kubectl("apply", "-f", str(manifest), "-n", ns)
    same = kubectl("diff", "-f", str(manifest), "-n", ns, check=False)
    assert (same.returncode, same.stdout) == (0, ""), same.stderr

    changed = tmp_path / "multi.yaml"
    changed.write_text(manifest.read_text().replace("greeting: hello", "greeting: hola"))
    differs = kubectl("diff", "-f", str(changed), "-n", ns, check=False)
    assert differs.returncode == 1, differs.stderr
    assert re.search(r"^-\s+greeting: hello$", differs.stdout, re.M), differs.stdout
    assert re.search(r"^\+\s+greeting: hola$", differs.stdout, re.M), differs.stdout
    # Only the configmap changed; the deployment and service must not show up.
    assert ".ConfigMap." in differs.stdout
    assert ".Deployment." not in differs.stdout
    assert ".Service." not in differs.stdout
    # diff is a dry run: the live object is untouched.
    live = kubectl("get", "configmap", "multi-config", "-n", ns, "-o", "jsonpath={.data.greeting}")
    assert live.stdout == "hello"
