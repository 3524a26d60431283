"""Unit tests for the kine-style SQLite log: schema, row shape, atomic batches, compaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from steersman.storage.sqlite_log import Row, SqliteLog


def rows(path: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(
            "SELECT id, name, created, deleted, create_revision, prev_revision, lease, value,"
            " old_value FROM kine ORDER BY id"
        ).fetchall()
    finally:
        con.close()


def test_open_creates_parent_dirs_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "kine.db"
    log = SqliteLog(path)
    try:
        con = log._con
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # INCREMENTAL
        assert (log.current_revision(), log.compacted_revision()) == (0, 0)
    finally:
        log.close()
    assert path.exists()


def test_append_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "kine.db"
    log = SqliteLog(path)
    batch: list[Row] = [
        (1, "/a", 1, 0, 1, 0, b"v1"),
        (2, "/a", 0, 0, 1, 1, b"v2"),
        (3, "/a", 0, 1, 1, 2, b"v2"),
    ]
    log.append(batch)
    assert list(log.rows()) == batch
    assert log.current_revision() == 3
    log.close()
    # kine's columns: lease 0, old_value unused (NULL).
    assert rows(path)[1] == (2, "/a", 0, 0, 1, 1, 0, b"v2", None)


def test_unique_name_prev_revision_rejects_a_lost_update(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "kine.db")
    try:
        log.append([(1, "/a", 1, 0, 1, 0, b"v1")])
        log.append([(2, "/a", 0, 0, 1, 1, b"v2")])
        with pytest.raises(sqlite3.IntegrityError):
            log.append([(3, "/a", 0, 0, 1, 1, b"also based on 1")])
    finally:
        log.close()


def test_failed_batch_leaves_nothing(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "kine.db")
    try:
        log.append([(1, "/a", 1, 0, 1, 0, b"v1")])
        with pytest.raises(sqlite3.IntegrityError):
            log.append([(2, "/b", 1, 0, 2, 0, b"ok"), (3, "/a", 1, 0, 3, 0, b"dup prev 0")])
        assert [r[0] for r in log.rows()] == [1]
        assert log.current_revision() == 1
        log.append([(2, "/b", 1, 0, 2, 0, b"ok")])  # the connection is usable afterwards
        assert [r[0] for r in log.rows()] == [1, 2]
    finally:
        log.close()


def test_compact_deletes_rows_and_records_revision_durably(tmp_path: Path) -> None:
    path = tmp_path / "kine.db"
    log = SqliteLog(path)
    log.append(
        [(1, "/a", 1, 0, 1, 0, b"1"), (2, "/a", 0, 0, 1, 1, b"2"), (3, "/b", 1, 0, 3, 0, b"")]
    )
    log.compact(2, [1])
    log.close()
    log = SqliteLog(path)
    try:
        assert [r[0] for r in log.rows()] == [2, 3]
        assert log.compacted_revision() == 2
        assert log.current_revision() == 3
    finally:
        log.close()


def test_current_revision_survives_deleting_the_newest_rows(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "kine.db")
    try:
        log.append([(1, "/a", 1, 0, 1, 0, b"1"), (2, "/a", 0, 1, 1, 1, b"1")])
        log.compact(2, [1, 2])
        assert list(log.rows()) == []
        assert log.current_revision() == 2  # sqlite_sequence remembers the highest id
    finally:
        log.close()
