"""ensure_pki: first run creates everything, later runs reuse or re-issue exactly what they must."""

from __future__ import annotations

import datetime
import ipaddress
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from steersman.pki import Pki, PkiError, certs, ensure_pki

HOSTS = ["127.0.0.1", "10.96.0.1"]


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _sans(path: Path) -> tuple[set[str], set[str]]:
    dns, ips = certs.subject_alt_names(_cert(path))
    return set(dns), {str(ip) for ip in ips}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_creates_kubeadm_layout(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=[*HOSTS, "node1.example"])
    ca = _cert(pki.ca_cert)
    assert ca.subject.rfc4514_string() == "CN=steersman-ca"
    assert certs.is_ca(ca)
    life = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert datetime.timedelta(days=3649) < life < datetime.timedelta(days=3651)

    dns, ips = _sans(pki.apiserver_cert)
    assert dns == {
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "node1.example",
    }
    assert ips == {"127.0.0.1", "::1", "10.96.0.1"}
    serving = _cert(pki.apiserver_cert)
    assert certs.has_usage(serving, ExtendedKeyUsageOID.SERVER_AUTH)
    assert not certs.has_usage(serving, ExtendedKeyUsageOID.CLIENT_AUTH)

    admin = _cert(pki.admin_cert)
    assert certs.subject_parts(admin) == ("kubernetes-admin", ["system:masters"])
    assert certs.has_usage(admin, ExtendedKeyUsageOID.CLIENT_AUTH)
    kubelet_client = _cert(pki.apiserver_kubelet_client_cert)
    assert certs.subject_parts(kubelet_client) == (
        "kube-apiserver-kubelet-client",
        ["kubeadm:cluster-admins"],
    )
    for leaf in (serving, admin, kubelet_client):
        assert certs.is_issued_by(leaf, ca)
        assert leaf.not_valid_after_utc <= ca.not_valid_after_utc

    for key in (pki.ca_key, pki.apiserver_key, pki.admin_key, pki.sa_key):
        assert _mode(key) == 0o600
    assert _mode(pki.dir) == 0o700
    # sa.pub is the PKIX public half of sa.key (what --service-account-key-file reads).
    sa = serialization.load_pem_private_key(pki.sa_key.read_bytes(), password=None)
    assert serialization.load_pem_public_key(pki.sa_pub.read_bytes()) == sa.public_key()
    assert pki.sa_pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_first_run_is_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    ensure_pki(tmp_path / "pki", hosts=HOSTS)
    first = time.perf_counter() - start
    start = time.perf_counter()
    ensure_pki(tmp_path / "pki", hosts=HOSTS)
    again = time.perf_counter() - start
    assert first < 0.5 and again < 0.2, (first, again)


def test_rerun_keeps_every_file(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=HOSTS)
    files = sorted(p for p in pki.dir.iterdir() if p.name != ".lock")
    before = {p: p.read_bytes() for p in files}
    ensure_pki(tmp_path / "pki", hosts=["10.96.0.1"])  # a subset of what is covered
    assert {p: p.read_bytes() for p in files} == before


def test_new_host_reissues_serving_cert_from_same_ca(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=HOSTS)
    ca_before = pki.ca_cert.read_bytes()
    admin_before = pki.admin_cert.read_bytes()
    serving_before = pki.apiserver_cert.read_bytes()
    ensure_pki(tmp_path / "pki", hosts=["192.168.1.10", "api.example"])
    assert pki.ca_cert.read_bytes() == ca_before
    assert pki.admin_cert.read_bytes() == admin_before
    assert pki.apiserver_cert.read_bytes() != serving_before
    dns, ips = _sans(pki.apiserver_cert)
    # The new names are added and the old ones kept.
    assert {"api.example", "kubernetes"} <= dns
    assert {"192.168.1.10", "10.96.0.1", "127.0.0.1"} <= ips
    assert certs.is_issued_by(_cert(pki.apiserver_cert), _cert(pki.ca_cert))
    assert certs.key_matches(
        _cert(pki.apiserver_cert), certs.decode_private_key(pki.apiserver_key.read_bytes())
    )


