"""WorkQueue: client-go's dedup, one-worker-per-key and rate-limit semantics."""

from __future__ import annotations

import asyncio

import pytest

from steersman.client.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    QueueShutDown,
    WorkQueue,
)


async def test_add_deduplicates_waiting_keys() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    q.add("b")
    q.add("a")
    assert len(q) == 2
    assert await q.get() == "a"
    assert await q.get() == "b"


async def test_key_added_while_processing_comes_back_after_done() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    key = await q.get()
    q.add("a")
    assert len(q) == 0  # not handed to a second worker while the first holds it
    q.done(key)
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    assert len(q) == 0


async def test_get_waits_for_add() -> None:
    q: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not getter.done()
    q.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_add_after_delays_and_earliest_time_wins() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add_after("a", 0.2)
    q.add_after("a", 0.02)
    q.add_after("a", 0.5)
    assert len(q) == 0
    assert await asyncio.wait_for(q.get(), 0.15) == "a"


async def test_shut_down_wakes_waiters() -> None:
    q: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.shut_down()
    with pytest.raises(QueueShutDown):
        await asyncio.wait_for(getter, 1)
    q.add("ignored")
    assert len(q) == 0


def test_exponential_failure_backoff_and_forget() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(0.005, 0.04)
    assert [limiter.when("k") for _ in range(5)] == [0.005, 0.01, 0.02, 0.04, 0.04]
    assert limiter.num_requeues("k") == 5
    limiter.forget("k")
    assert limiter.when("k") == 0.005


def test_bucket_allows_burst_then_spaces_out() -> None:
    bucket = BucketRateLimiter(qps=10, burst=3)
    assert [bucket.when() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.when() == pytest.approx(0.1, abs=0.01)


async def test_add_rate_limited_uses_per_key_backoff() -> None:
    q: WorkQueue[str] = WorkQueue(base_delay=0.01, max_delay=1.0)
    q.add_rate_limited("k")
    q.add_rate_limited("k")
    assert q.num_requeues("k") == 2
    assert await asyncio.wait_for(q.get(), 0.5) == "k"
    q.forget("k")
    assert q.num_requeues("k") == 0
