"""Unit tests for the MVCC index: batch planning, history reads, compaction plans, watchers."""

from __future__ import annotations

import asyncio
import random

import pytest

from steersman.storage.interface import (
    CompactedError,
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    WatchOverflowError,
)
from steersman.storage.mvcc import Batch, MvccIndex, prefix_end


def write(index: MvccIndex, op: str, key: str, value: bytes = b"v") -> KeyValue:
    batch = Batch(index)
    if op == "create":
        event = batch.create(key, value)
    elif op == "update":
        cur = index.latest(key)
        assert cur is not None
        event = batch.update(key, value, expected_revision=cur.mod_revision)
    else:
        event = batch.delete(key)
    index.apply(batch.events())
    return event.kv


@pytest.mark.parametrize(
    ("prefix", "end"),
    [("/a/", "/a0"), ("/a", "/b"), ("", None), ("a\U0010ffff", "b"), ("\U0010ffff", None)],
)
def test_prefix_end(prefix: str, end: str | None) -> None:
    assert prefix_end(prefix) == end


def test_prefix_end_bounds_exactly_the_prefix() -> None:
    keys = sorted(["/a", "/a/", "/a/x", "/a/\U0010ffff", "/a0", "/a0/x", "/b", "/a.", "/"])
    end = prefix_end("/a/")
    assert end is not None
    assert [k for k in keys if "/a/" <= k < end] == [k for k in keys if k.startswith("/a/")]


def test_batch_sees_its_own_earlier_writes() -> None:
    index = MvccIndex()
    write(index, "create", "/k")  # revision 1
    batch = Batch(index)
    deleted = batch.delete("/k")
    recreated = batch.create("/k", b"again")
    with pytest.raises(KeyExistsError):
        batch.create("/k", b"third")
    with pytest.raises(ConflictError) as err:
        batch.update("/k", b"x", expected_revision=1)
    assert err.value.current == recreated.kv
    updated = batch.update("/k", b"x", expected_revision=recreated.kv.mod_revision)
    with pytest.raises(KeyNotFoundError):
        batch.delete("/other")
    assert [e.revision for e in batch.events()] == [2, 3, 4]
    # prev_revision chains each row to the key's previous row (kine's CAS column).
    assert [w.prev_revision for w in batch.writes] == [1, 2, 3]
    assert index.current_revision() == 1  # nothing visible before apply
    index.apply(batch.events())
    assert index.latest("/k") == updated.kv
    assert deleted.kv.value == b"v" and deleted.kv.mod_revision == 2
    assert index.get("/k", 2) is None
    assert index.get("/k", 3) == recreated.kv


def test_apply_rejects_revisions_out_of_order() -> None:
    index = MvccIndex()
    stale = Batch(index)
    event = stale.create("/a", b"1")
    write(index, "create", "/b")
    with pytest.raises(ValueError):
        index.apply([event])


def test_reads_at_every_revision_match_a_model() -> None:
    """Random writes; the state at every revision must equal a replayed model, before and after
    compaction (for revisions at or above the compaction point)."""
    rng = random.Random(1234)
    index = MvccIndex()
    model: dict[str, bytes] = {}
    snapshots: dict[int, dict[str, bytes]] = {}
    keys = [f"/r/{c}" for c in "abcdefgh"] + ["/s/x", "/r"]
    for step in range(400):
        key = rng.choice(keys)
        value = str(step).encode()
        if key not in model:
            write(index, "create", key, value)
            model[key] = value
        elif rng.random() < 0.3:
            write(index, "delete", key)
            del model[key]
        else:
            write(index, "update", key, value)
            model[key] = value
        snapshots[index.current_revision()] = dict(model)
        if step % 97 == 96:
            index.compact(index.current_revision() - rng.randrange(0, 30))

    def state(revision: int, prefix: str) -> dict[str, bytes]:
        listed = index.list(prefix, revision=revision)
        return {kv.key: kv.value for kv in listed.items}

    for revision, snap in snapshots.items():
        if revision < index.compacted_revision():
            with pytest.raises(CompactedError):
                index.list("/r/", revision=revision)
            continue
        assert state(revision, "") == snap
        assert state(revision, "/r/") == {k: v for k, v in snap.items() if k.startswith("/r/")}
        for key in keys:
            kv = index.get(key, revision)
            assert (kv.value if kv else None) == snap.get(key)
        paged: list[str] = []
        start: str | None = None
        while True:
            page = index.list("", revision=revision, limit=3, start_key=start)
            paged += [kv.key for kv in page.items]
            assert page.remaining == len(snap) - len(paged)
            if page.continue_key is None:
                break
            start = page.continue_key
        assert paged == sorted(snap)


