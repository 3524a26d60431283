"""NodeLeaseController: the kubelet's heartbeat, a coordination.k8s.io/v1 Lease named after
the node in kube-node-lease, renewed every 10 s (a quarter of its 40 s duration), as
Kubernetes' kubelet does.

Invariants:
- The Lease is owned by the Node (ownerReference with the Node's uid), so it goes when the Node
  goes; it is created when missing and otherwise only its renewTime (and holder) change.
- Renewal never stops on errors: a failed renew is retried with backoff from 200 ms to 7 s, and
  a Lease deleted under the kubelet is re-created.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

log = logging.getLogger("steersman.kubelet.lease")

LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
RENEW_INTERVAL = LEASE_DURATION_SECONDS / 4


def micro_time(when: datetime.datetime | None = None) -> str:
    when = when or datetime.datetime.now(datetime.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NodeLeaseController:
    def __init__(
        self, client: RestClient, node_name: str, *, renew_interval: float = RENEW_INTERVAL
    ) -> None:
        self.client = client
        self.node_name = node_name
        self.renew_interval = renew_interval
        self.path = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases"

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self.renew()
                backoff = 0.2
                await asyncio.sleep(self.renew_interval)
            except REQUEST_ERRORS as exc:
                log.warning("node lease %s: %s", self.node_name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 7.0)

    async def renew(self) -> dict[str, Any]:
        try:
            lease: dict[str, Any] = await self.client.get(f"{self.path}/{self.node_name}")
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
            return await self._create()
        spec = lease.setdefault("spec", {})
        spec["holderIdentity"] = self.node_name
        spec["leaseDurationSeconds"] = LEASE_DURATION_SECONDS
        spec["renewTime"] = micro_time()
        updated: dict[str, Any] = await self.client.update(f"{self.path}/{self.node_name}", lease)
        return updated

    async def _create(self) -> dict[str, Any]:
        node = await self.client.get(f"/api/v1/nodes/{self.node_name}")
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self.node_name,
                "namespace": LEASE_NAMESPACE,
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Node",
                        "name": self.node_name,
                        "uid": node["metadata"]["uid"],
                    }
                ],
            },
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                "renewTime": micro_time(),
            },
        }
        created: dict[str, Any] = await self.client.create(self.path, lease)
        return created
