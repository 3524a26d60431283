"""hostPath volumes (pkg/volume/hostpath): a path of the node, type-checked, never removed.

Invariants:
- The volume's host path is `hostPath.path` itself; the pod's volume directory is not used and
  teardown leaves the node's path alone.
- A path with a `..` element is refused (`invalid HostPath ...`). Type "" (the default) checks
  nothing; DirectoryOrCreate/FileOrCreate create what is missing (0755 directories with parents,
  an empty 0644 file whose parent must exist); every type then checks what is there, following
  symlinks, with Kubernetes' messages (`hostPath type check failed: /x is not a directory`).
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any, ClassVar

from steersman.kubelet.envvars import Lookup
from steersman.kubelet.volumes.interface import VolumeError, go_os_error

Obj = dict[str, Any]

UNSET = ""
DIRECTORY_OR_CREATE = "DirectoryOrCreate"
DIRECTORY = "Directory"
FILE_OR_CREATE = "FileOrCreate"
FILE = "File"
SOCKET = "Socket"
CHAR_DEVICE = "CharDevice"
BLOCK_DEVICE = "BlockDevice"


def get_file_type(path: str) -> str:
    """hostutil.GetFileType (os.Stat, so symlinks are followed)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as e:
        raise VolumeError(f'path "{path}" does not exist') from e
    except OSError as e:
        raise VolumeError(go_os_error(e, "stat")) from e
    if stat.S_ISDIR(mode):
        return DIRECTORY
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISSOCK(mode):
        return SOCKET
    if stat.S_ISCHR(mode):
        return CHAR_DEVICE
    if stat.S_ISBLK(mode):
        return BLOCK_DEVICE
    raise VolumeError("only recognise file, directory, socket, block device and character device")


def _exists(path: str) -> bool:
    # mount.PathExists: os.Stat, so a dangling symlink does not exist.
    return os.path.exists(path)


def _require(path: str, want: str, noun: str, *, must_exist: bool) -> None:
    if must_exist and not _exists(path):
        raise VolumeError(f'path "{path}" does not exist')
    if get_file_type(path) != want:
        raise VolumeError(f"hostPath type check failed: {path} is not a {noun}")


def _make_dir(path: str) -> None:
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
    except FileExistsError:
        pass  # a file is there: the type check that follows reports it
    except OSError as e:
        raise VolumeError(go_os_error(e, "mkdir")) from e


def _make_file(path: str) -> None:
    try:
        fd = os.open(path, os.O_CREAT, 0o644)
    except (FileExistsError, IsADirectoryError):
        return
    except OSError as e:
        raise VolumeError(go_os_error(e, "open")) from e
    os.close(fd)


def check_type(path: str, path_type: str) -> None:
    """checkTypeInternal."""
    if path_type == DIRECTORY_OR_CREATE:
        if not _exists(path):
            _make_dir(path)
            return
        _require(path, DIRECTORY, "directory", must_exist=True)
    elif path_type == DIRECTORY:
        _require(path, DIRECTORY, "directory", must_exist=True)
    elif path_type == FILE_OR_CREATE:
        if not _exists(path):
            _make_file(path)
            return
        _require(path, FILE, "file", must_exist=True)
    elif path_type == FILE:
        _require(path, FILE, "file", must_exist=True)
    elif path_type == SOCKET:
        _require(path, SOCKET, "socket file", must_exist=False)
    elif path_type == CHAR_DEVICE:
        _require(path, CHAR_DEVICE, "character device", must_exist=False)
    elif path_type == BLOCK_DEVICE:
        _require(path, BLOCK_DEVICE, "block device", must_exist=False)
    else:
        raise VolumeError(f"{path_type} is an invalid volume type")


class HostPathPlugin:
    name: ClassVar[str] = "kubernetes.io/host-path"
    source_key: ClassVar[str] = "hostPath"
    read_only: ClassVar[bool] = False

    def get_path(self, pod: Obj, volume: Obj, target_dir: Path) -> Path:
        return Path((volume.get("hostPath") or {}).get("path", ""))

    async def setup(self, pod: Obj, volume: Obj, target_dir: Path, lookup: Lookup) -> None:
        source = volume.get("hostPath") or {}
        path = source.get("path", "")
        if ".." in path.split("/"):
            raise VolumeError(f"invalid HostPath `{path}`: must not contain '..'")
        path_type = source.get("type") or UNSET
        if path_type == UNSET:
            return
        await asyncio.to_thread(check_type, path, path_type)

    async def teardown(self, target_dir: Path) -> None:
        return None  # the node's path is not ours to remove
