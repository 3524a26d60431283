"""Pod volume directories, setting a pod's volumes up and down, and a container's CRI mounts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from steersman.kubelet.envvars import ContainerConfigError
from steersman.kubelet.volumes import (
    Mount,
    MountVolumeError,
    make_mounts,
    pod_volume_dir,
    setup_pod_volumes,
    teardown_pod_volumes,
)
from steersman.kubelet.volumes.empty_dir import mount_fstype
from steersman.kubelet.volumes.manager import (
    PROPAGATION_BIDIRECTIONAL,
    PROPAGATION_HOST_TO_CONTAINER,
    PROPAGATION_PRIVATE,
)
from tests.unit.kubelet.volumes.fake_lookup import FakeLookup, configmap, secret


def test_pod_volume_dir() -> None:
    root = Path("/var/lib/kubelet")
    want = Path("/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~configmap/cfg")
    assert pod_volume_dir(root, "uid-1", "configmap", "cfg") == want
    assert pod_volume_dir(root, "uid-1", "kubernetes.io/configmap", "cfg") == want
    assert pod_volume_dir(root, "u", "empty-dir", "x").parent.name == "kubernetes.io~empty-dir"


def make_pod(tmp_path: Path, *mounts: dict, volumes: list[dict] | None = None) -> dict:
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "uid-1"},
        "spec": {
            "containers": [{"name": "app", "volumeMounts": list(mounts)}],
            "volumes": volumes
            if volumes is not None
            else [
                {"name": "scratch", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "cfg"}},
                {"name": "creds", "secret": {"secretName": "creds"}},
                {
                    "name": "host",
                    "hostPath": {"path": str(tmp_path / "host"), "type": "DirectoryOrCreate"},
                },
            ],
        },
    }


async def test_setup_mounts_and_teardown(tmp_path: Path) -> None:
    root = tmp_path / "kubelet"
    lookup = FakeLookup().add(configmap("cfg", {"k": "v"}), secret("creds", {"pw": "x"}))
    pod = make_pod(
        tmp_path,
        {"name": "scratch", "mountPath": "/scratch"},
        {"name": "cfg", "mountPath": "/etc/cfg"},
        {"name": "creds", "mountPath": "/creds", "readOnly": False},
        {"name": "host", "mountPath": "data", "mountPropagation": "HostToContainer"},
        {"name": "cfg", "mountPath": "/etc/k", "subPath": "k"},
    )
    paths = await setup_pod_volumes(root, pod, lookup)
    vols = root / "pods" / "uid-1" / "volumes"
    assert paths == {
        "scratch": vols / "kubernetes.io~empty-dir" / "scratch",
        "cfg": vols / "kubernetes.io~configmap" / "cfg",
        "creds": vols / "kubernetes.io~secret" / "creds",
        "host": tmp_path / "host",
    }
    container = pod["spec"]["containers"][0]
    mounts = make_mounts(root, pod, container, [])
    cfg_file = os.path.realpath(paths["cfg"] / "k")
    assert mounts == [
        Mount("scratch", "/scratch", str(paths["scratch"])),
        Mount("cfg", "/etc/cfg", str(paths["cfg"]), readonly=True),
        Mount("creds", "/creds", str(paths["creds"]), readonly=True),  # secrets are always RO
        Mount("host", "/data", str(tmp_path / "host"), propagation=PROPAGATION_HOST_TO_CONTAINER),
        Mount("cfg", "/etc/k", cfg_file, readonly=True),
    ]
    assert cfg_file.startswith(str(paths["cfg"])) and "..20" in cfg_file

    await teardown_pod_volumes(root, "uid-1")
    assert not vols.exists()
    assert mount_fstype(paths["creds"]) is None
    assert (tmp_path / "host").is_dir()  # hostPath is the node's
    await teardown_pod_volumes(root, "uid-1")  # nothing left: no error


async def test_setup_errors_name_the_volume(tmp_path: Path) -> None:
    pod = make_pod(tmp_path, volumes=[{"name": "cfg", "configMap": {"name": "gone"}}])
    with pytest.raises(MountVolumeError) as err:
        await setup_pod_volumes(tmp_path / "k", pod, FakeLookup())
    assert (
        str(err.value) == 'MountVolume.SetUp failed for volume "cfg" : configmap "gone" not found'
    )
    assert err.value.volume == "cfg" and err.value.message == 'configmap "gone" not found'
    pvc = make_pod(
        tmp_path, volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]
    )
    with pytest.raises(MountVolumeError, match=r"no volume plugin matched"):
        await setup_pod_volumes(tmp_path / "k", pvc, FakeLookup())


async def test_sub_paths(tmp_path: Path) -> None:
    root = tmp_path / "kubelet"
    pod = make_pod(tmp_path, volumes=[{"name": "scratch", "emptyDir": {}}])
    await setup_pod_volumes(root, pod, FakeLookup())
    vol = pod_volume_dir(root, "uid-1", "empty-dir", "scratch")

    def mount_one(vm: dict, env: list[tuple[str, str]] | None = None) -> Mount:
        c = {"name": "app", "volumeMounts": [{"name": "scratch", "mountPath": "/m", **vm}]}
        return make_mounts(root, pod, c, env or [])[0]

    m = mount_one({"subPathExpr": "logs/$(POD_NAME)"}, [("POD_NAME", "web")])
    assert m.host_path == str(vol / "logs" / "web")
    assert (vol / "logs" / "web").is_dir()
    assert ((vol / "logs" / "web").stat().st_mode & 0o777) == 0o777  # the volume root's mode

    (vol / "escape").symlink_to("/etc")
    with pytest.raises(ContainerConfigError) as err:
        mount_one({"subPath": "escape"})
    assert (
        str(err.value) == 'failed to prepare subPath for volumeMount "scratch" of container "app"'
    )
    with pytest.raises(ContainerConfigError) as err:
        mount_one({"subPath": "escape/new"})
    assert str(err.value) == (
        'failed to create subPath directory for volumeMount "scratch" of container "app"'
    )
    with pytest.raises(
        ContainerConfigError, match=r"^error SubPath `/abs` must not be an absolute path$"
    ):
        mount_one({"subPath": "/abs"})
    with pytest.raises(
        ContainerConfigError,
        match=r"^unable to provision SubPath `a/\.\./b`: must not contain '\.\.'$",
    ):
        mount_one({"subPath": "a/../b"})
    with pytest.raises(ContainerConfigError, match=r"^missing value for POD_NAME$"):
        mount_one({"subPathExpr": "$(POD_NAME)"})


def test_mount_errors(tmp_path: Path) -> None:
    pod = make_pod(tmp_path, volumes=[{"name": "scratch", "emptyDir": {}}])

    def mount_one(vm: dict, **kw: bool) -> Mount:
        c = {"name": "app", "volumeMounts": [{"name": "scratch", "mountPath": "/m", **vm}]}
        return make_mounts(tmp_path, pod, c, [], **kw)[0]

    with pytest.raises(ContainerConfigError) as err:
        mount_one({"name": "nope"})
    assert str(err.value) == 'cannot find volume "nope" to mount into container "app"'
    with pytest.raises(ContainerConfigError, match=r'^invalid MountPropagation mode: "Sideways"$'):
        mount_one({"mountPropagation": "Sideways"})
    assert mount_one({"mountPropagation": "Bidirectional"}).propagation == PROPAGATION_BIDIRECTIONAL
    assert mount_one({"mountPropagation": "None"}).propagation == PROPAGATION_PRIVATE

    assert (
        mount_one({"readOnly": True, "recursiveReadOnly": "IfPossible"}).recursive_read_only
        is False
    )
    rro = mount_one({"readOnly": True, "recursiveReadOnly": "Enabled"}, runtime_supports_rro=True)
    assert rro.recursive_read_only and rro.readonly
    with pytest.raises(ContainerConfigError) as err:
        mount_one({"recursiveReadOnly": "Enabled"})
    assert str(err.value) == (
        'failed to resolve recursive read-only mode: volume "scratch" requested recursive '
        "read-only mode, but it is not read-only"
    )
    with pytest.raises(ContainerConfigError, match=r"but it is not supported by the runtime$"):
        mount_one({"readOnly": True, "recursiveReadOnly": "Enabled"})
