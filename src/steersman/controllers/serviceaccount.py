"""ServiceAccountController: every active namespace has a `default` ServiceAccount, and the
`kube-root-ca.crt` ConfigMap (Kubernetes' serviceaccount and root-ca-cert-publisher controllers).

Invariants: level-based and idempotent — a sync creates what is missing and changes nothing
else; namespaces that are terminating are left alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

log = logging.getLogger("steersman.controllers.serviceaccount")


class ServiceAccountController:
    def __init__(self, client: RestClient, *, ca_pem: str = "") -> None:
        self.client = client
        self.ca_pem = ca_pem

    async def run(self) -> None:
        while True:
            try:
                listed = await self.client.get("/api/v1/namespaces")
                for ns in listed["items"]:
                    await self.sync_namespace(ns)
                rv = listed["metadata"]["resourceVersion"]
                async for event in self.client.watch("/api/v1/namespaces", resourceVersion=rv):
                    if event["type"] == "ERROR":
                        break
                    if event["type"] in ("ADDED", "MODIFIED"):
                        await self.sync_namespace(event["object"])
            except REQUEST_ERRORS as exc:
                log.warning("namespace watch ended: %s", exc)
            await asyncio.sleep(1)

    async def _ensure(self, path: str, obj: dict[str, Any]) -> None:
        try:
            await self.client.create(path, obj)
        except ApiStatusError as exc:
            if exc.code not in (403, 404, 409):  # exists, or the namespace is going away
                raise

    async def sync_namespace(self, ns: dict[str, Any]) -> None:
        meta = ns["metadata"]
        if meta.get("deletionTimestamp") or (ns.get("status") or {}).get("phase") == "Terminating":
            return
        name = meta["name"]
        try:
            await self.client.get(f"/api/v1/namespaces/{name}/serviceaccounts/default")
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
            await self._ensure(
                f"/api/v1/namespaces/{name}/serviceaccounts",
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
            )
        if self.ca_pem:
            try:
                await self.client.get(f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt")
            except ApiStatusError as exc:
                if exc.code != 404:
                    raise
                await self._ensure(
                    f"/api/v1/namespaces/{name}/configmaps",
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "kube-root-ca.crt"},
                        "data": {"ca.crt": self.ca_pem},
                    },
                )
