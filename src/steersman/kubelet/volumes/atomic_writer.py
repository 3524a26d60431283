"""Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go): projecting a set of files into a
volume directory so that readers always see one complete version.

Layout of a target directory after a write:

    <target>/..2026_11_25_10_00_00.123456789/   the real files (dir 0755, files their mode)
    <target>/..data -> ..2026_11_25_10_00_00.123456789
    <target>/<top-level name> -> ..data/<top-level name>   one per top-level payload entry

Invariants:
- Names starting with `..` are reserved to the writer; payload paths are relative, contain no
  `..` element, no file name over 255 bytes, no path over 4096 bytes (Kubernetes' messages).
- Nothing is rewritten when every payload file already holds the same bytes and no old file
  has to go; otherwise a new timestamped directory is filled completely, `..data_tmp` is
  pointed at it and renamed over `..data` (rename(2) is atomic), new user-visible links are
  added, stale top-level links removed, and the previous timestamped directory deleted.
- `set_perms` (fsGroup ownership) runs on the new version before it becomes visible.
- Not thread-safe: callers serialize writes to one target directory.
"""

from __future__ import annotations

import datetime
import os
import posixpath
import random
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from steersman.kubelet.volumes.interface import VolumeError

DATA_DIR_NAME = "..data"
NEW_DATA_DIR_NAME = "..data_tmp"
MAX_FILE_NAME_LENGTH = 255
MAX_PATH_LENGTH = 4096


@dataclass(frozen=True)
class FileProjection:
    data: bytes
    mode: int


Payload = Mapping[str, FileProjection]


def validate_path(target_path: str) -> None:
    """validatePath, raising VolumeError with upstream's wording."""
    if target_path == "":
        raise VolumeError('invalid path: must not be empty: ""')
    if target_path.startswith("/"):
        raise VolumeError(f"invalid path: must be relative path: {target_path}")
    if len(target_path.encode()) > MAX_PATH_LENGTH:
        raise VolumeError(
            f"invalid path: must be less than or equal to {MAX_PATH_LENGTH} characters"
        )
    items = target_path.split("/")
    for item in items:
        if item == "..":
            raise VolumeError(f"invalid path: must not contain '..': {target_path}")
        if len(item.encode()) > MAX_FILE_NAME_LENGTH:
            raise VolumeError(
                "invalid path: filenames must be less than or equal to "
                f"{MAX_FILE_NAME_LENGTH} characters"
            )
    if items[0].startswith("..") and len(items[0]) > 2:
        raise VolumeError(f"invalid path: must not start with '..': {target_path}")


def clean_payload(payload: Payload) -> dict[str, FileProjection]:
    out: dict[str, FileProjection] = {}
    for path, content in payload.items():
        validate_path(path)
        out[posixpath.normpath(path)] = content
    return out


def write(
    target_dir: Path,
    payload: Payload,
    *,
    set_perms: Callable[[], None] | None = None,
    now: datetime.datetime | None = None,
) -> bool:
    """Project `payload` into `target_dir` (which must exist); True when a new version was made."""
    if not target_dir.is_dir():
        raise VolumeError(f"stat {target_dir}: no such file or directory")
    clean = clean_payload(payload)
    data_dir = target_dir / DATA_DIR_NAME
    try:
        old_ts_name = os.readlink(data_dir)
    except FileNotFoundError:
        old_ts_name = ""
    old_ts_dir = target_dir / old_ts_name if old_ts_name else None

    to_remove: set[str] = set()
    written = True
    if old_ts_dir is not None:
        to_remove = _paths_to_remove(clean, old_ts_dir)
        written = _should_write_payload(clean, old_ts_dir) or bool(to_remove)

    if written:
        ts_dir = _new_timestamp_dir(target_dir, now)
        try:
            _write_payload_to_dir(clean, ts_dir)
            if set_perms is not None:
                set_perms()
            tmp_link = target_dir / NEW_DATA_DIR_NAME
            if tmp_link.is_symlink():
                tmp_link.unlink()  # left over from a write that died half-way
            os.symlink(ts_dir.name, tmp_link)
            os.replace(tmp_link, data_dir)
        except BaseException:
            (target_dir / NEW_DATA_DIR_NAME).unlink(missing_ok=True)
            shutil.rmtree(ts_dir, ignore_errors=True)
            raise

    _create_user_visible_files(clean, target_dir)
    _remove_user_visible_paths(to_remove, target_dir)
    if written and old_ts_dir is not None and old_ts_dir.name != DATA_DIR_NAME:
        shutil.rmtree(old_ts_dir, ignore_errors=True)
    return written


def _should_write_payload(payload: Payload, old_ts_dir: Path) -> bool:
    for path, projection in payload.items():
        try:
            if (old_ts_dir / path).read_bytes() != projection.data:
                return True
        except OSError:
            return True
    return False


def _paths_to_remove(payload: Payload, old_ts_dir: Path) -> set[str]:
    """Every path of the old version that neither is nor contains a payload file."""
    old: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(old_ts_dir):
        rel = os.path.relpath(dirpath, old_ts_dir)
        for n in (*dirnames, *filenames):
            old.add(n if rel == "." else f"{rel}/{n}")
    new: set[str] = set()
    for path in payload:
        sub = path
        while sub:
            new.add(sub)
            sub = posixpath.dirname(sub)
    return old - new


def _new_timestamp_dir(target_dir: Path, now: datetime.datetime | None) -> Path:
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("..%Y_%m_%d_%H_%M_%S.")
    for _ in range(10000):
        # os.MkdirTemp's suffix: a random uint32 in decimal.
        candidate = target_dir / f"{stamp}{random.getrandbits(32)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        # 0755 whatever the umask, so group and others can traverse the tree.
        os.chmod(candidate, 0o755)
        return candidate
    raise VolumeError(f"unable to create new temp directory in {target_dir}")


def _write_payload_to_dir(payload: Payload, directory: Path) -> None:
    for path, projection in payload.items():
        full = directory / path
        full.parent.mkdir(mode=0o777, parents=True, exist_ok=True)
        full.write_bytes(projection.data)
        # open(2) applied the umask; the projected mode must hold exactly.
        os.chmod(full, projection.mode & 0o7777)


def _create_user_visible_files(payload: Payload, target_dir: Path) -> None:
    for path in payload:
        top = path.split("/", 1)[0]
        link = target_dir / top
        if not link.is_symlink() and not link.exists():
            os.symlink(f"{DATA_DIR_NAME}/{top}", link)


def _remove_user_visible_paths(paths: set[str], target_dir: Path) -> None:
    for path in paths:
        if "/" in path:
            continue  # only the volume root holds user-visible links
        link = target_dir / path
        if link.is_symlink():
            link.unlink()
