"""Pod volumes: one module per volume type behind `interface.VolumePlugin`, the atomic writer
the projected types share, and `manager` (directories, setup/teardown of a pod, CRI mounts).

Invariants: plugins hold no state; everything from outside the pod comes through the
`steersman.kubelet.envvars.Lookup` the caller passes in.
"""

from __future__ import annotations

from steersman.kubelet.volumes.interface import VolumeError, VolumePlugin
from steersman.kubelet.volumes.manager import (
    PLUGINS,
    Mount,
    MountVolumeError,
    make_mounts,
    plugin_for,
    pod_volume_dir,
    setup_pod_volumes,
    teardown_pod_volumes,
)

__all__ = [
    "PLUGINS",
    "Mount",
    "MountVolumeError",
    "VolumeError",
    "VolumePlugin",
    "make_mounts",
    "plugin_for",
    "pod_volume_dir",
    "setup_pod_volumes",
    "teardown_pod_volumes",
]