def test_unusable_leaves_are_reissued(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=HOSTS)
    pki.admin_cert.write_bytes(b"garbage")
    pki.apiserver_kubelet_client_key.unlink()
    # A serving cert whose key no longer matches.
    pki.apiserver_key.write_bytes(certs.encode_private_key(certs.new_private_key()))
    ensure_pki(tmp_path / "pki", hosts=HOSTS)
    ca = _cert(pki.ca_cert)
    for cert_path, key_path in (
        (pki.admin_cert, pki.admin_key),
        (pki.apiserver_kubelet_client_cert, pki.apiserver_kubelet_client_key),
        (pki.apiserver_cert, pki.apiserver_key),
    ):
        cert = _cert(cert_path)
        assert certs.is_issued_by(cert, ca)
        assert certs.key_matches(cert, certs.decode_private_key(key_path.read_bytes()))


def test_leaf_from_another_ca_or_near_expiry_is_reissued(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=HOSTS)
    other_ca = certs.new_ca("someone-else")
    foreign = certs.issue_cert(
        other_ca, common_name="kubernetes-admin", organizations=["system:masters"]
    )
    pki.admin_key.write_bytes(foreign.key_pem())
    pki.admin_cert.write_bytes(foreign.cert_pem())
    ca = pki.load_ca()
    short = certs.issue_cert(
        ca,
        common_name="kube-apiserver-kubelet-client",
        organizations=["kubeadm:cluster-admins"],
        validity=datetime.timedelta(days=2),
    )
    pki.apiserver_kubelet_client_key.write_bytes(short.key_pem())
    pki.apiserver_kubelet_client_cert.write_bytes(short.cert_pem())
    ensure_pki(tmp_path / "pki", hosts=HOSTS)
    assert certs.is_issued_by(_cert(pki.admin_cert), ca.cert)
    assert certs.remaining(_cert(pki.apiserver_kubelet_client_cert)) > datetime.timedelta(days=300)


def test_broken_ca_is_an_error_not_replaced(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=HOSTS)
    ca_pem = pki.ca_cert.read_bytes()
    pki.ca_key.write_bytes(certs.encode_private_key(certs.new_private_key()))
    with pytest.raises(PkiError, match="does not match"):
        ensure_pki(tmp_path / "pki", hosts=HOSTS)
    pki.ca_key.unlink()
    with pytest.raises(PkiError, match="missing"):
        ensure_pki(tmp_path / "pki", hosts=HOSTS)
    assert pki.ca_cert.read_bytes() == ca_pem


def test_expired_ca_is_replaced_and_leaves_follow(tmp_path: Path) -> None:
    pki = Pki.at(tmp_path / "pki")
    pki.dir.mkdir()
    old = certs.new_ca("steersman-ca", validity=datetime.timedelta(seconds=-1))
    pki.ca_key.write_bytes(old.key_pem())
    pki.ca_cert.write_bytes(old.cert_pem())
    ensure_pki(pki.dir, hosts=HOSTS)
    new = _cert(pki.ca_cert)
    assert new.serial_number != old.cert.serial_number
    assert certs.is_issued_by(_cert(pki.admin_cert), new)
    assert certs.is_issued_by(_cert(pki.apiserver_cert), new)


def test_existing_service_account_key_is_kept(tmp_path: Path) -> None:
    pki = Pki.at(tmp_path / "pki")
    pki.dir.mkdir()
    # kubeadm writes RSA sa.key; an existing one must be used, not replaced.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    pki.sa_key.write_bytes(key_pem)
    ensure_pki(pki.dir, hosts=HOSTS)
    assert pki.sa_key.read_bytes() == key_pem
    assert serialization.load_pem_public_key(pki.sa_pub.read_bytes()) == rsa_key.public_key()
    pki.sa_key.write_bytes(b"not a key")
    with pytest.raises(PkiError):
        ensure_pki(pki.dir, hosts=HOSTS)


def test_issue_client_cert(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", hosts=HOSTS)
    cert_pem, key_pem = pki.issue_client_cert("jane", ["dev", "ops"], days=7, uid="u-1")
    cert = certs.decode_cert(cert_pem)
    assert certs.subject_parts(cert) == ("jane", ["dev", "ops"])
    assert cert.subject.get_attributes_for_oid(certs.UID_OID)[0].value == "u-1"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "jane"
    assert certs.key_matches(cert, certs.decode_private_key(key_pem))
    assert certs.is_issued_by(cert, pki.load_ca().cert)
    assert datetime.timedelta(days=6) < certs.remaining(cert) <= datetime.timedelta(days=7)
    assert certs.has_usage(cert, ExtendedKeyUsageOID.CLIENT_AUTH)


def test_split_hosts() -> None:
    dns, ips = certs.split_hosts(["Example.COM", "10.0.0.1", "[::1]", "0.0.0.0", "", "10.0.0.1"])
    assert dns == ["example.com"]
    assert ips == [ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("::1")]
