"""The API PodStatus a kubelet reports for a pod, computed as Kubernetes' kubelet does
(kubelet_pods.go generateAPIPodStatus/getPhase/convertToAPIContainerStatuses, the prober
manager's UpdatePodStatus and status/generate.go's conditions).

Invariants:
- Pure: a function of the pod, what the runtime reports, the previous status, the start-failure
  reasons (CrashLoopBackOff, ErrImagePull, CreateContainerConfigError ...) and probe results.
- Regular containers' statuses are sorted by name, init containers' in spec order (as upstream).
- A terminal phase (Succeeded/Failed) never changes back; a condition keeps its
  lastTransitionTime while its status is unchanged.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steersman.kubelet.container import CREATED, EXITED, RUNNING, UNKNOWN, PodRuntimeStatus

Obj = dict[str, Any]
CONTAINER_CREATING = "ContainerCreating"
POD_INITIALIZING = "PodInitializing"
KUBELET_CONDITIONS = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
)


def rfc3339(when: datetime.datetime | None) -> str | None:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def is_restartable_init(container: Obj) -> bool:
    return container.get("restartPolicy") == "Always"


def should_container_be_restarted(container: Obj, pod: Obj, runtime: PodRuntimeStatus) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    latest = runtime.latest(container["name"])
    if latest is None:
        return True
    if latest.state == RUNNING:
        return False
    if latest.state in (UNKNOWN, CREATED):
        return True
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if policy == "Never":
        return False
    return not (policy == "OnFailure" and latest.exit_code == 0)


@dataclass
class ProbeView:
    """What the prober knows: per container id, readiness/startup results (None = unknown)."""

    readiness: Callable[[str], bool | None] = lambda _cid: None
    startup: Callable[[str], bool | None] = lambda _cid: None


@dataclass
class StatusInputs:
    pod: Obj
    runtime: PodRuntimeStatus
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (reason, message)
    probes: ProbeView = field(default_factory=ProbeView)
    pod_is_terminal: bool = False
    host_ip: str = ""
    sandbox_ready: bool = False
    previous: Obj | None = None  # the status last set by this kubelet, else the API's


def _convert(record: Any, old: Obj | None) -> Obj:
    status: Obj = {
        "name": record.name,
        "restartCount": record.restart_count,
        "image": record.image,
        "imageID": record.image_ref,
        "containerID": record.id,
    }
    if record.state == RUNNING:
        status["state"] = {"running": {"startedAt": rfc3339(record.started_at)}}
    elif record.state == CREATED:
        status["state"] = {"waiting": {}}
    elif record.state == EXITED:
        terminated: Obj = {
            "exitCode": record.exit_code,
            "startedAt": rfc3339(record.started_at),
            "finishedAt": rfc3339(record.finished_at),
            "containerID": record.id,
        }
        if record.reason:
            terminated["reason"] = record.reason
        if record.message:
            terminated["message"] = record.message
        status["state"] = {"terminated": terminated}
    elif old is not None and "running" in (old.get("state") or {}):
        status["state"] = {
            "terminated": {
                "exitCode": 137,
                "reason": "ContainerStatusUnknown",
                "message": "The container could not be located when the pod was terminated",
            }
        }
        status["restartCount"] = (old.get("restartCount") or 0) + 1
    else:
        status["state"] = {"waiting": {}}
    return status


def convert_container_statuses(
    inputs: StatusInputs, containers: list[Obj], previous: list[Obj], *, is_init: bool
) -> list[Obj]:
    pod, runtime = inputs.pod, inputs.runtime
    has_init = bool((pod.get("spec") or {}).get("initContainers"))
    default_reason = POD_INITIALIZING if has_init else CONTAINER_CREATING
    old_by_name = {s["name"]: s for s in previous}
    statuses: dict[str, Obj] = {}
    for container in containers:
        status: Obj = {
            "name": container["name"],
            "image": container.get("image", ""),
            "imageID": "",
            "restartCount": 0,
            "ready": False,
            "state": {"waiting": {"reason": default_reason}},
        }
        old = old_by_name.get(container["name"])
        if old is not None:
            if "terminated" in (old.get("state") or {}):
                status = _copy(old)
            else:
                status["restartCount"] = old.get("restartCount", 0)
                if old.get("lastState"):
                    status["lastState"] = _copy(old["lastState"])
        statuses[container["name"]] = status

    seen_names = {record.name for record in runtime.containers}
    for container in containers:
        name = container["name"]
        old = old_by_name.get(name)
        if name in seen_names or old is None:
            continue
        if "running" not in (old.get("state") or {}):
            continue
        status = statuses[name]
        waiting = (status.get("state") or {}).get("waiting")
        if not waiting or waiting.get("reason") != default_reason:
            continue
        if "terminated" in (status.get("lastState") or {}):
            continue
        status["lastState"] = {
            "terminated": {
                "exitCode": 137,
                "reason": "ContainerStatusUnknown",
                "message": "The container could not be located when the pod was deleted.  "
                "The container used to be Running",
            }
        }
        if not (pod.get("metadata") or {}).get("deletionTimestamp"):
            status["restartCount"] = status.get("restartCount", 0) + 1

    seen: dict[str, int] = {}
    for record in runtime.containers:  # newest first
        if record.name not in statuses or seen.get(record.name, 0) >= 2:
            continue
        converted = _convert(record, old_by_name.get(record.name))
        if seen.get(record.name, 0) == 0:
            converted["ready"] = False
            statuses[record.name] = converted
        else:
            statuses[record.name]["lastState"] = converted["state"]
        seen[record.name] = seen.get(record.name, 0) + 1

    for container in containers:
        name = container["name"]
        if is_init:
            latest = runtime.latest(name)
            if latest is not None and latest.state == EXITED and latest.exit_code == 0:
                continue
        if not should_container_be_restarted(container, pod, runtime):
            continue
        reason = inputs.reasons.get(name)
        if reason is None:
            continue
        status = statuses[name]
        if "terminated" in (status.get("state") or {}):
            status["lastState"] = status["state"]
        waiting_state: Obj = {"reason": reason[0]}
        if reason[1]:
            waiting_state["message"] = reason[1]
        status["state"] = {"waiting": waiting_state}

    for container in containers:
        _set_probe_fields(statuses[container["name"]], container, inputs.probes, is_init=is_init)

    if is_init:
        return [statuses[c["name"]] for c in containers]
    return [statuses[name] for name in sorted(statuses)]


def _set_probe_fields(status: Obj, container: Obj, probes: ProbeView, *, is_init: bool) -> None:
    state = status.get("state") or {}
    cid = status.get("containerID", "")
    running = "running" in state
    started = False
    if running:
        started = True if container.get("startupProbe") is None else bool(probes.startup(cid))
    status["started"] = started
    if is_init and not is_restartable_init(container):
        terminated = state.get("terminated")
        status["ready"] = bool(terminated and terminated.get("exitCode") == 0)
        return
    ready = False
    if running and started:
        ready = True if container.get("readinessProbe") is None else bool(probes.readiness(cid))
    status["ready"] = ready


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _has_any_regular_container_started(spec: Obj, statuses: list[Obj]) -> bool:
    regular = {c["name"] for c in spec.get("containers") or []}
    for status in statuses:
        if status["name"] not in regular:
            continue
        state = status.get("state") or {}
        if "running" in state or "terminated" in state or status.get("lastState"):
            return True
    return False


def get_phase(pod: Obj, statuses: list[Obj], pod_is_terminal: bool) -> str:
    spec = pod.get("spec") or {}
    by_name = {s["name"]: s for s in statuses}
    pending_init = failed_init = 0
    for container in spec.get("initContainers") or []:
        if is_restartable_init(container):
            continue
        status = by_name.get(container["name"])
        state = (status or {}).get("state") or {}
        last = ((status or {}).get("lastState") or {}).get("terminated")
        if status is None or "running" in state:
            pending_init += 1
        elif "terminated" in state:
            if state["terminated"].get("exitCode", 0) != 0:
                failed_init += 1
        elif "waiting" in state:
            if last is not None:
                if last.get("exitCode", 0) != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1
    unknown = running = waiting = stopped = succeeded = 0
    for container in spec.get("initContainers") or []:
        if not is_restartable_init(container):
            continue
        status = by_name.get(container["name"])
        if status is None:
            unknown += 1
            continue
        state = status.get("state") or {}
        if "running" in state:
            if not status.get("started"):
                pending_init += 1
            running += 1
        elif "terminated" in state:
            pass
        elif "waiting" in state:
            if not (status.get("lastState") or {}).get("terminated"):
                pending_init += 1
                waiting += 1
        else:
            pending_init += 1
            unknown += 1
    for container in spec.get("containers") or []:
        status = by_name.get(container["name"])
        if status is None:
            unknown += 1
            continue
        state = status.get("state") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        elif "waiting" in state:
            if (status.get("lastState") or {}).get("terminated"):
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    policy = spec.get("restartPolicy", "Always")
    if failed_init > 0 and policy == "Never":
        return "Failed"
    if (pending_init > 0 and not _has_any_regular_container_started(spec, statuses)) or waiting:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if pod_is_terminal and not _is_static(pod):
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _is_static(pod: Obj) -> bool:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return annotations.get("kubernetes.io/config.source", "api") != "api"


def _names(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"  # Go's %s of a []string


def containers_ready_condition(pod: Obj, statuses: list[Obj], phase: str) -> Obj:
    spec = pod.get("spec") or {}
    by_name = {s["name"]: s for s in statuses}
    unknown: list[str] = []
    unready: list[str] = []
    wanted = [c for c in spec.get("initContainers") or [] if is_restartable_init(c)]
    wanted += spec.get("containers") or []
    for container in wanted:
        status = by_name.get(container["name"])
        if status is None:
            unknown.append(container["name"])
        elif not status.get("ready"):
            unready.append(container["name"])
    if (phase == "Succeeded" and not unknown) or phase == "Failed":
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        return {"type": "ContainersReady", "status": "False", "reason": reason}
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {_names(unready)}")
    if messages:
        return {
            "type": "ContainersReady",
            "status": "False",
            "reason": "ContainersNotReady",
            "message": ", ".join(messages),
        }
    return {"type": "ContainersReady", "status": "True"}


def ready_condition(pod: Obj, conditions: list[Obj], statuses: list[Obj], phase: str) -> Obj:
    containers_ready = containers_ready_condition(pod, statuses, phase)
    if containers_ready["status"] != "True":
        return dict(containers_ready, type="Ready")
    by_type = {c["type"]: c for c in conditions}
    messages = []
    for gate in (pod.get("spec") or {}).get("readinessGates") or []:
        cond = by_type.get(gate.get("conditionType", ""))
        if cond is None:
            messages.append(
                f'corresponding condition of pod readiness gate "{gate.get("conditionType")}" '
                "does not exist."
            )
        elif cond.get("status") != "True":
            messages.append(
                f'the status of pod readiness gate "{gate.get("conditionType")}" is not '
                f'"True", but {cond.get("status")}'
            )
    if messages:
        return {
            "type": "Ready",
            "status": "False",
            "reason": "ReadinessGatesNotReady",
            "message": ", ".join(messages),
        }
    return {"type": "Ready", "status": "True"}


def initialized_condition(pod: Obj, statuses: list[Obj], phase: str) -> Obj:
    spec = pod.get("spec") or {}
    by_name = {s["name"]: s for s in statuses}
    unknown: list[str] = []
    incomplete: list[str] = []
    for container in spec.get("initContainers") or []:
        status = by_name.get(container["name"])
        if status is None:
            unknown.append(container["name"])
            continue
        done = status.get("started") if is_restartable_init(container) else status.get("ready")
        if not done:
            incomplete.append(container["name"])
    if phase == "Succeeded" and not unknown:
        return {"type": "Initialized", "status": "True", "reason": "PodCompleted"}
    if _has_any_regular_container_started(spec, statuses):
        return {"type": "Initialized", "status": "True"}
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {_names(incomplete)}")
    if messages:
        return {
            "type": "Initialized",
            "status": "False",
            "reason": "ContainersNotInitialized",
            "message": ", ".join(messages),
        }
    return {"type": "Initialized", "status": "True"}


def _with_times(condition: Obj, previous: dict[str, Obj], now: str) -> Obj:
    old = previous.get(condition["type"])
    transition = (
        old.get("lastTransitionTime")
        if old and old.get("status") == condition["status"] and old.get("lastTransitionTime")
        else now
    )
    out: Obj = {"type": condition["type"], "status": condition["status"], "lastProbeTime": None}
    out["lastTransitionTime"] = transition
    for key in ("reason", "message"):
        if condition.get(key):
            out[key] = condition[key]
    return out


def generate_pod_status(inputs: StatusInputs, *, now: datetime.datetime | None = None) -> Obj:
    pod = inputs.pod
    spec = pod.get("spec") or {}
    api_status = pod.get("status") or {}
    previous = inputs.previous if inputs.previous is not None else api_status
    stamp = rfc3339(now or datetime.datetime.now(datetime.UTC)) or ""

    status: Obj = {}
    container_statuses = convert_container_statuses(
        inputs, spec.get("containers") or [], previous.get("containerStatuses") or [], is_init=False
    )
    init_statuses = convert_container_statuses(
        inputs,
        spec.get("initContainers") or [],
        previous.get("initContainerStatuses") or [],
        is_init=True,
    )
    all_statuses = container_statuses + init_statuses
    phase = get_phase(pod, all_statuses, inputs.pod_is_terminal)
    terminal = ("Failed", "Succeeded")
    if phase not in terminal:
        if previous.get("phase") in terminal:
            phase = previous["phase"]
        elif api_status.get("phase") in terminal:
            phase = api_status["phase"]
    if api_status.get("phase") in terminal:
        phase = api_status["phase"]
    status["phase"] = phase
    if phase == previous.get("phase"):
        for key in ("reason", "message"):
            value = previous.get(key) or api_status.get(key)
            if value:
                status[key] = value

    old_conditions = {c["type"]: c for c in previous.get("conditions") or []}
    conditions = [
        c for c in api_status.get("conditions") or [] if c.get("type") not in KUBELET_CONDITIONS
    ]
    # A DisruptionTarget the kubelet set itself (eviction) is kept, as upstream does.
    own_disruption = next(
        (c for c in previous.get("conditions") or [] if c.get("type") == "DisruptionTarget"), None
    )
    if own_disruption is not None and not any(
        c.get("type") == "DisruptionTarget" for c in conditions
    ):
        conditions.append(own_disruption)
    generated = [
        {
            "type": "PodReadyToStartContainers",
            "status": "True" if inputs.sandbox_ready else "False",
        },
        initialized_condition(pod, all_statuses, phase),
        ready_condition(pod, conditions, all_statuses, phase),
        containers_ready_condition(pod, all_statuses, phase),
        {"type": "PodScheduled", "status": "True"},
    ]
    conditions += [_with_times(c, old_conditions, stamp) for c in generated]
    status["conditions"] = conditions

    if inputs.host_ip:
        status["hostIP"] = inputs.host_ip
        status["hostIPs"] = [{"ip": inputs.host_ip}]
    ips = inputs.runtime.ips
    if spec.get("hostNetwork") and inputs.host_ip:
        ips = [previous["podIP"]] if previous.get("podIP") else [inputs.host_ip]
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    status["startTime"] = previous.get("startTime") or api_status.get("startTime") or stamp
    if spec.get("initContainers"):
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = container_statuses
    if api_status.get("qosClass"):
        status["qosClass"] = api_status["qosClass"]
    if pod.get("metadata", {}).get("generation"):
        status["observedGeneration"] = pod["metadata"]["generation"]
    return status
