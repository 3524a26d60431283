"""Cluster PKI: CA and certificates (`ca`, `certs`) and kubeconfig files (`kubeconfig`)."""

from steersman.pki.ca import Pki, PkiError, ensure_pki

__all__ = ["Pki", "PkiError", "ensure_pki"]
