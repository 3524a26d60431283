"""One storage conformance suite, run against every backend.

A backend joins by adding a `Backend` to `BACKENDS`: `open()` returns a fresh, empty store;
`reopen()` (persistent backends only) opens the same data again after `close()`. Tests that
need persistence ask for the `persistent_backend` fixture and are skipped for the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from steersman.storage import MemoryStore, SqliteStore, Store


@dataclass
class Backend:
    name: str
    open: Callable[[], Store]
    reopen: Callable[[], Store] | None = None
    url: str = ""
    path: Path | None = None  # the backend's file, when it has one

    @property
    def persistent(self) -> bool:
        return self.reopen is not None


def _memory(_tmp: Path) -> Backend:
    return Backend("memory", MemoryStore, url="memory://")


def _sqlite(tmp: Path) -> Backend:
    path = tmp / "state" / "kine.db"
    return Backend(
        "sqlite",
        lambda: SqliteStore(path),
        lambda: SqliteStore(path),
        url=f"sqlite://{path}",
        path=path,
    )


BACKENDS: dict[str, Callable[[Path], Backend]] = {"memory": _memory, "sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def persistent_backend(backend: Backend) -> Backend:
    if not backend.persistent:
        pytest.skip(f"{backend.name} does not persist")
    return backend


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = backend.open()
    try:
        yield s
    finally:
        await s.close()


async def fill(store: Store, keys: list[str], value: bytes = b"{}") -> None:
    for key in keys:
        await store.create(key, value)
