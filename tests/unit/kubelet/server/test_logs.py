"""CRI log files: record parsing, tail, since, limit, stream, timestamps, follow."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

import pytest

from steersman.kubelet.server import logs

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


def test_parse_record_full_partial_and_empty() -> None:
    r = logs.parse_record(b"2024-01-01T00:00:00.5Z stdout F hello world\n")
    assert (r.stream, r.partial, r.content) == ("stdout", False, b"hello world\n")
    assert r.timestamp == b"2024-01-01T00:00:00.500000000Z"
    p = logs.parse_record(b"2024-01-01T00:00:00Z stderr P part\n")
    assert (p.stream, p.partial, p.content) == ("stderr", True, b"part")
    empty = logs.parse_record(b"2024-01-01T00:00:00Z stdout F\n")
    assert empty.content == b"\n"
    tagged = logs.parse_record(b"2024-01-01T00:00:00Z stdout F:x y\n")
    assert tagged.content == b"y\n" and not tagged.partial


@pytest.mark.parametrize(
    "line",
    [b"garbage\n", b"2024-01-01 stdout F x\n", b"2024-01-01T00:00:00Z stdin F x\n", b"x y\n"],
)
def test_parse_record_rejects_malformed(line: bytes) -> None:
    with pytest.raises(logs.LogFormatError):
        logs.parse_record(line)


def test_timestamps_keep_their_zone_and_nanoseconds() -> None:
    text, nanos = logs.parse_timestamp(b"2024-01-01T01:00:00.123456789+01:00")
    assert text == b"2024-01-01T01:00:00.123456789+01:00"
    assert nanos == 1704067200 * 10**9 + 123456789


def test_options_from_query() -> None:
    opts = logs.options_from_query(
        {"follow": "true", "tailLines": "5", "limitBytes": "10", "sinceSeconds": "60"}, now=NOW
    )
    assert opts.follow and opts.tail_lines == 5 and opts.limit_bytes == 10
    assert opts.since_nanos == int((NOW.timestamp() - 60) * 10**9)
    assert logs.options_from_query({"tail": "all"}, now=NOW).tail_lines is None
    since = logs.options_from_query({"sinceTime": "2024-05-01T11:00:00Z"}, now=NOW)
    assert since.since_nanos == int(NOW.timestamp() - 3600) * 10**9
    for bad in (
        {"tailLines": "x"},
        {"tailLines": "-2"},
        {"limitBytes": "0"},
        {"sinceSeconds": "0"},
        {"sinceSeconds": "1", "sinceTime": "2024-01-01T00:00:00Z"},
        {"stream": "Both"},
        {"follow": "maybe"},
    ):
        with pytest.raises(ValueError):
            logs.options_from_query(bad, now=NOW)


def _write(path: Path, records: list[str]) -> Path:
    path.write_bytes("".join(r + "\n" for r in records).encode())
    return path


async def _collect(path: Path, opts: logs.LogOptions, running: bool = False) -> bytes:
    async def is_running() -> bool:
        return running

    return b"".join([c async for c in logs.read_logs(path, opts, is_running=is_running)])


RECORDS = [
    "2024-01-01T00:00:01Z stdout F one",
    "2024-01-01T00:00:02Z stderr F two",
    "2024-01-01T00:00:03Z stdout P thr",
    "2024-01-01T00:00:04Z stdout F ee",
    "2024-01-01T00:00:05Z stdout F four",
]


def test_tail_offset_counts_records_from_the_end(tmp_path: Path) -> None:
    path = _write(tmp_path / "0.log", RECORDS)
    size = path.stat().st_size
    assert logs.tail_offset(path, 0) == size
    assert path.read_bytes()[logs.tail_offset(path, 1) :] == (RECORDS[-1] + "\n").encode()
    assert logs.tail_offset(path, 100) == 0


async def test_read_logs_options(tmp_path: Path) -> None:
    path = _write(tmp_path / "0.log", [*RECORDS[:2], "not a record", *RECORDS[2:]])
    assert await _collect(path, logs.LogOptions()) == b"one\ntwo\nthree\nfour\n"
    assert await _collect(path, logs.LogOptions(tail_lines=2)) == b"ee\nfour\n"
    since = logs.parse_timestamp(b"2024-01-01T00:00:02Z")[1]
    assert await _collect(path, logs.LogOptions(since_nanos=since)) == b"two\nthree\nfour\n"
    assert await _collect(path, logs.LogOptions(limit_bytes=6)) == b"one\ntw"
    assert await _collect(path, logs.LogOptions(stream="Stderr")) == b"two\n"
    stamped = await _collect(path, logs.LogOptions(timestamps=True, tail_lines=3))
    assert stamped == (
        b"2024-01-01T00:00:03.000000000Z three\n2024-01-01T00:00:05.000000000Z four\n"
    )


async def test_follow_reads_appends_and_rotation_then_stops(tmp_path: Path) -> None:
    path = _write(tmp_path / "0.log", RECORDS[:1])
    state = {"running": True}

    async def is_running() -> bool:
        return state["running"]

    chunks: list[bytes] = []

    async def consume() -> None:
        async for chunk in logs.read_logs(
            path, logs.LogOptions(follow=True), is_running=is_running
        ):
            chunks.append(chunk)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.3)
    with path.open("a") as f:
        f.write(RECORDS[1] + "\n")
    await asyncio.sleep(0.3)
    path.rename(tmp_path / "0.log.rotated")  # the log manager rotates the file...
    _write(path, RECORDS[4:])  # ...and the runtime starts a new one at the same path
    await asyncio.sleep(0.3)
    assert b"".join(chunks) == b"one\ntwo\nfour\n"
    assert not task.done()
    state["running"] = False
    await asyncio.wait_for(task, 5)
