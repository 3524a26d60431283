"""Conformance: create/get/update/delete, CAS, preconditions, guaranteed_update, count, revisions."""

from __future__ import annotations

import asyncio
import itertools

import orjson
import pytest

from steersman.storage import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    PreconditionError,
    Preconditions,
    StorageError,
    Store,
)

from .conftest import Backend


def obj(uid: str, n: int = 0) -> bytes:
    return orjson.dumps({"metadata": {"uid": uid}, "n": n})


async def test_fresh_store_is_empty(store: Store, backend: Backend) -> None:
    assert store.current_revision() == backend.initial_revision
    assert store.compacted_revision() == 0
    assert await store.get("/a") is None
    assert (await store.list("/")).items == []
    assert await store.count("/") == 0


async def test_create_assigns_next_revision(store: Store) -> None:
    a = await store.create("/r/a", b"one")
    assert a == KeyValue("/r/a", b"one", a.mod_revision, a.mod_revision)
    assert a.mod_revision > 0
    assert store.current_revision() == a.mod_revision
    b = await store.create("/r/b", b"two")
    assert b.mod_revision > a.mod_revision
    assert await store.get("/r/a") == a


async def test_create_existing_key_fails(store: Store) -> None:
    await store.create("/r/a", b"one")
    rev = store.current_revision()
    with pytest.raises(KeyExistsError) as err:
        await store.create("/r/a", b"two")
    assert err.value.key == "/r/a"
    assert (await store.get("/r/a")).value == b"one"  # type: ignore[union-attr]
    assert store.current_revision() == rev  # a failed write takes no revision


async def test_values_are_opaque_bytes(store: Store) -> None:
    value = bytes(range(256)) * 4
    await store.create("/bin", value)
    assert (await store.get("/bin")).value == value  # type: ignore[union-attr]


async def test_get_at_revision(store: Store) -> None:
    a1 = await store.create("/r/a", b"1")
    a2 = await store.update("/r/a", b"2", expected_revision=a1.mod_revision)
    await store.create("/r/b", b"x")
    deleted = await store.delete("/r/a")
    assert await store.get("/r/a", revision=a1.mod_revision) == a1
    assert await store.get("/r/a", revision=a2.mod_revision) == a2
    assert await store.get("/r/a", revision=deleted.mod_revision - 1) == a2
    assert await store.get("/r/a", revision=deleted.mod_revision) is None
    assert await store.get("/r/a") is None
    assert await store.get("/r/b", revision=a1.mod_revision) is None


async def test_get_future_revision(store: Store) -> None:
    await store.create("/r/a", b"1")
    with pytest.raises(FutureRevisionError) as err:
        await store.get("/r/a", revision=store.current_revision() + 1)
    assert err.value.current == store.current_revision()


async def test_update_is_compare_and_swap(store: Store) -> None:
    a = await store.create("/r/a", b"1")
    b = await store.update("/r/a", b"2", expected_revision=a.mod_revision)
    assert b.value == b"2"
    assert b.create_revision == a.create_revision
    assert b.mod_revision > a.mod_revision
    with pytest.raises(ConflictError) as err:
        await store.update("/r/a", b"3", expected_revision=a.mod_revision)
    assert err.value.key == "/r/a"
    assert err.value.current == b
    assert await store.get("/r/a") == b


async def test_update_missing_key(store: Store) -> None:
    with pytest.raises(KeyNotFoundError):
        await store.update("/r/none", b"1", expected_revision=1)


async def test_delete_returns_last_value_at_deletion_revision(store: Store) -> None:
    a = await store.create("/r/a", b"1")
    d = await store.delete("/r/a")
    assert d == KeyValue("/r/a", b"1", a.create_revision, store.current_revision())
    assert d.mod_revision > a.mod_revision
    assert await store.get("/r/a") is None
    with pytest.raises(KeyNotFoundError):
        await store.delete("/r/a")


