"""Compaction shared by several API servers: one compaction per round however many servers,
always to a revision recorded one round earlier, and another server takes over when the
winner stops."""

from __future__ import annotations

from steersman.apiserver.compactor import COMPACT_REV_KEY, Compactor
from steersman.storage import MemoryStore


async def _write(store: MemoryStore, n: int, tag: str) -> None:
    for i in range(n):
        await store.create(f"/registry/configmaps/default/{tag}-{i}", b"{}")


async def test_one_server_compacts_per_round_to_the_previous_rounds_revision() -> None:
    store = MemoryStore()
    servers = [Compactor(store, 300) for _ in range(3)]
    await _write(store, 5, "a")
    assert [await s.round() for s in servers] == [True, False, False]
    assert store.compacted_revision() == 0  # the first round only records
    recorded = store.current_revision()  # the winner's record is the newest write
    await _write(store, 5, "b")
    assert [await s.round() for s in servers] == [True, False, False]
    assert store.compacted_revision() == recorded
    kv = await store.get(COMPACT_REV_KEY)
    assert kv is not None
    # History since the last round stays: the revision recorded now is not compacted.
    assert store.compacted_revision() < kv.mod_revision


async def test_another_server_takes_over_when_the_winner_stops() -> None:
    store = MemoryStore()
    winner, *others = [Compactor(store, 300) for _ in range(3)]
    for _ in range(2):
        assert [await s.round() for s in (winner, *others)] == [True, False, False]
    before = store.compacted_revision()
    await _write(store, 3, "c")
    # The winner is gone: the next server to try wins, once, and compacts.
    assert [await s.round() for s in others] == [True, False]
    assert store.compacted_revision() > before
    assert [await s.round() for s in others] == [True, False]


async def test_a_lone_server_compacts_every_round() -> None:
    store = MemoryStore()
    server = Compactor(store, 300)
    compacted = []
    for tag in "abc":
        await _write(store, 2, tag)
        assert await server.round()
        compacted.append(store.compacted_revision())
    assert compacted[0] == 0 and compacted[0] < compacted[1] < compacted[2]
