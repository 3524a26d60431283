"""Container logs from CRI log files, as the kubelet's kuberuntime_logs.go serves them.

File format (one record per line, written by the runtime's log driver):
    <RFC3339Nano timestamp> <stdout|stderr> <P|F>[:more tags] <content>
`P` marks a partial record (a long line split by the runtime; no newline of its own), `F` a
record that ends a line (its newline is part of the content).

Invariants:
- A record that does not parse is skipped (upstream logs and skips it); it never ends the
  stream.
- `tailLines` counts records from the end of the file, as upstream's tail does; `since`
  drops records older than the cut-off; `limitBytes` caps the bytes written, timestamps
  included, cutting the last record short; `stream` keeps one of stdout/stderr.
- `--timestamps` prefixes every line with its timestamp in RFC3339NanoFixed form (always
  nine fraction digits, the record's own zone) and a space; the continuation records of a
  line split with `P` get no prefix of their own.
- Follow: after the end of the file, wait for more; if the path now names another file (the
  log was rotated), finish the old one and continue with the new one from its start; stop
  once the container is no longer running and everything written has been read.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

_TIMESTAMP = re.compile(
    rb"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)
_READ_SIZE = 64 * 1024
_FOLLOW_POLL = 0.1
_RUNNING_CHECK = 1.0

STREAM_ALL = "All"
STREAM_STDOUT = "Stdout"
STREAM_STDERR = "Stderr"


class LogFormatError(ValueError):
    """A record is not in the CRI log format."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    timestamp: bytes  # in the kubelet's output form, RFC3339NanoFixed (nine digits)
    unix_nanos: int
    stream: str
    partial: bool
    content: bytes


@dataclass(frozen=True, slots=True)
class LogOptions:
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    since_nanos: int | None = None
    tail_lines: int | None = None
    limit_bytes: int | None = None
    stream: str = STREAM_ALL


def parse_timestamp(raw: bytes) -> tuple[bytes, int]:
    """(the timestamp in RFC3339NanoFixed form, nanoseconds since the epoch)."""
    m = _TIMESTAMP.match(raw)
    if m is None:
        raise LogFormatError(f"unexpected timestamp {raw!r}")
    base, fraction, zone = m.group(1), m.group(2) or b"", m.group(3)
    when = datetime.datetime.fromisoformat((base + (b"+00:00" if zone == b"Z" else zone)).decode())
    nanos = int(when.timestamp()) * 10**9 + int(fraction.ljust(9, b"0") or b"0")
    text = base + b"." + fraction.ljust(9, b"0") + zone
    return text, nanos


def parse_record(line: bytes) -> LogRecord:
    """One CRI log record (with or without its trailing newline)."""
    parts = line.split(b" ", 3)
    if len(parts) < 3:
        raise LogFormatError(f"log record has too few fields: {line[:80]!r}")
    timestamp, nanos = parse_timestamp(parts[0])
    stream = parts[1].decode(errors="replace")
    if stream not in ("stdout", "stderr"):
        raise LogFormatError(f"unexpected stream type {stream!r}")
    tag = parts[2].rstrip(b"\n")
    partial = tag.split(b":")[0] == b"P"
    content = parts[3] if len(parts) == 4 else b""
    if not content.endswith(b"\n") and not partial and len(parts) == 3:
        content = b"\n" if parts[2].endswith(b"\n") else b""
    if partial and content.endswith(b"\n"):
        content = content[:-1]
    return LogRecord(timestamp, nanos, stream, partial, content)


def _bool(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "")
    if value.lower() in ("", "false", "0"):
        return False
    if value.lower() in ("true", "1"):
        return True
    raise ValueError(f"{name}: invalid boolean {value!r}")


def _int(query: Mapping[str, str], name: str) -> int | None:
    if name not in query or query[name] == "":
        return None
    try:
        return int(query[name])
    except ValueError:
        raise ValueError(f"{name}: invalid integer {query[name]!r}") from None


