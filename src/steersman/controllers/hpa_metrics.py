"""Pod metrics for the HorizontalPodAutoscalerController (Kubernetes' podautoscaler/metrics and
the per-pod helpers of replica_calculator.go): usage from the resource metrics API, and the
grouping, requests and ratios the replica calculation works from.

Invariants:
- Usage comes from the resource metrics API (metrics.k8s.io PodMetrics) in milli-units, summed
  over a pod's containers (or the one named); a pod without a sample for every container has no
  metric.
- A metrics API that is not there (404) is a MetricsError with client-go's wording.
- Deleted and failed pods are ignored, pending ones unready; CPU samples from pods still
  starting up are not trusted.
- Pod-level requests win over the containers' sum; a container without a request is a
  ComputeError.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Protocol

from steersman.api.quantity import quantity_from_json
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.pods import parse_time, pod_condition

Obj = dict[str, Any]

METRICS_PATH = "/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods"


class MetricsError(Exception):
    pass


class ComputeError(Exception):
    pass


# -- metrics -------------------------------------------------------------------------------
@dataclass
class PodMetric:
    value: int  # milli-units
    timestamp: datetime.datetime | None = None
    window: float = 0.0  # seconds


_DURATION_RE = re.compile(r"([0-9.]+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_go_duration(text: str) -> float:
    """A Go duration string ("30s", "1m0s", "1.5s") in seconds; 0 when unparsable."""
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_RE.findall(text or ""))


class MetricsClient(Protocol):
    async def get_resource_metric(
        self, resource: str, namespace: str, selector: str, container: str
    ) -> dict[str, PodMetric]:
        """Per-pod usage in milli-units; raises MetricsError with Kubernetes' wording."""
        ...


class RestMetricsClient:
    """Reads PodMetrics from metrics.k8s.io/v1beta1 through the API server."""

    def __init__(self, client: RestClient) -> None:
        self.client = client

    async def get_resource_metric(
        self, resource: str, namespace: str, selector: str, container: str
    ) -> dict[str, PodMetric]:
        path = METRICS_PATH.format(namespace=namespace)
        try:
            listed = await self.client.get(path, labelSelector=selector)
        except ApiStatusError as exc:
            detail = str(exc)
            if exc.code == 404:
                # client-go names the request when the group is not served at all.
                detail = (
                    "the server could not find the requested resource (get pods.metrics.k8s.io)"
                )
            raise MetricsError(
                f"unable to fetch metrics from resource metrics API: {detail}"
            ) from exc
        items = (listed or {}).get("items") or []
        if not items:
            raise MetricsError("no metrics returned from resource metrics API")
        out: dict[str, PodMetric] = {}
        for item in items:
            containers = item.get("containers") or []
            if container:
                containers = [c for c in containers if c.get("name") == container]
                if not containers:
                    raise MetricsError(
                        f"failed to get container metrics: container {container} not present "
                        f"in metrics for pod {namespace}/{item['metadata']['name']}"
                    )
            total = 0
            missing = not containers
            for entry in containers:
                raw = (entry.get("usage") or {}).get(resource)
                if raw is None:
                    missing = True
                    break
                total += quantity_from_json(raw).milli_value()
            if not missing:
                out[item["metadata"]["name"]] = PodMetric(
                    total,
                    parse_time(item.get("timestamp")),
                    parse_go_duration(item.get("window", "")),
                )
        return out


# -- per-pod grouping and ratios (replica_calculator.go) -----------------------------------
def group_pods(
    pods: list[Obj],
    metrics: dict[str, PodMetric],
    resource: str,
    now: datetime.datetime,
    cpu_initialization_period: float,
    initial_readiness_delay: float,
) -> tuple[int, set[str], set[str], set[str]]:
    """(ready count, unready, missing, ignored): deleted and failed pods are ignored, pending
    ones unready; CPU samples from pods still starting up are not trusted."""
    ready = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for pod in pods:
        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
            ignored.add(name)
            continue
        if phase == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu":
            condition = pod_condition(pod, "Ready")
            started = parse_time((pod.get("status") or {}).get("startTime"))
            transition = parse_time((condition or {}).get("lastTransitionTime"))
            if condition is None or started is None:
                is_unready = True
            elif started + datetime.timedelta(seconds=cpu_initialization_period) > now:
                # Still initializing: trust only samples taken a full window after readiness.
                is_unready = condition.get("status") == "False" or (
                    metric.timestamp is not None
                    and transition is not None
                    and metric.timestamp < transition + datetime.timedelta(seconds=metric.window)
                )
            else:
                # Unready and never ready since starting: ignore.
                is_unready = (
                    condition.get("status") == "False"
                    and transition is not None
                    and started + datetime.timedelta(seconds=initial_readiness_delay) > transition
                )
            if is_unready:
                unready.add(name)
                continue
        ready += 1
    return ready, unready, missing, ignored


def pod_requests(pods: list[Obj], container: str, resource: str) -> dict[str, int]:
    """Milli-unit requests per pod (pod-level requests win over the containers' sum)."""
    out: dict[str, int] = {}
    for pod in pods:
        spec = pod.get("spec") or {}
        pod_level = ((spec.get("resources") or {}).get("requests") or {}).get(resource)
        if pod_level is not None and not container:
            out[pod["metadata"]["name"]] = quantity_from_json(pod_level).milli_value()
            continue
        total = 0
        for c in spec.get("containers") or []:
            if container and c.get("name") != container:
                continue
            raw = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if raw is None:
                raise ComputeError(
                    f"missing request for {resource} in container {c.get('name')} "
                    f"of Pod {pod['metadata']['name']}"
                )
            total += quantity_from_json(raw).milli_value()
        out[pod["metadata"]["name"]] = total
    return out


def utilization_ratio(
    metrics: dict[str, PodMetric], requests: dict[str, int], target: int
) -> tuple[float, int, int]:
    """GetResourceUtilizationRatio: (ratio to target, utilization %, average raw value)."""
    used = 0
    requested = 0
    entries = 0
    for name, metric in metrics.items():
        if name not in requests:
            continue  # an extraneous metric
        used += metric.value
        requested += requests[name]
        entries += 1
    if requested == 0:
        raise ComputeError("no metrics returned matched known pods")
    utilization = used * 100 // requested
    return utilization / target, utilization, used // entries


def usage_ratio(metrics: dict[str, PodMetric], target: int) -> tuple[float, int]:
    """GetMetricUsageRatio: (ratio to target, average value)."""
    average = sum(m.value for m in metrics.values()) // len(metrics)
    return average / target, average
