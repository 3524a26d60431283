"""configMap and secret volumes: payloads, modes, optional, errors, updates, layout."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from steersman.kubelet.volumes.configmap import ConfigMapPlugin
from steersman.kubelet.volumes.empty_dir import mount_fstype
from steersman.kubelet.volumes.interface import VolumeError
from steersman.kubelet.volumes.secret import SecretPlugin
from tests.unit.kubelet.volumes.conftest import requires_root
from tests.unit.kubelet.volumes.fake_lookup import FakeLookup, configmap, secret


def pod(**spec: object) -> dict:
    return {
        "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
        "spec": {"containers": [{"name": "c"}], **spec},
    }


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


async def test_configmap_all_keys_default_mode_and_layout(tmp_path: Path) -> None:
    lookup = FakeLookup().add(configmap("cfg", {"app.conf": "x=1"}, blob=b"\x00\xff"))
    target = tmp_path / "cfg"
    await ConfigMapPlugin().setup(
        pod(), {"name": "cfg", "configMap": {"name": "cfg"}}, target, lookup
    )
    assert (target / "app.conf").read_text() == "x=1"
    assert (target / "blob").read_bytes() == b"\x00\xff"
    assert os.readlink(target / "app.conf") == "..data/app.conf"
    assert mode(target / "app.conf") == 0o644
    assert mode(target) == 0o777  # the wrapped emptyDir
    assert mount_fstype(target) is None  # configMaps stay on disk


async def test_configmap_items_modes_and_update(tmp_path: Path) -> None:
    lookup = FakeLookup().add(configmap("cfg", {"a": "1", "b": "2"}))
    target = tmp_path / "cfg"
    volume = {
        "name": "cfg",
        "configMap": {
            "name": "cfg",
            "defaultMode": 0o440,
            "items": [{"key": "a", "path": "dir/a.txt"}, {"key": "b", "path": "b", "mode": 0o600}],
        },
    }
    plugin = ConfigMapPlugin()
    await plugin.setup(pod(), volume, target, lookup)
    assert (target / "dir/a.txt").read_text() == "1"
    assert mode(target / "dir/a.txt") == 0o440
    assert mode(target / "b") == 0o600
    assert sorted(p for p in os.listdir(target) if not p.startswith("..")) == ["b", "dir"]

    lookup.add(configmap("cfg", {"a": "one", "b": "2"}))
    await plugin.setup(pod(), volume, target, lookup)  # the periodic re-sync
    assert (target / "dir/a.txt").read_text() == "one"


async def test_configmap_missing_and_optional(tmp_path: Path) -> None:
    lookup = FakeLookup().add(configmap("cfg", {"a": "1"}))
    plugin = ConfigMapPlugin()
    with pytest.raises(VolumeError, match=r'^configmap "gone" not found$'):
        await plugin.setup(
            pod(), {"name": "v", "configMap": {"name": "gone"}}, tmp_path / "v", lookup
        )
    assert not (tmp_path / "v").exists()  # nothing was created
    with pytest.raises(VolumeError, match=r"^configmap references non-existent config key: z$"):
        await plugin.setup(
            pod(),
            {"name": "v", "configMap": {"name": "cfg", "items": [{"key": "z", "path": "z"}]}},
            tmp_path / "v",
            lookup,
        )
    optional = {"name": "v", "configMap": {"name": "gone", "optional": True}}
    await plugin.setup(pod(), optional, tmp_path / "v", lookup)
    assert [p for p in os.listdir(tmp_path / "v") if not p.startswith("..2")] == ["..data"]
    optional_key = {
        "name": "w",
        "configMap": {"name": "cfg", "optional": True, "items": [{"key": "z", "path": "z"}]},
    }
    await plugin.setup(pod(), optional_key, tmp_path / "w", lookup)
    assert not (tmp_path / "w" / "z").exists()


async def test_nested_mountpoints_and_fs_group(tmp_path: Path) -> None:
    lookup = FakeLookup().add(configmap("cfg", {"a": "1"}))
    p = pod(
        securityContext={"fsGroup": 3000},
        containers=[
            {
                "name": "c",
                "volumeMounts": [
                    {"name": "cfg", "mountPath": "/etc/app"},
                    {"name": "other", "mountPath": "/etc/app/extra"},
                    {"name": "deeper", "mountPath": "/etc/app/extra/more"},
                ],
            }
        ],
    )
    target = tmp_path / "cfg"
    await ConfigMapPlugin().setup(p, {"name": "cfg", "configMap": {"name": "cfg"}}, target, lookup)
    assert (target / "extra").is_dir() and not (target / "extra" / "more").exists()
    real = target / os.readlink(target / "..data") / "a"
    assert real.stat().st_gid == 3000
    assert mode(real) == 0o644  # 0644 already has g+r
    assert target.stat().st_gid == 3000 and mode(target) & 0o2000


async def test_secret_payload_and_errors(tmp_path: Path) -> None:
    lookup = FakeLookup().add(secret("s", {"user": "admin", "key": b"\x01\x02"}))
    plugin = SecretPlugin()
    target = tmp_path / "s"
    volume = {
        "name": "s",
        "secret": {"secretName": "s", "items": [{"key": "key", "path": "k/bin"}]},
    }
    await plugin.setup(pod(), volume, target, lookup)
    try:
        assert (target / "k/bin").read_bytes() == b"\x01\x02"
        assert not (target / "user").exists()
    finally:
        await plugin.teardown(target)
    assert not target.exists()
    with pytest.raises(VolumeError, match=r'^secret "nope" not found$'):
        await plugin.setup(pod(), {"name": "x", "secret": {"secretName": "nope"}}, target, lookup)
    bad = {"name": "x", "secret": {"secretName": "s", "items": [{"key": "zz", "path": "zz"}]}}
    with pytest.raises(VolumeError, match=r"^references non-existent secret key: zz$"):
        await plugin.setup(pod(), bad, target, lookup)


@requires_root
async def test_secret_lives_on_tmpfs(tmp_path: Path) -> None:
    lookup = FakeLookup().add(secret("s", {"password": "hunter2"}))
    plugin = SecretPlugin()
    target = tmp_path / "s"
    await plugin.setup(pod(), {"name": "s", "secret": {"secretName": "s"}}, target, lookup)
    try:
        assert mount_fstype(target) == "tmpfs"
        assert mode(target) == 0o1777
        assert (target / "password").read_text() == "hunter2"
        lookup.add(secret("s", {"password": "changed"}))
        await plugin.setup(pod(), {"name": "s", "secret": {"secretName": "s"}}, target, lookup)
        assert (target / "password").read_text() == "changed"
    finally:
        await plugin.teardown(target)
    assert mount_fstype(target) is None and not target.exists()
