"""downwardAPI and projected volumes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from steersman.kubelet.volumes.downward_api import DownwardAPIPlugin
from steersman.kubelet.volumes.interface import VolumeError
from steersman.kubelet.volumes.projected import ProjectedPlugin
from tests.unit.kubelet.volumes.fake_lookup import FakeLookup, configmap, secret


def pod(labels: dict | None = None, **spec: object) -> dict:
    return {
        "metadata": {
            "name": "web",
            "namespace": "ns",
            "uid": "uid-1",
            "labels": labels if labels is not None else {"app": "web", "tier": "front"},
            "annotations": {"a": "b"},
        },
        "spec": {
            "serviceAccountName": "sa",
            "containers": [{"name": "c", "resources": {"limits": {"memory": "128Mi"}}}],
            **spec,
        },
    }


def item(path: str, field_path: str | None = None, **ref: str) -> dict:
    if field_path is not None:
        return {"path": path, "fieldRef": {"apiVersion": "v1", "fieldPath": field_path}}
    return {"path": path, "resourceFieldRef": ref}


async def test_downward_api_files_and_label_update(tmp_path: Path) -> None:
    volume = {
        "name": "info",
        "downwardAPI": {
            "items": [
                item("labels", "metadata.labels"),
                item("name", "metadata.name"),
                item("meta/app", "metadata.labels['app']"),
                item("mem", containerName="c", resource="limits.memory", divisor="1Mi"),
                item("cpu", containerName="c", resource="limits.cpu", divisor="1m"),
                {"path": "./uid", "fieldRef": {"fieldPath": "metadata.uid"}, "mode": 0o400},
            ]
        },
    }
    target = tmp_path / "info"
    lookup = FakeLookup(allocatable={"cpu": "2", "memory": "4Gi"})
    plugin = DownwardAPIPlugin()
    await plugin.setup(pod(), volume, target, lookup)
    assert (target / "labels").read_text() == 'app="web"\ntier="front"'
    assert (target / "name").read_text() == "web"
    assert (target / "meta/app").read_text() == "web"
    assert (target / "mem").read_text() == "128"
    assert (target / "cpu").read_text() == "2000"  # no limit: the node's allocatable
    assert (target / "uid").read_text() == "uid-1"
    assert stat.S_IMODE((target / "uid").stat().st_mode) == 0o400

    await plugin.setup(pod({"app": "web", "version": "2"}), volume, target, lookup)
    assert (target / "labels").read_text() == 'app="web"\nversion="2"'


async def test_downward_api_aggregates_errors(tmp_path: Path) -> None:
    volume = {
        "name": "info",
        "downwardAPI": {
            "items": [
                item("a", "spec.nodeName"),
                item("b", containerName="nope", resource="limits.cpu"),
            ]
        },
    }
    with pytest.raises(VolumeError) as err:
        await DownwardAPIPlugin().setup(pod(), volume, tmp_path / "i", FakeLookup())
    assert str(err.value) == "[unsupported fieldPath: spec.nodeName, container nope not found]"
    assert not (tmp_path / "i").exists()


def kube_api_access(**token: object) -> dict:
    return {
        "name": "kube-api-access",
        "projected": {
            "defaultMode": 0o644,
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607, **token}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {"downwardAPI": {"items": [item("namespace", "metadata.namespace")]}},
                {"secret": {"name": "extra", "optional": True}},
            ],
        },
    }


async def test_projected_service_account_volume(tmp_path: Path) -> None:
    lookup = FakeLookup().add(configmap("kube-root-ca.crt", {"ca.crt": "PEM"}))
    target = tmp_path / "kube-api-access"
    plugin = ProjectedPlugin()
    await plugin.setup(pod(), kube_api_access(audience="api"), target, lookup)
    try:
        assert (target / "token").read_text() == "header.payload.signature"
        assert (target / "ca.crt").read_text() == "PEM"
        assert (target / "namespace").read_text() == "ns"
        assert sorted(p for p in os.listdir(target) if not p.startswith("..")) == [
            "ca.crt",
            "namespace",
            "token",
        ]
        assert ("token", ("api",), 3607) in lookup.calls
    finally:
        await plugin.teardown(target)


async def test_projected_token_mode_with_fs_group_and_missing_token(tmp_path: Path) -> None:
    lookup = FakeLookup().add(configmap("kube-root-ca.crt", {"ca.crt": "PEM"}))
    plugin = ProjectedPlugin()
    target = tmp_path / "a"
    await plugin.setup(pod(securityContext={"fsGroup": 2000}), kube_api_access(), target, lookup)
    try:
        token = target / "token"
        assert stat.S_IMODE(token.stat().st_mode) == 0o640  # 0600, then g+r from fsGroup
        assert token.stat().st_gid == 2000
        assert ("token", (), 3607) in lookup.calls
    finally:
        await plugin.teardown(target)

    lookup.token = None
    target = tmp_path / "b"
    await plugin.setup(pod(), kube_api_access(), target, lookup)
    try:
        assert not (target / "token").exists()
        assert (target / "ca.crt").read_text() == "PEM"
    finally:
        await plugin.teardown(target)


async def test_projected_errors_are_aggregated(tmp_path: Path) -> None:
    volume = {
        "name": "p",
        "projected": {
            "sources": [
                {"configMap": {"name": "gone"}},
                {"secret": {"name": "s", "items": [{"key": "nope", "path": "x"}]}},
            ]
        },
    }
    lookup = FakeLookup().add(secret("s", {"a": "1"}))
    with pytest.raises(VolumeError) as err:
        await ProjectedPlugin().setup(pod(), volume, tmp_path / "p", lookup)
    assert str(err.value) == (
        '[configmap "gone" not found, references non-existent secret key: nope]'
    )
