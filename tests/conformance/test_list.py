"""Conformance: list order, prefix, limit, start_key, remaining, revision and paging."""

from __future__ import annotations

import asyncio
import random

import pytest

from steersman.storage import CompactedError, FutureRevisionError, KeyValue, Store

from .conftest import fill

KEYS = ["/p/a", "/p/b", "/p/c", "/p/d", "/p/e", "/pq/x", "/o/z", "/p", "/q/a"]


def keys(items: list[KeyValue]) -> list[str]:
    return [kv.key for kv in items]


async def test_list_is_key_ordered_and_prefix_bounded(store: Store) -> None:
    shuffled = KEYS[:]
    random.Random(7).shuffle(shuffled)
    await fill(store, shuffled)
    res = await store.list("/p/")
    assert keys(res.items) == ["/p/a", "/p/b", "/p/c", "/p/d", "/p/e"]
    assert res.revision == store.current_revision()
    assert (res.continue_key, res.remaining) == (None, 0)
    assert keys((await store.list("/p")).items) == [
        "/p",
        "/p/a",
        "/p/b",
        "/p/c",
        "/p/d",
        "/p/e",
        "/pq/x",
    ]
    assert keys((await store.list("")).items) == sorted(KEYS)
    assert (await store.list("/nothing/")).items == []


async def test_list_values_are_current(store: Store) -> None:
    a = await store.create("/p/a", b"1")
    b = await store.update("/p/a", b"2", expected_revision=a.mod_revision)
    await store.create("/p/b", b"x")
    await store.delete("/p/b")
    assert (await store.list("/p/")).items == [b]


async def test_list_limit_and_continue(store: Store) -> None:
    await fill(store, KEYS)
    page = await store.list("/p/", limit=2)
    assert keys(page.items) == ["/p/a", "/p/b"]
    assert page.continue_key == "/p/c"
    assert page.remaining == 3
    page2 = await store.list("/p/", limit=2, start_key=page.continue_key, revision=page.revision)
    assert keys(page2.items) == ["/p/c", "/p/d"]
    assert (page2.continue_key, page2.remaining) == ("/p/e", 1)
    page3 = await store.list("/p/", limit=2, start_key=page2.continue_key, revision=page.revision)
    assert keys(page3.items) == ["/p/e"]
    assert (page3.continue_key, page3.remaining) == (None, 0)


async def test_list_limit_exactly_the_count_is_complete(store: Store) -> None:
    await fill(store, KEYS)
    page = await store.list("/p/", limit=5)
    assert len(page.items) == 5
    assert (page.continue_key, page.remaining) == (None, 0)
    page = await store.list("/p/", limit=0)
    assert len(page.items) == 5


async def test_list_start_key_is_inclusive_and_bounded_by_prefix(store: Store) -> None:
    await fill(store, KEYS)
    assert keys((await store.list("/p/", start_key="/p/c")).items) == ["/p/c", "/p/d", "/p/e"]
    assert keys((await store.list("/p/", start_key="/p/bb")).items) == ["/p/c", "/p/d", "/p/e"]
    assert keys((await store.list("/p/", start_key="/a")).items) == keys(
        (await store.list("/p/")).items
    )
    assert (await store.list("/p/", start_key="/p0")).items == []


async def test_list_at_past_revision(store: Store) -> None:
    await fill(store, ["/p/a", "/p/b"])
    at = store.current_revision()
    b = await store.get("/p/b")
    assert b is not None
    await store.create("/p/c", b"new")
    await store.update("/p/b", b"changed", expected_revision=b.mod_revision)
    await store.delete("/p/a")
    old = await store.list("/p/", revision=at)
    assert old.revision == at
    assert keys(old.items) == ["/p/a", "/p/b"]
    assert old.items[1] == b
    now = await store.list("/p/")
    assert keys(now.items) == ["/p/b", "/p/c"]
    assert now.items[0].value == b"changed"
    assert await store.list("/p/", revision=store.current_revision()) == now


async def test_list_future_revision(store: Store) -> None:
    await fill(store, ["/p/a"])
    with pytest.raises(FutureRevisionError):
        await store.list("/p/", revision=store.current_revision() + 1)


async def test_list_compacted_revision(store: Store) -> None:
    await fill(store, ["/p/a", "/p/b", "/p/c"])
    await store.compact(store.current_revision() - 1)
    with pytest.raises(CompactedError):
        await store.list("/p/", revision=1)
    assert keys((await store.list("/p/", revision=store.compacted_revision())).items) == [
        "/p/a",
        "/p/b",
    ]


async def test_paging_at_fixed_revision_while_writes_continue(store: Store) -> None:
    names = [f"/p/{i:03d}" for i in range(40)]
    await fill(store, names)
    first = await store.list("/p/", limit=7)
    snapshot_rev = first.revision
    seen = keys(first.items)
    cont = first.continue_key
    n = 0
    while cont is not None:
        # Writes between pages: delete one seen and one unseen key, add new keys, change values.
        victims = [seen[0], cont]
        for key in victims:
            if await store.get(key) is not None:
                await store.delete(key)
        await store.create(f"/p/{100 + n:03d}", b"late")
        await store.create(f"/p/{n:03d}x", b"late")
        page = await store.list("/p/", limit=7, start_key=cont, revision=snapshot_rev)
        assert page.revision == snapshot_rev
        assert len(page.items) <= 7
        seen += keys(page.items)
        assert page.remaining == max(0, len(names) - len(seen))
        cont = page.continue_key
        n += 1
    assert seen == names  # exactly the snapshot: nothing missing, nothing late
    assert all(kv.value == b"{}" for kv in (await store.list("/p/", revision=snapshot_rev)).items)


async def test_paging_under_concurrent_writers(store: Store) -> None:
    await fill(store, [f"/p/{i:04d}" for i in range(200)])
    first = await store.list("/p/", limit=25)
    stop = asyncio.Event()

    async def churn(n: int) -> None:
        i = 0
        while not stop.is_set():
            kv = await store.get(f"/p/{(i * 3 + n) % 200:04d}")
            if kv is not None:
                await store.update(kv.key, b"churned", expected_revision=kv.mod_revision)
            await store.create(f"/p/{n}{i:06d}", b"new")
            i += 1
            await asyncio.sleep(0)  # a memory store never suspends on its own

    writers = [asyncio.create_task(churn(n)) for n in range(1, 4)]
    try:
        seen = keys(first.items)
        cont = first.continue_key
        while cont is not None:
            page = await store.list("/p/", limit=25, start_key=cont, revision=first.revision)
            assert all(kv.mod_revision <= first.revision for kv in page.items)
            seen += keys(page.items)
            cont = page.continue_key
            await asyncio.sleep(0.001)
    finally:
        stop.set()
        await asyncio.gather(*writers)
    assert seen == [f"/p/{i:04d}" for i in range(200)]
    assert store.current_revision() > first.revision


async def test_count_matches_list(store: Store) -> None:
    await fill(store, KEYS)
    for prefix in ["/p/", "/p", "/", "/q/", "/zz"]:
        assert await store.count(prefix) == len((await store.list(prefix)).items)
