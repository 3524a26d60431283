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
Metrics and their per-pod rules live in hpa_metrics, the replica calculation in hpa_replicas,
stabilization and scaling rules in hpa_behavior, status and its conditions in hpa_status.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from collections.abc import Callable
from typing import Any

from steersman.api.label_selector_parser import parse_selector
from steersman.api.labels import Selector
from steersman.api.quantity import Quantity, quantity_from_json
from steersman.api.resources import ResourceInfo, Subresource, lookup, lookup_kind, require
from steersman.client.events import NORMAL, WARNING, EventRecorder
from steersman.client.indexer import object_key, split_key
from steersman.client.informer import InformerFactory
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.client.workqueue import QueueShutDown, WorkQueue
from steersman.controllers.hpa_behavior import (
    Recommendation,
    ScaleEvent,
    convert_desired_replicas_with_rules,
    convert_with_behavior_rate,
    default_scale_down_rules,
    default_scale_up_rules,
    stabilize_recommendation,
    stabilize_with_behaviors,
    store_scale_event,
)
from steersman.controllers.hpa_behavior import (
    scale_down_limit_with_rules as scale_down_limit_with_rules,
)
from steersman.controllers.hpa_behavior import (
    scale_up_limit_with_rules as scale_up_limit_with_rules,
)
from steersman.controllers.hpa_metrics import ComputeError, MetricsClient, RestMetricsClient
from steersman.controllers.hpa_metrics import PodMetric as PodMetric
from steersman.controllers.hpa_metrics import group_pods as group_pods
from steersman.controllers.hpa_metrics import parse_go_duration as parse_go_duration
from steersman.controllers.hpa_replicas import (
    CPU_INITIALIZATION_PERIOD,
    INITIAL_READINESS_DELAY,
    TOLERANCE,
    ReplicaCalculator,
    Tolerances,
)
from steersman.controllers.hpa_status import (
    MISSING_SELECTOR,
    READY_FOR_NEW_SCALE,
    SCALE_DOWN_STABILIZED,
    SCALING_DISABLED,
    SUCCEEDED_GET_SCALE,
    set_condition,
    set_status,
)

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
DEFAULT_METRICS: list[Obj] = [
    {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
    }
]

# Metric sources that need the custom or external metrics APIs, which steersman does not serve.
_UNSERVED_METRICS = {
    "Pods": ("pods", "FailedGetPodsMetric", "custom", "pods metric value"),
    "Object": ("object", "FailedGetObjectMetric", "custom", "object metric value"),
    "External": ("external", "FailedGetExternalMetric", "external", "{name} external metric value"),
}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _milli_quantity(milli: int) -> str:
    return str(Quantity.from_milli(milli))


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
                set_status(status, current, status.get("desiredReplicas", 0), metric_statuses)
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
                set_status(status, current, status.get("desiredReplicas", 0), metric_statuses)
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
        set_status(status, current, desired, metric_statuses, rescaled_at=now if rescale else None)
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
                tolerances=Tolerances.of(hpa, self.calculator.tolerance),
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
