"""NodeStatusSync: registers the kubelet's Node and keeps its status current (Kubernetes'
registerWithAPIServer and updateNodeStatus).

Invariants:
- Registration is idempotent: an existing Node of the same name is adopted; the kubelet's
  default labels and annotations are merged into it, never removing anyone else's.
- Status is recomputed every `update_interval` (10 s) and written through `nodes/<name>/status`
  only when something other than heartbeat times changed, or when `report_interval` (5 min) has
  passed — the Lease is the heartbeat (Kubernetes' node-lease design).
- A status write that meets a conflict is retried against a fresh read (up to 5 times, as
  nodeStatusUpdateRetry); other errors are logged and retried at the next interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient
from steersman.kubelet.host import HostInfo
from steersman.kubelet.node_status import (
    NodeConfig,
    Pressure,
    RuntimeFacts,
    default_labels,
    initial_node,
    node_status,
)

log = logging.getLogger("steersman.kubelet.node")

NODE_STATUS_UPDATE_RETRY = 5


def _without_heartbeats(status: dict[str, Any]) -> dict[str, Any]:
    out = dict(status)
    out["conditions"] = [
        {k: v for k, v in c.items() if k != "lastHeartbeatTime"}
        for c in status.get("conditions") or []
    ]
    return out


class NodeStatusSync:
    def __init__(
        self,
        client: RestClient,
        cfg: NodeConfig,
        host: HostInfo,
        *,
        runtime_facts: Callable[[], Awaitable[RuntimeFacts]] | None = None,
        pressure: Callable[[], Pressure] | None = None,
        update_interval: float = 10.0,
        report_interval: float = 300.0,
    ) -> None:
        self.client = client
        self.cfg = cfg
        self.host = host
        self.runtime_facts = runtime_facts
        self.pressure = pressure
        self.update_interval = update_interval
        self.report_interval = report_interval
        self.registered = asyncio.Event()
        self._last_reported: dict[str, Any] | None = None
        self._last_report_time = 0.0

    async def run(self) -> None:
        if not self.registered.is_set():
            await self.register()
        while True:
            try:
                await self.update_node_status()
            except REQUEST_ERRORS as exc:
                log.warning("node status %s: %s", self.cfg.name, exc)
            await asyncio.sleep(self.update_interval)

    async def register(self) -> dict[str, Any]:
        backoff = 0.1
        while True:
            try:
                node = await self._try_register()
                self.registered.set()
                return node
            except REQUEST_ERRORS as exc:
                log.warning("registering node %s: %s", self.cfg.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 7.0)

    async def _try_register(self) -> dict[str, Any]:
        facts = await self.runtime_facts() if self.runtime_facts else RuntimeFacts()
        body = initial_node(self.cfg, self.host, facts)
        try:
            created: dict[str, Any] = await self.client.create("/api/v1/nodes", body)
            log.info("registered node %s", self.cfg.name)
            return created
        except ApiStatusError as exc:
            if exc.code != 409:
                raise
        existing: dict[str, Any] = await self.client.get(f"/api/v1/nodes/{self.cfg.name}")
        meta = existing["metadata"]
        labels = dict(meta.get("labels") or {})
        annotations = dict(meta.get("annotations") or {})
        wanted_labels = default_labels(self.cfg, self.host)
        wanted_annotations = body["metadata"]["annotations"]
        spec = existing.get("spec") or {}
        patch: dict[str, Any] = {}
        if any(labels.get(k) != v for k, v in wanted_labels.items()):
            patch.setdefault("metadata", {})["labels"] = wanted_labels
        if any(annotations.get(k) != v for k, v in wanted_annotations.items()):
            patch.setdefault("metadata", {})["annotations"] = wanted_annotations
        if self.cfg.pod_cidr and not spec.get("podCIDR"):
            patch["spec"] = {"podCIDR": self.cfg.pod_cidr, "podCIDRs": [self.cfg.pod_cidr]}
        if patch:
            existing = await self.client.patch(f"/api/v1/nodes/{self.cfg.name}", patch)
        log.info("adopted existing node %s", self.cfg.name)
        return existing

    async def update_node_status(self) -> None:
        facts = await self.runtime_facts() if self.runtime_facts else RuntimeFacts()
        pressure = self.pressure() if self.pressure else Pressure()
        path = f"/api/v1/nodes/{self.cfg.name}"
        for _ in range(NODE_STATUS_UPDATE_RETRY):
            try:
                node: dict[str, Any] = await self.client.get(path)
            except ApiStatusError as exc:
                if exc.code == 404:
                    # Deleted under us: register again (Kubernetes' kubelet does the same on
                    # restart; a running one would keep failing).
                    await self.register()
                    continue
                raise
            status = node_status(
                self.cfg, self.host, previous=node.get("status"), pressure=pressure, runtime=facts
            )
            due = time.monotonic() - self._last_report_time >= self.report_interval
            if (
                not due
                and self._last_reported is not None
                and _without_heartbeats(status) == _without_heartbeats(node.get("status") or {})
            ):
                return
            node["status"] = status
            try:
                await self.client.update(f"{path}/status", node)
            except ApiStatusError as exc:
                if exc.code == 409:
                    continue
                raise
            self._last_reported = status
            self._last_report_time = time.monotonic()
            return
        log.warning(
            "node status %s: gave up after %d conflicts", self.cfg.name, NODE_STATUS_UPDATE_RETRY
        )
