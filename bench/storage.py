"""Benchmark the storage backends directly (no HTTP): the figures the storage brief targets.

Measures, per backend: sequential creates/s (+p99 latency), creates/s with 64 concurrent
creators, LIST of 2000 keys under one prefix among many (p50/p99), paged LIST (500 a page),
watch delivery latency (write acknowledged -> watcher has it, and create call -> watcher),
compaction time and reopen (load) time. Prints one line per figure; not a timed test.

    python3 bench/storage.py [--backend sqlite|memory|all] [--uvloop] [--creates 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from steersman.storage import MemoryStore, SqliteStore, Store

VALUE = b'{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"default"}}' * 4


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, figure: str) -> None:
    print(f"{name:<44} {figure}", flush=True)


async def sequential_creates(store: Store, n: int) -> None:
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        await store.create(f"/registry/seq/{i:07d}", VALUE)
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    report("sequential creates", f"{n / elapsed:9.0f}/s   p99 {p(latencies, 0.99) * 1e3:.2f} ms")


async def concurrent_creates(store: Store, creators: int, per_creator: int) -> None:
    async def creator(c: int) -> None:
        for i in range(per_creator):
            await store.create(f"/registry/conc/{c:03d}/{i:06d}", VALUE)

    start = time.perf_counter()
    await asyncio.gather(*(creator(c) for c in range(creators)))
    elapsed = time.perf_counter() - start
    report(f"{creators} concurrent creators", f"{creators * per_creator / elapsed:9.0f}/s")


async def lists(store: Store, n: int) -> None:
    await asyncio.gather(*(store.create(f"/registry/list/ns/{i:06d}", VALUE) for i in range(n)))
    times = []
    for _ in range(50):
        t = time.perf_counter()
        res = await store.list("/registry/list/ns/")
        times.append(time.perf_counter() - t)
        assert len(res.items) == n
    report(
        f"list {n} keys (of {await store.count('/')})",
        f"p50 {p(times, 0.5) * 1e3:.3f} ms   p99 {p(times, 0.99) * 1e3:.3f} ms",
    )
    # Paged, at a past revision (the continue-token path) while the store keeps moving.
    first = await store.list("/registry/list/ns/", limit=500)
    await store.create("/registry/list/ns/zzz", VALUE)
    t = time.perf_counter()
    pages, cont = 1, first.continue_key
    while cont is not None:
        page = await store.list(
            "/registry/list/ns/", limit=500, start_key=cont, revision=first.revision
        )
        cont = page.continue_key
        pages += 1
    report(
        f"paged list {n} keys at old revision",
        f"{(time.perf_counter() - t) * 1e3:.3f} ms for {pages - 1} pages",
    )


async def watch_latency(store: Store, n: int, acked_at: dict[int, float]) -> None:
    watcher = store.watch("/registry/watch/")
    received: dict[int, float] = {}
    called_at: dict[int, float] = {}

    async def consume() -> None:
        async for event in watcher:
            received[event.revision] = time.perf_counter()
            if len(received) == n:
                return

    consumer = asyncio.create_task(consume())
    for i in range(n):
        t = time.perf_counter()
        kv = await store.create(f"/registry/watch/{i:06d}", VALUE)
        called_at[kv.mod_revision] = t
        await asyncio.sleep(0.0005)  # a steady trickle: measure latency, not queueing
    await asyncio.wait_for(consumer, 10)
    watcher.close()
    fanout = [(received[r] - acked_at[r]) * 1e6 for r in received if r in acked_at]
    e2e = [(received[r] - called_at[r]) * 1e6 for r in received]
    if fanout:
        report(
            "watch delivery (applied -> watcher)",
            f"p50 {p(fanout, 0.5):.0f} us   p99 {p(fanout, 0.99):.0f} us",
        )
    report(
        "watch delivery (create call -> watcher)",
        f"p50 {p(e2e, 0.5):.0f} us   p99 {p(e2e, 0.99):.0f} us",
    )


def instrument(store: Store) -> dict[int, float]:
    """Record when each revision becomes visible (the index applies it) - the moment the
    write is acknowledged and fanned out."""
    applied: dict[int, float] = {}
    index = store._index  # type: ignore[attr-defined]
    original: Callable[..., None] = index.apply

    def apply(events: list) -> None:  # type: ignore[type-arg]
        now = time.perf_counter()
        for event in events:
            applied[event.revision] = now
        original(events)

    index.apply = apply
    return applied


async def run_backend(name: str, args: argparse.Namespace, tmp: Path) -> None:
    print(f"--- {name}")
    path = tmp / name / "state.db"
    store: Store = SqliteStore(path) if name == "sqlite" else MemoryStore()
    acked = instrument(store)
    await sequential_creates(store, args.creates)
    await concurrent_creates(store, 64, args.creates * 4 // 64)
    await lists(store, 2000)
    await watch_latency(store, 2000, acked)
    t = time.perf_counter()
    await store.compact(store.current_revision())
    report("compact everything", f"{(time.perf_counter() - t) * 1e3:.1f} ms")
    revision = store.current_revision()
    await store.close()
    if name == "sqlite":
        t = time.perf_counter()
        reopened = SqliteStore(path)
        report(
            f"reopen ({await reopened.count('/')} keys)",
            f"{(time.perf_counter() - t) * 1e3:.0f} ms",
        )
        assert reopened.current_revision() == revision
        await reopened.close()
        size = sum(f.stat().st_size for f in path.parent.iterdir())
        report("file size", f"{size / 1e6:.1f} MB")


async def main(args: argparse.Namespace) -> None:
    backends = ["memory", "sqlite"] if args.backend == "all" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="steersman-bench-") as tmp:
        for name in backends:
            await run_backend(name, args, Path(tmp))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["memory", "sqlite", "all"], default="all")
    parser.add_argument("--creates", type=int, default=3000)
    parser.add_argument("--uvloop", action="store_true")
    parsed = parser.parse_args()
    if parsed.uvloop:
        import uvloop

        uvloop.run(main(parsed))
    else:
        asyncio.run(main(parsed))
