"""Image layers: a sorted list of filesystem entries written as one reproducible gzip tar.

Invariants:
- The same entries always give the same bytes: entries are written in path order, every
  header has a fixed mtime, uid/gid and empty owner names, and gzip gets mtime 0 and no file
  name. So the same inputs give the same layer digest (and image digest) on any machine.
- `diff_id` is the sha256 of the uncompressed tar (what the image config lists in
  rootfs.diff_ids); `digest`/`size` describe the gzip blob (what the manifest lists). Both are
  computed while streaming, so a layer is never held in memory whole.
- Paths are relative (`bin/sh`, never `/bin/sh` or `./bin/sh`); a parent directory always
  precedes its children.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

# 2000-01-01T00:00:00Z: a fixed, non-zero mtime (some tools treat 0 as "unset").
FIXED_MTIME = 946_684_800
GZIP_LEVEL = 6
_CHUNK = 1 << 20

EntryType = Literal["dir", "file", "symlink", "hardlink", "fifo"]


@dataclass(frozen=True)
class Entry:
    """One filesystem object in a layer. Exactly one of `data`/`source` is set for a file."""

    path: str
    type: EntryType
    mode: int = 0o755
    data: bytes | None = None
    source: Path | None = None
    linkname: str = ""
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class LayerBlob:
    """A written layer: where its gzip bytes are and how the manifest/config name them."""

    path: Path
    digest: str  # sha256:<hex> of the gzip blob
    size: int  # bytes of the gzip blob
    diff_id: str  # sha256:<hex> of the uncompressed tar


def clean_path(path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ValueError(f"layer path {path!r} leaves the root")
    return "/".join(parts)


def sort_key(entry: Entry) -> tuple[str, ...]:
    # Component-wise order puts every directory right before its own children.
    return tuple(entry.path.split("/"))


class _HashingWriter(io.RawIOBase):
    """Passes bytes through to `inner`, hashing and counting them on the way."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.sha = hashlib.sha256()
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        data = bytes(b)
        self.sha.update(data)
        self.count += len(data)
        self.inner.write(data)
        return len(data)


def write_layer(entries: Iterable[Entry], out: Path) -> LayerBlob:
    """Write `entries` (any order; duplicates rejected) as a gzip tar to `out`."""
    ordered = sorted((_normalized(e) for e in entries), key=sort_key)
    seen: set[str] = set()
    for e in ordered:
        if e.path in seen:
            raise ValueError(f"duplicate layer path {e.path!r}")
        seen.add(e.path)
    with out.open("wb") as raw:
        compressed = _HashingWriter(raw)
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=GZIP_LEVEL
        ) as gz:
            plain = _HashingWriter(gz)  # type: ignore[arg-type]
            with tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for entry in ordered:
                    _add(tar, entry)
    return LayerBlob(
        path=out,
        digest="sha256:" + compressed.sha.hexdigest(),
        size=compressed.count,
        diff_id="sha256:" + plain.sha.hexdigest(),
    )


def _normalized(entry: Entry) -> Entry:
    path = clean_path(entry.path)
    if not path:
        raise ValueError("a layer entry cannot be the root itself")
    if entry.type == "file" and (entry.data is None) == (entry.source is None):
        raise ValueError(f"file {path!r} needs exactly one of data or source")
    if path == entry.path:
        return entry
    return Entry(
        path=path,
        type=entry.type,
        mode=entry.mode,
        data=entry.data,
        source=entry.source,
        linkname=entry.linkname,
        uid=entry.uid,
        gid=entry.gid,
    )


_TAR_TYPES: dict[EntryType, bytes] = {
    "dir": tarfile.DIRTYPE,
    "file": tarfile.REGTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def _add(tar: tarfile.TarFile, entry: Entry) -> None:
    info = tarfile.TarInfo(entry.path)
    info.type = _TAR_TYPES[entry.type]
    info.mode = entry.mode & 0o7777
    info.mtime = FIXED_MTIME
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    if entry.type in ("symlink", "hardlink"):
        # Hard links name another entry of the same layer, by its relative path.
        info.linkname = clean_path(entry.linkname) if entry.type == "hardlink" else entry.linkname
    if entry.type != "file":
        tar.addfile(info)
        return
    if entry.data is not None:
        info.size = len(entry.data)
        tar.addfile(info, io.BytesIO(entry.data))
        return
    assert entry.source is not None
    with entry.source.open("rb") as f:
        info.size = f.seek(0, io.SEEK_END)
        f.seek(0)
        tar.addfile(info, f)
