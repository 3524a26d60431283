"""The cluster's PKI directory: create it on first run, reuse it afterwards.

Layout (kubeadm's file names, all PEM):
  ca.crt / ca.key                              cluster CA, CN `steersman-ca`, 10 years
  apiserver.crt / apiserver.key                kube-apiserver serving certificate
  admin.crt / admin.key                        CN kubernetes-admin, O system:masters
  apiserver-kubelet-client.crt / .key          CN kube-apiserver-kubelet-client,
                                               O kubeadm:cluster-admins (apiserver -> kubelet)
  sa.key / sa.pub                              service-account token signing key pair

Invariants:
- A valid CA is never regenerated: every kubeconfig and client certificate depends on it. A CA
  that is unreadable, lacks its key or does not match it is an error, never silently replaced;
  only an expired CA (or none at all) is created anew.
- `sa.key` is likewise never regenerated once it exists (that would invalidate every
  service-account token); `sa.pub` is re-derived from it when missing or stale.
- A leaf certificate is re-issued from the same CA when it is missing, unreadable, does not
  match its key, was not issued by the CA, expires within `RENEW_BEFORE`, has a different
  subject, or (serving certificate) lacks a requested host. A re-issued serving certificate
  keeps the names it already had, so callers asking for different host sets do not flip-flop.
- Private keys are written 0600, certificates 0644, the directory 0700; every file is written
  to a temporary name, fsynced and renamed, so a crash never leaves a half-written file, and
  a key is always written before the certificate that uses it.
- Concurrency: `ensure_pki` holds an exclusive flock on `<dir>/.lock`, so processes starting
  together (`steersman up` and its apiserver) never race on the files.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from steersman.pki import certs
from steersman.pki.certs import CertKeyPair

log = logging.getLogger("steersman.pki")

CA_COMMON_NAME = "steersman-ca"
APISERVER_COMMON_NAME = "kube-apiserver"
ADMIN_COMMON_NAME = "kubernetes-admin"
ADMIN_ORGANIZATION = "system:masters"
KUBELET_CLIENT_COMMON_NAME = "kube-apiserver-kubelet-client"
KUBELET_CLIENT_ORGANIZATION = "kubeadm:cluster-admins"

# Names every kube-apiserver serving certificate carries (kubeadm's list, cluster domain
# cluster.local), plus loopback so local clients can connect by address.
DEFAULT_SERVING_HOSTS = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "127.0.0.1",
    "::1",
)

RENEW_BEFORE = datetime.timedelta(days=30)

_KEY_MODE = 0o600
_CERT_MODE = 0o644


class PkiError(RuntimeError):
    """The PKI directory holds files that cannot be used and must not be overwritten."""


@dataclass(frozen=True)
class Pki:
    dir: Path
    ca_cert: Path
    ca_key: Path
    apiserver_cert: Path
    apiserver_key: Path
    admin_cert: Path
    admin_key: Path
    apiserver_kubelet_client_cert: Path
    apiserver_kubelet_client_key: Path
    sa_key: Path
    sa_pub: Path

    @classmethod
    def at(cls, pki_dir: Path) -> Pki:
        """The file paths of a PKI directory (whether or not the files exist yet)."""
        d = Path(pki_dir)
        return cls(
            dir=d,
            ca_cert=d / "ca.crt",
            ca_key=d / "ca.key",
            apiserver_cert=d / "apiserver.crt",
            apiserver_key=d / "apiserver.key",
            admin_cert=d / "admin.crt",
            admin_key=d / "admin.key",
            apiserver_kubelet_client_cert=d / "apiserver-kubelet-client.crt",
            apiserver_kubelet_client_key=d / "apiserver-kubelet-client.key",
            sa_key=d / "sa.key",
            sa_pub=d / "sa.pub",
        )

    def load_ca(self) -> CertKeyPair:
        try:
            cert = certs.decode_cert(self.ca_cert.read_bytes())
            key = certs.decode_private_key(self.ca_key.read_bytes())
        except (OSError, certs.CertError) as exc:
            raise PkiError(f"cannot load CA from {self.dir}: {exc}") from exc
        if not certs.key_matches(cert, key):
            raise PkiError(f"{self.ca_key} does not match {self.ca_cert}")
        return CertKeyPair(cert, key)

    def issue_client_cert(
        self, cn: str, orgs: Sequence[str], *, days: int = 365, uid: str | None = None
    ) -> tuple[bytes, bytes]:
        """A new client certificate (user `cn`, groups `orgs`) and its key, both PEM."""
        pair = certs.issue_cert(
            self.load_ca(),
            common_name=cn,
            organizations=orgs,
            uid=uid,
            validity=datetime.timedelta(days=days),
        )
        return pair.cert_pem(), pair.key_pem()


def ensure_pki(pki_dir: Path, *, hosts: Sequence[str]) -> Pki:
    """Create or load the PKI in `pki_dir`; the serving certificate covers `hosts` too."""
    pki = Pki.at(pki_dir)
    pki.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(pki.dir / ".lock"):
        ca, ca_is_new = _ensure_ca(pki)
        dns, ips = certs.split_hosts([*DEFAULT_SERVING_HOSTS, *hosts])
        _ensure_leaf(
            pki.apiserver_cert,
            pki.apiserver_key,
            ca,
            common_name=APISERVER_COMMON_NAME,
            organizations=(),
            server=True,
            dns_names=dns,
            ip_addresses=ips,
            force=ca_is_new,
        )
        _ensure_leaf(
            pki.admin_cert,
            pki.admin_key,
            ca,
            common_name=ADMIN_COMMON_NAME,
            organizations=(ADMIN_ORGANIZATION,),
            force=ca_is_new,
        )
        _ensure_leaf(
            pki.apiserver_kubelet_client_cert,
            pki.apiserver_kubelet_client_key,
            ca,
            common_name=KUBELET_CLIENT_COMMON_NAME,
            organizations=(KUBELET_CLIENT_ORGANIZATION,),
            force=ca_is_new,
        )
        _ensure_service_account_key(pki)
    return pki


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, _KEY_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode is masked by umask, and a stale tmp keeps its own
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _ensure_ca(pki: Pki) -> tuple[CertKeyPair, bool]:
    cert_pem = _read(pki.ca_cert)
    if cert_pem is not None:
        if _read(pki.ca_key) is None:
            raise PkiError(f"{pki.ca_cert} exists but its key {pki.ca_key} is missing")
        ca = pki.load_ca()
        if not certs.is_ca(ca.cert):
            raise PkiError(f"{pki.ca_cert} is not a CA certificate")
        if certs.remaining(ca.cert) > datetime.timedelta(0):
            return ca, False
        log.warning(
            "CA %s expired: creating a new CA and re-issuing every certificate", pki.ca_cert
        )
    ca = certs.new_ca(CA_COMMON_NAME)
    _write(pki.ca_key, ca.key_pem(), _KEY_MODE)
    _write(pki.ca_cert, ca.cert_pem(), _CERT_MODE)
    return ca, True


def _ensure_leaf(
    cert_path: Path,
    key_path: Path,
    ca: CertKeyPair,
    *,
    common_name: str,
    organizations: Sequence[str],
    server: bool = False,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[certs.IPAddress] = (),
    force: bool = False,
) -> None:
    existing = None if force else _load_pair(cert_path, key_path)
    if existing is not None:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        if (
            certs.is_issued_by(existing.cert, ca.cert)
            and certs.remaining(existing.cert) > RENEW_BEFORE
            and certs.subject_parts(existing.cert) == (common_name, list(organizations))
            and certs.has_usage(existing.cert, usage)
            and certs.covers_hosts(existing.cert, dns_names, ip_addresses)
        ):
            return
        if certs.is_issued_by(existing.cert, ca.cert):
            have_dns, have_ips = certs.subject_alt_names(existing.cert)
            dns_names = [*dns_names, *have_dns]
            ip_addresses = [*ip_addresses, *have_ips]
    log.info("issuing %s (CN=%s)", cert_path, common_name)
    pair = certs.issue_cert(
        ca,
        common_name=common_name,
        organizations=organizations,
        server=server,
        dns_names=dns_names,
        ip_addresses=ip_addresses,
    )
    _write(key_path, pair.key_pem(), _KEY_MODE)
    _write(cert_path, pair.cert_pem(), _CERT_MODE)


def _load_pair(cert_path: Path, key_path: Path) -> CertKeyPair | None:
    cert_pem, key_pem = _read(cert_path), _read(key_path)
    if cert_pem is None or key_pem is None:
        return None
    try:
        pair = CertKeyPair(certs.decode_cert(cert_pem), certs.decode_private_key(key_pem))
    except certs.CertError:
        log.warning("%s or %s is unreadable: re-issuing", cert_path, key_path)
        return None
    return pair if certs.key_matches(pair.cert, pair.key) else None


def _ensure_service_account_key(pki: Pki) -> None:
    key_pem = _read(pki.sa_key)
    if key_pem is None:
        key = certs.new_private_key()
        _write(pki.sa_key, certs.encode_private_key(key), _KEY_MODE)
        _write(pki.sa_pub, certs.encode_public_key(key), _CERT_MODE)
        return
    # Accept any key kube-apiserver accepts (RSA or ECDSA), e.g. one copied from kubeadm.
    try:
        existing = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"{pki.sa_key} is not a valid private key: {exc}") from exc
    pub_pem = existing.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if _read(pki.sa_pub) != pub_pem:
        _write(pki.sa_pub, pub_pem, _CERT_MODE)


def ensure_kubelet_serving_cert(
    pki: Pki, node_name: str, hosts: Sequence[str], *, out_dir: Path | None = None
) -> tuple[Path, Path]:
    """The kubelet serving certificate of `node_name` (CN `system:node:<name>`, O
    `system:nodes`, the node's names and addresses as SANs), issued by the cluster CA so the
    API server can verify the kubelet it proxies logs/exec/port-forward to.

    Written as `kubelet-<node>.crt/.key` in `out_dir` (default: the PKI directory) and kept
    while valid, as `ensure_pki` keeps its leaves. Returns (cert path, key path).
    """
    directory = Path(out_dir) if out_dir is not None else pki.dir
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path = directory / f"kubelet-{node_name}.crt"
    key_path = directory / f"kubelet-{node_name}.key"
    with _locked(pki.dir / ".lock"):
        dns, ips = certs.split_hosts([node_name, *hosts])
        _ensure_leaf(
            cert_path,
            key_path,
            pki.load_ca(),
            common_name=f"system:node:{node_name}",
            organizations=("system:nodes",),
            server=True,
            dns_names=dns,
            ip_addresses=ips,
        )
    return cert_path, key_path
