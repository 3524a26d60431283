"""Rolling-update planning of the DaemonSet controller (Kubernetes' pkg/controller/daemon
update.go and the surge pruning of podsShouldBeOnNode), as pure functions.

Invariants:
- Without surge: an out-of-date pod that is not available is always replaced; available ones
  are deleted only while fewer than maxUnavailable nodes are unavailable (a node with no pod,
  two pods or an unavailable new pod counts as unavailable); the create loop then replaces them.
- With surge: a new pod is created next to an available old one for at most maxSurge nodes at
  a time, and the old pod goes only once the new one is available. Pods on nodes that should no
  longer run the daemon go only once as many pods elsewhere are available.
- Deleted pods are ignored, so updates progress while nodes are down. Nodes are visited in name
  order, so a plan is deterministic. No I/O; inputs are never changed except where noted.
"""

from __future__ import annotations

import datetime
from typing import Any

from steersman.controllers import daemonset_util as dsu
from steersman.controllers.pods import is_pod_available, is_pod_ready

Obj = dict[str, Any]


class DaemonSetSyncError(Exception):
    """A DaemonSet sync could not finish; it is retried with backoff."""


def _min_ready(ds: Obj) -> int:
    return int((ds.get("spec") or {}).get("minReadySeconds") or 0)


def _name(pod: Obj) -> str:
    return str(pod["metadata"]["name"])


def desired_node_counts(
    ds: Obj, nodes: list[Obj], node_to_pods: dict[str, list[Obj]]
) -> tuple[int, int, int]:
    """updatedDesiredNodeCounts: (maxSurge, maxUnavailable, desired). Mutates `node_to_pods`:
    every node that should run the daemon gets an entry."""
    desired = 0
    for node in nodes:
        if dsu.node_should_run_daemon_pod(node, ds)[0]:
            desired += 1
            node_to_pods.setdefault(node["metadata"]["name"], [])
    max_unavailable = dsu.unavailable_count(ds, desired)
    max_surge = dsu.surge_count(ds, desired)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1  # an impossible configuration: accept unavailability
    return max_surge, max_unavailable, desired


def find_updated_pods_on_node(
    ds: Obj, pods: list[Obj], hash_: str
) -> tuple[Obj | None, Obj | None, bool]:
    """(new pod, old pod, ok): ok is False when a node has two new or two old pods."""
    new_pod: Obj | None = None
    old_pod: Obj | None = None
    generation = dsu.template_generation(ds)
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if dsu.is_pod_updated(pod, hash_, generation):
            if new_pod is not None:
                return None, None, False
            new_pod = pod
        else:
            if old_pod is not None:
                return None, None, False
            old_pod = pod
    return new_pod, old_pod, True


def surge_excess(ds: Obj, running: list[Obj], hash_: str, now: datetime.datetime) -> list[str]:
    """With surge a node keeps its oldest new and oldest old pod; the old one goes once the new
    one is available or the old one is not ready. `running` is oldest first."""
    delete: list[str] = []
    oldest_new: Obj | None = None
    oldest_old: Obj | None = None
    for pod in running:
        if (pod["metadata"].get("labels") or {}).get(
            dsu.DEFAULT_DAEMON_SET_UNIQUE_LABEL_KEY
        ) == hash_:
            if oldest_new is None:
                oldest_new = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        delete.append(_name(pod))
    if (
        oldest_new is not None
        and oldest_old is not None
        and (not is_pod_ready(oldest_old) or is_pod_available(oldest_new, _min_ready(ds), now))
    ):
        delete.append(_name(oldest_old))
    return delete


def plan_rolling_update(
    ds: Obj,
    nodes: list[Obj],
    node_to_pods: dict[str, list[Obj]],
    hash_: str,
    now: datetime.datetime,
) -> tuple[list[str], list[str]]:
    """rollingUpdate: (pods to delete, nodes to create a new pod on). Mutates `node_to_pods`
    as `desired_node_counts` does."""
    max_surge, max_unavailable, desired = desired_node_counts(ds, nodes, node_to_pods)
    if max_surge == 0:
        return _plan_without_surge(ds, node_to_pods, hash_, max_unavailable, now), []
    return _plan_with_surge(ds, nodes, node_to_pods, hash_, max_surge, desired, now)


def _plan_without_surge(
    ds: Obj,
    node_to_pods: dict[str, list[Obj]],
    hash_: str,
    max_unavailable: int,
    now: datetime.datetime,
) -> list[str]:
    min_ready = _min_ready(ds)
    unavailable = 0
    replacements: list[str] = []
    candidates: list[str] = []
    for node_name in sorted(node_to_pods):
        new_pod, old_pod, ok = find_updated_pods_on_node(ds, node_to_pods[node_name], hash_)
        if not ok or (old_pod is None) == (new_pod is None):
            unavailable += 1  # the manage loop creates or prunes here
        elif new_pod is not None:
            if not is_pod_available(new_pod, min_ready, now):
                unavailable += 1
        elif old_pod is not None:
            if not is_pod_available(old_pod, min_ready, now):
                replacements.append(_name(old_pod))
                unavailable += 1
            elif unavailable < max_unavailable:
                candidates.append(_name(old_pod))
    remaining = min(max(max_unavailable - unavailable, 0), len(candidates))
    return replacements + candidates[:remaining]


def _plan_with_surge(
    ds: Obj,
    nodes: list[Obj],
    node_to_pods: dict[str, list[Obj]],
    hash_: str,
    max_surge: int,
    desired: int,
    now: datetime.datetime,
) -> tuple[list[str], list[str]]:
    min_ready = _min_ready(ds)
    by_name = {n["metadata"]["name"]: n for n in nodes}
    to_delete: list[str] = []
    should_not_run: list[str] = []
    candidates: list[str] = []
    allowed: list[str] = []
    surge = 0
    available = 0
    for node_name in sorted(node_to_pods):
        new_pod, old_pod, ok = find_updated_pods_on_node(ds, node_to_pods[node_name], hash_)
        if not ok:
            surge += 1  # the manage loop prunes this node first
            continue
        counted = old_pod if old_pod is not None else new_pod
        if counted is not None and is_pod_available(counted, min_ready, now):
            available += 1
        if old_pod is None:
            continue
        if new_pod is not None:
            if is_pod_available(new_pod, min_ready, now):
                to_delete.append(_name(old_pod))
            else:
                surge += 1  # waiting for the new pod to become available
            continue
        node = by_name.get(node_name)
        if node is None:
            raise DaemonSetSyncError(f"couldn't get node for nodeName {node_name!r}")
        wanted = dsu.node_should_run_daemon_pod(node, ds)[0]
        if not is_pod_available(old_pod, min_ready, now):
            if wanted:
                allowed.append(node_name)
            else:
                to_delete.append(_name(old_pod))
        elif not wanted:
            should_not_run.append(_name(old_pod))
        elif surge < max_surge:
            candidates.append(node_name)
    deletable = min(available - desired, len(should_not_run))
    if deletable > 0:
        to_delete += should_not_run[:deletable]
    remaining = min(max(max_surge - surge, 0), len(candidates))
    return to_delete, allowed + candidates[:remaining]
