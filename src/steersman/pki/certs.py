"""X.509 building blocks: keys, a CA, leaf certificates, PEM encoding and the checks that decide
whether an existing certificate can be kept.

Invariants:
- Every key is ECDSA P-256: generation takes well under a millisecond, and Go's TLS (kubectl),
  OpenSSL (Python's ssl) and kube-apiserver's `--service-account-key-file` all accept it.
- Private keys are PEM "EC PRIVATE KEY" (SEC1), as kubeadm's keyutil writes ECDSA keys; public
  keys are PEM "PUBLIC KEY" (PKIX), as kubeadm writes `sa.pub`.
- Certificates follow kubeadm's shape: the CA is self-signed with `CA:TRUE` and certSign; leaves
  carry `CA:FALSE`, digitalSignature, exactly one extended key usage (serverAuth or clientAuth),
  the CA's key identifier, and never outlive the CA.
- `not_before` is backdated a few minutes so that nodes whose clocks run slightly behind accept
  a certificate issued a moment ago.
Pure functions over bytes and objects: no file I/O.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

_T = TypeVar("_T")

PrivateKey = ec.EllipticCurvePrivateKey
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Kubernetes reads a user's UID from this subject attribute (AllowParsingUserUIDFromCertAuth,
# beta and on by default since v1.34).
UID_OID = ObjectIdentifier("1.3.6.1.4.1.57683.2")

CA_VALIDITY = datetime.timedelta(days=3650)
LEAF_VALIDITY = datetime.timedelta(days=365)
BACKDATE = datetime.timedelta(minutes=5)


class CertError(ValueError):
    """A PEM blob could not be parsed as the expected certificate or key."""


@dataclass(frozen=True, slots=True)
class CertKeyPair:
    cert: x509.Certificate
    key: PrivateKey

    def cert_pem(self) -> bytes:
        return encode_cert(self.cert)

    def key_pem(self) -> bytes:
        return encode_private_key(self.key)


def new_private_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def encode_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def encode_private_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def encode_public_key(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def decode_cert(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise CertError(f"data does not contain a valid certificate: {exc}") from exc


def decode_private_key(pem: bytes) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CertError(f"data does not contain a valid private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertError(f"unsupported private key type {type(key).__name__}: expected ECDSA")
    return key


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _name(common_name: str, organizations: Sequence[str] = (), uid: str | None = None) -> x509.Name:
    # Go's pkix.Name orders O before CN; keep that so `openssl x509 -subject` reads the same.
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if uid is not None:
        attrs.append(x509.NameAttribute(UID_OID, uid))
    return x509.Name(attrs)


def new_ca(common_name: str, *, validity: datetime.timedelta = CA_VALIDITY) -> CertKeyPair:
    key = new_private_key()
    now = _now()
    subject = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertKeyPair(cert, key)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    # keyEncipherment only matters for RSA key exchange; ECDSA keys sign, so kubeadm's ECDSA
    # certificates carry digitalSignature (and certSign for the CA) only.
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def issue_cert(
    ca: CertKeyPair,
    *,
    common_name: str,
    organizations: Sequence[str] = (),
    uid: str | None = None,
    server: bool = False,
    dns_names: Iterable[str] = (),
    ip_addresses: Iterable[IPAddress] = (),
    validity: datetime.timedelta = LEAF_VALIDITY,
    key: PrivateKey | None = None,
) -> CertKeyPair:
    """Issue a serving (`server=True`) or client certificate signed by `ca`."""
    key = key or new_private_key()
    now = _now()
    not_after = min(now + validity, ca.cert.not_valid_after_utc)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organizations, uid))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(max(now - BACKDATE, ca.cert.not_valid_before_utc))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in _unique(dns_names)]
    names += [x509.IPAddress(ip) for ip in _unique(ip_addresses)]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return CertKeyPair(builder.sign(ca.key, hashes.SHA256()), key)


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def split_hosts(hosts: Iterable[str]) -> tuple[list[str], list[IPAddress]]:
    """Split host strings into DNS names and IP addresses; unspecified addresses are dropped."""
    dns: list[str] = []
    ips: list[IPAddress] = []
    for host in hosts:
        host = host.strip().strip("[]")
        if not host:
            continue
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            dns.append(host.lower())
            continue
        if not ip.is_unspecified:
            ips.append(ip)
    return _unique(dns), _unique(ips)


def subject_alt_names(cert: x509.Certificate) -> tuple[list[str], list[IPAddress]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [d.lower() for d in san.get_values_for_type(x509.DNSName)]
    ips: list[IPAddress] = [
        ip
        for ip in san.get_values_for_type(x509.IPAddress)
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
    ]
    return dns, ips


def covers_hosts(
    cert: x509.Certificate, dns_names: Iterable[str], ips: Iterable[IPAddress]
) -> bool:
    have_dns, have_ips = subject_alt_names(cert)
    return set(dns_names) <= set(have_dns) and set(ips) <= set(have_ips)


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    return cert.public_key() == key.public_key()


def subject_parts(cert: x509.Certificate) -> tuple[str, list[str]]:
    """The subject's CommonName and Organization values, as Kubernetes maps them to a user."""
    subject = cert.subject
    cns = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    cn = cns[0].value if cns else ""
    return str(cn), [str(o.value) for o in orgs]


def is_issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def has_usage(cert: x509.Certificate, usage: ObjectIdentifier) -> bool:
    """True when the certificate may be used for `usage` (no EKU extension means any use)."""
    try:
        ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage in ekus or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in ekus


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def remaining(cert: x509.Certificate, now: datetime.datetime | None = None) -> datetime.timedelta:
    """Time left before the certificate expires (negative once expired or not yet valid)."""
    now = now or _now()
    if now < cert.not_valid_before_utc:
        return datetime.timedelta(seconds=-1)
    return cert.not_valid_after_utc - now
