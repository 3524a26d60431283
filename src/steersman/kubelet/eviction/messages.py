"""The words of an eviction: the status/event message for a pressure eviction (evictionMessage)
and for local-storage limit violations (localStorageEviction).

Invariants: pure; wording, spacing (each sentence ends with ". ") and quantity formatting
are upstream's, e.g. `The node was low on resource: memory. Threshold quantity: 100Mi,
available: 90Ki. Container c was using 200Mi, request is 0, has larger consumption of memory. `
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api.quantity import BINARY_SI, Quantity
from steersman.kubelet.eviction.observations import Observations, StatsFunc, threshold_quantity
from steersman.kubelet.eviction.pods import memory_usage, quantity_or_none
from steersman.kubelet.eviction.thresholds import (
    RESOURCE_EPHEMERAL_STORAGE,
    RESOURCE_MEMORY,
    SIGNAL_TO_RESOURCE,
    Threshold,
    go_quote,
)

Obj = dict[str, Any]


def threshold_met_info(
    resource: str, thresholds: Sequence[Threshold], observations: Observations
) -> tuple[Quantity, Quantity] | None:
    for t in thresholds:
        if SIGNAL_TO_RESOURCE.get(t.signal) == resource and t.signal in observations:
            observed = observations[t.signal]
            return threshold_quantity(t.value, observed.capacity), observed.available_quantity()
    return None


def _request_quantity(container: Obj, resource: str) -> Quantity:
    raw = ((container.get("resources") or {}).get("requests") or {}).get(resource)
    q = quantity_or_none(raw) if raw is not None else None
    return q if q is not None else Quantity(0)


def eviction_message(
    resource: str,
    pod: Obj,
    stats: StatsFunc,
    thresholds: Sequence[Threshold],
    observations: Observations,
) -> tuple[str, dict[str, str]]:
    """evictionMessage: the status message/event text, and the event's annotations."""
    annotations: dict[str, str] = {}
    message = f"The node was low on resource: {resource}. "
    info = threshold_met_info(resource, thresholds, observations)
    if info is not None:
        message += f"Threshold quantity: {info[0]}, available: {info[1]}. "
    pod_stats = stats(pod)
    if pod_stats is None:
        return message, annotations
    spec = pod.get("spec") or {}
    pod_level = ((spec.get("resources") or {}).get("requests") or {}).get(resource)
    if resource == RESOURCE_MEMORY and pod_level is not None and "memory" in pod_stats:
        usage = str(Quantity.from_int(memory_usage(pod_stats), BINARY_SI))
        name = pod["metadata"]["name"]
        message += (
            f"Pod {name} was using {usage}, request is {quantity_or_none(pod_level) or pod_level}, "
            f"has larger consumption of {resource}. "
        )
        annotations.update(offending_pod=name, offending_pod_usage=usage)
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    exceeded: list[str] = []
    usages: list[str] = []
    for c_stats in pod_stats.get("containers") or []:
        container = next((c for c in containers if c.get("name") == c_stats.get("name")), None)
        if container is None:
            continue
        request = _request_quantity(container, resource)
        used: int | None = None
        if resource == RESOURCE_EPHEMERAL_STORAGE:
            rootfs, logs = c_stats.get("rootfs") or {}, c_stats.get("logs") or {}
            if "usedBytes" in rootfs and "usedBytes" in logs:
                used = rootfs["usedBytes"] + logs["usedBytes"]
        elif resource == RESOURCE_MEMORY and "workingSetBytes" in (c_stats.get("memory") or {}):
            used = c_stats["memory"]["workingSetBytes"]
        if used is not None and used > request.value():
            usage = str(Quantity.from_int(used, BINARY_SI))
            message += (
                f"Container {container['name']} was using {usage}, request is {request}, "
                f"has larger consumption of {resource}. "
            )
            exceeded.append(container["name"])
            usages.append(usage)
    annotations["offending_containers"] = ",".join(exceeded)
    annotations["offending_containers_usage"] = ",".join(usages)
    annotations["starved_resource"] = resource
    return message, annotations


def local_storage_violation(pod: Obj, stats: Obj, dedicated_image_fs: bool) -> str | None:
    """The eviction message when the pod broke an emptyDir sizeLimit, its total ephemeral
    storage limit or a container's (localStorageEviction); None when it did not."""
    spec = pod.get("spec") or {}
    used = {v.get("name"): int(v.get("usedBytes") or 0) for v in stats.get("volume") or []}
    for volume in spec.get("volumes") or []:
        source = volume.get("emptyDir")
        if source is None or (source or {}).get("sizeLimit") is None:
            continue
        size = quantity_or_none(source["sizeLimit"])
        name = volume.get("name", "")
        if size is not None and size.sign() > 0 and name in used and used[name] > size.value():
            return f"Usage of EmptyDir volume {go_quote(name)} exceeds the limit {go_quote(str(size))}. "
    if any(
        RESOURCE_EPHEMERAL_STORAGE in ((c.get("resources") or {}).get("limits") or {})
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
    ):
        limit = _pod_ephemeral_limit(spec)
        total = int((stats.get("ephemeral-storage") or {}).get("usedBytes") or 0)
        if total > limit.value():
            return (
                f"Pod ephemeral local storage usage exceeds the total limit of containers {limit}. "
            )
    by_name = {c.get("name"): c for c in spec.get("containers") or []}
    for c_stats in stats.get("containers") or []:
        container = by_name.get(c_stats.get("name"))
        raw = (((container or {}).get("resources") or {}).get("limits") or {}).get(
            RESOURCE_EPHEMERAL_STORAGE
        )
        limit_q = quantity_or_none(raw) if raw is not None else None
        if limit_q is None or limit_q.value() == 0:
            continue
        usage = int((c_stats.get("logs") or {}).get("usedBytes") or 0)
        if not dedicated_image_fs:
            usage += int((c_stats.get("rootfs") or {}).get("usedBytes") or 0)
        if usage > limit_q.value():
            return (
                f"Container {c_stats['name']} exceeded its local ephemeral storage limit "
                f"{go_quote(str(limit_q))}. "
            )
    return None


def _pod_ephemeral_limit(spec: Obj) -> Quantity:
    """PodLimits for ephemeral-storage: containers summed, at least any init container's,
    plus overhead."""

    def limit(c: Obj) -> Quantity:
        raw = ((c.get("resources") or {}).get("limits") or {}).get(RESOURCE_EPHEMERAL_STORAGE)
        q = quantity_or_none(raw) if raw is not None else None
        return q if q is not None else Quantity(0, BINARY_SI)

    total = Quantity(0, BINARY_SI)
    for c in spec.get("containers") or []:
        total = total + limit(c)
    for c in spec.get("initContainers") or []:
        if limit(c) > total:
            total = limit(c)
    overhead = (spec.get("overhead") or {}).get(RESOURCE_EPHEMERAL_STORAGE)
    if overhead is not None and (q := quantity_or_none(overhead)) is not None:
        total = total + q
    return total
