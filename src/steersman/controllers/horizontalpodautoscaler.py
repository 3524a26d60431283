"""HorizontalPodAutoscalerController: scales a workload through its /scale subresource to keep
the pods' resource use near a target (Kubernetes' pkg/controller/podautoscaler, autoscaling/v2).

Invariants:
- Every HPA is reconciled once per resync period (15 s): handlers and workers only ever add its
  key after that delay, so events never make an HPA act sooner.
- Replicas come from scale.spec.replicas; pods from the target's scale.status.selector; usage
  from the resource metrics API (metrics.k8s.io PodMetrics). Resource and ContainerResource
  metrics are computed (utilization of requests, or average value) with Kubernetes' tolerance,
  readiness and missing-pod rules; Pods/Object/External metrics need APIs steersman does not
  serve and report FailedGet...Metric.
- A metrics API that is not there (404) is "metrics unavailable": ScalingActive False,
  FailedGetResourceMetric, and the target is left alone.
- Recommendations are stabilized (without spec.behavior: the highest of the last 5 minutes on
  scale-down and at most max(2x, 4) on scale-up; with behavior: its stabilization windows and
  rate policies), then bounded by min/maxReplicas; conditions AbleToScale, ScalingActive and
  ScalingLimited say why. The HPA status is written only when it changed.
- Stabilization history lives in memory, as in Kubernetes: a restart starts it afresh.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from steersman.api.labels import Selector, parse_selector
from steersman.api.quantity import Quantity, quantity_from_json
from steersman.api.resources import ResourceInfo, Subresource, lookup, lookup_kind, require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.pods import parse_time, pod_condition

log = logging.getLogger("steersman.controllers.horizontalpodautoscaler")

Obj = dict[str, Any]

PODS = require("", "v1", "pods")
# Served by the API server once autoscaling/v2 is in the resource table; described here until then.
HPAS: ResourceInfo = lookup("autoscaling", "v2", "horizontalpodautoscalers") or ResourceInfo(
    group="autoscaling",
    version="v2",
    resource="horizontalpodautoscalers",
    kind="HorizontalPodAutoscaler",
    singular="horizontalpodautoscaler",
    namespaced=True,
    short_names=("hpa",),
    categories=("all",),
    subresources=(Subresource("status", "HorizontalPodAutoscaler"),),
    schema_package="autoscaling",
)

EVENT_COMPONENT = "horizontal-pod-autoscaler"  # the EventRecorder's component name
RESYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period
DOWNSCALE_STABILIZATION = 300.0  # --horizontal-pod-autoscaler-downscale-stabilization
TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
METRICS_PATH = "/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods"
DEFAULT_METRICS: list[Obj] = [
    {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
    }
]

# Conditions as (type, status, reason, message); messages are Kubernetes' own.
SUCCEEDED_GET_SCALE = (
    "AbleToScale",
    "True",
    "SucceededGetScale",
    "the HPA controller was able to get the target's current scale",
)
READY_FOR_NEW_SCALE = (
    "AbleToScale",
    "True",
    "ReadyForNewScale",
    "recommended size matches current size",
)
SCALE_DOWN_STABILIZED = (
    "AbleToScale",
    "True",
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent "
    "recommendation",
)
SCALE_UP_STABILIZED = (
    "AbleToScale",
    "True",
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
)
SCALING_DISABLED = (
    "ScalingActive",
    "False",
    "ScalingDisabled",
    "scaling is disabled since the replica count of the target is zero",
)
MISSING_SELECTOR = (
    "ScalingActive",
    "False",
    "InvalidSelector",
    "the HPA target's scale is missing a selector",
)
SCALE_UP_LIMIT = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
)
SCALE_DOWN_LIMIT = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
)
TOO_MANY_REPLICAS = (
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
)
TOO_FEW_REPLICAS = (
    "TooFewReplicas",
    "the desired replica count is less than the minimum replica count",
)
WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
# Metric sources that need the custom or external metrics APIs, which steersman does not serve.
_UNSERVED_METRICS = {
    "Pods": ("pods", "FailedGetPodsMetric", "custom", "pods metric value"),
    "Object": ("object", "FailedGetObjectMetric", "custom", "object metric value"),
    "External": ("external", "FailedGetExternalMetric", "external", "{name} external metric value"),
}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _rfc3339(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


# -- replica calculation (replica_calculator.go) --------------------------------------------
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


@dataclass
class Proposal:
    replicas: int
    utilization: int | None
    raw: int


class ReplicaCalculator:
    def __init__(
        self,
        metrics: MetricsClient,
        *,
        tolerance: float = TOLERANCE,
        cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
        initial_readiness_delay: float = INITIAL_READINESS_DELAY,
    ) -> None:
        self.metrics = metrics
        self.tolerance = tolerance
        self.cpu_initialization_period = cpu_initialization_period
        self.initial_readiness_delay = initial_readiness_delay

    async def resource_replicas(
        self,
        current: int,
        pods: list[Obj],
        *,
        resource: str,
        namespace: str,
        selector: str,
        container: str,
        target_utilization: int | None,
        target_value: int | None,
        now: datetime.datetime,
    ) -> Proposal:
        """GetResourceReplicas (utilization of requests) / GetRawResourceReplicas (value)."""
        try:
            metrics = await self.metrics.get_resource_metric(
                resource, namespace, selector, container
            )
        except MetricsError as exc:
            raise ComputeError(f"unable to get metrics for resource {resource}: {exc}") from exc
        if not pods:
            raise ComputeError("no pods returned by selector while calculating replica count")
        ready, unready, missing, ignored = group_pods(
            pods,
            metrics,
            resource,
            now,
            self.cpu_initialization_period,
            self.initial_readiness_delay,
        )
        for name in ignored | unready:
            metrics.pop(name, None)
        if not metrics:
            raise ComputeError("did not receive metrics for targeted pods (pods might be unready)")

        requests: dict[str, int] = {}
        if target_utilization is not None:
            requests = pod_requests(pods, container, resource)

            def ratio_of(m: dict[str, PodMetric]) -> tuple[float, int | None, int]:
                ratio, utilization, raw = utilization_ratio(m, requests, target_utilization)
                return ratio, utilization, raw
        else:
            target = target_value or 1

            def ratio_of(m: dict[str, PodMetric]) -> tuple[float, int | None, int]:
                ratio, raw = usage_ratio(m, target)
                return ratio, None, raw

        ratio, utilization, raw = ratio_of(metrics)
        within = abs(1.0 - ratio) <= self.tolerance
        scale_up_with_unready = bool(unready) and ratio > 1.0
        if not scale_up_with_unready and not missing:
            if within:
                return Proposal(current, utilization, raw)
            return Proposal(math.ceil(ratio * ready), utilization, raw)

        if missing:
            for name in missing:
                if ratio < 1.0:
                    # Scaling down: assume missing pods use their whole request (or the target).
                    if target_utilization is not None:
                        fallback = max(100, target_utilization)
                        metrics[name] = PodMetric(requests.get(name, 0) * fallback // 100)
                    else:
                        metrics[name] = PodMetric(target_value or 0)
                elif ratio > 1.0:
                    metrics[name] = PodMetric(0)  # scaling up: assume they use nothing
        if scale_up_with_unready:
            for name in unready:
                metrics[name] = PodMetric(0)
        new_ratio, _, _ = ratio_of(metrics)
        if (
            abs(1.0 - new_ratio) <= self.tolerance
            or (ratio < 1.0 < new_ratio)
            or (ratio > 1.0 > new_ratio)
        ):
            # Too small a change, or the assumptions flipped the direction: stay.
            return Proposal(current, utilization, raw)
        replicas = math.ceil(new_ratio * len(metrics))
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return Proposal(current, utilization, raw)
        return Proposal(replicas, utilization, raw)


# -- scaling rules (horizontal.go) ----------------------------------------------------------
def default_scale_up_rules(rules: Obj | None) -> Obj:
    out = copy.deepcopy(rules or {})
    out.setdefault("stabilizationWindowSeconds", 0)
    out.setdefault("selectPolicy", "Max")
    if not out.get("policies"):
        out["policies"] = [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ]
    return out


def default_scale_down_rules(rules: Obj | None, stabilization: float) -> Obj:
    out = copy.deepcopy(rules or {})
    if out.get("stabilizationWindowSeconds") is None:
        out["stabilizationWindowSeconds"] = int(stabilization)
    out.setdefault("selectPolicy", "Max")
    if not out.get("policies"):
        out["policies"] = [{"type": "Percent", "value": 100, "periodSeconds": 15}]
    return out


@dataclass
class ScaleEvent:
    change: int  # absolute
    at: datetime.datetime
    outdated: bool = False


def replicas_changed_in_period(
    period: int, events: list[ScaleEvent], now: datetime.datetime
) -> int:
    cutoff = now - datetime.timedelta(seconds=period)
    return sum(e.change for e in events if e.at > cutoff)


def scale_up_limit_with_rules(
    current: int, ups: list[ScaleEvent], downs: list[ScaleEvent], rules: Obj, now: datetime.datetime
) -> int:
    """calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    pick = min if select == "Min" else max
    result: int | None = None
    for policy in rules.get("policies") or []:
        period = int(policy.get("periodSeconds", 15))
        start = (
            current
            - replicas_changed_in_period(period, ups, now)
            + replicas_changed_in_period(period, downs, now)
        )
        if policy.get("type") == "Pods":
            proposed = start + int(policy.get("value", 0))
        else:
            proposed = math.ceil(start * (1 + int(policy.get("value", 0)) / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def scale_down_limit_with_rules(
    current: int, ups: list[ScaleEvent], downs: list[ScaleEvent], rules: Obj, now: datetime.datetime
) -> int:
    """calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    pick = max if select == "Min" else min
    result: int | None = None
    for policy in rules.get("policies") or []:
        period = int(policy.get("periodSeconds", 15))
        start = (
            current
            - replicas_changed_in_period(period, ups, now)
            + replicas_changed_in_period(period, downs, now)
        )
        if policy.get("type") == "Pods":
            proposed = start - int(policy.get("value", 0))
        else:
            proposed = int(start * (1 - int(policy.get("value", 0)) / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def convert_desired_replicas_with_rules(
    current: int, desired: int, minimum: int, maximum: int
) -> tuple[int, str, str]:
    """Bounds without behavior: min/maxReplicas and at most max(2x, 4) replicas at once."""
    scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    if maximum > scale_up_limit:
        allowed, limiting = scale_up_limit, SCALE_UP_LIMIT
    else:
        allowed, limiting = maximum, TOO_MANY_REPLICAS
    if desired < minimum:
        return (minimum, *TOO_FEW_REPLICAS)
    if desired > allowed:
        return (allowed, *limiting)
    return (desired, *WITHIN_RANGE)


def set_condition(
    status: Obj, condition: tuple[str, str, str, str], now: datetime.datetime
) -> None:
    """setCondition: add or change one (type, status, reason, message) condition; its
    transition time moves only when its status does."""
    type_, value, reason, message = condition
    conditions = status.setdefault("conditions", [])
    index = next((i for i, c in enumerate(conditions) if c.get("type") == type_), None)
    old = conditions[index] if index is not None else {}
    since = old.get("lastTransitionTime")
    if old.get("status") != value or not since:
        since = _rfc3339(now)
    # The Go struct's field order, for readable `kubectl get -o yaml`.
    new = {
        "type": type_,
        "status": value,
        "lastTransitionTime": since,
        "reason": reason,
        "message": message,
    }
    if index is None:
        conditions.append(new)
    else:
        conditions[index] = new


def stabilize_recommendation(
    history: list[Recommendation], desired: int, window: float, now: datetime.datetime
) -> int:
    """stabilizeRecommendation: the highest recommendation of the window; `desired` is
    recorded (in the slot of a sample older than the window, if any)."""
    cutoff = now - datetime.timedelta(seconds=window)
    highest = max([desired] + [r.replicas for r in history if r.at >= cutoff])
    _record(history, Recommendation(desired, now), lambda r: r.at < cutoff)
    return highest


def stabilize_with_behaviors(
    history: list[Recommendation],
    current: int,
    desired: int,
    up_window: float,
    down_window: float,
    now: datetime.datetime,
) -> tuple[int, tuple[str, str, str, str]]:
    """stabilizeRecommendationWithBehaviors: no higher than the lowest recommendation of the
    scale-up window, no lower than the highest of the scale-down window."""
    up_cutoff = now - datetime.timedelta(seconds=up_window)
    down_cutoff = now - datetime.timedelta(seconds=down_window)
    up = min([desired] + [r.replicas for r in history if r.at > up_cutoff])
    down = max([desired] + [r.replicas for r in history if r.at > down_cutoff])
    _record(
        history, Recommendation(desired, now), lambda r: r.at < up_cutoff and r.at < down_cutoff
    )
    stabilized = min(max(current, up), down)
    return stabilized, SCALE_UP_STABILIZED if desired >= current else SCALE_DOWN_STABILIZED


def _record(
    history: list[Recommendation], new: Recommendation, old: Callable[[Recommendation], bool]
) -> None:
    stale = [i for i, r in enumerate(history) if old(r)]
    if stale:
        history[stale[-1]] = new
    else:
        history.append(new)


def convert_with_behavior_rate(
    current: int,
    desired: int,
    minimum: int,
    maximum: int,
    ups: list[ScaleEvent],
    downs: list[ScaleEvent],
    up: Obj,
    down: Obj,
    now: datetime.datetime,
) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate: min/maxReplicas and the rate policies."""
    if desired > current:
        limit = max(scale_up_limit_with_rules(current, ups, downs, up, now), current)
        allowed, limiting = (
            (limit, SCALE_UP_LIMIT) if maximum > limit else (maximum, TOO_MANY_REPLICAS)
        )
        if desired > allowed:
            return (allowed, *limiting)
    elif desired < current:
        limit = min(scale_down_limit_with_rules(current, ups, downs, down, now), current)
        allowed, limiting = (
            (limit, SCALE_DOWN_LIMIT) if minimum < limit else (minimum, TOO_FEW_REPLICAS)
        )
        if desired < allowed:
            return (allowed, *limiting)
    return (desired, *WITHIN_RANGE)


def store_scale_event(
    events: list[ScaleEvent], change: int, rules: Obj, now: datetime.datetime
) -> None:
    """storeScaleEvent: events older than every policy's period give their slot to the new one."""
    longest = max((int(p.get("periodSeconds", 0)) for p in rules["policies"]), default=0)
    cutoff = now - datetime.timedelta(seconds=longest)
    for event in events:
        if event.at < cutoff:
            event.outdated = True
    fresh = ScaleEvent(change, now)
    slot = next((i for i, e in enumerate(events) if e.outdated), None)
    if slot is None:
        events.append(fresh)
    else:
        events[slot] = fresh


def _milli_quantity(milli: int) -> str:
    return str(Quantity.from_milli(milli))


@dataclass
class Recommendation:
    replicas: int
    at: datetime.datetime


class _MetricFailure(Exception):
    """One metric could not be computed: the condition to report, and the error."""

    def __init__(self, condition: tuple[str, str, str, str], error: str) -> None:
        super().__init__(error)
        self.condition = condition


# -- the controller -------------------------------------------------------------------------
class HorizontalPodAutoscalerController:
    def __init__(
        self,
        client: RestClient,
        factory: InformerFactory,
        recorder: EventRecorder,
        *,
        metrics: MetricsClient | None = None,
        workers: int = 5,
        resync_period: float = RESYNC_PERIOD,
        downscale_stabilization: float = DOWNSCALE_STABILIZATION,
        tolerance: float = TOLERANCE,
        cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
        initial_readiness_delay: float = INITIAL_READINESS_DELAY,
        clock: Callable[[], datetime.datetime] = _now,
    ) -> None:
        self.client = client
        self.factory = factory
        self.recorder = recorder
        self.workers = workers
        self.resync_period = resync_period
        self.downscale_stabilization = downscale_stabilization
        self.clock = clock
        self.calculator = ReplicaCalculator(
            metrics or RestMetricsClient(client),
            tolerance=tolerance,
            cpu_initialization_period=cpu_initialization_period,
            initial_readiness_delay=initial_readiness_delay,
        )
        self.queue: WorkQueue[str] = WorkQueue()
        self.hpas = factory.informer(HPAS)
        self.pods = factory.informer(PODS)
        self.recommendations: dict[str, list[Recommendation]] = {}
        self.scale_up_events: dict[str, list[ScaleEvent]] = {}
        self.scale_down_events: dict[str, list[ScaleEvent]] = {}
        self.selectors: dict[str, Selector] = {}
        self._handlers_added = False

    # -- wiring --------------------------------------------------------------------------
    async def run(self) -> None:
        if not self._handlers_added:
            self._handlers_added = True
            self.hpas.add_event_handler(
                on_add=self._enqueue,
                on_update=lambda _old, new: self._enqueue(new),
                on_delete=self._deleted,
            )
        self.factory.start()
        await self.hpas.synced.wait()
        await self.pods.synced.wait()
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.workers):
                tg.create_task(self._worker())

    def _enqueue(self, hpa: Obj) -> None:
        # Always after a resync period: HPAs are evaluated on a clock, not on events.
        self.queue.add_after(object_key(hpa), self.resync_period)

    def _deleted(self, hpa: Obj) -> None:
        key = object_key(hpa)
        self.queue.forget(key)
        self.selectors.pop(key, None)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            deleted = False
            try:
                deleted = await self.reconcile_key(key)
            except Exception as exc:
                if isinstance(exc, ApiStatusError | OSError | TimeoutError | ComputeError):
                    log.info("reconcile HPA %s: %s", key, exc)
                else:
                    log.exception("reconcile HPA %s", key)
            finally:
                if not deleted:
                    self.queue.add_after(key, self.resync_period)
                self.queue.done(key)

    async def reconcile_key(self, key: str) -> bool:
        """Reconcile one HPA; True when it no longer exists (its history is dropped)."""
        namespace, name = split_key(key)
        hpa = self.hpas.get(namespace, name)
        if hpa is None:
            for history in (
                self.recommendations,
                self.scale_up_events,
                self.scale_down_events,
                self.selectors,
            ):
                history.pop(key, None)
            return True
        await self.reconcile_autoscaler(hpa, key)
        return False

    # -- reconcile -----------------------------------------------------------------------
    async def reconcile_autoscaler(self, shared: Obj, key: str) -> None:
        hpa = copy.deepcopy(shared)
        original: Obj = copy.deepcopy(shared.get("status") or {})
        status: Obj = copy.deepcopy(original)
        spec = hpa.get("spec") or {}
        namespace = hpa["metadata"]["namespace"]
        now = self.clock()
        ref = spec.get("scaleTargetRef") or {}
        kind, target = str(ref.get("kind", "")), str(ref.get("name", ""))
        reference = f"{kind}/{namespace}/{target}"
        api_version = str(ref.get("apiVersion", ""))
        group = api_version.rpartition("/")[0] if "/" in api_version else ""

        info = lookup_kind(group, kind)
        if info is None or info.subresource("scale") is None:
            message = f'no matches for kind "{kind}" in group "{group}"'
            await self._scale_unreadable(hpa, original, status, message, now)
            raise ComputeError(
                f"unable to determine resource for scale target reference: {message}"
            )
        scale_path = object_path(info, namespace, target, "scale")
        try:
            scale: Obj = await self.client.get(scale_path)
        except ApiStatusError as exc:
            await self._scale_unreadable(hpa, original, status, str(exc), now)
            raise ComputeError(f"failed to query scale subresource for {reference}: {exc}") from exc
        set_condition(status, SUCCEEDED_GET_SCALE, now)
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        self.recommendations.setdefault(key, [Recommendation(current, now)])

        minimum = 1 if spec.get("minReplicas") is None else int(spec["minReplicas"])
        maximum = int(spec.get("maxReplicas") or 0)
        desired, reason, rescale = 0, "", True
        metric_statuses: list[Obj] | None = None
        if current == 0 and minimum != 0:
            rescale = False  # autoscaling is off while the target is scaled to zero
            set_condition(status, SCALING_DISABLED, now)
        elif current > maximum:
            desired, reason = maximum, "Current number of replicas above Spec.MaxReplicas"
        elif current < minimum:
            desired, reason = minimum, "Current number of replicas below Spec.MinReplicas"
        else:
            proposal, metric, metric_statuses, error = await self.compute_replicas_for_metrics(
                hpa, status, scale, spec.get("metrics") or DEFAULT_METRICS, now, key
            )
            if error is not None and proposal == -1:
                self._set_status(status, current, status.get("desiredReplicas", 0), metric_statuses)
                await self._update_status_if_needed(hpa, original, status)
                self.recorder.event(hpa, WARNING, "FailedComputeMetricsReplicas", error)
                raise ComputeError(
                    "failed to compute desired number of replicas based on listed metrics for "
                    f"{reference}: {error}"
                )
            if error is not None:
                log.info("HPA %s: %s", key, error)  # some metrics failed; scale on the others
            desired = max(desired, proposal)
            if desired > current:
                reason = f"{metric} above target"
            elif desired < current:
                reason = "All metrics below target"
            desired = self._normalize(status, spec, key, current, desired, minimum, maximum, now)
            rescale = desired != current

        if rescale:
            scale.setdefault("spec", {})["replicas"] = desired
            try:
                await self.client.update(scale_path, scale)
            except ApiStatusError as exc:
                self.recorder.event(
                    hpa,
                    WARNING,
                    "FailedRescale",
                    f"New size: {desired}; reason: {reason}; error: {exc}",
                )
                message = f"the HPA controller was unable to update the target scale: {exc}"
                set_condition(status, ("AbleToScale", "False", "FailedUpdateScale", message), now)
                self._set_status(status, current, status.get("desiredReplicas", 0), metric_statuses)
                await self._update_status_if_needed(hpa, original, status)
                raise ComputeError(f"failed to rescale {reference}: {exc}") from exc
            message = f"the HPA controller was able to update the target scale to {desired}"
            set_condition(status, ("AbleToScale", "True", "SucceededRescale", message), now)
            self.recorder.event(
                hpa, NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {reason}"
            )
            self._store_scale_event(spec.get("behavior"), key, current, desired, now)
        else:
            desired = current
        self._set_status(
            status, current, desired, metric_statuses, rescaled_at=now if rescale else None
        )
        await self._update_status_if_needed(hpa, original, status)

    async def _scale_unreadable(
        self, hpa: Obj, original: Obj, status: Obj, message: str, now: datetime.datetime
    ) -> None:
        self.recorder.event(hpa, WARNING, "FailedGetScale", message)
        text = f"the HPA controller was unable to get the target's current scale: {message}"
        set_condition(status, ("AbleToScale", "False", "FailedGetScale", text), now)
        await self._update_status_if_needed(hpa, original, status)

    # -- metrics -------------------------------------------------------------------------
    def _select_pods(
        self, hpa: Obj, status: Obj, text: str, key: str, now: datetime.datetime
    ) -> list[Obj]:
        """validateAndParseSelector: a selector is required, must parse, and its pods must
        not be claimed by another HPA too. Returns the pods it selects."""
        if not text:
            self.recorder.event(hpa, WARNING, "SelectorRequired", "selector is required")
            set_condition(status, MISSING_SELECTOR, now)
            raise ComputeError("selector is required")
        try:
            selector = parse_selector(text)
        except ValueError as exc:
            message = (
                f"couldn't convert selector into a corresponding internal selector object: {exc}"
            )
            self.recorder.event(hpa, WARNING, "InvalidSelector", message)
            set_condition(status, ("ScalingActive", "False", "InvalidSelector", message), now)
            raise ComputeError(message) from exc
        self.selectors[key] = selector
        namespace = hpa["metadata"]["namespace"]
        pods = [
            p
            for p in self.pods.store.by_index("namespace", namespace)
            if selector.matches((p.get("metadata") or {}).get("labels") or {})
        ]
        owners = sorted(
            other
            for other, theirs in self.selectors.items()
            if split_key(other)[0] == namespace
            and any(theirs.matches(p["metadata"].get("labels") or {}) for p in pods)
        )
        if len(owners) > 1:
            # Go prints []selectors.Key as [{name namespace} ...].
            listed = " ".join(f"{{{split_key(k)[1]} {split_key(k)[0]}}}" for k in owners)
            message = f"pods by selector {text} are controlled by multiple HPAs: [{listed}]"
            self.recorder.event(hpa, WARNING, "AmbiguousSelector", message)
            set_condition(status, ("ScalingActive", "False", "AmbiguousSelector", message), now)
            raise ComputeError(message)
        return pods

    async def compute_replicas_for_metrics(
        self, hpa: Obj, status: Obj, scale: Obj, specs: list[Obj], now: datetime.datetime, key: str
    ) -> tuple[int, str, list[Obj] | None, str | None]:
        """The highest proposal of all metrics: (replicas or -1, metric name, statuses, error)."""
        text = str((scale.get("status") or {}).get("selector") or "")
        try:
            pods = self._select_pods(hpa, status, text, key, now)
        except ComputeError as exc:
            return -1, "", None, str(exc)
        spec_replicas = int((scale.get("spec") or {}).get("replicas") or 0)
        statuses: list[Obj] = [{"type": ""} for _ in specs]  # Go's zero MetricStatus
        replicas, metric = 0, ""
        failures: list[_MetricFailure] = []
        for i, metric_spec in enumerate(specs):
            try:
                proposal, name, statuses[i] = await self._compute_for_metric(
                    hpa, metric_spec, spec_replicas, pods, text, now
                )
            except _MetricFailure as failure:
                failures.append(failure)
                continue
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        error = None
        if failures:
            error = (
                f"invalid metrics ({len(failures)} invalid out of {len(specs)}), "
                f"first error is: {failures[0]}"
            )
        # All metrics failed, or a scale-down would rest on the ones that did not: stay.
        if len(failures) >= len(specs) or (failures and replicas < spec_replicas):
            set_condition(status, failures[0].condition, now)
            return -1, "", statuses, error
        message = f"the HPA was able to successfully calculate a replica count from {metric}"
        set_condition(status, ("ScalingActive", "True", "ValidMetricFound", message), now)
        return replicas, metric, statuses, error

    def _unable(self, hpa: Obj, reason: str, error: str, outer: str) -> _MetricFailure:
        """getUnableComputeReplicaCountCondition: emits the event, returns the failure."""
        self.recorder.event(hpa, WARNING, reason, error)
        message = f"the HPA was unable to compute the replica count: {error}"
        return _MetricFailure(("ScalingActive", "False", reason, message), outer)

    async def _compute_for_metric(
        self,
        hpa: Obj,
        metric_spec: Obj,
        spec_replicas: int,
        pods: list[Obj],
        selector: str,
        now: datetime.datetime,
    ) -> tuple[int, str, Obj]:
        kind = str(metric_spec.get("type", ""))
        if kind in ("Resource", "ContainerResource"):
            field = "resource" if kind == "Resource" else "containerResource"
            source = metric_spec.get(field) or {}
            resource = str(source.get("name", ""))
            container = str(source.get("container", "")) if kind == "ContainerResource" else ""
            try:
                proposal, name, current = await self._resource_metric(
                    hpa, source, resource, container, spec_replicas, pods, selector, now
                )
            except ComputeError as exc:
                if container:
                    reason, outer = "FailedGetContainerResourceMetric", f"{container} container"
                else:
                    reason, outer = "FailedGetResourceMetric", f"{resource} resource"
                raise self._unable(
                    hpa, reason, str(exc), f"failed to get {outer} metric value: {exc}"
                ) from exc
            metric_status: Obj = {"name": resource}
            if container:
                metric_status["container"] = container
            metric_status["current"] = current
            return proposal, name, {"type": kind, field: metric_status}
        if kind in _UNSERVED_METRICS:
            field, reason, api, what = _UNSERVED_METRICS[kind]
            name = ((metric_spec.get(field) or {}).get("metric") or {}).get("name", "")
            error = (
                f"unable to get {'external ' if api == 'external' else ''}metric {name}: "
                f"unable to fetch metrics from {api} metrics API: "
                f"no {api} metrics API ({api}.metrics.k8s.io) registered"
            )
            outer = f"failed to get {what.format(name=name)}: {error}"
            raise self._unable(hpa, reason, error, outer)
        error = f'unknown metric source type "{kind}"'
        raise self._unable(hpa, "InvalidMetricSourceType", error, error)

    async def _resource_metric(
        self,
        hpa: Obj,
        source: Obj,
        resource: str,
        container: str,
        current: int,
        pods: list[Obj],
        selector: str,
        now: datetime.datetime,
    ) -> tuple[int, str, Obj]:
        """(proposal, metric description, MetricValueStatus) for one resource metric."""
        target = source.get("target") or {}
        utilization = target.get("averageUtilization")
        if target.get("averageValue") is None and utilization is None:
            raise ComputeError(
                "invalid resource metric source: neither an average utilization target nor an "
                "average value (usage) target was set"
            )
        by_value = target.get("averageValue") is not None
        value = quantity_from_json(target["averageValue"]).milli_value() if by_value else None
        try:
            proposal = await self.calculator.resource_replicas(
                current,
                pods,
                resource=resource,
                namespace=hpa["metadata"]["namespace"],
                selector=selector,
                container=container,
                target_utilization=None if by_value or utilization is None else int(utilization),
                target_value=value,
                now=now,
            )
        except ComputeError as exc:
            what = "usage" if by_value else "utilization"
            raise ComputeError(f"failed to get {resource} {what}: {exc}") from exc
        if by_value:
            return (
                proposal.replicas,
                f"{resource} resource",
                {"averageValue": _milli_quantity(proposal.raw)},
            )
        scope = "container resource" if container else "resource"
        return (
            proposal.replicas,
            f"{resource} {scope} utilization (percentage of request)",
            {
                "averageValue": _milli_quantity(proposal.raw),
                "averageUtilization": proposal.utilization,
            },
        )

    # -- normalization -------------------------------------------------------------------
    def _normalize(
        self,
        status: Obj,
        spec: Obj,
        key: str,
        current: int,
        desired: int,
        minimum: int,
        maximum: int,
        now: datetime.datetime,
    ) -> int:
        """normalizeDesiredReplicas[WithBehaviors]: stabilize, then bound; conditions say how."""
        history = self.recommendations.setdefault(key, [])
        behavior = spec.get("behavior")
        if behavior is None:
            stabilized = stabilize_recommendation(
                history, desired, self.downscale_stabilization, now
            )
            stabilizing = SCALE_DOWN_STABILIZED
            result, *limiting = convert_desired_replicas_with_rules(
                current, stabilized, minimum, maximum
            )
        else:
            up = default_scale_up_rules(behavior.get("scaleUp"))
            down = default_scale_down_rules(behavior.get("scaleDown"), self.downscale_stabilization)
            stabilized, stabilizing = stabilize_with_behaviors(
                history,
                current,
                desired,
                float(up["stabilizationWindowSeconds"]),
                float(down["stabilizationWindowSeconds"]),
                now,
            )
            result, *limiting = convert_with_behavior_rate(
                current,
                stabilized,
                minimum,
                maximum,
                self.scale_up_events.get(key, []),
                self.scale_down_events.get(key, []),
                up,
                down,
                now,
            )
        set_condition(status, stabilizing if stabilized != desired else READY_FOR_NEW_SCALE, now)
        limited = "False" if result == stabilized else "True"
        set_condition(status, ("ScalingLimited", limited, limiting[0], limiting[1]), now)
        return int(result)

    def _store_scale_event(
        self, behavior: Obj | None, key: str, before: int, after: int, now: datetime.datetime
    ) -> None:
        if behavior is None:
            return  # only behaviors' rate policies read the history
        if after > before:
            rules = default_scale_up_rules(behavior.get("scaleUp"))
            store_scale_event(self.scale_up_events.setdefault(key, []), after - before, rules, now)
        else:
            rules = default_scale_down_rules(
                behavior.get("scaleDown"), self.downscale_stabilization
            )
            store_scale_event(
                self.scale_down_events.setdefault(key, []), before - after, rules, now
            )

    # -- status --------------------------------------------------------------------------
    def _set_status(
        self,
        status: Obj,
        current: int,
        desired: int,
        metric_statuses: list[Obj] | None,
        *,
        rescaled_at: datetime.datetime | None = None,
    ) -> None:
        """setStatus: rebuilt in the Go struct's field order, zero values omitted as Go does."""
        conditions = status.get("conditions")
        last_scale = _rfc3339(rescaled_at) if rescaled_at else status.get("lastScaleTime")
        status.clear()
        if last_scale:
            status["lastScaleTime"] = last_scale
        if current:
            status["currentReplicas"] = current
        status["desiredReplicas"] = desired
        if metric_statuses:
            status["currentMetrics"] = metric_statuses
        if conditions:
            status["conditions"] = conditions

    async def _update_status_if_needed(self, hpa: Obj, original: Obj, status: Obj) -> None:
        if status == original:
            return
        meta = hpa["metadata"]
        try:
            await self.client.update(
                object_path(HPAS, meta["namespace"], meta["name"], "status"),
                dict(hpa, status=status),
            )
        except ApiStatusError as exc:
            self.recorder.event(hpa, WARNING, "FailedUpdateStatus", str(exc))
            raise ComputeError(f"failed to update status for {meta['name']}: {exc}") from exc
