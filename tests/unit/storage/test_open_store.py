"""Unit tests for `open_store(url)`."""

from __future__ import annotations

from pathlib import Path

import pytest

from steersman.storage import MemoryStore, SqliteStore, open_store


async def test_memory_url() -> None:
    store = open_store("memory://")
    assert isinstance(store, MemoryStore)
    await store.close()


async def test_sqlite_url_creates_parent_dirs(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    store = open_store(f"sqlite://{path}")
    try:
        assert isinstance(store, SqliteStore)
        await store.create("/a", b"1")
    finally:
        await store.close()
    assert path.exists()


async def test_etcd_url_names_endpoints_prefix_and_tls(tmp_path: Path) -> None:
    from steersman.storage.etcd import EtcdStore

    ca = tmp_path / "ca.crt"
    ca.write_bytes(b"")
    store = open_store(f"etcd://127.0.0.1:2379,127.0.0.1:22379/tenant?cacert={ca}")
    try:
        assert isinstance(store, EtcdStore)
        assert store._prefix == b"/tenant"
        assert store._client.endpoints == [("127.0.0.1", 2379), ("127.0.0.1", 22379)]
    finally:
        await store.close()


@pytest.mark.parametrize(
    "url",
    [
        "etcd2://x",
        "postgres://db/x",
        "file:///tmp/x",
        "",
        "sqlite://relative.db",
        "sqlite:///",
        "etcd://",
        "etcd://host-without-port",
        "etcd://127.0.0.1:2379?password=x",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        open_store(url)
