"""The time source probe workers use, injectable so tests run a minute of probing in
milliseconds.

Invariants: `now()` is wall-clock seconds since the Unix epoch (compared with the
`startedAt` times in pod statuses); `monotonic()` and `sleep()` measure intervals. A fake must
advance all three together and must let a cancelled `sleep` go (workers race sleeps against
stop and manual-trigger events and cancel the loser).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


REAL_CLOCK = RealClock()
