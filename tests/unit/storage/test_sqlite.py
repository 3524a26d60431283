"""Unit tests for SqliteStore's writer: group commit, failure handling, threading, close."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from steersman.storage import KeyExistsError, KeyValue, SqliteStore, StoreClosedError
from steersman.storage.sqlite_log import Row


def spy_appends(store: SqliteStore) -> list[tuple[int, str]]:
    """Record (batch size, thread name) of every transaction the writer runs."""
    calls: list[tuple[int, str]] = []
    original = store._log.append

    def append(rows: Sequence[Row]) -> None:
        calls.append((len(rows), threading.current_thread().name))
        original(rows)

    store._log.append = append  # type: ignore[method-assign]
    return calls


async def test_concurrent_writes_are_group_committed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    calls = spy_appends(store)
    try:
        kvs = await asyncio.gather(*(store.create(f"/k/{i}", b"v") for i in range(200)))
        assert sorted(kv.mod_revision for kv in kvs) == list(range(1, 201))
        assert sum(n for n, _ in calls) == 200
        assert len(calls) < 20  # batched, not one transaction per write
        # SQLite runs off the event loop's thread.
        assert all(name != threading.main_thread().name for _, name in calls)
    finally:
        await store.close()


async def test_failed_checks_do_not_spoil_the_batch(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        await store.create("/dup", b"0")
        results = await asyncio.gather(
            store.create("/a", b"1"),
            store.create("/dup", b"x"),
            store.create("/b", b"2"),
            return_exceptions=True,
        )
        assert isinstance(results[1], KeyExistsError)
        assert [r.mod_revision for r in results if isinstance(r, KeyValue)] == [2, 3]
    finally:
        await store.close()


async def test_commit_failure_stops_writes_and_changes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        await store.create("/a", b"1")

        def broken(rows: Sequence[Row]) -> None:
            raise OSError("disk on fire")

        store._log.append = broken  # type: ignore[method-assign]
        with pytest.raises(StoreClosedError):
            await store.create("/b", b"2")
        assert store.current_revision() == 1
        assert await store.get("/b") is None
        with pytest.raises(StoreClosedError):
            await store.create("/c", b"3")
        assert (await store.get("/a")).value == b"1"  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_close_finishes_queued_writes_and_ends_watches(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    watcher = store.watch("/k/")
    writes = [asyncio.create_task(store.create(f"/k/{i}", b"v")) for i in range(50)]
    await asyncio.sleep(0)  # the writes are queued
    await store.close()
    assert len(await asyncio.gather(*writes)) == 50
    assert len([e async for e in watcher]) == 0  # closed: iteration ends
    with pytest.raises(StoreClosedError):
        await store.create("/late", b"v")
    reopened = SqliteStore(path)
    try:
        assert await reopened.count("/k/") == 50
    finally:
        await reopened.close()


async def test_cancelled_caller_before_planning_is_not_written(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        task = asyncio.create_task(store.create("/gone", b"v"))
        await asyncio.sleep(0)  # queued, writer not yet run
        task.cancel()
        await store.create("/kept", b"v")
        assert await store.get("/gone") is None
        assert store.current_revision() == 1
    finally:
        await store.close()
