"""Conformance: compaction forgets history at and below a revision, and nothing else."""

from __future__ import annotations

import asyncio

import pytest

from steersman.storage import CompactedError, FutureRevisionError, Store

from .test_watch import take


async def history(store: Store) -> dict[str, int]:
    """Writes a little history; returns named revisions."""
    a1 = await store.create("/c/a", b"a1")
    b1 = await store.create("/c/b", b"b1")
    a2 = await store.update("/c/a", b"a2", expected_revision=a1.mod_revision)
    gone = await store.create("/c/gone", b"g")
    gone_d = await store.delete("/c/gone")
    b2 = await store.update("/c/b", b"b2", expected_revision=b1.mod_revision)
    c1 = await store.create("/c/c", b"c1")
    return {
        "a1": a1.mod_revision,
        "b1": b1.mod_revision,
        "a2": a2.mod_revision,
        "gone": gone.mod_revision,
        "gone_d": gone_d.mod_revision,
        "b2": b2.mod_revision,
        "c1": c1.mod_revision,
    }


async def test_compaction_keeps_state_at_and_after_the_revision(store: Store) -> None:
    rev = await history(store)
    at = rev["gone_d"]
    expected_at = await store.list("/c/", revision=at)
    expected_now = await store.list("/c/")
    await store.compact(at)
    assert store.compacted_revision() == at
    assert store.current_revision() == rev["c1"]  # compaction takes no revision
    assert await store.list("/c/", revision=at) == expected_at
    assert await store.list("/c/") == expected_now
    assert [kv.value for kv in expected_at.items] == [b"a2", b"b1"]
    assert (await store.get("/c/b", revision=at)).value == b"b1"  # type: ignore[union-attr]
    assert await store.get("/c/gone", revision=at) is None
    assert (await store.get("/c/b", revision=rev["b2"])).value == b"b2"  # type: ignore[union-attr]


async def test_below_compaction_is_gone_for_get_list_watch(store: Store) -> None:
    rev = await history(store)
    at = rev["b2"]
    await store.compact(at)
    for old in (rev["a1"], rev["gone"], at - 1):
        with pytest.raises(CompactedError) as err:
            await store.get("/c/a", revision=old)
        assert (err.value.requested, err.value.compacted) == (old, at)
        with pytest.raises(CompactedError):
            await store.list("/c/", revision=old)
        with pytest.raises(CompactedError):
            await store.list("/c/", revision=old, limit=1, start_key="/c/b")
        with pytest.raises(CompactedError):
            store.watch("/c/", revision=old)


async def test_watch_from_compacted_revision_replays_after_it(store: Store) -> None:
    rev = await history(store)
    await store.compact(rev["b2"])
    watcher = store.watch("/c/", revision=rev["b2"])
    try:
        [event] = await take(watcher, 1)
        assert (event.type, event.kv.key, event.revision) == ("ADDED", "/c/c", rev["c1"])
    finally:
        watcher.close()


async def test_compaction_does_not_disturb_open_watches(store: Store) -> None:
    rev = await history(store)
    watcher = store.watch("/c/", revision=rev["a1"])
    try:
        caught_up = await take(watcher, 6)
        assert [e.revision for e in caught_up] == sorted(rev.values())[1:]
        await store.compact(rev["c1"])
        await store.create("/c/d", b"d")
        assert [e.kv.key for e in await take(watcher, 1)] == ["/c/d"]
    finally:
        watcher.close()


async def test_compaction_bounds(store: Store) -> None:
    await history(store)
    with pytest.raises(FutureRevisionError):
        await store.compact(store.current_revision() + 1)
    await store.compact(3)
    await store.compact(3)  # again: nothing to do
    await store.compact(2)  # older than the compacted revision: nothing to do
    assert store.compacted_revision() == 3
    await store.compact(store.current_revision())
    assert store.compacted_revision() == store.current_revision()
    assert [kv.value for kv in (await store.list("/c/")).items] == [b"a2", b"b2", b"c1"]


async def test_keys_churned_across_compactions(store: Store) -> None:
    # Re-creating, updating and deleting keys around compaction points must keep working
    # (a kine log's UNIQUE(name, prev_revision) must never trip on legitimate writes).
    for round_ in range(4):
        for i in range(5):
            key = f"/k/{i}"
            kv = await store.get(key)
            if kv is None:
                kv = await store.create(key, b"new")
            kv = await store.update(key, f"r{round_}".encode(), expected_revision=kv.mod_revision)
            if (i + round_) % 2:
                await store.delete(key)
        await store.compact(store.current_revision() - 2)
    live = await store.list("/k/")
    assert [kv.key for kv in live.items] == ["/k/1", "/k/3"]  # round 3 deleted the even ones
    assert all(kv.value == b"r3" for kv in live.items)


async def test_writes_continue_during_compaction(store: Store) -> None:
    for i in range(200):
        kv = await store.create(f"/c/{i}", b"0")
        await store.update(kv.key, b"1", expected_revision=kv.mod_revision)
    at = store.current_revision()
    results = await asyncio.gather(
        store.compact(at), *(store.create(f"/d/{i}", b"v") for i in range(50))
    )
    assert store.compacted_revision() == at
    assert await store.count("/d/") == 50
    assert len({kv.mod_revision for kv in results[1:]}) == 50  # type: ignore[union-attr]
    assert all(kv.value == b"1" for kv in (await store.list("/c/")).items)
