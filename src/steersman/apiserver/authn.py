"""Request authentication, as kube-apiserver does it.

kube-apiserver runs a union of authenticators in a fixed order and takes the first that
recognises the request: x509 client certificate, then the bearer token from the
`Authorization` header, then the token in a websocket `Sec-WebSocket-Protocol` entry. A
request whose client certificate authenticates is therefore accepted even if it also carries a
bad token; a bad token (or a bad certificate with no token) fails the request — 401, never
anonymous. Every authenticated user gets the group `system:authenticated` (unless it is
`system:anonymous` or already carries `system:authenticated`/`system:unauthenticated`).
Anonymous access (user `system:anonymous`, group `system:unauthenticated`) applies only when
enabled and no credential was presented at all.

Invariants:
- TLS has already verified the client certificate against the CA (`build_ssl_context`); the
  authenticator checks again that it was issued by the CA, is for client auth and is within its
  validity period, so a misconfigured TLS context cannot widen access. Intermediate CAs are not
  supported (the peer's leaf must be signed directly by a CA in the bundle).
- Certificate results, positive and negative, are cached by the DER bytes (the cache is
  bounded; entries are re-checked against the certificate's validity period on every hit), so
  steady-state authentication is a dict lookup: a few microseconds per request.
- The static token file is read once, at construction, in kube-apiserver's `--token-auth-file`
  CSV format: `token,user,uid[,"group1,group2"]`.
- `UserInfo` values are immutable and shared between requests; never mutate `extra`.
- Not thread-safe by design: one authenticator serves one event loop.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import logging
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from steersman.pki import Pki, certs

log = logging.getLogger("steersman.apiserver.authn")

ALL_AUTHENTICATED = "system:authenticated"
ALL_UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id"
WEBSOCKET_TOKEN_PREFIX = "base64url.bearer.authorization.k8s.io."

_CERT_CACHE_SIZE = 4096
# Go's base64.RawURLEncoding: URL alphabet, no padding, nothing else.
_RAW_URL_BASE64 = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


ANONYMOUS_USER = UserInfo(name=ANONYMOUS, groups=(ALL_UNAUTHENTICATED,))


class TokenAuthenticator(Protocol):
    """A bearer-token source (static file, service-account JWTs, bootstrap tokens, ...)."""

    def authenticate_token(self, token: str) -> UserInfo | None: ...


class TokenFileError(ValueError):
    """The `--token-auth-file` cannot be loaded."""


class StaticTokenFile:
    """Tokens from kube-apiserver's `--token-auth-file` CSV."""

    def __init__(self, tokens: Mapping[str, UserInfo]) -> None:
        self._tokens = dict(tokens)

    @classmethod
    def from_csv(cls, path: Path) -> StaticTokenFile:
        tokens: dict[str, UserInfo] = {}
        try:
            with open(path, newline="") as f:
                rows = list(csv.reader(f, strict=True))
        except (OSError, csv.Error) as exc:
            raise TokenFileError(f"token file '{path}': {exc}") from exc
        record_num = 0
        for row in rows:
            if not row:  # Go's csv reader skips empty lines
                continue
            if len(row) < 3:
                raise TokenFileError(
                    f"token file '{path}' must have at least 3 columns "
                    f"(token, user name, user uid), found {len(row)}"
                )
            record_num += 1
            token, name, uid = row[0], row[1], row[2]
            if not token:
                log.warning(
                    "empty token has been found in token file '%s', record number '%d'",
                    path,
                    record_num,
                )
                continue
            if token in tokens:
                log.warning(
                    "duplicate token has been found in token file '%s', record number '%d'",
                    path,
                    record_num,
                )
            groups = tuple(row[3].split(",")) if len(row) >= 4 else ()
            tokens[token] = UserInfo(name=name, uid=uid, groups=groups)
        return cls(tokens)

    def authenticate_token(self, token: str) -> UserInfo | None:
        return self._tokens.get(token)


