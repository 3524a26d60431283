"""OCI-layout archives: layout files, descriptors that match their blobs, reproducibility."""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from steersman.images import build
from steersman.images.build import (
    DEFAULT_PATH,
    BuiltImage,
    ImageConfig,
    build_image,
    build_rootfs_image,
    host_platform,
)
from steersman.images.layer import Entry
from steersman.images.reference import InvalidReference

BASE = [Entry(path="bin", type="dir"), Entry(path="bin/hello", type="file", data=b"#!/bin/sh\n")]
TOP = [Entry(path="app", type="dir"), Entry(path="app/data.txt", type="file", data=b"42\n")]


def _read(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def _blob(files: dict[str, bytes], digest: str) -> bytes:
    return files["blobs/sha256/" + digest.removeprefix("sha256:")]


def _build(
    tmp_path: Path, name: str = "app:1", **config: Any
) -> tuple[BuiltImage, dict[str, bytes]]:
    built = build_image(
        tmp_path / f"{len(list(tmp_path.iterdir()))}.tar",
        name=name,
        layers=[BASE, TOP],
        config=ImageConfig(**config),
    )
    return built, _read(built.archive)


def _config(files: dict[str, bytes]) -> dict[str, Any]:
    [docker] = json.loads(files["manifest.json"])
    return json.loads(files[docker["Config"]])


def test_layout_and_descriptors(tmp_path: Path) -> None:
    built, files = _build(tmp_path)
    # A docker-style archive: manifest.json names the blobs, the tag exactly as given.
    assert "oci-layout" not in files and "index.json" not in files
    [docker] = json.loads(files["manifest.json"])
    assert docker["RepoTags"] == ["app:1"]
    assert docker["Config"] == "blobs/sha256/" + built.config_digest.removeprefix("sha256:")
    assert docker["Layers"] == [
        "blobs/sha256/" + d.removeprefix("sha256:") for d in built.layer_digests
    ]
    config_bytes = files[docker["Config"]]
    assert built.config_digest == _sha(config_bytes)
    config = json.loads(config_bytes)
    assert len(docker["Layers"]) == 2 == len(config["rootfs"]["diff_ids"])
    layer_sizes = []
    for path, digest, diff_id in zip(
        docker["Layers"], built.layer_digests, config["rootfs"]["diff_ids"], strict=True
    ):
        blob = files[path]
        assert digest == _sha(blob)
        assert diff_id == _sha(gzip.decompress(blob))
        layer_sizes.append(len(blob))
    # The manifest digest is that of the manifest containerd writes on import.
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": built.config_digest,
            "size": len(config_bytes),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "digest": d,
                "size": n,
            }
            for d, n in zip(built.layer_digests, layer_sizes, strict=True)
        ],
    }
    manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
    assert built.manifest_digest == _sha(manifest_bytes)
    assert built.size == len(manifest_bytes) + len(config_bytes) + sum(layer_sizes)


def test_config_carries_runtime_defaults(tmp_path: Path) -> None:
    _, files = _build(
        tmp_path,
        entrypoint=["/bin/sh", "-c"],
        cmd=["echo hi"],
        env=["A=1", "PATH=/bin", "A=2"],
        working_dir="/app",
        user="1000:1000",
        exposed_ports=["8080", "53/UDP"],
        labels={"k": "v"},
        stop_signal="SIGINT",
    )
    config = _config(files)
    assert config["os"] == "linux" and config["architecture"] == host_platform()["architecture"]
    assert config["config"] == {
        "Entrypoint": ["/bin/sh", "-c"],
        "Cmd": ["echo hi"],
        "Env": ["PATH=/bin", "A=2"],
        "WorkingDir": "/app",
        "User": "1000:1000",
        "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        "Labels": {"k": "v"},
        "StopSignal": "SIGINT",
    }


def test_default_env_is_docker_path(tmp_path: Path) -> None:
    _, files = _build(tmp_path)
    assert _config(files)["config"] == {"Env": [DEFAULT_PATH]}


def test_same_inputs_same_archive_and_digests(tmp_path: Path) -> None:
    a, _ = _build(tmp_path, cmd=["x"])
    b, _ = _build(tmp_path, cmd=["x"])
    assert a.archive != b.archive
    assert a.archive.read_bytes() == b.archive.read_bytes()
    assert (a.manifest_digest, a.config_digest) == (b.manifest_digest, b.config_digest)
    c, _ = _build(tmp_path, cmd=["y"])
    assert c.layer_digests == a.layer_digests  # same files
    assert c.config_digest != a.config_digest and c.manifest_digest != a.manifest_digest
    d, _ = _build(tmp_path, name="app:2", cmd=["x"])
    assert d.manifest_digest == a.manifest_digest  # the name lives only in manifest.json


def test_archive_members_have_fixed_metadata(tmp_path: Path) -> None:
    built, _ = _build(tmp_path)
    with tarfile.open(built.archive) as tar:
        members = tar.getmembers()
    assert {(m.mtime, m.uid, m.gid, m.uname) for m in members} == {(946_684_800, 0, 0, "")}
    assert [m.name for m in members][:2] == ["blobs", "blobs/sha256"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "App:1"}, InvalidReference, "repository name must be lowercase"),
        ({"name": "a@sha256:" + "0" * 64}, InvalidReference, "needs a tag, not a digest"),
        ({"config": ImageConfig(env=["NOEQUALS"])}, ValueError, "is not KEY=VALUE"),
        ({"config": ImageConfig(working_dir="rel")}, ValueError, "is not absolute"),
        ({"config": ImageConfig(exposed_ports=["70000"])}, ValueError, "invalid exposed port"),
        ({"layers": []}, ValueError, "at least one layer"),
    ],
)
def test_rejects_bad_input(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    args: dict[str, Any] = {"name": "app:1", "layers": [BASE], "config": ImageConfig(), **kwargs}
    with pytest.raises(error, match=message):
        build_image(tmp_path / "x.tar", **args)
    assert not (tmp_path / "x.tar").exists()


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_rootfs_image_from_a_directory_only(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello").write_text("hi\n")
    built = build_rootfs_image(
        tmp_path / "d.tar", name="d:1", config=ImageConfig(), busybox=False, from_dir=src
    )
    assert len(built.layer_digests) == 1
    with pytest.raises(ValueError, match="needs --busybox, a directory, or both"):
        build_rootfs_image(tmp_path / "e.tar", name="e:1", config=ImageConfig(), busybox=False)


def test_failed_write_leaves_no_partial_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(tmp: Path, **_: object) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(build, "_write_tar", broken)
    with pytest.raises(OSError, match="disk full"):
        build_image(tmp_path / "x.tar", name="x:1", layers=[BASE], config=ImageConfig())
    assert sorted(p.name for p in tmp_path.iterdir()) == []
