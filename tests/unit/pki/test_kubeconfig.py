"""Kubeconfig files: kubeadm-shaped output, client-go-like resolution on load."""

from __future__ import annotations

import base64
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from steersman.pki import ensure_pki
from steersman.pki.kubeconfig import KubeconfigError, load_kubeconfig, write_kubeconfig

CA = b"-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN EC PRIVATE KEY-----\nKEY\n-----END EC PRIVATE KEY-----\n"


def test_write_embeds_base64_data_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "admin.kubeconfig"
    write_kubeconfig(path, server="https://127.0.0.1:6443", ca_pem=CA, cert_pem=CERT, key_pem=KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert list(doc) == [
        "apiVersion",
        "clusters",
        "contexts",
        "current-context",
        "kind",
        "preferences",
        "users",
    ]
    assert doc["kind"] == "Config" and doc["apiVersion"] == "v1"
    cluster = doc["clusters"][0]
    assert cluster["name"] == "steersman"
    assert cluster["cluster"]["server"] == "https://127.0.0.1:6443"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == CA
    assert doc["contexts"] == [
        {"context": {"cluster": "steersman", "user": "admin"}, "name": "steersman"}
    ]
    assert doc["current-context"] == "steersman"
    user = doc["users"][0]
    assert user["name"] == "admin"
    assert base64.b64decode(user["user"]["client-certificate-data"]) == CERT
    assert base64.b64decode(user["user"]["client-key-data"]) == KEY


def test_roundtrip_cert_and_token(tmp_path: Path) -> None:
    path = tmp_path / "c.kubeconfig"
    write_kubeconfig(path, server="https://h:1", ca_pem=CA, cert_pem=CERT, key_pem=KEY)
    info = load_kubeconfig(path)
    assert (info.server, info.ca_pem, info.cert_pem, info.key_pem, info.token) == (
        "https://h:1",
        CA,
        CERT,
        KEY,
        None,
    )
    assert (info.context, info.cluster, info.user, info.namespace) == (
        "steersman",
        "steersman",
        "admin",
        "default",
    )
    write_kubeconfig(
        path,
        server="https://h:2",
        ca_pem=CA,
        token="abc.def",
        cluster_name="c",
        user_name="u",
        context_name="x",
    )
    info = load_kubeconfig(path)
    assert (info.server, info.token, info.cert_pem, info.context, info.user) == (
        "https://h:2",
        "abc.def",
        None,
        "x",
        "u",
    )


def test_cert_and_key_go_together(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_kubeconfig(tmp_path / "k", server="https://h", ca_pem=CA, cert_pem=CERT)


def test_load_resolves_contexts_and_relative_files(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_bytes(CA)
    (tmp_path / "certs" / "me.crt").write_bytes(CERT)
    (tmp_path / "certs" / "me.key").write_bytes(KEY)
    (tmp_path / "token").write_text("tok-from-file\n")
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "a",
        "clusters": [
            {
                "name": "one",
                "cluster": {"server": "https://one", "certificate-authority": "certs/ca.crt"},
            },
            {"name": "two", "cluster": {"server": "https://two", "insecure-skip-tls-verify": True}},
        ],
        "users": [
            {
                "name": "files",
                "user": {"client-certificate": "certs/me.crt", "client-key": "certs/me.key"},
            },
            {"name": "tf", "user": {"tokenFile": "token"}},
        ],
        "contexts": [
            {"name": "a", "context": {"cluster": "one", "user": "files", "namespace": "ns1"}},
            {"name": "b", "context": {"cluster": "two", "user": "tf"}},
            {"name": "broken", "context": {"cluster": "missing", "user": "tf"}},
        ],
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(doc))
    a = load_kubeconfig(path)
    assert (a.server, a.ca_pem, a.cert_pem, a.key_pem, a.namespace) == (
        "https://one",
        CA,
        CERT,
        KEY,
        "ns1",
    )
    b = load_kubeconfig(path, context="b")
    assert (b.server, b.token, b.insecure_skip_tls_verify, b.ca_pem) == (
        "https://two",
        "tok-from-file",
        True,
        None,
    )
    with pytest.raises(KubeconfigError, match="context was not found for specified context: nope"):
        load_kubeconfig(path, context="nope")
    with pytest.raises(KubeconfigError, match="cluster 'missing' not found"):
        load_kubeconfig(path, context="broken")
    del doc["current-context"]
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(KubeconfigError, match="no configuration has been provided"):
        load_kubeconfig(path)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="unable to read"):
        load_kubeconfig(tmp_path / "absent")
    path = tmp_path / "k"
    path.write_text(
        yaml.safe_dump(
            {
                "current-context": "c",
                "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
                "clusters": [{"name": "x", "cluster": {}}],
            }
        )
    )
    with pytest.raises(KubeconfigError, match="no server found for cluster 'x'"):
        load_kubeconfig(path)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kubectl_reads_the_written_file(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=["127.0.0.1"])
    path = tmp_path / "admin.kubeconfig"
    ca = pki.ca_cert.read_bytes()
    cert = pki.admin_cert.read_bytes()
    write_kubeconfig(
        path,
        server="https://127.0.0.1:6443",
        ca_pem=ca,
        cert_pem=cert,
        key_pem=pki.admin_key.read_bytes(),
    )
    out = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(path),
            "config",
            "view",
            "--raw",
            "--minify",
            "-o",
            "jsonpath={.current-context} {.clusters[0].cluster.server} {.users[0].user.client-certificate-data}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert out[:2] == ["steersman", "https://127.0.0.1:6443"]
    assert base64.b64decode(out[2]) == cert