async def test_delete_expected_revision(store: Store) -> None:
    a = await store.create("/r/a", b"1")
    b = await store.update("/r/a", b"2", expected_revision=a.mod_revision)
    with pytest.raises(ConflictError):
        await store.delete("/r/a", expected_revision=a.mod_revision)
    assert await store.get("/r/a") == b
    await store.delete("/r/a", expected_revision=b.mod_revision)
    assert await store.get("/r/a") is None


async def test_delete_preconditions(store: Store) -> None:
    a = await store.create("/r/a", obj("u1"))
    with pytest.raises(PreconditionError) as err:
        await store.delete("/r/a", preconditions=Preconditions(uid="u2"))
    assert (err.value.field, err.value.expected, err.value.actual) == ("uid", "u2", "u1")
    with pytest.raises(PreconditionError) as err:
        await store.delete("/r/a", preconditions=Preconditions(resource_version=a.mod_revision + 7))
    assert err.value.field == "resourceVersion"
    assert await store.get("/r/a") == a
    pre = Preconditions(uid="u1", resource_version=a.mod_revision)
    await store.delete("/r/a", preconditions=pre)
    assert await store.get("/r/a") is None


async def test_recreate_after_delete(store: Store) -> None:
    a = await store.create("/r/a", b"1")
    await store.delete("/r/a")
    again = await store.create("/r/a", b"2")
    assert again.create_revision == again.mod_revision > a.mod_revision
    assert await store.get("/r/a", revision=a.mod_revision) == a
    upd = await store.update("/r/a", b"3", expected_revision=again.mod_revision)
    assert upd.create_revision == again.create_revision


async def test_guaranteed_update(store: Store) -> None:
    a = await store.create("/r/a", obj("u1", 1))
    seen: list[KeyValue] = []

    async def bump(kv: KeyValue) -> bytes:
        seen.append(kv)
        doc = orjson.loads(kv.value)
        doc["n"] += 1
        return orjson.dumps(doc)

    b = await store.guaranteed_update("/r/a", bump)
    assert seen == [a]
    assert orjson.loads(b.value)["n"] == 2
    assert b.mod_revision == store.current_revision() > a.mod_revision
    assert await store.get("/r/a") == b


async def test_guaranteed_update_no_change_writes_nothing(store: Store) -> None:
    a = await store.create("/r/a", b"same")
    rev = store.current_revision()

    async def keep(kv: KeyValue) -> bytes | None:
        return None

    async def identical(kv: KeyValue) -> bytes:
        return kv.value

    assert await store.guaranteed_update("/r/a", keep) == a
    assert await store.guaranteed_update("/r/a", identical) == a
    assert store.current_revision() == rev


async def test_guaranteed_update_missing_key(store: Store) -> None:
    async def never(kv: KeyValue) -> bytes:
        raise AssertionError("must not be called")

    with pytest.raises(KeyNotFoundError):
        await store.guaranteed_update("/r/none", never)


async def test_guaranteed_update_propagates_errors(store: Store) -> None:
    await store.create("/r/a", b"1")
    rev = store.current_revision()

    async def refuse(kv: KeyValue) -> bytes:
        raise ValueError("no")

    with pytest.raises(ValueError):
        await store.guaranteed_update("/r/a", refuse)
    assert store.current_revision() == rev


async def test_guaranteed_update_preconditions(store: Store) -> None:
    a = await store.create("/r/a", obj("u1"))

    async def bump(kv: KeyValue) -> bytes:
        return obj("u1", 5)

    with pytest.raises(PreconditionError):
        await store.guaranteed_update("/r/a", bump, preconditions=Preconditions(uid="other"))
    with pytest.raises(PreconditionError):
        await store.guaranteed_update(
            "/r/a", bump, preconditions=Preconditions(resource_version=a.mod_revision + 1)
        )
    ok = await store.guaranteed_update(
        "/r/a", bump, preconditions=Preconditions(uid="u1", resource_version=a.mod_revision)
    )
    assert orjson.loads(ok.value)["n"] == 5


