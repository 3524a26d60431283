"""A fake Clock for probe workers: time moves only when a test calls `advance`."""

from __future__ import annotations

import asyncio
import heapq
import itertools

START = 1_700_000_000.0


async def settle(rounds: int = 50) -> None:
    """Let every runnable task run until the loop is quiet."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class FakeClock:
    def __init__(self, wall_start: float = START) -> None:
        self.elapsed = 0.0
        self.wall_start = wall_start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.wall_start + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.elapsed + seconds, next(self._seq), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking sleepers in deadline order and letting them run."""
        target = self.elapsed + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue  # cancelled sleeper
            self.elapsed = max(self.elapsed, deadline)
            future.set_result(None)
            await settle()
        self.elapsed = target
        await settle()
