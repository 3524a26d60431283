"""An in-process API server for tests: plain HTTP on loopback, no authentication.

Invariants: the server runs on the caller's event loop on a free port; leaving the context
stops it and closes its store, even when the body raised.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from steersman.apiserver.context import ApiContext
from steersman.apiserver.server import ApiServer, ApiServerConfig


@dataclass
class RunningApiServer:
    base_url: str
    server: ApiServer

    @property
    def ctx(self) -> ApiContext:
        assert self.server.ctx is not None
        return self.server.ctx


@contextlib.asynccontextmanager
async def running_apiserver(
    storage: str = "memory://", **config: object
) -> AsyncIterator[RunningApiServer]:
    cfg = ApiServerConfig(storage=storage, secure_port=0, pki_dir=None, **config)  # type: ignore[arg-type]
    server = ApiServer(cfg)
    task = asyncio.create_task(server.run())
    started = asyncio.create_task(server.started.wait())
    done, _ = await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        started.cancel()
        task.result()  # raises the start-up error
    try:
        yield RunningApiServer(f"http://127.0.0.1:{server.port}", server)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
