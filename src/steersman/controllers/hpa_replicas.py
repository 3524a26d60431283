"""The replica calculation of the HorizontalPodAutoscalerController (Kubernetes'
replica_calculator.go): the replica count one Resource or ContainerResource metric proposes.

Invariants:
- Utilization of requests, or average value, with Kubernetes' tolerance, readiness and
  missing-pod rules: within the tolerance (per direction: a ratio in [1 - scale-down
  tolerance, 1 + scale-up tolerance]) the current count stays; on scale-down missing pods
  are assumed to use their whole request (or the target), on scale-up missing and unready pods
  to use nothing.
- When those assumptions bring the change within the tolerance or flip its direction, the
  current count stays.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from steersman.api.quantity import quantity_from_json
from steersman.controllers.hpa_metrics import (
    ComputeError,
    MetricsClient,
    MetricsError,
    PodMetric,
    group_pods,
    pod_requests,
    usage_ratio,
    utilization_ratio,
)

Obj = dict[str, Any]

TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay


# -- replica calculation (replica_calculator.go) --------------------------------------------
@dataclass(frozen=True)
class Tolerances:
    """How far below / above 1 a usage ratio may be with no change (HPAConfigurableTolerance:
    spec.behavior.scaleDown/scaleUp.tolerance, else the controller's flag)."""

    scale_down: float = TOLERANCE
    scale_up: float = TOLERANCE

    def within(self, ratio: float) -> bool:
        return 1.0 - self.scale_down <= ratio <= 1.0 + self.scale_up

    @classmethod
    def of(cls, hpa: Obj, default: float = TOLERANCE) -> Tolerances:
        behavior = (hpa.get("spec") or {}).get("behavior") or {}

        def direction(name: str) -> float:
            value = (behavior.get(name) or {}).get("tolerance")
            return default if value is None else float(quantity_from_json(value).as_decimal())

        return cls(direction("scaleDown"), direction("scaleUp"))


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
        tolerances: Tolerances | None = None,
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

        if tolerances is None:
            tolerances = Tolerances(self.tolerance, self.tolerance)
        ratio, utilization, raw = ratio_of(metrics)
        within = tolerances.within(ratio)
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
        if tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            # Too small a change, or the assumptions flipped the direction: stay.
            return Proposal(current, utilization, raw)
        replicas = math.ceil(new_ratio * len(metrics))
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return Proposal(current, utilization, raw)
        return Proposal(replicas, utilization, raw)
