"""The etcd store on a three-member etcd cluster losing members: the etcd leader, then the member
the store is connected to (gRPC's pick_first uses the first endpoint); and a member that hangs.
Writes keep being acknowledged, none acknowledged is lost, and a watch opened before the faults
sees every revision after its start exactly once, in order: it resumes across the leader change.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from steersman.cli.etcd_cluster import EtcdCluster, EtcdMember
from steersman.storage import (
    KeyExistsError,
    Store,
    StoreUnavailableError,
    WatchEvent,
    connect_store,
)
from steersman.storage.etcd import EtcdStore
from steersman.storage.etcd_client import EtcdClient


async def _write(store: Store, key: str, acked: list[tuple[str, int]]) -> None:
    """Create `key`, retrying while etcd is unavailable; an ambiguous first try that did
    apply shows up as KeyExistsError on the retry (written, but not acknowledged to us)."""
    while True:
        try:
            kv = await store.create(key, b"v")
        except StoreUnavailableError:
            await asyncio.sleep(0.05)
            continue
        except KeyExistsError:
            return
        acked.append((key, kv.mod_revision))
        return


class RecordedWatch:
    """A local watch on the store from its current revision, recording every event."""

    def __init__(self, store: Store) -> None:
        self.start = store.current_revision()
        self.watcher = store.watch("/", revision=self.start)
        self.events: list[WatchEvent] = []
        self.task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        async for event in self.watcher:
            self.events.append(event)

    async def saw_every_revision(self, store: Store, acked: list[tuple[str, int]]) -> None:
        """Only this test writes to its etcd: every revision after the start is one event, in
        order, and every acknowledged write is among them. Ends the watch."""
        end = store.current_revision()
        deadline = time.monotonic() + 10
        while (not self.events or self.events[-1].revision < end) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [e.revision for e in self.events] == list(range(self.start + 1, end + 1))
        assert {key for key, _ in acked} <= {e.kv.key for e in self.events}
        self.watcher.close()
        await self.task


async def test_store_survives_losing_the_leader_and_its_own_member(tmp_path: Path) -> None:
    cluster = EtcdCluster(tmp_path / "etcd", size=3).start()
    try:
        store = await connect_store(cluster.url("/failover"))
        try:
            watch = RecordedWatch(store)
            acked: list[tuple[str, int]] = []
            n = 0

            async def write_for(seconds: float) -> None:
                nonlocal n
                until = time.monotonic() + seconds
                while time.monotonic() < until:
                    await _write(store, f"/k/{n:05d}", acked)
                    n += 1

            await write_for(0.5)
            leader = cluster.leader()
            cluster.kill(leader)
            await write_for(2.0)
            cluster.start_member(leader)
            connected = cluster.members[0].name
            cluster.kill(connected)  # the member the store's channel uses first
            await write_for(2.0)
            cluster.start_member(connected)
            await write_for(0.5)

            assert len(acked) > 50
            for key, revision in acked:
                kv = await store.get(key)
                assert kv is not None and kv.mod_revision == revision, key
            await watch.saw_every_revision(store, acked)
        finally:
            await store.close()
    finally:
        cluster.stop(grace=2)
        assert not cluster.leftover_pids()
        cluster.remove_data()


async def _connected_member(
    cluster: EtcdCluster, store: Store, *, hung: EtcdMember | None = None
) -> EtcdMember:
    """The member the store's channel talks to (by member id; `hung` is not asked)."""
    assert isinstance(store, EtcdStore)
    connected = (await store._client.status()).header.member_id
    for member in cluster.members:
        if member is hung:
            continue
        client = EtcdClient([("127.0.0.1", member.client_port)])
        try:
            if (await client.status()).header.member_id == connected:
                return member
        finally:
            await client.close()
    raise AssertionError("connected to no member of the cluster")


async def test_store_moves_on_from_a_hung_member(tmp_path: Path) -> None:
    """A member that hangs (SIGSTOP: its TCP connections stay up, it answers nothing) is left
    for the next one after a timed-out call, instead of after gRPC's keepalive gives up (over
    a minute when measured); local watches resume there without a gap."""
    cluster = EtcdCluster(tmp_path / "etcd", size=3).start()
    hung: EtcdMember | None = None
    try:
        store = await connect_store(cluster.url("/hung"))
        try:
            watch = RecordedWatch(store)
            acked: list[tuple[str, int]] = []
            for i in range(5):
                await _write(store, f"/before/{i}", acked)
            hung = await _connected_member(cluster, store)
            assert hung.process is not None
            os.kill(hung.process.pid, signal.SIGSTOP)
            stopped_at = time.monotonic()
            await _write(store, "/after/0", acked)
            # One write timing out (5 s), then the next member answers.
            assert time.monotonic() - stopped_at < 12
            for i in range(1, 20):
                await _write(store, f"/after/{i}", acked)
            assert (await _connected_member(cluster, store, hung=hung)) is not hung
            await watch.saw_every_revision(store, acked)
        finally:
            if hung is not None and hung.process is not None:
                os.kill(hung.process.pid, signal.SIGCONT)
            await store.close()
    finally:
        cluster.stop(grace=2)
        assert not cluster.leftover_pids()
        cluster.remove_data()