def test_compaction_plan_drops_exactly_superseded_versions() -> None:
    index = MvccIndex()
    write(index, "create", "/a", b"1")  # 1
    write(index, "update", "/a", b"2")  # 2
    write(index, "create", "/b", b"1")  # 3
    write(index, "delete", "/b")  # 4
    write(index, "create", "/c", b"1")  # 5
    write(index, "update", "/a", b"3")  # 6
    plan = index.plan_compaction(4)
    # /a keeps version 2 (newest <= 4); /b's create and tombstone both go; /c is untouched.
    assert plan.dropped == [1, 3, 4]
    assert index.compacted_revision() == 0  # planning changes nothing
    index.apply_compaction(plan)
    assert index.compacted_revision() == 4
    assert index.last_revision("/b") == 0
    assert index.get("/a", 4).value == b"2"  # type: ignore[union-attr]
    assert index.plan_compaction(6).dropped == [2]
    assert index.plan_compaction(3).dropped == []  # already compacted past it


def test_compaction_keeps_tombstone_above_the_point() -> None:
    index = MvccIndex()
    write(index, "create", "/a")  # 1
    write(index, "delete", "/a")  # 2
    index.compact(1)
    assert index.last_revision("/a") == 2  # the re-create must chain to the tombstone
    assert index.get("/a", 1) is not None
    assert index.get("/a", 2) is None


async def test_watcher_overflow_yields_buffer_then_errors() -> None:
    index = MvccIndex(watch_queue_size=3)
    watcher = index.watch("/w/")
    healthy = index.watch("/w/")
    for i in range(5):
        write(index, "create", f"/w/{i}")
    got = [await watcher.__anext__() for _ in range(3)]
    assert [e.kv.key for e in got] == ["/w/0", "/w/1", "/w/2"]
    with pytest.raises(WatchOverflowError):
        await watcher.__anext__()
    with pytest.raises(StopAsyncIteration):
        await watcher.__anext__()
    # The other watcher drained in time: unaffected.
    assert (await healthy.__anext__()).kv.key == "/w/0"
    healthy.close()


async def test_watcher_from_future_revision_skips_until_then() -> None:
    index = MvccIndex()
    watcher = index.watch("/w/", revision=3)
    for i in range(5):
        write(index, "create", f"/w/{i}")
    event = await watcher.__anext__()
    assert event.revision == 4
    watcher.close()


async def test_watcher_close_wakes_a_waiting_consumer() -> None:
    index = MvccIndex()
    watcher = index.watch("/w/")
    task = asyncio.create_task(watcher.__anext__())
    await asyncio.sleep(0)
    watcher.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(task, 1)
    assert not index._watchers  # unregistered


async def test_cancelled_wait_leaves_watcher_usable() -> None:
    index = MvccIndex()
    watcher = index.watch("/w/")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(watcher.__anext__(), 0.01)
    write(index, "create", "/w/a")
    assert (await asyncio.wait_for(watcher.__anext__(), 1)).kv.key == "/w/a"
    watcher.close()


def test_watch_on_closed_index_ends_at_once() -> None:
    index = MvccIndex()
    index.close()
    watcher = index.watch("/w/")
    with pytest.raises(StopAsyncIteration):
        asyncio.run(watcher.__anext__())
