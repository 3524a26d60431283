"""Storage backends behind the `Store` protocol, chosen by URL (DESIGN §3).

`open_store(url)`:
- `memory://` -> `MemoryStore` (nothing persists);
- `sqlite:///abs/path.db` -> `SqliteStore` on that file (parent directories are created).
Anything else raises `ValueError`. Opening is synchronous (it loads the log), meant for startup.
"""

from __future__ import annotations

from urllib.parse import urlsplit

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
    UpdateFunc,
    Watcher,
    WatchEvent,
    WatchOverflowError,
    check_preconditions,
)
from steersman.storage.memory import MemoryStore
from steersman.storage.sqlite import SqliteStore

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
    "UpdateFunc",
    "WatchEvent",
    "WatchOverflowError",
    "Watcher",
    "check_preconditions",
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
    raise ValueError(f"unsupported storage URL {url!r} (expected memory:// or sqlite:///path)")
