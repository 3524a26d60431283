"""Conformance for persistent backends: reopen, crash durability (SIGKILL), bounded file size."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from steersman.storage import CompactedError, KeyValue, Store

from .conftest import Backend
from .test_compaction import history
from .test_watch import take


async def reopened(backend: Backend, store: Store) -> Store:
    await store.close()
    assert backend.reopen is not None
    return await backend.reopen()


async def test_reopen_keeps_data_revisions_and_history(persistent_backend: Backend) -> None:
    store = await persistent_backend.open()
    rev = await history(store)
    listed_now = await store.list("/c/")
    listed_then = await store.list("/c/", revision=rev["a2"])
    current = store.current_revision()
    store = await reopened(persistent_backend, store)
    try:
        assert store.current_revision() == current
        assert store.compacted_revision() == 0
        assert await store.list("/c/") == listed_now
        assert await store.list("/c/", revision=rev["a2"]) == listed_then
        assert (await store.get("/c/a", revision=rev["a1"])).value == b"a1"  # type: ignore[union-attr]
        watcher = store.watch("/c/", revision=rev["a2"])
        try:
            events = await take(watcher, 4)
            assert [(e.type, e.kv.key) for e in events] == [
                ("ADDED", "/c/gone"),
                ("DELETED", "/c/gone"),
                ("MODIFIED", "/c/b"),
                ("ADDED", "/c/c"),
            ]
            assert events[1].kv.value == b"g" and events[1].revision == rev["gone_d"]
            assert events[2].prev_kv is not None and events[2].prev_kv.value == b"b1"
        finally:
            watcher.close()
        # Writes continue from the same revision.
        nxt = await store.create("/c/next", b"n")
        assert nxt.mod_revision == current + 1
    finally:
        await store.close()


async def test_reopen_keeps_compaction(persistent_backend: Backend) -> None:
    store = await persistent_backend.open()
    rev = await history(store)
    await store.compact(rev["b2"])
    listed = await store.list("/c/", revision=rev["b2"])
    store = await reopened(persistent_backend, store)
    try:
        assert store.compacted_revision() == rev["b2"]
        assert store.current_revision() == rev["c1"]
        assert await store.list("/c/", revision=rev["b2"]) == listed
        with pytest.raises(CompactedError):
            await store.get("/c/a", revision=rev["a1"])
        with pytest.raises(CompactedError):
            store.watch("/c/", revision=rev["a2"])
    finally:
        await store.close()


async def test_reopen_keeps_revision_when_newest_writes_were_compacted_away(
    persistent_backend: Backend,
) -> None:
    store = await persistent_backend.open()
    await store.create("/c/a", b"1")
    await store.create("/c/b", b"1")
    await store.delete("/c/b")
    last = store.current_revision()
    await store.compact(last)  # the delete (the newest write) is forgotten entirely
    store = await reopened(persistent_backend, store)
    try:
        assert store.current_revision() == last
        assert store.compacted_revision() == last
        assert (await store.create("/c/b", b"2")).mod_revision == last + 1
    finally:
        await store.close()


def _read_acks(lines: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    creates: dict[str, int] = {}
    counters: dict[str, int] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "create":
            creates[parts[1]] = int(parts[2])
        elif len(parts) == 4 and parts[0] == "counter":
            counters[parts[1]] = max(counters.get(parts[1], 0), int(parts[2]))
    return creates, counters


async def test_sigkill_never_loses_acknowledged_writes(persistent_backend: Backend) -> None:
    script = Path(__file__).with_name("crash_writer.py")
    writers = 8
    all_creates: dict[str, int] = {}
    all_counters: dict[str, int] = {}
    for round_, acks_before_kill in enumerate((150, 400, 1000)):
        proc = subprocess.Popen(
            [sys.executable, str(script), persistent_backend.url, str(round_), str(writers)],
            stdout=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        try:
            assert proc.stdout is not None
            while len(lines) < acks_before_kill:
                line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
                assert line, f"writer exited early with {proc.poll()}"
                lines.append(line)
        finally:
            os.kill(proc.pid, signal.SIGKILL)  # mid-load: the writers never stop on their own
            rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        lines += rest.splitlines()  # lines printed before the kill are acknowledged too
        creates, counters = _read_acks(lines)
        assert creates and counters
        all_creates.update(creates)
        for key, n in counters.items():
            all_counters[key] = max(all_counters.get(key, 0), n)

        store = await persistent_backend.open()
        try:
            for key, revision in all_creates.items():
                kv = await store.get(key)
                assert kv is not None, f"acknowledged write {key}@{revision} lost"
                assert kv.mod_revision == revision
            for key, n in all_counters.items():
                kv = await store.get(key)
                assert kv is not None and int(kv.value) >= n
            # No half-applied batch: each writer's keys are a gap-free run, since writer w
            # creates key i+1 only after key i was acknowledged.
            for w in range(writers):
                got = [kv.key for kv in (await store.list(f"/crash/{round_}/{w}/")).items]
                assert got == [f"/crash/{round_}/{w}/{i:06d}" for i in range(len(got))]
            # Every revision up to the current one is either a kept row or accounted for.
            assert store.current_revision() >= max(all_creates.values())
            await store.compact(store.current_revision() // 2)
        finally:
            await store.close()


def _file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def test_file_size_bounded_under_churn_with_compaction(persistent_backend: Backend) -> None:
    path = persistent_backend.path
    if path is None:
        pytest.skip(f"{persistent_backend.name} has no local file")
    store = await persistent_backend.open()
    value = os.urandom(2048)
    sizes: list[int] = []
    try:
        kvs: dict[str, KeyValue] = {}
        for i in range(50):
            kvs[f"/churn/{i}"] = await store.create(f"/churn/{i}", value)
        for _round in range(6):
            for _ in range(10):  # 500 updates and 100 delete+create per round (~1.2 MB)
                updates = [
                    store.update(k, value, expected_revision=kv.mod_revision)
                    for k, kv in kvs.items()
                ]
                for kv in await asyncio.gather(*updates):
                    kvs[kv.key] = kv
                for i in range(0, 50, 5):
                    key = f"/churn/{i}"
                    await store.delete(key)
                    kvs[key] = await store.create(key, value)
            await store.compact(store.current_revision())
            sizes.append(_file_bytes(path))
    finally:
        await store.close()
    live_bytes = 50 * len(value)
    written_per_round = 10 * 60 * len(value)
    # After compaction the files hold little more than the live data (far less than one
    # round's writes), and they do not grow from round to round.
    assert max(sizes) <= 4 * live_bytes + 256 * 1024 < written_per_round, sizes
    assert max(sizes[1:]) <= sizes[0] * 1.25, sizes
