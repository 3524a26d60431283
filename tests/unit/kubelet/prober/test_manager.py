"""ProbeManager and its workers against a scripted prober and a fake clock: thresholds,
initial values, startup gating, hold-after-failure, container changes and exits."""

from __future__ import annotations

from typing import Any

import pytest

from steersman.kubelet.prober.manager import ProbeManager
from steersman.kubelet.prober.probe import ProbeType
from steersman.kubelet.prober.results import Result, Update
from steersman.kubelet.prober.worker import parse_time
from tests.unit.kubelet.prober.fake_clock import FakeClock, settle

Obj = dict[str, Any]
CID = "containerd://c1"
LIVE, READY, START = ProbeType.LIVENESS, ProbeType.READINESS, ProbeType.STARTUP


class ScriptedProber:
    """Answers each probe type with a settable result, recording (type, container id, time)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.answer: dict[ProbeType, Result | None] = dict.fromkeys(ProbeType, Result.SUCCESS)
        self.calls: list[tuple[ProbeType, str, float]] = []
        self.delay = 0.0

    async def probe(
        self, probe_type: ProbeType, pod: Obj, status: Obj, container: Obj, container_id: str
    ) -> Result | None:
        self.calls.append((probe_type, container_id, self.clock.monotonic()))
        if self.delay:
            delay, self.delay = self.delay, 0.0
            await self.clock.sleep(delay)
        return self.answer[probe_type]

    def times(self, probe_type: ProbeType) -> list[float]:
        return [t for kind, _, t in self.calls if kind is probe_type]


def rfc3339(seconds: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_pod(uid: str = "u1", *, restart_policy: str = "Always", **probes: Obj) -> Obj:
    return {
        "metadata": {"uid": uid, "name": "web", "namespace": "default"},
        "spec": {"restartPolicy": restart_policy, "containers": [{"name": "app", **probes}]},
    }


class Env:
    def __init__(self, rand: float = 0.0, age: float = 0.0) -> None:
        self.clock = FakeClock()
        self.clock.elapsed = age  # how long ago the "kubelet" started, before the manager
        self.prober = ScriptedProber(self.clock)
        self.statuses: dict[str, Obj] = {}
        self.manager = ProbeManager(
            get_pod_status=self.statuses.get,
            prober=self.prober,
            clock=self.clock,
            rand=lambda: rand,
        )
        self.updates: list[Update] = []
        self.manager.results.subscribe(self.updates.append)

    def run(self, uid: str = "u1", cid: str = CID, *, started: bool = True) -> Obj:
        status = {
            "phase": "Running",
            "podIP": "10.0.0.5",
            "containerStatuses": [
                {
                    "name": "app",
                    "containerID": cid,
                    "state": {"running": {"startedAt": rfc3339(self.clock.now())}},
                    "started": started,
                }
            ],
        }
        self.statuses[uid] = status
        return status

    def changes(self, probe_type: ProbeType) -> list[tuple[str, Result]]:
        return [(u.container_id, u.result) for u in self.updates if u.probe_type is probe_type]


@pytest.fixture
async def env() -> Any:
    e = Env()
    yield e
    await e.manager.close()


async def test_readiness_starts_failure_and_needs_success_threshold(env: Env) -> None:
    env.run()
    env.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10, "successThreshold": 2}))
    await settle()
    assert env.prober.times(READY) == [0.0]
    assert env.manager.results.readiness(CID) is False  # initial value, 1 of 2 successes
    await env.clock.advance(10)
    assert env.manager.results.readiness(CID) is True
    assert env.changes(READY) == [(CID, Result.FAILURE), (CID, Result.SUCCESS)]


async def test_readiness_failure_threshold(env: Env) -> None:
    env.run()
    env.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 5, "failureThreshold": 3}))
    await settle()
    assert env.manager.results.readiness(CID) is True
    env.prober.answer[READY] = Result.FAILURE
    await env.clock.advance(10)  # two failures: below the threshold
    assert env.manager.results.readiness(CID) is True
    await env.clock.advance(5)
    assert env.manager.results.readiness(CID) is False
    env.prober.answer[READY] = Result.SUCCESS
    await env.clock.advance(5)
    assert env.manager.results.readiness(CID) is True
    assert env.prober.times(READY) == [0, 5, 10, 15, 20]


async def test_liveness_starts_success_fails_then_holds_until_new_container(env: Env) -> None:
    status = env.run()
    env.manager.add_pod(make_pod(livenessProbe={"periodSeconds": 10, "failureThreshold": 2}))
    env.prober.answer[LIVE] = Result.FAILURE
    await settle()
    assert env.manager.results.liveness(CID) is True  # initial Success, one failure
    await env.clock.advance(10)
    assert env.manager.results.liveness(CID) is False
    await env.clock.advance(30)
    assert len(env.prober.times(LIVE)) == 2  # on hold: the container is about to be killed
    # The pod sync restarted the container: a new id resets everything for it.
    status["containerStatuses"][0]["containerID"] = "containerd://c2"
    env.prober.answer[LIVE] = Result.SUCCESS
    await env.clock.advance(10)
    assert env.manager.results.liveness(CID) is None
    assert env.manager.results.liveness("containerd://c2") is True
    assert env.prober.calls[-1] == (LIVE, "containerd://c2", 50.0)
    assert env.changes(LIVE) == [
        (CID, Result.SUCCESS),
        (CID, Result.FAILURE),
        ("containerd://c2", Result.SUCCESS),
    ]


async def test_startup_gates_liveness_and_readiness(env: Env) -> None:
    status = env.run(started=False)
    env.manager.add_pod(
        make_pod(
            startupProbe={"periodSeconds": 10, "failureThreshold": 30},
            livenessProbe={"periodSeconds": 10},
            readinessProbe={"periodSeconds": 10},
        )
    )
    env.prober.answer[START] = Result.FAILURE
    await settle()
    assert env.manager.results.startup(CID) is None  # Unknown until it succeeds or fails
    await env.clock.advance(10)
    env.prober.answer[START] = Result.SUCCESS
    await env.clock.advance(10)
    assert env.manager.results.startup(CID) is True
    assert env.prober.times(LIVE) == env.prober.times(READY) == []
    # The status code saw the startup result and marked the container started.
    status["containerStatuses"][0]["started"] = True
    await env.clock.advance(10)
    assert env.prober.times(START) == [0, 10, 20]
    assert env.prober.times(LIVE) == [30.0]
    assert env.prober.times(READY) == [30.0]
    assert env.manager.results.readiness(CID) is True


async def test_initial_delay_counts_from_started_at(env: Env) -> None:
    env.run()
    env.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10, "initialDelaySeconds": 15}))
    await env.clock.advance(30)
    assert env.prober.times(READY) == [20.0, 30.0]


async def test_first_probe_is_jittered_only_when_the_kubelet_just_started() -> None:
    fresh = Env(rand=0.5)
    fresh.run()
    fresh.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10}))
    await fresh.clock.advance(20)
    assert fresh.prober.times(READY) == [5.0, 15.0]
    await fresh.manager.close()

    settled = Env(rand=0.5)
    settled.run()
    await settled.clock.advance(60)  # the kubelet has been up for a minute
    settled.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10}))
    await settled.clock.advance(10)
    assert settled.prober.times(READY) == [60.0, 70.0]
    await settled.manager.close()


async def test_slow_probe_keeps_one_missed_tick(env: Env) -> None:
    env.run()
    env.prober.delay = 25
    env.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10}))
    await env.clock.advance(31)
    assert env.prober.times(READY) == [0.0, 25.0, 30.0]


async def test_probe_error_is_not_counted(env: Env) -> None:
    env.run()
    env.manager.add_pod(make_pod(livenessProbe={"periodSeconds": 10, "failureThreshold": 1}))
    env.prober.answer[LIVE] = None
    await env.clock.advance(30)
    assert len(env.prober.times(LIVE)) == 4
    assert env.manager.results.liveness(CID) is True
    assert env.changes(LIVE) == [(CID, Result.SUCCESS)]


async def test_non_running_container_fails_and_worker_exits_under_never(env: Env) -> None:
    status = env.run()
    env.manager.add_pod(make_pod(restart_policy="Never", readinessProbe={"periodSeconds": 10}))
    await settle()
    assert env.manager.results.readiness(CID) is True
    status["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 1}}
    await env.clock.advance(10)
    assert (CID, Result.FAILURE) in env.changes(READY)
    assert env.manager.worker_count() == 0
    assert env.manager.results.readiness(CID) is None  # dropped as the worker exited


async def test_non_running_container_keeps_worker_when_it_will_restart(env: Env) -> None:
    status = env.run()
    env.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10}))
    await settle()
    status["containerStatuses"][0]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    await env.clock.advance(10)
    assert env.manager.results.readiness(CID) is False
    assert env.manager.worker_count() == 1
    assert env.prober.times(READY) == [0.0]


async def test_worker_exits_when_pod_terminal(env: Env) -> None:
    status = env.run()
    env.manager.add_pod(make_pod(readinessProbe={"periodSeconds": 10}))
    await settle()
    status["phase"] = "Succeeded"
    await env.clock.advance(10)
    assert env.manager.worker_count() == 0


async def test_deleting_pod_quiets_liveness(env: Env) -> None:
    env.run()
    pod = make_pod(livenessProbe={"periodSeconds": 10})
    pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    env.prober.answer[LIVE] = Result.FAILURE
    env.manager.add_pod(pod)
    await env.clock.advance(10)
    assert env.prober.calls == []
    assert env.manager.worker_count() == 0
    assert (CID, Result.SUCCESS) in env.changes(LIVE)


async def test_remove_pod_and_cleanup_stop_workers(env: Env) -> None:
    env.run("u1")
    env.run("u2", "containerd://c9")

    def probed(uid: str) -> Obj:
        return make_pod(
            uid, readinessProbe={"periodSeconds": 10}, livenessProbe={"periodSeconds": 10}
        )

    env.manager.add_pod(probed("u1"))
    env.manager.add_pod(probed("u2"))
    env.manager.add_pod(probed("u1"))  # again: no new workers
    await settle()
    assert env.manager.worker_count() == 4
    env.manager.cleanup_pods({"u1"})
    await settle()
    assert env.manager.worker_count() == 2
    assert env.manager.results.readiness("containerd://c9") is None
    env.manager.stop_liveness_and_startup(make_pod("u1"))
    await settle()
    assert env.manager.get_worker("u1", "app", LIVE) is None
    assert env.manager.get_worker("u1", "app", READY) is not None
    env.manager.remove_pod(make_pod("u1"))
    await settle()
    assert env.manager.worker_count() == 0
    assert env.manager.results.readiness(CID) is None


async def test_sidecars_are_probed_plain_init_containers_are_not(env: Env) -> None:
    pod = make_pod(readinessProbe={"periodSeconds": 10})
    pod["spec"]["initContainers"] = [
        {"name": "side", "restartPolicy": "Always", "readinessProbe": {"periodSeconds": 10}},
        {"name": "setup", "readinessProbe": {"periodSeconds": 10}},
    ]
    env.manager.add_pod(pod)
    await settle()
    assert env.manager.get_worker("u1", "side", READY) is not None
    assert env.manager.get_worker("u1", "setup", READY) is None


async def test_update_pod_status_sets_ready_and_triggers_readiness(env: Env) -> None:
    status = env.run()
    pod = make_pod(readinessProbe={"periodSeconds": 100})
    env.prober.answer[READY] = Result.FAILURE
    env.manager.add_pod(pod)
    await settle()
    env.prober.answer[READY] = Result.SUCCESS
    env.manager.update_pod_status(pod, status)
    entry = status["containerStatuses"][0]
    assert entry["started"] is True and entry["ready"] is False
    await settle()  # the manual trigger probes now, not a period later
    assert env.prober.times(READY) == [0.0, 0.0]
    env.manager.update_pod_status(pod, status)
    assert entry["ready"] is True


async def test_update_pod_status_without_probes_and_with_pending_startup(env: Env) -> None:
    status = env.run()
    status["initContainerStatuses"] = [
        {
            "name": "setup",
            "containerID": "containerd://i1",
            "state": {"terminated": {"exitCode": 0}},
        }
    ]
    pod = make_pod()
    pod["spec"]["initContainers"] = [{"name": "setup"}]
    env.manager.update_pod_status(pod, status)
    assert status["containerStatuses"][0]["ready"] is True
    assert status["containerStatuses"][0]["started"] is True
    assert status["initContainerStatuses"][0] == {
        **status["initContainerStatuses"][0],
        "ready": True,
    }

    other = Env(rand=0.9)
    pending = other.run(started=False)
    startup_pod = make_pod(startupProbe={"periodSeconds": 10})
    other.manager.add_pod(startup_pod)
    await settle()  # the jittered first probe has not run yet
    other.manager.update_pod_status(startup_pod, pending)
    assert pending["containerStatuses"][0]["started"] is False
    await other.manager.close()


def test_parse_time() -> None:
    assert parse_time("2023-11-14T22:13:20Z") == 1_700_000_000.0
    assert parse_time("") is None and parse_time(None) is None and parse_time("junk") is None
