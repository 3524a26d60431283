"""Conformance: watch replay, ordering, no gaps, DELETED values, prefix isolation, progress."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from steersman.storage import KeyValue, Store, Watcher, WatchEvent

TIMEOUT = 5.0


async def take(watcher: Watcher, n: int) -> list[WatchEvent]:
    async def run() -> list[WatchEvent]:
        out = []
        async for event in watcher:
            out.append(event)
            if len(out) == n:
                break
        return out

    return await asyncio.wait_for(run(), TIMEOUT)


async def nothing_pending(watcher: Watcher) -> bool:
    try:
        await asyncio.wait_for(watcher.__anext__(), 0.05)
    except TimeoutError:
        return True
    return False


def summary(events: list[WatchEvent]) -> list[tuple[str, str, bytes]]:
    return [(e.type, e.kv.key, e.kv.value) for e in events]


async def test_watch_from_now_sees_only_new_events(store: Store) -> None:
    await store.create("/w/old", b"0")
    watcher = store.watch("/w/")
    try:
        a = await store.create("/w/a", b"1")
        b = await store.update("/w/a", b"2", expected_revision=a.mod_revision)
        d = await store.delete("/w/a")
        events = await take(watcher, 3)
        assert summary(events) == [
            ("ADDED", "/w/a", b"1"),
            ("MODIFIED", "/w/a", b"2"),
            ("DELETED", "/w/a", b"2"),
        ]
        assert [e.revision for e in events] == [a.mod_revision, b.mod_revision, d.mod_revision]
        assert events[0].kv == a and events[1].kv == b
        assert events[1].prev_kv == a
        assert events[2].kv == d  # DELETED carries the last value at the deletion revision
        assert events[2].prev_kv == b
        assert await nothing_pending(watcher)
    finally:
        watcher.close()


async def test_watch_from_past_revision_replays(store: Store) -> None:
    a = await store.create("/w/a", b"1")
    b = await store.create("/w/b", b"1")
    await store.update("/w/a", b"2", expected_revision=a.mod_revision)
    await store.delete("/w/b")
    watcher = store.watch("/w/", revision=a.mod_revision)  # everything after a's creation
    try:
        await store.create("/w/c", b"live")
        events = await take(watcher, 4)
        assert summary(events) == [
            ("ADDED", "/w/b", b"1"),
            ("MODIFIED", "/w/a", b"2"),
            ("DELETED", "/w/b", b"1"),
            ("ADDED", "/w/c", b"live"),
        ]
        assert events[0].revision == b.mod_revision
        assert events[1].prev_kv == a
    finally:
        watcher.close()


async def test_watch_from_zero_revision_of_fresh_store(store: Store) -> None:
    watcher = store.watch("/w/", revision=0)
    try:
        await store.create("/w/a", b"1")
        assert summary(await take(watcher, 1)) == [("ADDED", "/w/a", b"1")]
    finally:
        watcher.close()


async def test_watch_prefix_isolation(store: Store) -> None:
    watcher = store.watch("/w/a/")
    try:
        await store.create("/w/a", b"no")
        await store.create("/w/ab/1", b"no")
        await store.create("/w/b/1", b"no")
        await store.create("/w/a/1", b"yes")
        await store.create("/x/w/a/2", b"no")
        await store.create("/w/a/2", b"yes")
        events = await take(watcher, 2)
        assert [e.kv.key for e in events] == ["/w/a/1", "/w/a/2"]
        assert await nothing_pending(watcher)
    finally:
        watcher.close()


async def test_watch_replay_prefix_isolation(store: Store) -> None:
    start = (await store.create("/seed", b"v")).mod_revision  # revision 0 would mean "from now"
    for key in ["/w/a/1", "/w/b/1", "/w/a/2", "/w/ab"]:
        await store.create(key, b"v")
    watcher = store.watch("/w/a/", revision=start)
    try:
        assert [e.kv.key for e in await take(watcher, 2)] == ["/w/a/1", "/w/a/2"]
        assert await nothing_pending(watcher)
    finally:
        watcher.close()


async def test_watch_order_and_no_gaps_under_concurrent_writers(store: Store) -> None:
    start = (await store.create("/seed", b"v")).mod_revision
    watcher = store.watch("/w/", revision=start)
    other = store.watch("/", revision=start)
    try:

        async def writer(n: int) -> None:
            kv: KeyValue | None = None
            for i in range(20):
                if kv is None:
                    kv = await store.create(f"/w/{n}", str(i).encode())
                elif i % 7 == 0:
                    await store.delete(kv.key)
                    kv = None
                else:
                    kv = await store.update(
                        kv.key, str(i).encode(), expected_revision=kv.mod_revision
                    )
                if i % 3 == 0:
                    await store.create(f"/other/{n}/{i}", b"x")

        await asyncio.gather(*(writer(n) for n in range(8)))
        total = store.current_revision() - start
        every = await take(other, total)
        revisions = [e.revision for e in every]
        # The store-wide watch sees every revision exactly once, in order: no gaps.
        assert revisions == sorted(revisions)
        assert len(set(revisions)) == total
        mine = [e for e in every if e.kv.key.startswith("/w/")]
        got = await take(watcher, len(mine))
        assert got == mine
        assert await nothing_pending(watcher)
        # Replaying the same history from the start yields the same events.
        again = store.watch("/w/", revision=start)
        try:
            assert await take(again, len(mine)) == mine
        finally:
            again.close()
    finally:
        watcher.close()
        other.close()


async def test_watch_per_key_state_is_consistent(store: Store) -> None:
    start = (await store.create("/seed", b"v")).mod_revision
    await store.create("/w/k", b"1")
    for i in range(2, 6):
        kv = await store.get("/w/k")
        assert kv is not None
        await store.update("/w/k", str(i).encode(), expected_revision=kv.mod_revision)
    watcher = store.watch("/w/", revision=start)
    try:
        events = await take(watcher, 5)
        for prev, cur in itertools.pairwise(events):
            assert cur.prev_kv == prev.kv
    finally:
        watcher.close()


async def test_watch_close_ends_iteration(store: Store) -> None:
    watcher = store.watch("/w/")

    async def drain() -> list[WatchEvent]:
        return [e async for e in watcher]

    task = asyncio.create_task(drain())
    await store.create("/w/a", b"1")
    await asyncio.sleep(0.01)
    watcher.close()
    assert summary(await asyncio.wait_for(task, TIMEOUT)) == [("ADDED", "/w/a", b"1")]


async def test_store_close_ends_watches(backend: object) -> None:
    from .conftest import Backend

    assert isinstance(backend, Backend)
    s = await backend.open()
    watcher = s.watch("/w/")
    task = asyncio.create_task(take(watcher, 1))
    await asyncio.sleep(0.01)
    await s.close()
    assert await asyncio.wait_for(task, TIMEOUT) == []


async def test_progress_revision(store: Store) -> None:
    await store.create("/x/1", b"v")
    watcher = store.watch("/w/")
    try:
        assert watcher.progress_revision() == store.current_revision()
        await store.create("/w/a", b"1")
        await store.create("/x/2", b"v")
        # One event is pending: progress may not claim it yet.
        assert watcher.progress_revision() < store.current_revision() - 1
        [event] = await take(watcher, 1)
        assert event.kv.key == "/w/a"
        # Drained: every event up to the current revision was yielded (the /x/ write is not ours).
        assert watcher.progress_revision() == store.current_revision()
    finally:
        watcher.close()


async def test_progress_revision_during_replay(store: Store) -> None:
    start = (await store.create("/seed", b"v")).mod_revision
    await store.create("/w/a", b"1")
    await store.create("/w/b", b"1")
    watcher = store.watch("/w/", revision=start)
    try:
        assert watcher.progress_revision() == start
        [first] = await take(watcher, 1)
        assert watcher.progress_revision() == first.revision
        await take(watcher, 1)
        assert watcher.progress_revision() == store.current_revision()
    finally:
        watcher.close()


async def test_watch_compacted_revision_raises(store: Store) -> None:
    from steersman.storage import CompactedError

    for i in range(4):
        await store.create(f"/w/{i}", b"v")
    compact_at = store.current_revision() - 1
    await store.compact(compact_at)
    with pytest.raises(CompactedError) as err:
        store.watch("/w/", revision=compact_at - 1)
    assert err.value.compacted == compact_at
    watcher = store.watch("/w/", revision=compact_at)
    try:
        [event] = await take(watcher, 1)
        assert event.revision == compact_at + 1
    finally:
        watcher.close()


async def test_many_watchers_each_see_everything(store: Store) -> None:
    watchers = [store.watch("/w/") for _ in range(20)]
    try:
        for i in range(10):
            await store.create(f"/w/{i}", b"v")
        results = await asyncio.gather(*(take(w, 10) for w in watchers))
        assert all([e.kv.key for e in r] == [f"/w/{i}" for i in range(10)] for r in results)
    finally:
        for w in watchers:
            w.close()
