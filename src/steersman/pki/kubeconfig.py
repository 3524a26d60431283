"""Kubeconfig files: write one as kubeadm does, read one as client-go does.

Invariants:
- `write_kubeconfig` embeds the CA, client certificate and key base64-encoded
  (`certificate-authority-data`, `client-certificate-data`, `client-key-data`), the way kubeadm
  writes admin.conf, so the file stands alone; it is written atomically with mode 0600 because
  it holds credentials.
- `load_kubeconfig` resolves a context (the given one, else `current-context`) to its cluster and
  user; file references (`certificate-authority`, `client-certificate`, `client-key`,
  `tokenFile`) are resolved relative to the kubeconfig's directory, as client-go does, and their
  contents loaded, so callers only ever see bytes.
- Error messages follow client-go's wording where one exists.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class KubeconfigError(ValueError):
    """The kubeconfig cannot be used (missing context, cluster, user or server)."""


@dataclass(frozen=True)
class KubeconfigInfo:
    server: str
    ca_pem: bytes | None = None
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    token: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    namespace: str = "default"
    context: str = ""
    cluster: str = ""
    user: str = ""

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client TLS context for `server` (None for plain http)."""
        if not self.server.startswith("https"):
            return None
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode() if self.ca_pem else None)
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.cert_pem and self.key_pem:
            # Python's ssl loads certificate chains only from files: use a private temp dir
            # that is gone before this returns.
            with tempfile.TemporaryDirectory(prefix="steersman-kubeconfig-") as tmp:
                cert = Path(tmp) / "client.crt"
                key = Path(tmp) / "client.key"
                cert.write_bytes(self.cert_pem)
                key.touch(mode=0o600)
                key.write_bytes(self.key_pem)
                ctx.load_cert_chain(str(cert), str(key))
        return ctx


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    ca_pem: bytes,
    cert_pem: bytes | None = None,
    key_pem: bytes | None = None,
    token: str | None = None,
    cluster_name: str = "steersman",
    user_name: str = "admin",
    context_name: str = "steersman",
) -> None:
    if (cert_pem is None) != (key_pem is None):
        raise ValueError("cert_pem and key_pem must be given together")
    user: dict[str, Any] = {}
    if cert_pem is not None and key_pem is not None:
        user["client-certificate-data"] = _b64(cert_pem)
        user["client-key-data"] = _b64(key_pem)
    if token is not None:
        user["token"] = token
    # Key order as client-go's clientcmd.Write produces it (fields sorted by name).
    doc = {
        "apiVersion": "v1",
        "clusters": [
            {
                "cluster": {"certificate-authority-data": _b64(ca_pem), "server": server},
                "name": cluster_name,
            }
        ],
        "contexts": [
            {"context": {"cluster": cluster_name, "user": user_name}, "name": context_name}
        ],
        "current-context": context_name,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": user_name, "user": user}],
    }
    data = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False).encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _named(items: Any, name: str, key: str) -> dict[str, Any] | None:
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            value = item.get(key)
            return value if isinstance(value, dict) else {}
    return None


def _data_or_file(
    section: dict[str, Any], data_key: str | None, file_key: str, base: Path
) -> bytes | None:
    """Inline base64 data wins over a file reference, as in client-go."""
    data = section.get(data_key) if data_key else None
    if data:
        try:
            return base64.b64decode(data, validate=True)
        except ValueError as exc:
            raise KubeconfigError(f"illegal base64 data in {data_key}: {exc}") from exc
    ref = section.get(file_key)
    if ref:
        file = (base / Path(ref).expanduser()).resolve()
        try:
            return file.read_bytes()
        except OSError as exc:
            raise KubeconfigError(f"unable to read {file_key} {file}: {exc}") from exc
    return None


def load_kubeconfig(path: Path, *, context: str | None = None) -> KubeconfigInfo:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise KubeconfigError(f"unable to read kubeconfig {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise KubeconfigError(f"error loading config file {str(path)!r}: {exc}") from exc
    if not isinstance(doc, dict):
        raise KubeconfigError("invalid configuration: no configuration has been provided")
    context_name = context or doc.get("current-context") or ""
    if not context_name:
        raise KubeconfigError("invalid configuration: no configuration has been provided")
    ctx = _named(doc.get("contexts"), context_name, "context")
    if ctx is None:
        raise KubeconfigError(f"context was not found for specified context: {context_name}")
    cluster_name = str(ctx.get("cluster") or "")
    user_name = str(ctx.get("user") or "")
    cluster = _named(doc.get("clusters"), cluster_name, "cluster")
    if cluster is None:
        raise KubeconfigError(f"cluster {cluster_name!r} not found for context {context_name!r}")
    server = str(cluster.get("server") or "")
    if not server:
        raise KubeconfigError(
            f"invalid configuration: no server found for cluster {cluster_name!r}"
        )
    user = _named(doc.get("users"), user_name, "user") or {}
    base = path.resolve().parent
    token = user.get("token") or None
    if token is None:
        token_file = _data_or_file(user, None, "tokenFile", base)
        if token_file is not None:
            token = token_file.decode().strip() or None
    return KubeconfigInfo(
        server=server,
        ca_pem=_data_or_file(cluster, "certificate-authority-data", "certificate-authority", base),
        cert_pem=_data_or_file(user, "client-certificate-data", "client-certificate", base),
        key_pem=_data_or_file(user, "client-key-data", "client-key", base),
        token=str(token) if token is not None else None,
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=cluster.get("tls-server-name") or None,
        namespace=str(ctx.get("namespace") or "default"),
        context=context_name,
        cluster=cluster_name,
        user=user_name,
    )
