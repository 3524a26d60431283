"""The sandbox image's shape (its behaviour as PID 1 is checked in tests/e2e/node)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from steersman.images.rootfs import BUSYBOX
from steersman.images.sandbox import PAUSE_SCRIPT, SANDBOX_IMAGE, build_sandbox_image
from steersman.kubelet.runtime.containerd import SANDBOX_IMAGE as CONFIGURED_SANDBOX_IMAGE


def test_the_node_config_names_the_image_we_build() -> None:
    assert SANDBOX_IMAGE == CONFIGURED_SANDBOX_IMAGE
    assert SANDBOX_IMAGE.split("/")[0].endswith(".local")  # local-looking, never pulled


@pytest.mark.skipif(not BUSYBOX.exists(), reason="busybox-static not installed")
def test_pause_image_is_sh_and_sleep_only(tmp_path: Path) -> None:
    built = build_sandbox_image(tmp_path / "pause.tar")
    assert built.name == SANDBOX_IMAGE
    with tarfile.open(built.archive) as tar:
        blobs = {m.name.rsplit("/", 1)[-1]: tar.extractfile(m) for m in tar if m.isfile()}
        config = json.load(blobs[built.config_digest.removeprefix("sha256:")])  # type: ignore[arg-type]
        layer = blobs[built.layer_digests[0].removeprefix("sha256:")]
        with tarfile.open(fileobj=layer, mode="r:gz") as fs:
            links = sorted(m.name for m in fs if m.issym())
    assert links == ["bin/sh", "bin/sleep"]
    assert config["config"]["Entrypoint"] == ["/bin/sh", "-c", PAUSE_SCRIPT]
    assert "Cmd" not in config["config"]
    assert build_sandbox_image(tmp_path / "again.tar").manifest_digest == built.manifest_digest
