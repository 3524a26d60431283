"""Pod volume directories, setting a pod's volumes up and down, and the CRI mounts of a container
(Kubernetes' volume manager paths and kubelet_pods.go makeMounts).

Invariants:
- A pod's volume lives in `<root>/pods/<uid>/volumes/<plugin name with / as ~>/<volume name>`,
  e.g. `/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~configmap/config`; hostPath volumes
  live at their own path.
- `setup_pod_volumes` sets every volume up (again: it is also the re-sync); a failure is a
  `MountVolumeError` worded as the FailedMount event (`MountVolume.SetUp failed for volume "v" :
  <plugin message>`). `teardown_pod_volumes` works from the directories on disk, so it also
  cleans up after pods the kubelet no longer knows.
- `make_mounts` follows the container's volumeMounts in order. Errors are ContainerConfigError
  with upstream's wording (Waiting reason CreateContainerConfigError). subPath/subPathExpr
  must be relative without `..`; a missing subPath directory is created with the volume
  root's mode; the resolved path must stay inside the volume (upstream bind-mounts it; we hand
  the runtime the resolved path, which pins the same file).
- Volumes of plugins that do not mount anything here (PVCs, CSI, ...) are not supported.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steersman.kubelet.envvars import (
    ContainerConfigError,
    EnvList,
    Lookup,
    expand_subpath_expr,
)
from steersman.kubelet.volumes.configmap import ConfigMapPlugin
from steersman.kubelet.volumes.downward_api import DownwardAPIPlugin
from steersman.kubelet.volumes.empty_dir import EmptyDirPlugin
from steersman.kubelet.volumes.host_path import HostPathPlugin
from steersman.kubelet.volumes.interface import VolumeError, VolumePlugin
from steersman.kubelet.volumes.projected import ProjectedPlugin
from steersman.kubelet.volumes.secret import SecretPlugin

Obj = dict[str, Any]

# runtime.v1 MountPropagation values.
PROPAGATION_PRIVATE = 0
PROPAGATION_HOST_TO_CONTAINER = 1
PROPAGATION_BIDIRECTIONAL = 2

PLUGINS: tuple[VolumePlugin, ...] = (
    EmptyDirPlugin(),
    HostPathPlugin(),
    ConfigMapPlugin(),
    SecretPlugin(),
    DownwardAPIPlugin(),
    ProjectedPlugin(),
)
_BY_DIR: Mapping[str, VolumePlugin] = {p.name.replace("/", "~"): p for p in PLUGINS}


@dataclass(frozen=True)
class Mount:
    """One CRI Mount of a container (field names as runtime.v1's)."""

    name: str
    container_path: str
    host_path: str
    readonly: bool = False
    recursive_read_only: bool = False
    selinux_relabel: bool = False
    propagation: int = PROPAGATION_PRIVATE


class MountVolumeError(VolumeError):
    """A volume failed to set up; str() is the FailedMount event's message."""

    def __init__(self, volume: str, message: str) -> None:
        super().__init__(f'MountVolume.SetUp failed for volume "{volume}" : {message}')
        self.volume = volume
        self.message = message


def plugin_dir_name(plugin: str) -> str:
    """`configmap` or `kubernetes.io/configmap` -> `kubernetes.io~configmap`."""
    if "/" not in plugin and "~" not in plugin:
        plugin = f"kubernetes.io/{plugin}"
    return plugin.replace("/", "~")


def pod_volumes_dir(root: Path, pod_uid: str) -> Path:
    return Path(root) / "pods" / pod_uid / "volumes"


def pod_volume_dir(root: Path, pod_uid: str, plugin: str, name: str) -> Path:
    return pod_volumes_dir(root, pod_uid) / plugin_dir_name(plugin) / name


def plugin_for(volume: Obj) -> VolumePlugin | None:
    """FindPluginBySpec: the plugin whose source the volume sets."""
    for plugin in PLUGINS:
        if volume.get(plugin.source_key) is not None:
            return plugin
    return None


def volume_host_path(root: Path, pod: Obj, volume: Obj) -> Path | None:
    """Where the volume is on the host (GetPath), None when no plugin serves it."""
    plugin = plugin_for(volume)
    if plugin is None:
        return None
    uid = (pod.get("metadata") or {}).get("uid", "")
    target = pod_volume_dir(root, uid, plugin.name, volume.get("name", ""))
    return plugin.get_path(pod, volume, target)


async def setup_pod_volumes(root: Path, pod: Obj, lookup: Lookup) -> dict[str, Path]:
    """Set up (or re-sync) every volume of the pod; returns volume name -> host path."""
    uid = (pod.get("metadata") or {}).get("uid", "")
    paths: dict[str, Path] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume.get("name", "")
        plugin = plugin_for(volume)
        if plugin is None:
            raise MountVolumeError(name, "no volume plugin matched")
        target = pod_volume_dir(root, uid, plugin.name, name)
        try:
            await plugin.setup(pod, volume, target, lookup)
        except VolumeError as e:
            raise MountVolumeError(name, str(e)) from e
        except ValueError as e:  # a malformed quantity or mode in the volume source
            raise MountVolumeError(name, str(e)) from e
        paths[name] = plugin.get_path(pod, volume, target)
    return paths


async def teardown_pod_volumes(root: Path, pod_uid: str) -> None:
    """Tear down every volume directory of the pod found on disk, then the empty dirs."""
    volumes = pod_volumes_dir(root, pod_uid)
    if not volumes.is_dir():
        return
    for plugin_dir in sorted(volumes.iterdir()):
        plugin = _BY_DIR.get(plugin_dir.name)
        if plugin is None or not plugin_dir.is_dir():
            continue
        for target in sorted(plugin_dir.iterdir()):
            await plugin.teardown(target)
        _rmdir_quietly(plugin_dir)
    _rmdir_quietly(volumes)


def _rmdir_quietly(path: Path) -> None:
    # Not empty means a volume we do not know still lives there: leave it.
    with contextlib.suppress(OSError):
        path.rmdir()


# -- mounts ----------------------------------------------------------------------------------


def translate_mount_propagation(mode: str | None) -> int:
    if mode is None or mode == "None":
        return PROPAGATION_PRIVATE
    if mode == "HostToContainer":
        return PROPAGATION_HOST_TO_CONTAINER
    if mode == "Bidirectional":
        return PROPAGATION_BIDIRECTIONAL
    raise ContainerConfigError(f'invalid MountPropagation mode: "{mode}"')


def resolve_recursive_read_only(mount: Obj, runtime_supports_rro: bool) -> bool:
    """resolveRecursiveReadOnly, with its messages."""
    rro = mount.get("recursiveReadOnly")
    name = mount.get("name", "")
    if rro is None or rro == "Disabled":
        return False
    if not mount.get("readOnly"):
        raise ContainerConfigError(
            "failed to resolve recursive read-only mode: "
            f'volume "{name}" requested recursive read-only mode, but it is not read-only'
        )
    propagation = mount.get("mountPropagation")
    if propagation is not None and propagation != "None":
        raise ContainerConfigError(
            "failed to resolve recursive read-only mode: "
            f'volume "{name}" requested recursive read-only mode, but it is not compatible '
            f'with propagation "{propagation}"'
        )
    if rro == "IfPossible":
        return runtime_supports_rro
    if rro == "Enabled":
        if not runtime_supports_rro:
            raise ContainerConfigError(
                "failed to resolve recursive read-only mode: "
                f'volume "{name}" requested recursive read-only mode, but it is not supported '
                "by the runtime"
            )
        return True
    raise ContainerConfigError(
        f'failed to resolve recursive read-only mode: unknown recursive read-only mode "{rro}"'
    )


def _within(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def safe_make_dir(sub_path: str, volume_path: Path, perm: int) -> None:
    """SafeMakeDir: create sub_path below volume_path, never following a link out of it."""
    base = os.path.realpath(volume_path)
    current = base
    for part in [p for p in sub_path.split("/") if p and p != "."]:
        nxt = os.path.join(current, part)
        if os.path.lexists(nxt):
            nxt = os.path.realpath(nxt)
            if not _within(nxt, base) or not os.path.isdir(nxt):
                raise OSError(f"{nxt} is not a directory inside the volume")
        else:
            os.mkdir(nxt, perm)
            os.chmod(nxt, perm)  # past the umask, as upstream's SafeMakeDir
        current = nxt


def _prepare_subpath(volume_path: Path, sub_path: str, mount_name: str, container_name: str) -> str:
    host_path = volume_path / sub_path
    if not os.path.exists(host_path):
        try:
            perm = volume_path.stat().st_mode & 0o7777
            safe_make_dir(sub_path, volume_path, perm)
        except OSError as e:
            raise ContainerConfigError(
                f'failed to create subPath directory for volumeMount "{mount_name}" of '
                f'container "{container_name}"'
            ) from e
    resolved = os.path.realpath(host_path)
    if not _within(resolved, os.path.realpath(volume_path)) or not os.path.exists(resolved):
        raise ContainerConfigError(
            f'failed to prepare subPath for volumeMount "{mount_name}" of container '
            f'"{container_name}"'
        )
    return resolved


def make_mounts(
    root: Path,
    pod: Obj,
    container: Obj,
    env: EnvList,
    *,
    runtime_supports_rro: bool = False,
) -> list[Mount]:
    """makeMounts for the container's volumeMounts (the /etc/hosts mount is not made here)."""
    volumes = {v.get("name", ""): v for v in (pod.get("spec") or {}).get("volumes") or []}
    container_name = container.get("name", "")
    mounts: list[Mount] = []
    for vm in container.get("volumeMounts") or []:
        name = vm.get("name", "")
        volume = volumes.get(name)
        plugin = plugin_for(volume) if volume is not None else None
        if volume is None or plugin is None:
            raise ContainerConfigError(
                f'cannot find volume "{name}" to mount into container "{container_name}"'
            )
        sub_path = vm.get("subPath") or ""
        if vm.get("subPathExpr"):
            sub_path = expand_subpath_expr(vm, env)
        if sub_path:
            if sub_path.startswith("/"):
                raise ContainerConfigError(
                    f"error SubPath `{sub_path}` must not be an absolute path"
                )
            if ".." in sub_path.split("/"):
                raise ContainerConfigError(
                    f"unable to provision SubPath `{sub_path}`: must not contain '..'"
                )
        volume_path = volume_host_path(root, pod, volume)
        assert volume_path is not None
        host_path = str(volume_path)
        if sub_path:
            host_path = _prepare_subpath(volume_path, sub_path, name, container_name)
        container_path = vm.get("mountPath", "")
        if not container_path.startswith("/"):
            container_path = posixpath.normpath("/" + container_path)
        propagation = translate_mount_propagation(vm.get("mountPropagation"))
        rro = resolve_recursive_read_only(vm, runtime_supports_rro)
        mounts.append(
            Mount(
                name=name,
                container_path=container_path,
                host_path=host_path,
                readonly=bool(vm.get("readOnly")) or plugin.read_only,
                recursive_read_only=rro,
                propagation=propagation,
            )
        )
    return mounts
