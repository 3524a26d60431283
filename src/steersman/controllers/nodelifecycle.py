"""NodeLifecycleController: notices nodes whose kubelet stopped heartbeating (Lease and
status) and marks them, as Kubernetes' node lifecycle controller does.

Invariants:
- Health is judged by when *this controller* last saw the heartbeat change (the node Lease's
  renewTime or the Ready condition's lastHeartbeatTime), never by comparing the kubelet's clock
  with ours.
- A node silent for longer than the grace period (40 s) gets Ready, MemoryPressure, DiskPressure
  and PIDPressure set to Unknown ("Kubelet stopped posting node status."), and its pods' Ready
  condition set to False.
- Taints follow the Ready condition: False → node.kubernetes.io/not-ready, Unknown →
  node.kubernetes.io/unreachable, each as NoSchedule and NoExecute (with timeAdded); True → none.
  Pressure conditions and spec.unschedulable add their NoSchedule taints. Other taints are kept.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any

from steersman.api.resources import require
from steersman.client.informer import InformerFactory
from steersman.client.rest import REQUEST_ERRORS, ApiStatusError, RestClient

log = logging.getLogger("steersman.controllers.nodelifecycle")

Obj = dict[str, Any]
NODES = require("", "v1", "nodes")
LEASES = require("coordination.k8s.io", "v1", "leases")
PODS = require("", "v1", "pods")
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
CONDITION_TAINTS = {
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
    "NetworkUnavailable": "node.kubernetes.io/network-unavailable",
}
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
MANAGED = {NOT_READY, UNREACHABLE, UNSCHEDULABLE, *CONDITION_TAINTS.values()}
STATUS_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Health:
    heartbeat: str  # the last heartbeat value seen (lease renewTime / Ready heartbeat)
    observed: float  # when we saw it change (monotonic)


def _condition(node: Obj, type_: str) -> Obj | None:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def wanted_taints(node: Obj) -> list[Obj]:
    """The taints this controller owns that the node should carry now."""
    out: list[Obj] = []
    ready = _condition(node, "Ready")
    # No Ready condition yet: nothing to judge until the grace period marks it Unknown.
    status = (ready or {}).get("status", "True")
    if status == "False":
        out += [
            {"key": NOT_READY, "effect": "NoSchedule"},
            {"key": NOT_READY, "effect": "NoExecute"},
        ]
    elif status != "True":
        out += [
            {"key": UNREACHABLE, "effect": "NoSchedule"},
            {"key": UNREACHABLE, "effect": "NoExecute"},
        ]
    for cond_type, key in CONDITION_TAINTS.items():
        if (_condition(node, cond_type) or {}).get("status") == "True":
            out.append({"key": key, "effect": "NoSchedule"})
    if (node.get("spec") or {}).get("unschedulable"):
        out.append({"key": UNSCHEDULABLE, "effect": "NoSchedule"})
    return out


def reconcile_taints(node: Obj, now: str) -> list[Obj] | None:
    """The node's new taint list, or None when it is already right."""
    current = (node.get("spec") or {}).get("taints") or []
    wanted = wanted_taints(node)
    kept = [t for t in current if t.get("key") not in MANAGED]
    result = list(kept)
    for taint in wanted:
        existing = next(
            (
                t
                for t in current
                if t.get("key") == taint["key"] and t.get("effect") == taint["effect"]
            ),
            None,
        )
        if existing is not None:
            result.append(existing)
        else:
            result.append(dict(taint, timeAdded=now) if taint["effect"] == "NoExecute" else taint)
    same = len(result) == len(current) and all(t in current for t in result)
    return None if same else result


