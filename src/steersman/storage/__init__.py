"""Storage backends behind the `Store` protocol, chosen by URL (DESIGN §3).

`open_store(url)`:
- `memory://` -> `MemoryStore` (nothing persists);
- `sqlite:///abs/path.db` -> `SqliteStore` on that file (parent directories are created);
- `etcd://host:port[,host:port...][/prefix][?cacert=F&cert=F&key=F]` -> an `EtcdStore` not yet
  following etcd: `await store.start()` before use (`connect_store` does both). The path is a
  key prefix (kube-apiserver's --etcd-prefix, with our keys already starting `/registry/`);
  `cacert`/`cert`/`key` turn on TLS to etcd (--etcd-cafile/--etcd-certfile/--etcd-keyfile).
Anything else raises `ValueError`. Opening is synchronous (sqlite loads its log), meant for
startup; the etcd modules (and grpc) are imported only for an etcd URL.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from steersman.storage.interface import (
    CompactedError,
    ConflictError,
    EventType,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    PreconditionError,
    Preconditions,
    StorageError,
    Store,
    StoreClosedError,
    StoreUnavailableError,
    UpdateFunc,
    Watcher,
    WatchEvent,
    WatchOverflowError,
    check_preconditions,
)
from steersman.storage.memory import MemoryStore
from steersman.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from steersman.storage.etcd import EtcdStore

__all__ = [
    "CompactedError",
    "ConflictError",
    "EventType",
    "FutureRevisionError",
    "KeyExistsError",
    "KeyNotFoundError",
    "KeyValue",
    "ListResult",
    "MemoryStore",
    "PreconditionError",
    "Preconditions",
    "SqliteStore",
    "StorageError",
    "Store",
    "StoreClosedError",
    "StoreUnavailableError",
    "UpdateFunc",
    "WatchEvent",
    "WatchOverflowError",
    "Watcher",
    "check_preconditions",
    "connect_store",
    "open_store",
]


def open_store(url: str) -> Store:
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return MemoryStore()
    if parts.scheme == "sqlite":
        # sqlite:///abs/path.db: empty authority, absolute path (a relative one is ambiguous).
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise ValueError(f"sqlite storage URL needs an absolute file path: {url!r}")
        return SqliteStore(parts.path)
    if parts.scheme == "etcd":
        return _etcd_store(url)
    raise ValueError(
        f"unsupported storage URL {url!r} (expected memory://, sqlite:///path or etcd://host:port)"
    )


async def connect_store(url: str) -> Store:
    """`open_store(url)`, started: an etcd store has caught up with etcd when this returns."""
    store = open_store(url)
    start = getattr(store, "start", None)
    if start is not None:
        await start()
    return store


# grpcio's EventEngine client costs more per call than its older iomgr client here: alone,
# 0.57 against 0.74 ms per linearizable Range from the asyncio client (~0.1 ms less CPU);
# bench/apiserver.py on etcd, three alternating pairs: 604-664 against 552-623 sequential
# creates/s. The setting is read when grpc loads, so it applies only if nothing imported grpc
# before the first etcd store (the API server's case); an operator's own setting wins.
_GRPC_EXPERIMENTS = "-event_engine_client"


def _etcd_store(url: str) -> EtcdStore:
    if "grpc" not in sys.modules:
        os.environ.setdefault("GRPC_EXPERIMENTS", _GRPC_EXPERIMENTS)
    from steersman.storage.etcd import EtcdStore
    from steersman.storage.etcd_client import EtcdClient, EtcdTls, parse_endpoints

    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"cacert", "cert", "key"}
    if unknown:
        raise ValueError(f"unknown etcd URL parameter(s) {sorted(unknown)} in {url!r}")
    tls = None
    if query:
        tls = EtcdTls(query.get("cacert"), query.get("cert"), query.get("key"))
    client = EtcdClient(parse_endpoints(parts.netloc), tls=tls)
    return EtcdStore(client, prefix=parts.path.rstrip("/"))
