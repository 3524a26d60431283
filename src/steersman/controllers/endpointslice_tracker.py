"""EndpointSliceTracker: the version of every EndpointSlice the EndpointSliceController
wrote, by Service.

Invariants:
- While the informer has not caught up (a written slice missing or older in the cache, a
  deleted one still there) `stale_slices` says so, and the controller refuses the sync and
  retries, so a lagging cache never makes it create duplicates or write over its own writes.
- A slice event that is only the controller's own write coming back is not news
  (`should_sync` is False).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from steersman.controllers.endpointslice_endpoints import service_key_of_slice

Obj = dict[str, Any]


class EndpointSliceTracker:
    """The version of every slice this controller wrote, by Service (None: deletion expected).

    Kubernetes compares metadata.generation. A slice's version here is (generation,
    resourceVersion): the same order wherever the API server keeps generations, and still
    correct where it does not (steersman's resourceVersions are increasing revisions)."""

    def __init__(self) -> None:
        self._by_service: dict[str, dict[str, tuple[int, int] | None]] = {}

    @staticmethod
    def _uid_version(slice_: Obj) -> tuple[str, tuple[int, int]]:
        meta = slice_.get("metadata") or {}
        try:
            revision = int(meta.get("resourceVersion") or 0)
        except ValueError:
            revision = 0
        return str(meta.get("uid", "")), (int(meta.get("generation") or 0), revision)

    def _for(self, slice_: Obj) -> dict[str, tuple[int, int] | None] | None:
        key = service_key_of_slice(slice_)
        return self._by_service.get(key) if key else None

    def has(self, slice_: Obj) -> bool:
        versions = self._for(slice_)
        return versions is not None and self._uid_version(slice_)[0] in versions

    def should_sync(self, slice_: Obj) -> bool:
        """Whether a slice event is news to the controller (not its own write coming back)."""
        versions = self._for(slice_)
        uid, version = self._uid_version(slice_)
        if versions is None or uid not in versions:
            return True
        expected = versions[uid]
        return expected is None or version > expected

    def stale_slices(self, service_key: str, slices: Iterable[Obj]) -> bool:
        """The cache lacks a write of ours: a slice we wrote is missing or older, or one we
        deleted is still there."""
        versions = self._by_service.get(service_key)
        if versions is None:
            return False
        seen: set[str] = set()
        for slice_ in slices:
            uid, version = self._uid_version(slice_)
            seen.add(uid)
            if uid in versions:
                expected = versions[uid]
                if expected is None or expected > version:
                    return True
        return any(v is not None and uid not in seen for uid, v in versions.items())

    def update(self, slice_: Obj) -> None:
        key = service_key_of_slice(slice_)
        if key:
            uid, version = self._uid_version(slice_)
            self._by_service.setdefault(key, {})[uid] = version

    def expect_deletion(self, slice_: Obj) -> None:
        key = service_key_of_slice(slice_)
        if key:
            self._by_service.setdefault(key, {})[self._uid_version(slice_)[0]] = None

    def handle_deletion(self, slice_: Obj) -> bool:
        """Forget a deleted slice; False if the deletion was not ours (resync needed)."""
        versions = self._for(slice_)
        if versions is not None:
            uid = self._uid_version(slice_)[0]
            if uid in versions and versions.pop(uid) is not None:
                return False
        return True

    def delete_service(self, key: str) -> None:
        self._by_service.pop(key, None)