def build_ssl_context(pki: Pki) -> ssl.SSLContext:
    """The API server's TLS context: TLS 1.2+, client certificates optional but CA-verified."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(pki.apiserver_cert), str(pki.apiserver_key))
    ctx.load_verify_locations(cafile=str(pki.ca_cert))
    # OPTIONAL: a client without a certificate may still present a bearer token; one that
    # presents a certificate the CA did not issue (or not for client auth) fails the handshake.
    ctx.verify_mode = ssl.CERT_OPTIONAL
    # aiohttp speaks HTTP/1.1 only; advertising it lets Go clients skip their h2 attempt.
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class _Rejected:
    """Credentials were presented and are invalid (Kubernetes: authenticator returned an error)."""


_REJECTED = _Rejected()


@dataclass(frozen=True, slots=True)
class _CertEntry:
    user: UserInfo | _Rejected | None  # None: no user in the cert (empty CN), not an error
    not_before: float
    not_after: float


class Authenticator:
    def __init__(
        self,
        ca_cert_path: Path,
        token_file: Path | None = None,
        *,
        token_authenticators: Sequence[TokenAuthenticator] = (),
        anonymous: bool = False,
    ) -> None:
        try:
            self._cas = x509.load_pem_x509_certificates(Path(ca_cert_path).read_bytes())
        except ValueError as exc:
            raise ValueError(f"{ca_cert_path}: no valid CA certificate: {exc}") from exc
        tokens: list[TokenAuthenticator] = []
        if token_file is not None:
            tokens.append(StaticTokenFile.from_csv(token_file))
        tokens.extend(token_authenticators)
        self._token_authenticators = tuple(tokens)
        self._anonymous = anonymous
        self._cert_cache: dict[bytes, _CertEntry] = {}

    def authenticate(
        self,
        peer_cert_der: bytes | None,
        authorization_header: str | None,
        *,
        websocket_protocol: str | None = None,
    ) -> UserInfo | None:
        """The request's user, or None (answer 401 Unauthorized).

        `websocket_protocol` is the `Sec-WebSocket-Protocol` header; pass it only for
        websocket upgrade requests, as kube-apiserver only looks there for those.
        """
        rejected = False
        if peer_cert_der:
            result = self._authenticate_cert(peer_cert_der)
            if isinstance(result, UserInfo):
                return result
            rejected = result is _REJECTED
        for token in (
            _bearer_token(authorization_header),
            _websocket_token(websocket_protocol),
        ):
            if token is None:
                continue
            if isinstance(token, _Rejected):
                rejected = True
                continue
            user = self._authenticate_token(token)
            if user is not None:
                return user
            rejected = True
        if self._anonymous and not rejected:
            return ANONYMOUS_USER
        return None

    def _authenticate_token(self, token: str) -> UserInfo | None:
        for authenticator in self._token_authenticators:
            user = authenticator.authenticate_token(token)
            if user is not None:
                return _with_authenticated_group(user)
        return None

    def _authenticate_cert(self, der: bytes) -> UserInfo | _Rejected | None:
        entry = self._cert_cache.get(der)
        if entry is None:
            entry = self._convert_cert(der)
            if len(self._cert_cache) >= _CERT_CACHE_SIZE:
                self._cert_cache.clear()  # crude but bounded; refills at one parse per cert
            self._cert_cache[der] = entry
        now = time.time()
        if not entry.not_before <= now <= entry.not_after:
            return _REJECTED
        return entry.user

    def _convert_cert(self, der: bytes) -> _CertEntry:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return _CertEntry(_REJECTED, 0.0, 0.0)
        not_before = cert.not_valid_before_utc.timestamp()
        not_after = cert.not_valid_after_utc.timestamp()
        trusted = any(certs.is_issued_by(cert, ca) for ca in self._cas)
        if not trusted or not certs.has_usage(cert, ExtendedKeyUsageOID.CLIENT_AUTH):
            return _CertEntry(_REJECTED, not_before, not_after)
        return _CertEntry(_user_from_cert(cert, der), not_before, not_after)


def _user_from_cert(cert: x509.Certificate, der: bytes) -> UserInfo | _Rejected | None:
    """Kubernetes' CommonNameUserConversion: CN is the user, each O a group."""
    name, groups = certs.subject_parts(cert)
    if not name:
        return None
    uids = cert.subject.get_attributes_for_oid(certs.UID_OID)
    if len(uids) > 1 or (uids and not isinstance(uids[0].value, str)):
        # The UID attribute must be a single string; anything else is an error, not "no UID".
        return _REJECTED
    uid = str(uids[0].value) if uids else ""
    credential_id = "X509SHA256=" + hashlib.sha256(der).hexdigest()
    user = UserInfo(
        name=name, uid=uid, groups=tuple(groups), extra={CREDENTIAL_ID_KEY: (credential_id,)}
    )
    return _with_authenticated_group(user)


def _with_authenticated_group(user: UserInfo) -> UserInfo:
    if user.name == ANONYMOUS:
        return user
    if ALL_AUTHENTICATED in user.groups or ALL_UNAUTHENTICATED in user.groups:
        return user
    return replace(user, groups=(*user.groups, ALL_AUTHENTICATED))


def _bearer_token(header: str | None) -> str | _Rejected | None:
    """The token of `Authorization: Bearer <token>`; None when the header is not a bearer one."""
    if not header:
        return None
    parts = header.strip().split(" ", 2)
    if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
        return None
    return parts[1]


def _websocket_token(protocols: str | None) -> str | _Rejected | None:
    """The token carried as `base64url.bearer.authorization.k8s.io.<base64url(token)>`."""
    if not protocols:
        return None
    found: list[str] = []
    for protocol in protocols.split(","):
        protocol = protocol.strip()
        if protocol.startswith(WEBSOCKET_TOKEN_PREFIX):
            found.append(protocol[len(WEBSOCKET_TOKEN_PREFIX) :])
    if not found:
        return None
    if len(found) > 1:
        return _REJECTED  # kube-apiserver: "multiple base64.bearer.authorization tokens specified"
    encoded = found[0]
    if not _RAW_URL_BASE64.fullmatch(encoded):
        return _REJECTED
    try:
        token = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return _REJECTED
    return token or _REJECTED