def options_from_query(query: Mapping[str, str], *, now: datetime.datetime) -> LogOptions:
    """The kubelet's reading of a /containerLogs query (v1 PodLogOptions parameters).

    Raises ValueError for parameters that do not decode or do not validate.
    """
    tail = query.get("tailLines", query.get("tail", ""))
    tail_lines = None if tail in ("", "all", "-1") else _int({"tailLines": tail}, "tailLines")
    since_seconds = _int(query, "sinceSeconds")
    since_nanos: int | None = None
    if since_seconds is not None and query.get("sinceTime"):
        raise ValueError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if since_seconds is not None:
        if since_seconds < 1:
            raise ValueError("sinceSeconds: must be greater than 0")
        since_nanos = int((now.timestamp() - since_seconds) * 10**9)
    elif query.get("sinceTime"):
        try:
            when = datetime.datetime.fromisoformat(query["sinceTime"].replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"sinceTime: invalid time {query['sinceTime']!r}") from None
        since_nanos = int(when.timestamp()) * 10**9
    limit = _int(query, "limitBytes")
    if limit is not None and limit < 1:
        raise ValueError("limitBytes: must be greater than 0")
    if tail_lines is not None and tail_lines < 0:
        raise ValueError("tailLines: must be greater than or equal to 0")
    stream = query.get("stream", "") or STREAM_ALL
    if stream not in (STREAM_ALL, STREAM_STDOUT, STREAM_STDERR):
        raise ValueError(f"stream: unsupported value {stream!r}")
    return LogOptions(
        follow=_bool(query, "follow"),
        previous=_bool(query, "previous"),
        timestamps=_bool(query, "timestamps"),
        since_nanos=since_nanos,
        tail_lines=tail_lines,
        limit_bytes=limit,
        stream=stream,
    )


def tail_offset(path: Path, lines: int) -> int:
    """Offset of the first of the last `lines` records of the file (upstream's tail)."""
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        if lines == 0:
            return size
        pos = size
        count = 0
        skip_final = True  # the newline that ends the last record does not start a record
        while pos > 0:
            step = min(_READ_SIZE, pos)
            pos -= step
            f.seek(pos)
            block = f.read(step)
            for i in range(len(block) - 1, -1, -1):
                if block[i] != 0x0A:
                    skip_final = False
                    continue
                if skip_final:
                    skip_final = False
                    continue
                count += 1
                if count == lines:
                    return pos + i + 1
        return 0


class _Limiter:
    def __init__(self, limit: int | None) -> None:
        self.remaining = limit

    def take(self, data: bytes) -> bytes:
        if self.remaining is None:
            return data
        data = data[: self.remaining]
        self.remaining -= len(data)
        return data

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


def _render(record: LogRecord, opts: LogOptions, *, new_line: bool) -> bytes | None:
    if opts.since_nanos is not None and record.unix_nanos < opts.since_nanos:
        return None
    if opts.stream != STREAM_ALL and record.stream != opts.stream.lower():
        return None
    if opts.timestamps and new_line:
        return record.timestamp + b" " + record.content
    return record.content


async def read_logs(
    path: Path,
    opts: LogOptions,
    *,
    is_running: Callable[[], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """The log bytes to send for `path`, chunk by chunk (follow: until the container ends)."""
    limiter = _Limiter(opts.limit_bytes)
    start = tail_offset(path, opts.tail_lines) if opts.tail_lines is not None else 0
    f = path.open("rb")
    try:
        f.seek(start)
        pending = b""
        last_running_check = 0.0
        stopping = False
        new_line = True
        loop = asyncio.get_running_loop()
        while True:
            chunk = f.read(_READ_SIZE)
            if chunk:
                data = pending + chunk
                lines = data.split(b"\n")
                pending = lines.pop()
                out = bytearray()
                for line in lines:
                    try:
                        record = parse_record(line + b"\n")
                    except LogFormatError:
                        continue
                    rendered = _render(record, opts, new_line=new_line)
                    new_line = not record.partial
                    if rendered:
                        out += limiter.take(rendered)
                        if limiter.exhausted:
                            break
                if out:
                    yield bytes(out)
                if limiter.exhausted:
                    return
                continue
            if not opts.follow or stopping:
                return
            if _rotated(path, f):
                f.close()
                f = path.open("rb")
                pending = b""
                continue
            now = loop.time()
            if now - last_running_check >= _RUNNING_CHECK:
                last_running_check = now
                if not await is_running():
                    # One more pass reads whatever was written before the exit.
                    stopping = True
                    continue
            await asyncio.sleep(_FOLLOW_POLL)
    finally:
        f.close()


def _rotated(path: Path, f: object) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(f.fileno())  # type: ignore[attr-defined]
    return (current.st_ino, current.st_dev) != (opened.st_ino, opened.st_dev)
