"""The durable half of `SqliteStore`: kine's append-only table in one SQLite file.

Schema (kine's): `kine(id, name, created, deleted, create_revision, prev_revision, lease, value,
old_value)` with `UNIQUE(name, prev_revision)`, plus `steersman_meta(name, value)`.

Invariants:
- The row id IS the revision. The single writer knows the next revision, so it inserts ids
  explicitly; AUTOINCREMENT keeps `sqlite_sequence.seq` at the highest id ever used, which is
  the current revision even after compaction deleted the newest rows.
- Each version of a key is one row: `created=1` for a create, `deleted=1` for a delete (whose
  `value` is the deleted value, which the DELETED event carries), `prev_revision` = the id of
  the key's previous row (0 for a first create), so UNIQUE(name, prev_revision) rejects two
  writes based on the same version: a compare-and-swap guard under the writer's own checks.
- `old_value` stays NULL: the predecessor of every kept row is itself kept (compaction drops
  only versions superseded at or below the compaction point), so it would only double every
  write's bytes.
- `steersman_meta['compact_revision']` changes in the same transaction as the rows the
  compaction deletes, so a crash leaves either the old or the new compaction, never half.
- Durability: WAL + synchronous=FULL, so COMMIT returns only after the WAL is fsynced; one
  transaction per batch, so a crash keeps a batch whole or not at all.
- File growth stays bounded: deleted rows' pages are reused, `auto_vacuum=INCREMENTAL` (set on
  a new file) lets compaction hand free pages back, and the WAL is truncated after compaction.

Concurrency: a `SqliteLog` is used by one thread at a time (the store's writer thread); it
never touches the event loop.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

# (id, name, created, deleted, create_revision, prev_revision, value)
Row = tuple[int, str, int, int, int, int, bytes]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER,
    deleted INTEGER,
    create_revision INTEGER,
    prev_revision INTEGER,
    lease INTEGER,
    value BLOB,
    old_value BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS steersman_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_INSERT = (
    "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, lease, value)"
    " VALUES (?, ?, ?, ?, ?, ?, 0, ?)"
)
_WAL_LIMIT_BYTES = 16 * 1024 * 1024
_LOAD_CHUNK = 4096


class SqliteLog:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            # auto_vacuum only takes effect before the first table exists, i.e. on a new file.
            con.execute("PRAGMA auto_vacuum = INCREMENTAL")
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot use WAL journal mode on {path}")
            con.execute("PRAGMA synchronous = FULL")
            con.execute(f"PRAGMA journal_size_limit = {_WAL_LIMIT_BYTES}")
            con.executescript(_SCHEMA)
        except BaseException:
            con.close()
            raise
        self._con = con
        self.path = str(path)

    def current_revision(self) -> int:
        row = self._con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").fetchone()
        return int(row[0]) if row else 0

    def compacted_revision(self) -> int:
        row = self._con.execute(
            "SELECT value FROM steersman_meta WHERE name = 'compact_revision'"
        ).fetchone()
        return int(row[0]) if row else 0

    def rows(self) -> Iterator[Row]:
        """Every row, in revision order."""
        cursor = self._con.execute(
            "SELECT id, name, created, deleted, create_revision, prev_revision, value"
            " FROM kine ORDER BY id"
        )
        while chunk := cursor.fetchmany(_LOAD_CHUNK):
            yield from chunk

    def append(self, rows: Sequence[Row]) -> None:
        """Insert one batch as one durable transaction (all rows or none)."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(_INSERT, rows)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    def compact(self, revision: int, dropped: Sequence[int]) -> None:
        """Delete the `dropped` rows and record `revision` as compacted, atomically; then give
        free pages back to the file system."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany("DELETE FROM kine WHERE id = ?", ((rev,) for rev in dropped))
            con.execute(
                "INSERT INTO steersman_meta (name, value) VALUES ('compact_revision', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (revision,),
            )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        if dropped:
            # The compaction is committed; giving space back is best effort (page reuse keeps
            # the file bounded anyway), so its failure must not fail the compaction.
            with contextlib.suppress(sqlite3.Error):
                # executescript, not execute: the sqlite3 module steps a row-less pragma only
                # once, and each step of incremental_vacuum frees a single page.
                con.executescript("PRAGMA incremental_vacuum;")
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        self._con.close()
