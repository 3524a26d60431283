"""PodStatus generation: phases, container states, conditions and their wording."""

from __future__ import annotations

import datetime
from typing import Any

from steersman.kubelet.container import EXITED, RUNNING, ContainerRecord, PodRuntimeStatus
from steersman.kubelet.pod_status import (
    ProbeView,
    StatusInputs,
    generate_pod_status,
    get_phase,
    should_container_be_restarted,
)

T0 = datetime.datetime(2026, 11, 25, 10, 0, 0, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(seconds=5)


def pod(*containers: dict[str, Any], init: list[dict[str, Any]] | None = None, **spec: Any) -> dict:
    body: dict[str, Any] = {"containers": list(containers), **spec}
    if init:
        body["initContainers"] = init
    return {
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": body,
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }


def record(name: str, state: str, *, cid: str = "c1", exit_code: int = 0, created=T0, **kw: Any):
    return ContainerRecord(
        id=f"containerd://{cid}",
        name=name,
        state=state,
        created_at=created,
        started_at=T0,
        finished_at=T1 if state == EXITED else None,
        exit_code=exit_code,
        image="busybox:1",
        image_ref="sha256:abc",
        **kw,
    )


def conditions(status: dict) -> dict[str, dict]:
    return {c["type"]: c for c in status["conditions"]}


def test_nothing_running_yet_is_pending_with_container_creating() -> None:
    p = pod({"name": "app", "image": "busybox:1"})
    status = generate_pod_status(
        StatusInputs(p, PodRuntimeStatus("u1"), host_ip="10.0.0.5"), now=T0
    )
    assert status["phase"] == "Pending"
    cs = status["containerStatuses"][0]
    assert cs["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert cs["ready"] is False and cs["started"] is False and cs["restartCount"] == 0
    conds = conditions(status)
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert conds["PodReadyToStartContainers"]["status"] == "False"
    assert conds["Initialized"]["status"] == "True"
    assert conds["Ready"] == {
        "type": "Ready",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": "2026-11-25T10:00:00Z",
        "reason": "ContainersNotReady",
        "message": "containers with unready status: [app]",
    }
    assert status["hostIP"] == "10.0.0.5" and status["hostIPs"] == [{"ip": "10.0.0.5"}]
    assert status["qosClass"] == "BestEffort"
    assert status["startTime"] == "2026-11-25T10:00:00Z"


def test_running_without_probes_is_ready_and_keeps_transition_times() -> None:
    p = pod({"name": "b", "image": "busybox:1"}, {"name": "a", "image": "busybox:1"})
    runtime = PodRuntimeStatus(
        "u1", containers=[record("a", RUNNING, cid="ca"), record("b", RUNNING, cid="cb")]
    )
    first = generate_pod_status(StatusInputs(p, runtime, sandbox_ready=True), now=T0)
    assert first["phase"] == "Running"
    assert [s["name"] for s in first["containerStatuses"]] == ["a", "b"]
    assert first["containerStatuses"][0]["state"] == {
        "running": {"startedAt": "2026-11-25T10:00:00Z"}
    }
    assert all(s["ready"] and s["started"] for s in first["containerStatuses"])
    assert conditions(first)["Ready"]["status"] == "True"
    second = generate_pod_status(
        StatusInputs(p, runtime, sandbox_ready=True, previous=first), now=T1
    )
    assert conditions(second)["Ready"]["lastTransitionTime"] == "2026-11-25T10:00:00Z"
    assert second["startTime"] == first["startTime"]


def test_readiness_and_startup_probes_gate_ready_and_started() -> None:
    p = pod({"name": "app", "image": "x", "readinessProbe": {}, "startupProbe": {}})
    runtime = PodRuntimeStatus("u1", containers=[record("app", RUNNING)])
    not_started = generate_pod_status(
        StatusInputs(p, runtime, probes=ProbeView(lambda _c: True, lambda _c: None)), now=T0
    )
    assert not_started["containerStatuses"][0]["started"] is False
    assert not_started["containerStatuses"][0]["ready"] is False
    started = generate_pod_status(
        StatusInputs(p, runtime, probes=ProbeView(lambda _c: False, lambda _c: True)), now=T0
    )
    assert started["containerStatuses"][0]["started"] is True
    assert started["containerStatuses"][0]["ready"] is False


def test_crash_loop_shows_waiting_with_last_state_and_stays_running() -> None:
    p = pod({"name": "app", "image": "x"})
    runtime = PodRuntimeStatus(
        "u1",
        containers=[
            record(
                "app", EXITED, cid="new", exit_code=1, restart_count=1, reason="Error", created=T1
            ),
            record("app", EXITED, cid="old", exit_code=1, reason="Error", created=T0),
        ],
    )
    reasons = {
        "app": (
            "CrashLoopBackOff",
            "back-off 10s restarting failed container=app pod=p_default(u1)",
        )
    }
    status = generate_pod_status(StatusInputs(p, runtime, reasons=reasons), now=T1)
    cs = status["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["containerID"] == "containerd://new"
    assert cs["restartCount"] == 1
    assert status["phase"] == "Running"


def test_phases_by_restart_policy() -> None:
    done = PodRuntimeStatus("u1", containers=[record("app", EXITED, exit_code=0)])
    failed = PodRuntimeStatus("u1", containers=[record("app", EXITED, exit_code=2)])
    never = pod({"name": "app", "image": "x"}, restartPolicy="Never")
    on_failure = pod({"name": "app", "image": "x"}, restartPolicy="OnFailure")
    assert generate_pod_status(StatusInputs(never, done), now=T0)["phase"] == "Succeeded"
    assert generate_pod_status(StatusInputs(never, failed), now=T0)["phase"] == "Failed"
    assert generate_pod_status(StatusInputs(on_failure, done), now=T0)["phase"] == "Succeeded"
    assert generate_pod_status(StatusInputs(on_failure, failed), now=T0)["phase"] == "Running"
    assert not should_container_be_restarted(never["spec"]["containers"][0], never, failed)
    assert should_container_be_restarted(on_failure["spec"]["containers"][0], on_failure, failed)
    assert not should_container_be_restarted(on_failure["spec"]["containers"][0], on_failure, done)


def test_init_containers_gate_initialization() -> None:
    p = pod({"name": "app", "image": "x"}, init=[{"name": "setup", "image": "x"}])
    running_init = PodRuntimeStatus("u1", containers=[record("setup", RUNNING)])
    status = generate_pod_status(StatusInputs(p, running_init), now=T0)
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    init = conditions(status)["Initialized"]
    assert init["status"] == "False" and init["reason"] == "ContainersNotInitialized"
    assert init["message"] == "containers with incomplete status: [setup]"
    finished = PodRuntimeStatus(
        "u1",
        containers=[record("app", RUNNING, cid="a", created=T1), record("setup", EXITED, cid="s")],
    )
    status = generate_pod_status(StatusInputs(p, finished), now=T1)
    assert status["phase"] == "Running"
    assert status["initContainerStatuses"][0]["ready"] is True
    assert conditions(status)["Initialized"]["status"] == "True"
    failing = pod(
        {"name": "app", "image": "x"}, init=[{"name": "setup", "image": "x"}], restartPolicy="Never"
    )
    bad = PodRuntimeStatus("u1", containers=[record("setup", EXITED, exit_code=1)])
    assert generate_pod_status(StatusInputs(failing, bad), now=T0)["phase"] == "Failed"


def test_terminal_phase_never_goes_back() -> None:
    p = pod({"name": "app", "image": "x"})
    p["status"]["phase"] = "Succeeded"
    status = generate_pod_status(StatusInputs(p, PodRuntimeStatus("u1")), now=T0)
    assert status["phase"] == "Succeeded"
    assert get_phase(p, [], False) == "Pending"
