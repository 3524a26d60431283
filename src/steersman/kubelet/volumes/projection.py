"""The shared shape of the configMap, secret, downwardAPI and projected plugins: gather a payload
of files, then project it with the atomic writer into a wrapped emptyDir.

Invariants:
- The payload is gathered completely before the disk is touched, so a missing object or key
  fails setup without creating anything.
- The wrapper directory is a plain 0777 directory (configMap, downwardAPI) or a tmpfs (secret,
  projected: `wrapper_medium = "Memory"`); see empty_dir for the fallback when not root.
- Directories other containers mount beneath this volume are pre-created (the volume is
  read-only in the container, so the runtime could not create them later).
- A failed first setup removes what it created; a failed re-sync leaves the last good version
  in place (upstream would tear the live volume down; keeping it is the safer reading).
- Ownership for the pod's fsGroup: the fresh wrapper as a writable emptyDir, then every new
  version as read-only content (g+r), before it becomes visible.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from steersman.kubelet.envvars import Lookup
from steersman.kubelet.volumes import atomic_writer
from steersman.kubelet.volumes.atomic_writer import FileProjection
from steersman.kubelet.volumes.empty_dir import MEDIUM_DEFAULT, setup_medium, teardown_medium
from steersman.kubelet.volumes.interface import (
    DEFAULT_MODE,
    make_nested_mountpoints,
    set_volume_ownership,
)

Obj = dict[str, Any]
Payload = dict[str, FileProjection]


def default_mode(source: Obj) -> int:
    mode = source.get("defaultMode")
    return int(mode) if mode is not None else DEFAULT_MODE


class ProjectionPlugin:
    """Base class: subclasses set the class attributes and implement `collect`."""

    name: ClassVar[str] = ""
    source_key: ClassVar[str] = ""
    read_only: ClassVar[bool] = True
    wrapper_medium: ClassVar[str] = MEDIUM_DEFAULT

    def get_path(self, pod: Obj, volume: Obj, target_dir: Path) -> Path:
        return target_dir

    async def collect(self, pod: Obj, volume: Obj, lookup: Lookup) -> Payload:
        raise NotImplementedError

    async def setup(self, pod: Obj, volume: Obj, target_dir: Path, lookup: Lookup) -> None:
        payload = await self.collect(pod, volume, lookup)
        fresh = not target_dir.exists()
        await setup_medium(target_dir, pod, self.wrapper_medium, lookup=lookup, wrapped=True)
        try:
            await asyncio.to_thread(self._write, pod, volume, target_dir, payload, fresh)
        except BaseException:
            if fresh:
                await teardown_medium(target_dir)
            raise

    @staticmethod
    def _write(pod: Obj, volume: Obj, target_dir: Path, payload: Payload, fresh: bool) -> None:
        if fresh:
            set_volume_ownership(target_dir, pod, read_only=False)
        make_nested_mountpoints(volume.get("name", ""), target_dir, pod)
        atomic_writer.write(
            target_dir,
            payload,
            set_perms=lambda: set_volume_ownership(target_dir, pod, read_only=True),
        )

    async def teardown(self, target_dir: Path) -> None:
        await teardown_medium(target_dir)
