"""One storage conformance suite, run against every backend.

A backend joins by adding a `Backend` to `BACKENDS`: `open()` returns a fresh, empty store;
`reopen()` (persistent backends only) opens the same data again after `close()`. Tests that
need persistence ask for the `persistent_backend` fixture and are skipped for the others.
A fresh store is at `initial_revision` (etcd starts at revision 1, before any write).

etcd runs for real: a fresh one-member cluster, and a fresh three-member cluster, per test,
on loopback ports, stopped (by PID) when the test ends; `reopen()` kills every member and
starts them again on their data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from steersman.cli.etcd_cluster import EtcdCluster
from steersman.storage import MemoryStore, SqliteStore, Store, connect_store


@dataclass
class Backend:
    name: str
    open: Callable[[], Awaitable[Store]]
    reopen: Callable[[], Awaitable[Store]] | None = None
    url: str = ""
    path: Path | None = None  # the backend's file, when it has one
    initial_revision: int = 0
    cleanup: Callable[[], None] | None = None

    @property
    def persistent(self) -> bool:
        return self.reopen is not None


async def _opened(store: Store) -> Store:
    return store


def _memory(_tmp: Path) -> Backend:
    return Backend("memory", lambda: _opened(MemoryStore()), url="memory://")


def _sqlite(tmp: Path) -> Backend:
    path = tmp / "state" / "kine.db"
    return Backend(
        "sqlite",
        lambda: _opened(SqliteStore(path)),
        lambda: _opened(SqliteStore(path)),
        url=f"sqlite://{path}",
        path=path,
    )


def _etcd(size: int) -> Callable[[Path], Backend]:
    def make(tmp: Path) -> Backend:
        cluster = EtcdCluster(tmp / "etcd", size=size).start()
        url = cluster.url()

        def cleanup() -> None:
            cluster.stop(grace=0.1)
            cluster.remove_data()  # etcd preallocates 64 MB per WAL file

        async def reopen() -> Store:
            # Every member killed (SIGKILL) and started again on its data: the reopened
            # store reads what etcd made durable.
            cluster.stop(grace=0)
            cluster.start()
            return await connect_store(url)

        return Backend(
            f"etcd{size}",
            lambda: connect_store(url),
            reopen,
            url=url,
            initial_revision=1,
            cleanup=cleanup,
        )

    return make


BACKENDS: dict[str, Callable[[Path], Backend]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "etcd": _etcd(1),
    "etcd-cluster": _etcd(3),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = BACKENDS[request.param](tmp_path)
    try:
        yield made
    finally:
        if made.cleanup is not None:
            made.cleanup()


@pytest.fixture
def persistent_backend(backend: Backend) -> Backend:
    if not backend.persistent:
        pytest.skip(f"{backend.name} does not persist")
    return backend


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = await backend.open()
    try:
        yield s
    finally:
        await s.close()


async def fill(store: Store, keys: list[str], value: bytes = b"{}") -> None:
    for key in keys:
        await store.create(key, value)
