"""Periodic compaction of the store's history, coordinated between API servers (kube-apiserver's
etcd compactor).

Invariants:
- Every `interval` seconds each API server tries to move the `compact_rev_key` record from
  the revision it last saw it at to the store's current revision (a compare-and-swap). Only
  one server per round succeeds; the others learn the record's new revision and the current
  revision, so they take over if the winner stops winning (it died).
- A server that wins compacts to the revision it recorded when it last won or lost, i.e. the
  state of at least one interval ago: history of the last `interval` seconds always stays
  (watches resuming from then do not get 410), and a cluster of N servers compacts once per
  interval, not N times. The first round only records.
- Failures (store unavailable, a compaction someone else already made) never stop the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from steersman.storage import (
    CompactedError,
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    Store,
)

log = logging.getLogger(__name__)

# kube-apiserver's key, beside the /registry tree.
COMPACT_REV_KEY = "compact_rev_key"


class Compactor:
    def __init__(self, store: Store, interval: float) -> None:
        self._store = store
        self.interval = interval
        self._seen = 0  # the record's revision when this server last saw it (0: absent)
        self._revision = 0  # what to compact to when this server next wins

    async def round(self) -> bool:
        """One round; True if this server won it (and compacted, from the second round on)."""
        store = self._store
        value = str(store.current_revision()).encode()
        try:
            if self._seen:
                kv = await store.update(COMPACT_REV_KEY, value, expected_revision=self._seen)
            else:
                kv = await store.create(COMPACT_REV_KEY, value)
        except (ConflictError, KeyExistsError, KeyNotFoundError):
            # Another server won this round (or the record went away): learn where it is now.
            current = await store.get(COMPACT_REV_KEY)
            self._seen = current.mod_revision if current is not None else 0
            self._revision = store.current_revision()
            return False
        self._seen = kv.mod_revision
        if self._revision > store.compacted_revision():
            with contextlib.suppress(CompactedError):  # compacted further meanwhile
                await store.compact(self._revision)
        self._revision = kv.mod_revision
        return True

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.round()
            except Exception:  # compaction must never take the server down
                log.exception("compaction round failed")


__all__ = ["COMPACT_REV_KEY", "Compactor"]
