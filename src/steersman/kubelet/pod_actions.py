"""What a sync must do to move a pod's containers toward its spec (Kubernetes'
kuberuntime_manager.go computePodActions / computeInitContainerActions, sidecar-aware).

Invariants:
- Pure: decided from the pod, the runtime's view (`PodRuntimeStatus`) and probe results only;
  the caller carries the actions out and syncs again, so every decision is re-made from fresh
  state (level-based).
- Init containers run one at a time in order until the pod has initialized; after that only
  restartable ("sidecar") init containers are kept running.
- A container whose spec changed (hash differs) or whose liveness/startup probe failed is
  killed, with Kubernetes' message ("Container app failed liveness probe, will be restarted").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from steersman.kubelet.container import CREATED, EXITED, RUNNING, PodRuntimeStatus
from steersman.kubelet.pod_status import is_restartable_init, should_container_be_restarted

Obj = dict[str, Any]
# Probe results by container id: True = success, False = failure, None/missing = not yet run.
ProbeLookup = Callable[[str], bool | None]


@dataclass
class KillInfo:
    name: str
    message: str
    reason: str = ""  # "", "LivenessProbe", "StartupProbe", "Unknown"


@dataclass
class PodActions:
    kill_pod: bool = False
    create_sandbox: bool = False
    sandbox_id: str = ""
    attempt: int = 0
    init_containers_to_start: list[int] = field(default_factory=list)
    containers_to_start: list[int] = field(default_factory=list)
    containers_to_kill: dict[str, KillInfo] = field(default_factory=dict)  # by container id


def container_hash(container: Obj) -> str:
    """A stable hash of a container's spec, resources excluded (they may change in place)."""
    spec = {k: v for k, v in container.items() if k != "resources"}
    return hashlib.md5(
        orjson.dumps(spec, option=orjson.OPT_SORT_KEYS), usedforsecurity=False
    ).hexdigest()[:8]


def pod_sandbox_changed(pod: Obj, runtime: PodRuntimeStatus) -> tuple[bool, int, str]:
    """(needs a new sandbox, attempt for it, id of the newest existing sandbox)."""
    if not runtime.sandboxes:
        return True, 0, ""
    newest = runtime.sandboxes[0]
    ready = sum(1 for s in runtime.sandboxes if s.ready)
    if ready > 1 or not newest.ready:
        return True, newest.attempt + 1, newest.id
    host_network = bool((pod.get("spec") or {}).get("hostNetwork"))
    if not host_network and not newest.ips:
        return True, newest.attempt + 1, newest.id
    return False, newest.attempt, newest.id


def _restart_on_failure(pod: Obj) -> bool:
    return (pod.get("spec") or {}).get("restartPolicy", "Always") != "Never"


def _has_any_regular_container_created(pod: Obj, runtime: PodRuntimeStatus) -> bool:
    for container in (pod.get("spec") or {}).get("containers") or []:
        latest = runtime.latest(container["name"])
        if latest is not None and latest.state in (CREATED, RUNNING, EXITED):
            return True
    return False


def _init_failed(state: str, exit_code: int) -> bool:
    return (state == EXITED and exit_code != 0) or state not in (CREATED, RUNNING, EXITED)


