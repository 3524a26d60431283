"""emptyDir: a 0777 directory, or a sized tmpfs for medium Memory; fsGroup ownership."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from steersman.kubelet.volumes.empty_dir import (
    EmptyDirPlugin,
    memory_volume_size,
    mount_fstype,
    pod_memory_limit,
)
from steersman.kubelet.volumes.interface import VolumeError
from tests.unit.kubelet.volumes.conftest import requires_root
from tests.unit.kubelet.volumes.fake_lookup import FakeLookup

MI = 2**20
GI = 2**30


def pod(*containers: dict, **spec: object) -> dict:
    return {
        "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
        "spec": {"containers": list(containers) or [{"name": "c"}], **spec},
    }


def limited(name: str, memory: str | None, **extra: object) -> dict:
    c: dict = {"name": name, **extra}
    if memory:
        c["resources"] = {"limits": {"memory": memory}}
    return c


async def test_default_medium_is_a_0777_dir_that_survives_resync(tmp_path: Path) -> None:
    target = tmp_path / "vol"
    plugin, volume = EmptyDirPlugin(), {"name": "v", "emptyDir": {}}
    old = os.umask(0o077)
    try:
        await plugin.setup(pod(), volume, target, FakeLookup())
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o777
    (target / "data").write_text("kept")
    await plugin.setup(pod(), volume, target, FakeLookup())
    assert (target / "data").read_text() == "kept"
    await plugin.teardown(target)
    assert not target.exists()
    await plugin.teardown(target)  # already gone: no error


async def test_fs_group_makes_the_dir_group_owned_and_setgid(tmp_path: Path) -> None:
    target = tmp_path / "vol"
    await EmptyDirPlugin().setup(
        pod(securityContext={"fsGroup": 2000}), {"name": "v", "emptyDir": {}}, target, FakeLookup()
    )
    st = target.stat()
    assert st.st_gid == 2000
    assert stat.S_IMODE(st.st_mode) == 0o2777


async def test_unknown_medium(tmp_path: Path) -> None:
    with pytest.raises(VolumeError, match=r'^unknown storage medium "Disk"$'):
        await EmptyDirPlugin().setup(
            pod(), {"name": "v", "emptyDir": {"medium": "Disk"}}, tmp_path / "v", FakeLookup()
        )


def test_pod_memory_limit() -> None:
    assert pod_memory_limit(pod(limited("a", "100Mi"), limited("b", "50Mi"))) == 150 * MI
    assert pod_memory_limit(pod(limited("a", "100Mi"), limited("b", None))) is None
    sidecar = limited("side", "10Mi", restartPolicy="Always")
    big_init = limited("init", "500Mi")
    p = pod(limited("a", "100Mi"), initContainers=[sidecar, big_init])
    assert pod_memory_limit(p) == 510 * MI  # the init container runs beside the sidecar
    assert pod_memory_limit(pod(limited("a", None), resources={"limits": {"memory": "1Gi"}})) == GI
    with_overhead = pod(limited("a", "100Mi"), overhead={"memory": "10Mi"})
    assert pod_memory_limit(with_overhead) == 110 * MI


def test_memory_volume_size_takes_the_smallest_positive() -> None:
    alloc = {"memory": "4Gi"}
    assert memory_volume_size(alloc, None, pod()) == 4 * GI
    assert memory_volume_size(alloc, None, pod(limited("a", "1Gi"))) == GI
    assert memory_volume_size(alloc, "64Mi", pod(limited("a", "1Gi"))) == 64 * MI
    assert memory_volume_size(alloc, "8Gi", pod()) == 4 * GI  # sizeLimit above allocatable
    assert memory_volume_size({}, "64Mi", pod()) is None  # unknown node: kernel default


@requires_root
async def test_memory_medium_mounts_a_sized_tmpfs_and_unmounts_it(tmp_path: Path) -> None:
    target = tmp_path / "mem"
    plugin = EmptyDirPlugin()
    volume = {"name": "v", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}
    await plugin.setup(pod(), volume, target, FakeLookup())
    try:
        assert mount_fstype(target) == "tmpfs"
        assert os.statvfs(target).f_blocks * os.statvfs(target).f_frsize == 16 * MI
        assert stat.S_IMODE(target.stat().st_mode) == 0o1777
        (target / "f").write_text("in memory")
        await plugin.setup(pod(), volume, target, FakeLookup())  # re-sync keeps the mount
        assert (target / "f").read_text() == "in memory"
        assert mount_fstype(target) == "tmpfs"
    finally:
        await plugin.teardown(target)
    assert mount_fstype(target) is None
    assert not target.exists()
