"""hostPath type checks and their messages."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from steersman.kubelet.volumes.host_path import HostPathPlugin
from steersman.kubelet.volumes.interface import VolumeError
from tests.unit.kubelet.volumes.fake_lookup import FakeLookup

POD = {"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {"containers": []}}


async def setup(path: Path | str, path_type: str | None) -> None:
    source: dict = {"path": str(path)}
    if path_type is not None:
        source["type"] = path_type
    await HostPathPlugin().setup(
        POD, {"name": "h", "hostPath": source}, Path("/unused"), FakeLookup()
    )


async def fails(path: Path | str, path_type: str | None) -> str:
    with pytest.raises(VolumeError) as err:
        await setup(path, path_type)
    return str(err.value)


async def test_create_types(tmp_path: Path) -> None:
    d = tmp_path / "a" / "b"
    await setup(d, "DirectoryOrCreate")
    assert d.is_dir() and (d.stat().st_mode & 0o777) == 0o755 & ~_umask()
    f = tmp_path / "file"
    await setup(f, "FileOrCreate")
    assert f.is_file() and f.read_bytes() == b""
    await setup(f, "FileOrCreate")  # exists: checked, not recreated
    assert await fails(tmp_path / "no" / "file", "FileOrCreate") == (
        f"open {tmp_path}/no/file: no such file or directory"
    )
    assert await fails(f, "DirectoryOrCreate") == (
        f"hostPath type check failed: {f} is not a directory"
    )
    assert await fails(d, "FileOrCreate") == f"hostPath type check failed: {d} is not a file"


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


async def test_check_types(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    missing = tmp_path / "missing"
    await setup(tmp_path, "Directory")
    await setup(f, "File")
    await setup(missing, None)  # no type: nothing is checked
    await setup(missing, "")
    await setup("/dev/null", "CharDevice")
    assert await fails(f, "Directory") == f"hostPath type check failed: {f} is not a directory"
    assert await fails(tmp_path, "File") == f"hostPath type check failed: {tmp_path} is not a file"
    assert await fails(missing, "Directory") == f'path "{missing}" does not exist'
    assert await fails(missing, "Socket") == f'path "{missing}" does not exist'
    assert await fails(f, "Socket") == f"hostPath type check failed: {f} is not a socket file"
    assert await fails(f, "CharDevice") == (
        f"hostPath type check failed: {f} is not a character device"
    )
    assert await fails("/dev/null", "BlockDevice") == (
        "hostPath type check failed: /dev/null is not a block device"
    )
    assert await fails(f, "Fifo") == "Fifo is an invalid volume type"
    assert (
        await fails("/var/../etc", None) == "invalid HostPath `/var/../etc`: must not contain '..'"
    )


async def test_socket_and_symlinks(tmp_path: Path) -> None:
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        await setup(sock_path, "Socket")
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    await setup(link, "Directory")  # types are checked through symlinks


async def test_teardown_and_path_leave_the_node_alone(tmp_path: Path) -> None:
    plugin = HostPathPlugin()
    volume = {"name": "h", "hostPath": {"path": str(tmp_path)}}
    assert plugin.get_path(POD, volume, Path("/ignored")) == tmp_path
    await plugin.teardown(tmp_path)
    assert tmp_path.is_dir()