def compute_pod_actions(
    pod: Obj,
    runtime: PodRuntimeStatus,
    *,
    liveness: ProbeLookup = lambda _cid: None,
    startup: ProbeLookup = lambda _cid: None,
) -> PodActions:
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    init_containers = spec.get("initContainers") or []
    create, attempt, sandbox_id = pod_sandbox_changed(pod, runtime)
    actions = PodActions(
        kill_pod=create, create_sandbox=create, sandbox_id=sandbox_id, attempt=attempt
    )
    if create:
        if not _restart_on_failure(pod) and attempt != 0 and runtime.containers:
            actions.create_sandbox = False  # a Never pod that has run does not run again
            return actions
        to_start = [
            i
            for i, c in enumerate(containers)
            if not (
                spec.get("restartPolicy") == "OnFailure"
                and (latest := runtime.latest(c["name"])) is not None
                and latest.state == EXITED
                and latest.exit_code == 0
            )
        ]
        if _has_any_regular_container_created(pod, runtime) and not to_start:
            actions.create_sandbox = False
            return actions
        if init_containers:
            actions.init_containers_to_start = [0]
            return actions
        actions.containers_to_start = to_start
        return actions

    initialized = _compute_init_container_actions(pod, runtime, actions, liveness, startup)
    if actions.kill_pod or not initialized:
        return actions

    keep = 0
    for i, container in enumerate(containers):
        latest = runtime.latest(container["name"])
        if latest is None or latest.state != RUNNING:
            if should_container_be_restarted(container, pod, runtime):
                actions.containers_to_start.append(i)
                if latest is not None and latest.state not in (CREATED, EXITED):
                    actions.containers_to_kill[latest.id] = KillInfo(
                        container["name"],
                        f'Container is in "{latest.state}" state, try killing it before restart',
                        "Unknown",
                    )
            continue
        restart = _restart_on_failure(pod)
        if latest.spec_hash and latest.spec_hash != container_hash(container):
            message, reason = f"Container {container['name']} definition changed", ""
            restart = True
        elif liveness(latest.id) is False:
            message = f"Container {container['name']} failed liveness probe"
            reason = "LivenessProbe"
        elif startup(latest.id) is False:
            message = f"Container {container['name']} failed startup probe"
            reason = "StartupProbe"
        else:
            keep += 1
            continue
        if restart:
            message += ", will be restarted"
            actions.containers_to_start.append(i)
        actions.containers_to_kill[latest.id] = KillInfo(container["name"], message, reason)

    if keep == 0 and not actions.containers_to_start:
        actions.kill_pod = True
        actions.init_containers_to_start = []
    return actions


def _compute_init_container_actions(
    pod: Obj,
    runtime: PodRuntimeStatus,
    actions: PodActions,
    liveness: ProbeLookup,
    startup: ProbeLookup,
) -> bool:
    init_containers = (pod.get("spec") or {}).get("initContainers") or []
    if not init_containers:
        return True
    previously = _has_any_regular_container_created(pod, runtime)
    restart_on_failure = _restart_on_failure(pod)
    initialized = False
    last = len(init_containers) - 1
    # Newest first: completed init containers may have been removed by the runtime.
    for i in range(last, -1, -1):
        container = init_containers[i]
        sidecar = is_restartable_init(container)
        status = runtime.latest(container["name"])
        name = container["name"]
        if status is None:
            if previously and sidecar:
                actions.init_containers_to_start.append(i)
            continue
        if previously and not sidecar:
            continue
        if status.state == CREATED:
            actions.init_containers_to_start.append(i)
        elif status.state == RUNNING:
            if sidecar:
                wait = False
                if container.get("startupProbe") is not None:
                    result = startup(status.id)
                    if result is None:
                        wait = True
                    elif result is False:
                        actions.containers_to_kill[status.id] = KillInfo(
                            name, f"Init container {name} failed startup probe", "StartupProbe"
                        )
                        actions.init_containers_to_start.append(i)
                        wait = True
                if not wait:
                    if i == last:
                        initialized = True
                    elif not previously:
                        actions.init_containers_to_start.append(i + 1)
                    if status.spec_hash and status.spec_hash != container_hash(container):
                        actions.containers_to_kill[status.id] = KillInfo(
                            name, f"Init container {name} definition changed"
                        )
                        actions.init_containers_to_start.append(i)
                    elif (
                        container.get("livenessProbe") is not None and liveness(status.id) is False
                    ):
                        actions.containers_to_kill[status.id] = KillInfo(
                            name, f"Init container {name} failed liveness probe", "LivenessProbe"
                        )
                        actions.init_containers_to_start.append(i)
        elif status.state == EXITED:
            if sidecar:
                actions.init_containers_to_start.append(i)
            elif _init_failed(status.state, status.exit_code):
                if not restart_on_failure:
                    actions.kill_pod = True
                    actions.init_containers_to_start = []
                    return False
                actions.init_containers_to_start.append(i)
            elif i == last:
                initialized = True
            else:
                actions.init_containers_to_start.append(i + 1)
        else:
            if not sidecar and not restart_on_failure:
                actions.kill_pod = True
                actions.init_containers_to_start = []
                return False
            actions.containers_to_kill[status.id] = KillInfo(
                name,
                f'Init container is in "{status.state}" state, try killing it before restart',
                "Unknown",
            )
            actions.init_containers_to_start.append(i)
        if not previously:
            break
    return previously or initialized
