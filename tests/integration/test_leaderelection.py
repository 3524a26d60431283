"""Leader election on a coordination.k8s.io Lease against the in-process API server."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from steersman.client.events import EventRecorder
from steersman.client.leaderelection import (
    LeaderElector,
    LeadershipLost,
    default_identity,
)
from steersman.client.rest import ApiStatusError, RestClient
from steersman.testing.control_plane import running_apiserver

LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/demo"
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
FAST = {"lease_duration": 2, "renew_deadline": 1.5, "retry_period": 0.25}


@pytest.fixture
async def client() -> AsyncIterator[RestClient]:
    async with running_apiserver() as srv:
        c = RestClient(srv.base_url)
        yield c
        await c.close()


async def usurp(client: RestClient) -> None:
    """Overwrite the lease with another holder (retrying conflicts with the renewer)."""
    while True:
        lease = await client.get(LEASE)
        lease["spec"].update(holderIdentity="usurper", leaseDurationSeconds=30)
        try:
            await client.update(LEASE, lease)
            return
        except ApiStatusError as exc:
            if exc.code != 409:
                raise


def elector(client: RestClient, identity: str, **kw: Any) -> LeaderElector:
    return LeaderElector(client, name="demo", identity=identity, **{**FAST, **kw})


class Candidate:
    """Runs an elector; records when it leads and stops leading."""

    def __init__(self, le: LeaderElector, leaders: set[str]) -> None:
        self.le = le
        self.leaders = leaders
        self.leading = asyncio.Event()
        self.stopped = asyncio.Event()
        self.task = asyncio.create_task(le.run(self._lead, self.stopped.set))

    async def _lead(self) -> None:
        assert not self.leaders, f"{self.le.identity} leads while {self.leaders} do"
        self.leaders.add(self.le.identity)
        self.leading.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.leaders.discard(self.le.identity)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def first(*candidates: Candidate, timeout: float = 5.0) -> Candidate:
    waits = {asyncio.ensure_future(c.leading.wait()): c for c in candidates}
    done, pending = await asyncio.wait(waits, timeout=timeout, return_when="FIRST_COMPLETED")
    for w in pending:
        w.cancel()
    assert done, "nobody became leader"
    return waits[done.pop()]


async def timed(check: Callable[[], Any], timeout: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.wait_for(check(), timeout)
    return loop.time() - start


async def test_one_of_two_leads_and_the_lease_records_it(client: RestClient) -> None:
    leaders: set[str] = set()
    a = Candidate(elector(client, "host-a_1"), leaders)
    b = Candidate(elector(client, "host-b_2"), leaders)
    try:
        winner = await first(a, b)
        loser = b if winner is a else a
        lease = await client.get(LEASE)
        spec = lease["spec"]
        assert spec["holderIdentity"] == winner.le.identity
        assert spec["leaseDurationSeconds"] == 2
        assert spec["leaseTransitions"] == 0
        assert MICRO_TIME.match(spec["acquireTime"]) and MICRO_TIME.match(spec["renewTime"])
        # Renewals keep it for longer than the lease lasts; the loser keeps waiting.
        await asyncio.sleep(3)
        later = (await client.get(LEASE))["spec"]
        assert later["holderIdentity"] == winner.le.identity
        assert later["acquireTime"] == spec["acquireTime"]
        assert later["renewTime"] > spec["renewTime"]
        assert winner.le.is_leader() and not loser.le.is_leader()
        assert loser.le.leader == winner.le.identity
        assert leaders == {winner.le.identity}
    finally:
        await a.stop()
        await b.stop()


async def test_a_crashed_leader_is_replaced_after_the_lease_expires(client: RestClient) -> None:
    leaders: set[str] = set()
    a = Candidate(elector(client, "a", release_on_cancel=False), leaders)
    winner = await first(a)
    b = Candidate(elector(client, "b"), leaders)
    await asyncio.sleep(0.5)
    assert not b.leading.is_set()
    await winner.stop()  # no release: as if the process died
    assert a.stopped.is_set()
    assert (await client.get(LEASE))["spec"]["holderIdentity"] == "a"
    took = await timed(b.leading.wait, 5)
    try:
        # The lease had to expire: 2 s after its last renewal, which b saw land (it watches
        # the Lease) at most one renew period (0.25 s) before the crash; b tries right then.
        assert 2 - 0.25 - 0.1 < took < 2 + 0.3
        spec = (await client.get(LEASE))["spec"]
        assert spec["holderIdentity"] == "b"
        assert spec["leaseTransitions"] == 1
    finally:
        await b.stop()


async def test_a_clean_stop_releases_the_lease_at_once(client: RestClient) -> None:
    leaders: set[str] = set()
    a = Candidate(elector(client, "a"), leaders)
    await first(a)
    b = Candidate(elector(client, "b"), leaders)
    await asyncio.sleep(0.5)
    await a.stop()
    released = (await client.get(LEASE))["spec"]
    assert released["leaseDurationSeconds"] == 1
    try:
        took = await timed(b.leading.wait, 5)
        assert took < 1.5
        assert (await client.get(LEASE))["spec"]["holderIdentity"] == "b"
    finally:
        await b.stop()
    # b released too: holder emptied, transitions kept.
    spec = (await client.get(LEASE))["spec"]
    assert spec["holderIdentity"] == "" and spec["leaseTransitions"] == 1


async def test_run_returns_when_the_work_is_done(client: RestClient) -> None:
    le = elector(client, "worker")
    done: list[str] = []

    async def work() -> None:
        done.append("worked")

    await asyncio.wait_for(le.run(work, lambda: done.append("stopped")), 5)
    assert done == ["worked", "stopped"]
    assert (await client.get(LEASE))["spec"]["holderIdentity"] == ""


async def test_async_with_is_interrupted_when_the_lease_is_lost(client: RestClient) -> None:
    le = elector(client, "me")
    with pytest.raises(LeadershipLost):
        async with le:
            assert le.is_leader()
            # Someone takes the lease over behind our back (e.g. after a partition).
            await usurp(client)
            await asyncio.sleep(10)
            pytest.fail("body was not interrupted")
    assert not le.is_leader() and le.leader == "usurper"
    # Nothing was released: the lease is not ours.
    assert (await client.get(LEASE))["spec"]["holderIdentity"] == "usurper"


async def test_async_with_releases_on_exit_and_records_events(client: RestClient) -> None:
    recorder = EventRecorder(client, "demo-component")
    seen: list[str] = []
    le = elector(client, "me", recorder=recorder, on_new_leader=seen.append)
    async with le:
        assert (await client.get(LEASE))["spec"]["holderIdentity"] == "me"
    assert not le.is_leader()
    assert (await client.get(LEASE))["spec"]["holderIdentity"] == ""
    assert seen == ["me"]
    await recorder.flush()
    events = (await client.get("/api/v1/namespaces/kube-system/events"))["items"]
    got = {(e["reason"], e["message"], e["involvedObject"]["kind"]) for e in events}
    assert got == {
        ("LeaderElection", "me became leader", "Lease"),
        ("LeaderElection", "me stopped leading", "Lease"),
    }


def test_defaults_identity_and_timing_rules() -> None:
    le = LeaderElector(RestClient("http://127.0.0.1:1"), name="kube-scheduler")
    assert (le.lease_duration, le.renew_deadline, le.retry_period) == (15, 10, 2)
    assert le.namespace == "kube-system"
    host, _, uid = le.identity.rpartition("_")
    assert host == socket.gethostname()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", uid)
    assert default_identity() != default_identity()
    client = RestClient("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="leaseDuration must be greater than renewDeadline"):
        LeaderElector(client, name="x", lease_duration=10, renew_deadline=10)
    with pytest.raises(ValueError, match="renewDeadline must be greater than retryPeriod"):
        LeaderElector(client, name="x", renew_deadline=2.4, retry_period=2)
    with pytest.raises(ValueError, match="Lock identity is empty"):
        LeaderElector(client, name="x", identity="")