class NodeLifecycleController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        *,
        grace_period: float = 40.0,
        monitor_period: float = 5.0,
    ) -> None:
        self.client = client
        self.nodes = factory.informer(NODES)
        self.leases = factory.informer(LEASES, "kube-node-lease")
        self.pods = factory.informer(PODS)
        self.factory = factory
        self.grace_period = grace_period
        self.monitor_period = monitor_period
        self._health: dict[str, _Health] = {}

    async def run(self) -> None:
        self.factory.start()
        for informer in (self.nodes, self.leases, self.pods):
            await informer.synced.wait()
        while True:
            try:
                await self.monitor_node_health()
            except REQUEST_ERRORS as exc:
                log.info("node health: %s", exc)
            await asyncio.sleep(self.monitor_period)

    def _heartbeat(self, node: Obj) -> str:
        name = node["metadata"]["name"]
        lease = self.leases.get("kube-node-lease", name)
        renew = ((lease or {}).get("spec") or {}).get("renewTime") or ""
        ready = (_condition(node, "Ready") or {}).get("lastHeartbeatTime") or ""
        return f"{renew}|{ready}"

    async def monitor_node_health(self) -> None:
        now_mono = time.monotonic()
        names = set()
        for node in self.nodes.store.list():
            name = node["metadata"]["name"]
            names.add(name)
            beat = self._heartbeat(node)
            health = self._health.get(name)
            if health is None or health.heartbeat != beat:
                self._health[name] = health = _Health(beat, now_mono)
            if now_mono - health.observed > self.grace_period:
                await self._mark_unknown(node)
            await self._sync_taints(name)
        for gone in set(self._health) - names:
            del self._health[gone]

    async def _mark_unknown(self, node: Obj) -> None:
        ready = _condition(node, "Ready")
        if ready is not None and ready.get("status") == "Unknown":
            return
        name = node["metadata"]["name"]
        path = f"/api/v1/nodes/{name}"
        live = await self.client.get(path)
        now = _now()
        conditions = list((live.get("status") or {}).get("conditions") or [])
        by_type = {c.get("type"): c for c in conditions}
        for cond_type in STATUS_CONDITIONS:
            old = by_type.get(cond_type)
            if old is None:
                conditions.append(
                    {
                        "type": cond_type,
                        "status": "Unknown",
                        "lastHeartbeatTime": now,
                        "lastTransitionTime": now,
                        "reason": "NodeStatusNeverUpdated",
                        "message": "Kubelet never posted node status.",
                    }
                )
            elif old.get("status") != "Unknown":
                old.update(
                    status="Unknown",
                    reason="NodeStatusUnknown",
                    message="Kubelet stopped posting node status.",
                    lastTransitionTime=now,
                )
        live.setdefault("status", {})["conditions"] = conditions
        try:
            await self.client.update(f"{path}/status", live)
        except ApiStatusError as exc:
            if exc.code in (404, 409):
                return
            raise
        log.info("node %s: Ready is Unknown (no heartbeat for %ss)", name, self.grace_period)
        await self._mark_pods_not_ready(name)

    async def _mark_pods_not_ready(self, node_name: str) -> None:
        for pod in self.pods.store.list():
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            meta = pod["metadata"]
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
            try:
                live = await self.client.get(path)
                changed = False
                for cond in (live.get("status") or {}).get("conditions") or []:
                    if cond.get("type") == "Ready" and cond.get("status") != "False":
                        cond.update(status="False", lastTransitionTime=_now())
                        changed = True
                if changed:
                    await self.client.update(f"{path}/status", live)
            except ApiStatusError as exc:
                if exc.code not in (404, 409):
                    raise

    async def _sync_taints(self, name: str) -> None:
        node = self.nodes.get("", name)
        if node is None:
            return
        taints = reconcile_taints(node, _now())
        if taints is None:
            return
        path = f"/api/v1/nodes/{name}"
        for _ in range(3):
            try:
                live = await self.client.get(path)
                new = reconcile_taints(live, _now())
                if new is None:
                    return
                live.setdefault("spec", {})["taints"] = new
                if not new:
                    del live["spec"]["taints"]
                await self.client.update(path, live)
                return
            except ApiStatusError as exc:
                if exc.code == 409:
                    continue
                if exc.code == 404:
                    return
                raise
