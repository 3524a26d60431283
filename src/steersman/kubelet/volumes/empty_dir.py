"""emptyDir volumes (pkg/volume/emptydir), also the wrapper the configMap, secret, downwardAPI
and projected plugins put their files in.

Invariants:
- Default medium: a plain directory, mode 0777 whatever the umask; contents survive container
  restarts and re-syncs (setup never empties it) and go with `teardown`.
- Medium Memory: a tmpfs mounted with `mount -t tmpfs -o size=<bytes> tmpfs <dir>` (its root is
  then 1777, as on Kubernetes). The size is the smallest positive of: the node's allocatable
  memory, the pod's memory limit, the volume's sizeLimit (SizeMemoryBackedVolumes). Setup is
  idempotent (an existing tmpfs mount is kept); teardown unmounts, then removes the directory.
- Wrapped memory volumes (secret, projected) fall back to a plain directory when this process
  cannot mount (not root); an explicit `medium: Memory` emptyDir fails as Kubernetes would.
- With a pod fsGroup the directory gets group ownership and g+rwx,setgid (SetVolumeOwnership).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from steersman.api.quantity import quantity_from_json
from steersman.kubelet.envvars import Lookup
from steersman.kubelet.volumes.interface import (
    VolumeError,
    go_os_error,
    set_volume_ownership,
)

Obj = dict[str, Any]

MEDIUM_DEFAULT = ""
MEDIUM_MEMORY = "Memory"
_DIR_PERM = 0o777
_MOUNTINFO = Path("/proc/self/mountinfo")


# -- mounts ----------------------------------------------------------------------------------


def _unescape_mountinfo(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo octal.
    out, i = [], 0
    while i < len(field):
        code = field[i + 1 : i + 4]
        if field[i] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(code, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_fstype(path: Path) -> str | None:
    """The filesystem type mounted exactly at `path` (the last such mount), or None."""
    target = os.path.realpath(path)
    found: str | None = None
    try:
        lines = _MOUNTINFO.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        head, sep, tail = line.partition(" - ")
        fields = head.split()
        if not sep or len(fields) < 5:
            continue
        if _unescape_mountinfo(fields[4]) == target:
            found = tail.split()[0] if tail else ""
    return found


async def _run(*argv: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


async def mount_tmpfs(path: Path, size_bytes: int | None) -> None:
    """MountSensitiveWithoutSystemd("tmpfs", path, "tmpfs", ["size=N"]) with mount-utils' error."""
    args = ["-t", "tmpfs"]
    if size_bytes:
        args += ["-o", f"size={size_bytes}"]
    args += ["tmpfs", str(path)]
    rc, output = await _run("mount", *args)
    if rc != 0:
        raise VolumeError(
            f"mount failed: exit status {rc}\nMounting command: mount\n"
            f"Mounting arguments: {' '.join(args)}\nOutput: {output}"
        )


async def unmount(path: Path) -> None:
    rc, output = await _run("umount", str(path))
    if rc != 0:
        raise VolumeError(
            f"unmount failed: exit status {rc}\nUnmounting arguments: {path}\nOutput: {output}"
        )


def can_mount() -> bool:
    return os.geteuid() == 0


# -- sizing ----------------------------------------------------------------------------------


def _memory(resources: Obj | None, kind: str = "limits") -> int:
    value = ((resources or {}).get(kind) or {}).get("memory")
    return quantity_from_json(value).value() if value is not None else 0


def pod_memory_limit(pod: Obj) -> int | None:
    """The pod cgroup's memory limit (ResourceConfigForPod): the pod-level limit when set, else
    only when every container declares one: max(sum of app containers and sidecars, each init
    container plus the sidecars started before it), plus the pod overhead."""
    spec = pod.get("spec") or {}
    pod_level = _memory(spec.get("resources"))
    overhead = _memory({"limits": spec.get("overhead") or {}})
    if pod_level > 0:
        return pod_level + overhead
    inits = spec.get("initContainers") or []
    apps = spec.get("containers") or []
    if any(_memory(c.get("resources")) <= 0 for c in (*inits, *apps)):
        return None
    sidecars = 0
    init_peak = 0
    for c in inits:
        limit = _memory(c.get("resources"))
        if c.get("restartPolicy") == "Always":
            sidecars += limit
            init_peak = max(init_peak, sidecars)
        else:
            init_peak = max(init_peak, sidecars + limit)
    total = sidecars + sum(_memory(c.get("resources")) for c in apps)
    return max(total, init_peak) + overhead


def memory_volume_size(allocatable: Mapping[str, Any], size_limit: Any, pod: Obj) -> int | None:
    """calculateEmptyDirMemorySize in bytes; None leaves the kernel default (half of RAM)."""
    alloc = allocatable.get("memory")
    size = quantity_from_json(alloc).value() if alloc is not None else 0
    pod_limit = pod_memory_limit(pod)
    if pod_limit is not None and 0 < pod_limit <= size:
        size = pod_limit
    if size_limit is not None:
        limit = quantity_from_json(size_limit).value()
        if 0 < limit <= size:
            size = limit
    return size or None


# -- setup and teardown ----------------------------------------------------------------------


def setup_dir(path: Path) -> None:
    """setupDir: create with 0777, chmod-ing past the umask."""
    try:
        path.mkdir(mode=_DIR_PERM, parents=True, exist_ok=True)
        if (path.stat().st_mode & 0o777) != _DIR_PERM:
            os.chmod(path, _DIR_PERM)
    except OSError as e:
        raise VolumeError(go_os_error(e, "mkdir")) from e


async def setup_medium(
    path: Path,
    pod: Obj,
    medium: str,
    *,
    lookup: Lookup,
    size_limit: Any = None,
    wrapped: bool = False,
) -> None:
    """The directory (or tmpfs) of an emptyDir, and of the plugins that wrap one."""
    if medium == MEDIUM_DEFAULT:
        await asyncio.to_thread(setup_dir, path)
    elif medium == MEDIUM_MEMORY:
        await asyncio.to_thread(setup_dir, path)
        if mount_fstype(path) == "tmpfs":
            return  # already set up: a re-sync must keep the contents
        if wrapped and not can_mount():
            return
        size = memory_volume_size(await lookup.node_allocatable(), size_limit, pod)
        await mount_tmpfs(path, size)
    elif medium.startswith("HugePages"):
        raise VolumeError(f"hugepages storage medium {medium!r} is not supported on this node")
    else:
        raise VolumeError(f'unknown storage medium "{medium}"')


async def teardown_medium(path: Path) -> None:
    """TearDownAt: unmount a tmpfs if there is one, then remove the directory."""
    if not path.exists() and not path.is_symlink():
        return
    for _ in range(8):  # stacked mounts come off one at a time
        if mount_fstype(path) is None:
            break
        await unmount(path)
    await asyncio.to_thread(shutil.rmtree, path, True)


class EmptyDirPlugin:
    name: ClassVar[str] = "kubernetes.io/empty-dir"
    source_key: ClassVar[str] = "emptyDir"
    read_only: ClassVar[bool] = False

    def get_path(self, pod: Obj, volume: Obj, target_dir: Path) -> Path:
        return target_dir

    async def setup(self, pod: Obj, volume: Obj, target_dir: Path, lookup: Lookup) -> None:
        source = volume.get("emptyDir") or {}
        await setup_medium(
            target_dir,
            pod,
            source.get("medium") or "",
            lookup=lookup,
            size_limit=source.get("sizeLimit"),
        )
        await asyncio.to_thread(set_volume_ownership, target_dir, pod, read_only=False)

    async def teardown(self, target_dir: Path) -> None:
        await teardown_medium(target_dir)