async def test_guaranteed_update_retries_on_conflict(store: Store) -> None:
    a = await store.create("/r/a", b"0")
    calls: list[bytes] = []

    async def racing(kv: KeyValue) -> bytes:
        calls.append(kv.value)
        if len(calls) == 1:  # someone else writes while we compute
            await store.update("/r/a", b"10", expected_revision=a.mod_revision)
        return str(int(kv.value) + 1).encode()

    result = await store.guaranteed_update("/r/a", racing)
    assert calls == [b"0", b"10"]
    assert result.value == b"11"


async def test_concurrent_increments_end_at_exact_count(store: Store) -> None:
    await store.create("/counter", b"0")

    async def incr(kv: KeyValue) -> bytes:
        await asyncio.sleep(0)  # let the other writers interleave
        return str(int(kv.value) + 1).encode()

    await asyncio.gather(*(store.guaranteed_update("/counter", incr) for _ in range(50)))
    assert (await store.get("/counter")).value == b"50"  # type: ignore[union-attr]


async def test_concurrent_creates_of_one_key_exactly_one_wins(store: Store) -> None:
    results = await asyncio.gather(
        *(store.create("/r/x", str(i).encode()) for i in range(20)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    assert len(winners) == 1
    assert all(isinstance(r, KeyExistsError) for r in results if r not in winners)
    assert await store.get("/r/x") == winners[0]


async def test_concurrent_cas_exactly_one_wins(store: Store) -> None:
    a = await store.create("/r/x", b"0")
    results = await asyncio.gather(
        *(
            store.update("/r/x", str(i).encode(), expected_revision=a.mod_revision)
            for i in range(20)
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    assert len(winners) == 1
    assert sum(isinstance(r, ConflictError) for r in results) == 19


async def test_revisions_strictly_increase_one_per_write(store: Store) -> None:
    revs = []
    for i in range(5):
        revs.append((await store.create(f"/r/{i}", b"v")).mod_revision)
    kv = await store.get("/r/0")
    assert kv is not None
    revs.append((await store.update("/r/0", b"w", expected_revision=kv.mod_revision)).mod_revision)
    revs.append((await store.delete("/r/1")).mod_revision)
    assert revs == sorted(set(revs))
    assert all(b > a for a, b in itertools.pairwise(revs))
    assert store.current_revision() == revs[-1]
    # Concurrent writes still get distinct, increasing revisions.
    kvs = await asyncio.gather(*(store.create(f"/c/{i}", b"v") for i in range(30)))
    got = sorted(kv.mod_revision for kv in kvs)
    assert len(set(got)) == 30 and got[0] > revs[-1]
    assert store.current_revision() == got[-1]


async def test_count(store: Store) -> None:
    for key in ["/a/1", "/a/2", "/a/3", "/ab/1", "/b/1"]:
        await store.create(key, b"v")
    await store.delete("/a/2")
    assert await store.count("/a/") == 2
    assert await store.count("/a") == 3
    assert await store.count("/") == 4
    assert await store.count("/zzz/") == 0


async def test_compacted_revision_reads(store: Store) -> None:
    a = await store.create("/r/a", b"1")
    await store.update("/r/a", b"2", expected_revision=a.mod_revision)
    await store.create("/r/b", b"x")
    compact_at = store.current_revision() - 1
    await store.compact(compact_at)
    assert store.compacted_revision() == compact_at
    with pytest.raises(CompactedError) as err:
        await store.get("/r/a", revision=a.mod_revision)
    assert (err.value.requested, err.value.compacted) == (a.mod_revision, compact_at)
    assert isinstance(err.value, StorageError)
    assert (await store.get("/r/a", revision=compact_at)).value == b"2"  # type: ignore[union-attr]


async def test_closed_store_refuses_writes(store: Store) -> None:
    await store.create("/r/a", b"1")
    await store.close()
    with pytest.raises(StorageError):
        await store.create("/r/b", b"2")
