"""Cluster PKI: CA and certificates (`ca`, `certs`) and kubeconfig files (`kubeconfig`).

Invariant: importing the package (or `kubeconfig`) does not import `cryptography` (~8 MB of
RSS): only the components that issue or inspect certificates load `ca`/`certs`, on first use
of the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from steersman.pki.ca import Pki, PkiError, ensure_pki

__all__ = ["Pki", "PkiError", "ensure_pki"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from steersman.pki import ca

        return getattr(ca, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
