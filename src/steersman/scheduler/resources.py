"""Resource arithmetic of the scheduler: a pod's effective requests (init containers,
sidecars, overhead) and a node's allocatable, in integer units (cpu in millicores, everything
else in base units), as Kubernetes' resource helpers compute them.

Invariant: pure; unknown or unparsable quantities count as zero, never raise.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from steersman.api.quantity import parse_quantity

Obj = dict[str, Any]
CPU = "cpu"
MEMORY = "memory"
PODS = "pods"
EPHEMERAL_STORAGE = "ephemeral-storage"
# Used for scoring only, when a container requests nothing (schedutil.DefaultMilliCPURequest...).
DEFAULT_MILLI_CPU = 100
DEFAULT_MEMORY = 200 * 1024 * 1024


def amount(name: str, raw: Any) -> int:
    if isinstance(raw, str | int):
        return _cached_amount(name == CPU, raw)
    return _parse_amount(name == CPU, raw)


@functools.lru_cache(maxsize=4096)
def _cached_amount(milli: bool, raw: str | int) -> int:
    # The same few quantities ("100m", "64Mi", "32") recur in every pod and node.
    return _parse_amount(milli, raw)


def _parse_amount(milli: bool, raw: Any) -> int:
    try:
        q = parse_quantity(str(raw))
    except (ValueError, TypeError):
        return 0
    return q.milli_value() if milli else q.value()


def resource_list(values: Mapping[str, Any] | None) -> dict[str, int]:
    return {name: amount(name, raw) for name, raw in (values or {}).items()}


def _add(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def container_requests(container: Obj, *, non_zero: bool = False) -> dict[str, int]:
    res = container.get("resources") or {}
    requests = resource_list(res.get("requests"))
    # A limit without a request defaults the request (API defaulting does this too).
    for name, value in resource_list(res.get("limits")).items():
        requests.setdefault(name, value)
    if non_zero:
        requests.setdefault(CPU, DEFAULT_MILLI_CPU)
        requests.setdefault(MEMORY, DEFAULT_MEMORY)
        if requests[CPU] == 0:
            requests[CPU] = DEFAULT_MILLI_CPU
        if requests[MEMORY] == 0:
            requests[MEMORY] = DEFAULT_MEMORY
    return requests


def pod_requests(pod: Obj, *, non_zero: bool = False) -> dict[str, int]:
    """max(sum(containers) + sum(sidecars), each init container + the sidecars before it)
    + overhead (resourcehelper.PodRequests)."""
    spec = pod.get("spec") or {}
    total: dict[str, int] = {}
    for c in spec.get("containers") or []:
        _add(total, container_requests(c, non_zero=non_zero))
    sidecars: dict[str, int] = {}
    init_max: dict[str, int] = {}
    for c in spec.get("initContainers") or []:
        req = container_requests(c, non_zero=non_zero)
        if c.get("restartPolicy") == "Always":
            _add(sidecars, req)
            _max(init_max, sidecars)
        else:
            step = dict(sidecars)
            _add(step, req)
            _max(init_max, step)
    _add(total, sidecars)
    _max(total, init_max)
    _add(total, resource_list(spec.get("overhead")))
    return total


def node_allocatable(node: Obj) -> dict[str, int]:
    status = node.get("status") or {}
    return resource_list(status.get("allocatable") or status.get("capacity"))
