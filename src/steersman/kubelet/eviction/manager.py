"""The eviction manager: one observation every 10 s, node pressure for NodeStatusSync, and
the eviction of at most one pod per cycle (eviction_manager.go).

Invariants:
- A node condition holds while a threshold is met and for `pressure_transition_period`
  (5 min) after it clears, so it does not flap.
- At most one pod is evicted per cycle for a threshold (local-storage limit violations may
  evict several); critical pods (static, mirror, priority >= 2000000000) never are. After an
  eviction the manager waits (at most 30 s) for the pod's cleanup before observing again.
- Evicting is a Warning `Evicted` event on the pod, then the kubelet's `terminate_pod`
  callback with phase Failed, reason Evicted, the message and a DisruptionTarget condition
  (reason TerminationByKubelet); `apply_termination_status` applies those to a pod status.
- One manager per kubelet, used from one event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from steersman.kubelet.eviction.messages import eviction_message, local_storage_violation
from steersman.kubelet.eviction.observations import (
    Observations,
    StatsFunc,
    make_signal_observations,
    merge_thresholds,
    node_conditions,
    node_conditions_last_observed_at,
    node_conditions_observed_since,
    sort_by_eviction_priority,
    thresholds_first_observed_at,
    thresholds_met,
    thresholds_met_grace_period,
    thresholds_updated_stats,
)
from steersman.kubelet.eviction.pods import is_best_effort, is_critical_pod, tolerates_taint
from steersman.kubelet.eviction.ranking import RankFunc, build_signal_to_rank_func
from steersman.kubelet.eviction.thresholds import (
    DISK_PRESSURE,
    DISRUPTION_TARGET,
    IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS,
    MEMORY_PRESSURE,
    PID_PRESSURE,
    POD_CLEANUP_POLL,
    POD_CLEANUP_TIMEOUT,
    REASON,
    SIGNAL_NODEFS_AVAILABLE,
    SIGNAL_NODEFS_INODES_FREE,
    SIGNAL_TO_CONDITION,
    SIGNAL_TO_RESOURCE,
    TAINT_NODE_MEMORY_PRESSURE,
    TERMINATION_BY_KUBELET,
    Threshold,
)
from steersman.kubelet.node_status import Pressure

log = logging.getLogger("steersman.kubelet.eviction")

Obj = dict[str, Any]


@dataclass(frozen=True)
class TerminatePodOptions:
    """kubetypes.TerminatePodOptions: what the kubelet applies when it ends a pod early."""

    evict: bool = True
    grace_period_seconds_override: int | None = None
    reason: str = ""
    message: str = ""
    conditions: tuple[Obj, ...] = ()


def apply_termination_status(status: Obj, options: TerminatePodOptions, now: str) -> Obj:
    """The pod status after termination: phase Failed, the reason and message, and the
    conditions (UpdatePodCondition: lastTransitionTime kept while the status is unchanged)."""
    out = dict(status)
    out["phase"] = "Failed"
    out["reason"] = options.reason
    out["message"] = options.message
    conditions = list(out.get("conditions") or [])
    for cond in options.conditions:
        index = next((i for i, c in enumerate(conditions) if c.get("type") == cond["type"]), None)
        old = conditions[index] if index is not None else None
        transition = (
            old.get("lastTransitionTime")
            if old and old.get("status") == cond["status"] and old.get("lastTransitionTime")
            else now
        )
        new = {"type": cond["type"], "status": cond["status"], "lastProbeTime": None}
        new["lastTransitionTime"] = transition
        new.update({k: cond[k] for k in ("reason", "message") if cond.get(k)})
        if index is None:
            conditions.append(new)
        else:
            conditions[index] = new
    out["conditions"] = conditions
    return out


@dataclass(frozen=True)
class AdmitResult:
    admit: bool
    reason: str = ""
    message: str = ""


class EventSink(Protocol):
    def event(
        self, obj: dict[str, Any], type_: str, reason: str, message: str, *, field_path: str = ""
    ) -> None: ...


PodTerminator = Callable[[Obj, TerminatePodOptions], Awaitable[None]]


@dataclass
class _State:
    node_conditions: list[str] = field(default_factory=list)
    conditions_last_observed_at: dict[str, float] = field(default_factory=dict)
    thresholds_first_observed_at: dict[Threshold, float] = field(default_factory=dict)
    thresholds_met: list[Threshold] = field(default_factory=list)
    last_observations: Observations = field(default_factory=dict)


class EvictionManager:
    def __init__(
        self,
        *,
        thresholds: Sequence[Threshold],
        summary_provider: Callable[[], Awaitable[Obj]],
        active_pods: Callable[[], Sequence[Obj]],
        terminate_pod: PodTerminator,
        recorder: EventSink,
        node_name: str,
        pod_cleaned_up: Callable[[Obj], bool] | None = None,
        has_dedicated_image_fs: Callable[[], Awaitable[bool]] | None = None,
        node_reclaimers: Sequence[Callable[[], Awaitable[None]]] = (),
        monitoring_interval: float = 10.0,
        pressure_transition_period: float = 300.0,
        max_pod_grace_period_seconds: int = 0,
        local_storage_capacity_isolation: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.thresholds = list(thresholds)
        self.summary_provider = summary_provider
        self.active_pods = active_pods
        self.terminate_pod = terminate_pod
        self.recorder = recorder
        self.node_ref: Obj = {"kind": "Node", "metadata": {"name": node_name, "uid": node_name}}
        self.pod_cleaned_up = pod_cleaned_up
        self._has_dedicated_image_fs = has_dedicated_image_fs
        self.node_reclaimers = list(node_reclaimers)
        self.monitoring_interval = monitoring_interval
        self.pressure_transition_period = pressure_transition_period
        self.max_pod_grace_period_seconds = max_pod_grace_period_seconds
        self.local_storage_capacity_isolation = local_storage_capacity_isolation
        self.clock = clock
        self.state = _State()
        self.dedicated_image_fs: bool | None = None
        self._rank_funcs: dict[str, RankFunc] = {}

    # -- what the rest of the kubelet asks ------------------------------------------------

    def pressure(self) -> Pressure:
        conditions = self.state.node_conditions
        return Pressure(
            memory=MEMORY_PRESSURE in conditions,
            disk=DISK_PRESSURE in conditions,
            pid=PID_PRESSURE in conditions,
        )

    def admit(self, pod: Obj) -> AdmitResult:
        """Admit: under memory pressure only BestEffort pods (without a toleration of the
        memory-pressure taint) are refused; under any other pressure every pod is."""
        conditions = self.state.node_conditions
        if not conditions or is_critical_pod(pod):
            return AdmitResult(True)
        if conditions == [MEMORY_PRESSURE]:
            tolerations = (pod.get("spec") or {}).get("tolerations") or []
            if not is_best_effort(pod) or tolerates_taint(
                tolerations, TAINT_NODE_MEMORY_PRESSURE, "NoSchedule"
            ):
                return AdmitResult(True)
        return AdmitResult(False, REASON, f"The node had condition: [{' '.join(conditions)}]. ")

    # -- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            try:
                evicted = await self.synchronize()
            except Exception:
                log.exception("eviction manager: failed to synchronize")
                evicted = []
            if evicted:
                await self.wait_for_pods_cleanup(evicted)
            else:
                await asyncio.sleep(self.monitoring_interval)

    async def wait_for_pods_cleanup(self, pods: Sequence[Obj]) -> None:
        if self.pod_cleaned_up is None:
            return
        deadline = self.clock() + POD_CLEANUP_TIMEOUT
        while self.clock() < deadline:
            await asyncio.sleep(POD_CLEANUP_POLL)
            if all(self.pod_cleaned_up(p) for p in pods):
                return
        log.info("eviction manager: timed out waiting for pods to be cleaned up")

    async def synchronize(self) -> list[Obj]:
        """One observation and (perhaps) one eviction; the pods evicted."""
        if not self.thresholds and not self.local_storage_capacity_isolation:
            return []
        if self.dedicated_image_fs is None:
            probe = self._has_dedicated_image_fs
            self.dedicated_image_fs = bool(await probe()) if probe is not None else False
            self._rank_funcs = build_signal_to_rank_func(self.dedicated_image_fs)
        active = list(self.active_pods())
        try:
            summary = await self.summary_provider()
        except Exception as exc:  # the runtime or /proc: try again next cycle
            log.warning("eviction manager: failed to get summary stats: %s", exc)
            return []
        observations, stats = make_signal_observations(summary)
        thresholds = self._update_state(observations)

        if self.local_storage_capacity_isolation:
            evicted = await self._local_storage_eviction(active, stats)
            if evicted:
                return evicted
        if not thresholds:
            return []
        thresholds = sort_by_eviction_priority(thresholds)
        reclaim = next((t for t in thresholds if t.signal in SIGNAL_TO_RESOURCE), None)
        if reclaim is None:
            return []
        resource = SIGNAL_TO_RESOURCE[reclaim.signal]
        log.info("eviction manager: attempting to reclaim %s", resource)
        self.recorder.event(
            self.node_ref, "Warning", "EvictionThresholdMet", f"Attempting to reclaim {resource}"
        )
        if await self._reclaim_node_level_resources(reclaim.signal):
            log.info("eviction manager: able to reduce %s pressure without evicting", resource)
            return []
        rank = self._rank_funcs.get(reclaim.signal)
        if rank is None:
            return []
        if not active:
            log.error("eviction manager: thresholds met, but no pods are active to evict")
            return []
        for pod in rank(active, stats):
            grace = (
                IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS
                if reclaim.is_hard
                else self.max_pod_grace_period_seconds
            )
            message, _annotations = eviction_message(resource, pod, stats, thresholds, observations)
            condition = {
                "type": DISRUPTION_TARGET,
                "status": "True",
                "reason": TERMINATION_BY_KUBELET,
                "message": message,
            }
            if await self.evict_pod(pod, grace, message, condition):
                return [pod]
        log.info("eviction manager: unable to evict any pods from the node")
        return []

    def _update_state(self, observations: Observations) -> list[Threshold]:
        """Thresholds met, node conditions with their transition period, grace periods; the
        thresholds to act on now."""
        state = self.state
        thresholds = thresholds_met(self.thresholds, observations, False)
        if state.thresholds_met:
            unresolved = thresholds_met(state.thresholds_met, observations, True)
            thresholds = merge_thresholds(thresholds, unresolved)
        now = self.clock()
        first_observed = thresholds_first_observed_at(
            thresholds, state.thresholds_first_observed_at, now
        )
        last_observed = node_conditions_last_observed_at(
            node_conditions(thresholds), state.conditions_last_observed_at, now
        )
        state.node_conditions = node_conditions_observed_since(
            last_observed, self.pressure_transition_period, now
        )
        state.conditions_last_observed_at = last_observed
        state.thresholds_first_observed_at = first_observed
        state.thresholds_met = thresholds_met_grace_period(first_observed, now)
        acting = thresholds_updated_stats(
            state.thresholds_met, observations, state.last_observations
        )
        state.last_observations = observations
        return acting

    async def _reclaim_node_level_resources(self, signal: str) -> bool:
        """Image/container GC before evicting for disk; True when that was enough."""
        if SIGNAL_TO_CONDITION.get(signal) != DISK_PRESSURE or not self.node_reclaimers:
            return False
        if self.dedicated_image_fs and signal in (
            SIGNAL_NODEFS_AVAILABLE,
            SIGNAL_NODEFS_INODES_FREE,
        ):
            return False  # with an imagefs, nodefs holds no images or writable layers
        for reclaimer in self.node_reclaimers:
            try:
                await reclaimer()
            except Exception as exc:
                log.info("eviction manager: error reducing %s pressure: %s", signal, exc)
        try:
            summary = await self.summary_provider()
        except Exception as exc:
            log.warning("eviction manager: failed to get summary after reclaim: %s", exc)
            return False
        observations, _ = make_signal_observations(summary)
        return not thresholds_met(self.thresholds, observations, True)

    async def _local_storage_eviction(self, pods: Sequence[Obj], stats: StatsFunc) -> list[Obj]:
        evicted = []
        for pod in pods:
            pod_stats = stats(pod)
            if pod_stats is None:
                continue
            message = local_storage_violation(pod, pod_stats, bool(self.dedicated_image_fs))
            if message and await self.evict_pod(
                pod, IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS, message, None
            ):
                evicted.append(pod)
        return evicted

    async def evict_pod(
        self, pod: Obj, grace_period_override: int, message: str, condition: Obj | None
    ) -> bool:
        if is_critical_pod(pod):
            log.error("eviction manager: cannot evict a critical pod %s", _name(pod))
            return False
        self.recorder.event(pod, "Warning", REASON, message)
        options = TerminatePodOptions(
            evict=True,
            grace_period_seconds_override=grace_period_override,
            reason=REASON,
            message=message,
            conditions=(condition,) if condition is not None else (),
        )
        try:
            await self.terminate_pod(pod, options)
        except Exception as exc:
            log.error("eviction manager: pod %s failed to evict: %s", _name(pod), exc)
        else:
            log.info("eviction manager: pod %s is evicted successfully", _name(pod))
        return True


def _name(pod: Obj) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"
