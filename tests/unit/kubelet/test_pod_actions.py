"""computePodActions: sandbox (re)creation, init/sidecar ordering, restarts and kills."""

from __future__ import annotations

import datetime
from typing import Any

from steersman.kubelet.container import (
    CREATED,
    EXITED,
    RUNNING,
    UNKNOWN,
    ContainerRecord,
    PodRuntimeStatus,
    SandboxRecord,
)
from steersman.kubelet.pod_actions import compute_pod_actions, container_hash

T0 = datetime.datetime(2026, 11, 25, tzinfo=datetime.UTC)
APP = {"name": "app", "image": "x"}
SIDE = {"name": "side", "image": "x", "restartPolicy": "Always"}


def pod(*containers: dict, init: list[dict] | None = None, policy: str = "Always") -> dict:
    spec: dict[str, Any] = {"containers": list(containers), "restartPolicy": policy}
    if init:
        spec["initContainers"] = init
    return {"metadata": {"name": "p", "uid": "u"}, "spec": spec}


def rec(name: str, state: str, exit_code: int = 0, *, spec: dict | None = None) -> ContainerRecord:
    return ContainerRecord(
        id=f"containerd://{name}-{state}",
        name=name,
        state=state,
        created_at=T0,
        exit_code=exit_code,
        spec_hash=container_hash(spec) if spec else "",
    )


def status(*records: ContainerRecord, sandbox: bool = True) -> PodRuntimeStatus:
    sandboxes = [SandboxRecord("sb1", ready=True, ips=["10.244.0.5"])] if sandbox else []
    return PodRuntimeStatus("u", sandboxes=sandboxes, containers=list(records))


def test_new_pod_creates_sandbox_and_starts_containers_or_first_init() -> None:
    actions = compute_pod_actions(pod(APP, {"name": "b", "image": "y"}), status(sandbox=False))
    assert actions.create_sandbox and actions.kill_pod and actions.containers_to_start == [0, 1]
    with_init = compute_pod_actions(
        pod(APP, init=[{"name": "i", "image": "x"}]), status(sandbox=False)
    )
    assert with_init.init_containers_to_start == [0] and with_init.containers_to_start == []


def test_dead_sandbox_of_a_finished_never_pod_is_not_recreated() -> None:
    runtime = PodRuntimeStatus(
        "u", sandboxes=[SandboxRecord("sb1", ready=False)], containers=[rec("app", EXITED)]
    )
    actions = compute_pod_actions(pod(APP, policy="Never"), runtime)
    assert actions.kill_pod and not actions.create_sandbox
    assert actions.attempt == 1


def test_running_container_is_kept_and_exited_one_restarted_by_policy() -> None:
    keep = compute_pod_actions(pod(APP), status(rec("app", RUNNING)))
    assert not keep.kill_pod and keep.containers_to_start == [] and keep.containers_to_kill == {}
    restart = compute_pod_actions(pod(APP), status(rec("app", EXITED, 1)))
    assert restart.containers_to_start == [0]
    done = compute_pod_actions(pod(APP, policy="OnFailure"), status(rec("app", EXITED, 0)))
    assert done.containers_to_start == [] and done.kill_pod


def test_liveness_failure_and_spec_change_kill_with_kubernetes_messages() -> None:
    runtime = status(rec("app", RUNNING, spec=APP))
    failed = compute_pod_actions(pod(APP), runtime, liveness=lambda _c: False)
    (info,) = failed.containers_to_kill.values()
    assert info.message == "Container app failed liveness probe, will be restarted"
    assert info.reason == "LivenessProbe" and failed.containers_to_start == [0]
    never = compute_pod_actions(pod(APP, policy="Never"), runtime, liveness=lambda _c: False)
    (info,) = never.containers_to_kill.values()
    assert info.message == "Container app failed liveness probe"
    assert never.kill_pod  # nothing left running and nothing to start
    changed = compute_pod_actions(pod({"name": "app", "image": "new"}), runtime)
    (info,) = changed.containers_to_kill.values()
    assert info.message == "Container app definition changed, will be restarted"


def test_unknown_container_is_killed_before_restart() -> None:
    actions = compute_pod_actions(pod(APP), status(rec("app", UNKNOWN)))
    (info,) = actions.containers_to_kill.values()
    assert info.message == 'Container is in "unknown" state, try killing it before restart'
    assert actions.containers_to_start == [0]


def test_init_containers_run_in_order_then_app() -> None:
    p = pod(APP, init=[{"name": "i1", "image": "x"}, {"name": "i2", "image": "x"}])
    assert compute_pod_actions(p, status(rec("i1", RUNNING))).init_containers_to_start == []
    assert compute_pod_actions(p, status(rec("i1", EXITED))).init_containers_to_start == [1]
    both = compute_pod_actions(p, status(rec("i2", EXITED), rec("i1", EXITED)))
    assert both.init_containers_to_start == [] and both.containers_to_start == [0]
    failed = compute_pod_actions(p, status(rec("i1", EXITED, 3)))
    assert failed.init_containers_to_start == [0]
    p_never = pod(APP, init=[{"name": "i1", "image": "x"}], policy="Never")
    dead = compute_pod_actions(p_never, status(rec("i1", EXITED, 3)))
    assert dead.kill_pod and dead.init_containers_to_start == []
    created = compute_pod_actions(p, status(rec("i1", CREATED)))
    assert created.init_containers_to_start == [0]


def test_sidecar_starts_next_init_once_started_and_is_kept_running() -> None:
    p = pod(APP, init=[SIDE, {"name": "i2", "image": "x"}])
    assert compute_pod_actions(p, status(rec("side", RUNNING))).init_containers_to_start == [1]
    with_probe = pod(APP, init=[dict(SIDE, startupProbe={}), {"name": "i2", "image": "x"}])
    waiting = compute_pod_actions(with_probe, status(rec("side", RUNNING)))
    assert waiting.init_containers_to_start == []
    after = compute_pod_actions(
        p, status(rec("app", RUNNING), rec("i2", EXITED), rec("side", EXITED, 1))
    )
    assert after.init_containers_to_start == [0]  # a dead sidecar is restarted
    assert after.containers_to_start == []
