"""Request authentication: the union order, token file format, and real TLS with Python and kubectl."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import shutil
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from steersman.apiserver.authn import (
    ALL_AUTHENTICATED,
    ANONYMOUS,
    CREDENTIAL_ID_KEY,
    Authenticator,
    StaticTokenFile,
    TokenFileError,
    UserInfo,
    build_ssl_context,
)
from steersman.pki import Pki, certs, ensure_pki
from steersman.pki.kubeconfig import load_kubeconfig, write_kubeconfig

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}

TOKENS = 'secret-token,alice,uid-1,"dev,ops"\nplain-token,bob,uid-2\n'


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return ensure_pki(tmp_path / "pki", hosts=["127.0.0.1", "10.96.0.1"])


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.csv"
    path.write_text(TOKENS)
    return path


def _der(cert_pem: bytes) -> bytes:
    return certs.decode_cert(cert_pem).public_bytes(certs.serialization.Encoding.DER)


# -- the authenticator alone ---------------------------------------------------------------


def test_client_cert_user(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file)
    der = _der(pki.admin_cert.read_bytes())
    user = auth.authenticate(der, None)
    assert user == UserInfo(
        name="kubernetes-admin",
        uid="",
        groups=("system:masters", ALL_AUTHENTICATED),
        extra={CREDENTIAL_ID_KEY: ("X509SHA256=" + hashlib.sha256(der).hexdigest(),)},
    )
    # Cached: the very same object comes back.
    assert auth.authenticate(der, None) is user


def test_client_cert_uid_attribute(pki: Pki) -> None:
    auth = Authenticator(pki.ca_cert)
    cert_pem, _ = pki.issue_client_cert("jane", ["g1", "g2"], uid="jane-uid")
    user = auth.authenticate(_der(cert_pem), None)
    assert user is not None
    assert (user.name, user.uid, user.groups) == (
        "jane",
        "jane-uid",
        ("g1", "g2", ALL_AUTHENTICATED),
    )


def _custom_cert(ca: certs.CertKeyPair, subject: x509.Name) -> bytes:
    key = certs.new_private_key()
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ca.key, hashes.SHA256())
    )
    return cert.public_bytes(certs.serialization.Encoding.DER)


def test_two_uid_attributes_fail_and_empty_cn_is_no_user(pki: Pki, token_file: Path) -> None:
    ca = pki.load_ca()
    two_uids = _custom_cert(
        ca,
        x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "x"),
                x509.NameAttribute(certs.UID_OID, "a"),
                x509.NameAttribute(certs.UID_OID, "b"),
            ]
        ),
    )
    no_cn = _custom_cert(ca, x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "o")]))
    auth = Authenticator(pki.ca_cert, token_file, anonymous=True)
    # A certificate error is an error: never anonymous ...
    assert auth.authenticate(two_uids, None) is None
    # ... but the union goes on to the token, which may still authenticate.
    user = auth.authenticate(two_uids, "Bearer plain-token")
    assert user is not None and user.name == "bob"
    # No CN means "no user in this certificate", not an error: anonymous applies.
    assert auth.authenticate(no_cn, None) == UserInfo(ANONYMOUS, groups=("system:unauthenticated",))


def test_untrusted_wrong_usage_and_expired_certs_are_rejected(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file, anonymous=True)
    foreign = certs.issue_cert(certs.new_ca("other"), common_name="kubernetes-admin")
    serving = pki.apiserver_cert.read_bytes()  # serverAuth only
    expired = certs.issue_cert(
        pki.load_ca(), common_name="old", validity=datetime.timedelta(seconds=-1)
    )
    for pem in (foreign.cert_pem(), serving, expired.cert_pem()):
        assert auth.authenticate(_der(pem), None) is None
    assert auth.authenticate(b"not DER at all", None) is None


def test_token_file_user(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file)
    assert auth.authenticate(None, "Bearer secret-token") == UserInfo(
        "alice", "uid-1", ("dev", "ops", ALL_AUTHENTICATED)
    )
    assert auth.authenticate(None, "  bearer plain-token  ") == UserInfo(
        "bob", "uid-2", (ALL_AUTHENTICATED,)
    )
    assert auth.authenticate(None, "Bearer wrong") is None
    assert auth.authenticate(None, None) is None
    assert Authenticator(pki.ca_cert).authenticate(None, "Bearer secret-token") is None


def test_union_order_cert_before_token(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file)
    der = _der(pki.admin_cert.read_bytes())
    # The x509 authenticator runs first: a valid certificate wins over any token, good or bad.
    for header in ("Bearer wrong", "Bearer secret-token"):
        user = auth.authenticate(der, header)
        assert user is not None and user.name == "kubernetes-admin"


def test_anonymous_only_without_credentials(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file, anonymous=True)
    anonymous = UserInfo(ANONYMOUS, groups=("system:unauthenticated",))
    assert auth.authenticate(None, None) == anonymous
    # Not a bearer header (or an empty bearer token): no credential was offered.
    assert auth.authenticate(None, "Basic YWxpY2U6cHc=") == anonymous
    assert auth.authenticate(None, "Bearer ") == anonymous
    # A bad token is an error, never anonymous.
    assert auth.authenticate(None, "Bearer wrong") is None


def test_authenticated_group_added_once(tmp_path: Path, pki: Pki) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        't1,carol,u,"system:authenticated,x"\nt2,system:anonymous,u\nt3,dave,u,system:unauthenticated\n'
    )
    auth = Authenticator(pki.ca_cert, path)
    assert auth.authenticate(None, "Bearer t1").groups == ("system:authenticated", "x")  # type: ignore[union-attr]
    assert auth.authenticate(None, "Bearer t2").groups == ()  # type: ignore[union-attr]
    assert auth.authenticate(None, "Bearer t3").groups == ("system:unauthenticated",)  # type: ignore[union-attr]


def test_websocket_protocol_token(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file, anonymous=True)
    encoded = base64.urlsafe_b64encode(b"secret-token").decode().rstrip("=")
    user = auth.authenticate(
        None,
        None,
        websocket_protocol=f"v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.{encoded}",
    )
    assert user is not None and user.name == "alice"
    bad = base64.urlsafe_b64encode(b"nope").decode().rstrip("=")
    assert (
        auth.authenticate(
            None, None, websocket_protocol=f"base64url.bearer.authorization.k8s.io.{bad}"
        )
        is None
    )
    assert (
        auth.authenticate(
            None, None, websocket_protocol="base64url.bearer.authorization.k8s.io.a+b"
        )
        is None
    )
    two = f"base64url.bearer.authorization.k8s.io.{encoded},base64url.bearer.authorization.k8s.io.{encoded}"
    assert auth.authenticate(None, None, websocket_protocol=two) is None
    assert auth.authenticate(None, None, websocket_protocol="v5.channel.k8s.io").name == ANONYMOUS  # type: ignore[union-attr]


class _Fixed:
    def authenticate_token(self, token: str) -> UserInfo | None:
        return UserInfo("system:serviceaccount:ns:sa") if token == "jwt" else None


def test_extra_token_authenticators_follow_the_token_file(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file, token_authenticators=[_Fixed()])
    assert auth.authenticate(None, "Bearer jwt") == UserInfo(
        "system:serviceaccount:ns:sa", groups=(ALL_AUTHENTICATED,)
    )
    assert auth.authenticate(None, "Bearer secret-token").name == "alice"  # type: ignore[union-attr]


def test_token_file_format(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,u1,id1\n\n,empty,skipped\na,u2,id2,"g1,g2"\nb,u3,id3,g,extra-col\n')
    tokens = StaticTokenFile.from_csv(path)
    assert tokens.authenticate_token("a") == UserInfo("u2", "id2", ("g1", "g2"))  # last wins
    assert tokens.authenticate_token("b") == UserInfo("u3", "id3", ("g",))
    assert tokens.authenticate_token("") is None
    path.write_text("a,u1,id1\nb,only-two\n")
    with pytest.raises(
        TokenFileError,
        match=r"must have at least 3 columns \(token, user name, user uid\), found 2",
    ):
        StaticTokenFile.from_csv(path)
    with pytest.raises(TokenFileError):
        StaticTokenFile.from_csv(tmp_path / "absent.csv")


def test_cached_cert_authentication_costs_microseconds(pki: Pki, token_file: Path) -> None:
    auth = Authenticator(pki.ca_cert, token_file)
    der = _der(pki.admin_cert.read_bytes())
    auth.authenticate(der, None)
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        auth.authenticate(bytes(der), "Bearer ignored")  # a fresh bytes object, as per request
    per_call = (time.perf_counter() - start) / n
    assert per_call < 25e-6, per_call


# -- over real TLS --------------------------------------------------------------------------


async def _start(pki: Pki, token_file: Path) -> tuple[web.AppRunner, str]:
    auth = Authenticator(pki.ca_cert, token_file)

    async def handle(request: web.Request) -> web.Response:
        # The same extraction the API server does: the verified peer certificate, if any.
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        user = auth.authenticate(der, request.headers.get("Authorization"))
        if user is None:
            return web.json_response(UNAUTHORIZED, status=401)
        if request.path == "/healthz":
            return web.Response(text="ok")
        return web.json_response({"name": user.name, "groups": list(user.groups)})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=build_ssl_context(pki))
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"https://127.0.0.1:{port}"


@pytest.fixture
async def server(pki: Pki, token_file: Path) -> AsyncIterator[str]:
    runner, url = await _start(pki, token_file)
    try:
        yield url
    finally:
        await runner.cleanup()


def _client_ctx(pki: Pki, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert is not None and key is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


async def _get(
    url: str, ctx: ssl.SSLContext, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/whoami", ssl=ctx, headers=headers or {}) as resp,
    ):
        return resp.status, await resp.json()


async def test_tls_client_cert(server: str, pki: Pki, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "admin.kubeconfig"
    write_kubeconfig(
        kubeconfig,
        server=server,
        ca_pem=pki.ca_cert.read_bytes(),
        cert_pem=pki.admin_cert.read_bytes(),
        key_pem=pki.admin_key.read_bytes(),
    )
    ctx = load_kubeconfig(kubeconfig).ssl_context()
    assert ctx is not None
    assert await _get(server, ctx) == (
        200,
        {"name": "kubernetes-admin", "groups": ["system:masters", ALL_AUTHENTICATED]},
    )


async def test_tls_token_and_rejection(server: str, pki: Pki) -> None:
    ctx = _client_ctx(pki)
    assert await _get(server, ctx, {"Authorization": "Bearer secret-token"}) == (
        200,
        {"name": "alice", "groups": ["dev", "ops", ALL_AUTHENTICATED]},
    )
    assert await _get(server, ctx) == (401, UNAUTHORIZED)
    assert await _get(server, ctx, {"Authorization": "Bearer wrong"}) == (401, UNAUTHORIZED)


async def test_tls12_client_is_served(server: str, pki: Pki) -> None:
    ctx = _client_ctx(pki, pki.admin_cert, pki.admin_key)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    status, _ = await _get(server, ctx)
    assert status == 200


async def test_tls_rejects_certs_the_ca_did_not_issue_for_clients(
    server: str, pki: Pki, tmp_path: Path
) -> None:
    foreign = certs.issue_cert(certs.new_ca("other"), common_name="kubernetes-admin")
    (tmp_path / "f.crt").write_bytes(foreign.cert_pem())
    (tmp_path / "f.key").write_bytes(foreign.key_pem())
    for cert, key in (
        (tmp_path / "f.crt", tmp_path / "f.key"),
        (pki.apiserver_cert, pki.apiserver_key),
    ):
        with pytest.raises(aiohttp.ClientError):
            await _get(server, _client_ctx(pki, cert, key))


# -- with the real kubectl (Go's TLS) ---------------------------------------------------------

kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")


async def _kubectl(kubeconfig: Path, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        str(kubeconfig),
        "--cache-dir",
        str(tmp_path / "kube-cache"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@kubectl
async def test_kubectl_with_client_cert(server: str, pki: Pki, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "admin.kubeconfig"
    write_kubeconfig(
        kubeconfig,
        server=server,
        ca_pem=pki.ca_cert.read_bytes(),
        cert_pem=pki.admin_cert.read_bytes(),
        key_pem=pki.admin_key.read_bytes(),
    )
    code, out, err = await _kubectl(kubeconfig, tmp_path, "get", "--raw", "/healthz")
    assert (code, out.strip()) == (0, "ok"), err


@kubectl
async def test_kubectl_with_token_and_unauthorized(server: str, pki: Pki, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "token.kubeconfig"
    write_kubeconfig(
        kubeconfig, server=server, ca_pem=pki.ca_cert.read_bytes(), token="secret-token"
    )
    code, out, err = await _kubectl(kubeconfig, tmp_path, "get", "--raw", "/healthz")
    assert (code, out.strip()) == (0, "ok"), err

    write_kubeconfig(kubeconfig, server=server, ca_pem=pki.ca_cert.read_bytes(), token="wrong")
    code, out, err = await _kubectl(kubeconfig, tmp_path, "get", "--raw", "/healthz")
    assert code != 0
    assert "Unauthorized" in err, err
