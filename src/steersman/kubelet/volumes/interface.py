"""What every volume plugin provides, and the helpers several of them share.

Invariants:
- A plugin is stateless: everything it needs comes in through `setup`'s arguments, so one
  instance serves every pod. `setup` is idempotent and doubles as the periodic re-sync (it
  brings existing contents up to date); `teardown` removes what `setup` made and is a no-op on
  a directory that is already gone.
- Plugins raise `VolumeError` with the message Kubernetes' plugin gives; the manager wraps it
  into `MountVolume.SetUp failed for volume "<name>" : <message>` (the FailedMount event).
- `set_volume_ownership` is volume.SetVolumeOwnership: with a pod fsGroup every file and
  directory becomes group-owned by it, gains g+r (read-only plugins) or g+rw, directories also
  g+x and setgid; symlinks are chowned but never chmod-ed (that would change their target).
- Callers serialize setup/teardown per volume directory; nothing here locks.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

from steersman.kubelet.envvars import Lookup

Obj = dict[str, Any]

DEFAULT_MODE = 0o644  # the API's default for configMap/secret/downwardAPI/projected defaultMode
_RW_MASK = 0o660
_RO_MASK = 0o440
_EXEC_MASK = 0o110


class VolumeError(Exception):
    """A volume cannot be set up or torn down; str(error) is Kubernetes' message."""


class VolumePlugin(Protocol):
    """One volume type (Kubernetes' volume.VolumePlugin with its Mounter and Unmounter)."""

    # The plugin's name, e.g. "kubernetes.io/configmap"; its directory escapes "/" as "~".
    name: ClassVar[str]
    # The pod spec key of its volume source, e.g. "configMap".
    source_key: ClassVar[str]
    # GetAttributes().ReadOnly: mounted read-only into every container whatever the mount says.
    read_only: ClassVar[bool]

    def get_path(self, pod: Obj, volume: Obj, target_dir: Path) -> Path:
        """Where the volume's contents are on the host (the CRI mount's host_path)."""
        ...

    async def setup(self, pod: Obj, volume: Obj, target_dir: Path, lookup: Lookup) -> None: ...

    async def teardown(self, target_dir: Path) -> None: ...


def aggregate_message(messages: Sequence[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated in []."""
    seen: list[str] = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def fs_group(pod: Obj) -> int | None:
    value = ((pod.get("spec") or {}).get("securityContext") or {}).get("fsGroup")
    return int(value) if value is not None else None


def set_volume_ownership(root: Path, pod: Obj, *, read_only: bool) -> None:
    """SetVolumeOwnership for the pod's fsGroup (nothing without one). The pod's
    fsGroupChangePolicy is not consulted: Kubernetes passes none for these plugins."""
    gid = fs_group(pod)
    if gid is None:
        return
    base = _RO_MASK if read_only else _RW_MASK
    for dirpath, dirnames, filenames in os.walk(root):
        entries = [Path(dirpath)] if dirpath == str(root) else []
        entries += [Path(dirpath, n) for n in (*dirnames, *filenames)]
        for p in entries:
            _change_file_permission(p, gid, base)


def _change_file_permission(p: Path, gid: int, base: int) -> None:
    try:
        os.lchown(p, -1, gid)
        st = p.lstat()
    except OSError:
        return  # upstream logs and goes on
    if stat.S_ISLNK(st.st_mode):
        return
    mask = base
    if stat.S_ISDIR(st.st_mode):
        mask |= stat.S_ISGID | _EXEC_MASK
    with contextlib.suppress(OSError):  # upstream logs and goes on
        os.chmod(p, stat.S_IMODE(st.st_mode) | mask)


def nested_mountpoints(name: str, pod: Obj) -> list[str]:
    """getNestedMountpoints: paths, relative to volume `name`'s mount point, where another
    volume is mounted right beneath it in some container (deeper nestings skipped)."""
    spec = pod.get("spec") or {}
    out: list[str] = []
    containers = [
        *(spec.get("initContainers") or []),
        *(spec.get("containers") or []),
        *(spec.get("ephemeralContainers") or []),
    ]
    for c in containers:
        mounts = c.get("volumeMounts") or []
        all_points = sorted(posixpath.normpath(m.get("mountPath", "")) for m in mounts)
        mine = [posixpath.normpath(m.get("mountPath", "")) for m in mounts if m.get("name") == name]
        for point in mine:
            if point.startswith("../"):
                raise VolumeError(f"invalid container mount point {point}")
            prefix = point + "/"
            prev = ""
            for mp in all_points:
                if not mp.startswith(prefix):
                    continue
                if prev and mp.startswith(prev):
                    continue
                prev = mp + "/"
                out.append(mp[len(prefix) :])
    return out


def make_nested_mountpoints(name: str, base_dir: Path, pod: Obj) -> None:
    """MakeNestedMountpoints: pre-create them, since a read-only volume cannot get them later."""
    for rel in nested_mountpoints(name, pod):
        try:
            os.makedirs(base_dir / rel, mode=0o755, exist_ok=True)
        except OSError as e:
            msg = go_os_error(e, "mkdir")
            raise VolumeError(f"unable to create nested volume mountpoints: {msg}") from e


def go_os_error(e: OSError, op: str = "") -> str:
    """An OSError as Go's *PathError prints: `mkdir /x: permission denied`."""
    text = os.strerror(e.errno) if e.errno else str(e)
    text = text[:1].lower() + text[1:]
    if op and e.filename is not None:
        return f"{op} {e.filename}: {text}"
    return text
