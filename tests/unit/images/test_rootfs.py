"""Root filesystems: the busybox base and directory layers."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import pytest

from steersman.images.layer import write_layer
from steersman.images.rootfs import BUSYBOX, busybox_applets, busybox_entries, directory_entries

needs_busybox = pytest.mark.skipif(not BUSYBOX.exists(), reason="busybox-static not installed")


@needs_busybox
def test_busybox_rootfs_has_applets_config_and_mount_points() -> None:
    entries = {e.path: e for e in busybox_entries()}
    assert entries["bin/busybox"].source == BUSYBOX and entries["bin/busybox"].mode == 0o755
    for applet in ("bin/sh", "bin/sleep", "bin/echo"):
        assert entries[applet].type == "symlink" and entries[applet].linkname == "/bin/busybox"
    links = {e.path for e in entries.values() if e.type == "symlink"}
    assert links == set(busybox_applets()) - {"bin/busybox"}  # it lists itself too
    for d in ("dev", "proc", "sys", "tmp", "etc", "usr/bin", "usr/sbin", "sbin"):
        assert entries[d].type == "dir"
    assert entries["tmp"].mode == 0o1777
    assert entries["etc/passwd"].data is not None
    assert entries["etc/passwd"].data.startswith(b"root:x:0:0:")
    assert entries["etc/group"].data is not None
    assert b"nobody:x:65534:" in entries["etc/group"].data


@needs_busybox
def test_busybox_applet_subset(tmp_path: Path) -> None:
    entries = busybox_entries(applets=["bin/sh", "usr/local/bin/x"])
    links = sorted(e.path for e in entries if e.type == "symlink")
    assert links == ["bin/sh", "usr/local/bin/x"]
    assert any(e.path == "usr/local/bin" and e.type == "dir" for e in entries)
    write_layer(entries, tmp_path / "l")  # every parent exists: no duplicate, valid tar


def test_directory_layer_keeps_modes_links_and_hardlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "z.txt").write_text("z")
    os.link(root / "z.txt", root / "a" / "hard")  # sorted first: must become the file
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o750)
    (root / "link").symlink_to("a/hard")
    os.mkfifo(root / "pipe")
    layer = write_layer(directory_entries(root), tmp_path / "layer.tgz")
    out = tmp_path / "out"
    with tarfile.open(layer.path, "r:gz") as tar:
        names = [m.name for m in tar.getmembers()]
        tar.extractall(out, filter="tar")
    assert names == ["a", "a/hard", "link", "pipe", "run.sh", "z.txt"]
    assert (out / "z.txt").read_text() == "z"
    assert os.stat(out / "z.txt").st_ino == os.stat(out / "a" / "hard").st_ino
    assert os.readlink(out / "link") == "a/hard"
    assert (os.stat(out / "run.sh").st_mode & 0o777) == 0o750


def test_directory_layer_ignores_owner_and_time(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "f").write_text("same")
    one = write_layer(directory_entries(root), tmp_path / "one")
    os.utime(root / "f", (1, 1))
    if os.geteuid() == 0:
        os.chown(root / "f", 1234, 1234)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    two = write_layer(directory_entries(copy), tmp_path / "two")
    assert one.digest == two.digest


def test_directory_layer_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        directory_entries(tmp_path / "missing")
