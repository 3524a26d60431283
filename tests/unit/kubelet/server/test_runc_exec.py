"""`runc exec` against a real (containerd-less) runc container built from busybox-static."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from steersman.kubelet.server.runc_exec import RuncExec

BUSYBOX = shutil.which("busybox")
RUNC = shutil.which("runc")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or BUSYBOX is None or RUNC is None, reason="needs root, runc and busybox"
)


@pytest.fixture
def container(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    assert BUSYBOX is not None and RUNC is not None
    bundle = tmp_path / "bundle"
    rootfs = bundle / "rootfs"
    for d in ("bin", "proc", "dev", "sys", "tmp"):
        (rootfs / d).mkdir(parents=True)
    shutil.copy(BUSYBOX, rootfs / "bin" / "busybox")
    for applet in ("sh", "cat", "sleep", "stty", "tty", "echo"):
        (rootfs / "bin" / applet).symlink_to("busybox")
    subprocess.run([RUNC, "spec"], cwd=bundle, check=True)
    config = json.loads((bundle / "config.json").read_text())
    config["process"].update(terminal=False, args=["sleep", "300"])
    config["root"]["readonly"] = False
    config["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    (bundle / "config.json").write_text(json.dumps(config))
    root = tmp_path / "runc"
    name = f"steersman-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [RUNC, "--root", str(root), "run", "-d", name],
        cwd=bundle,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield root, name
    finally:
        subprocess.run([RUNC, "--root", str(root), "delete", "-f", name], check=False)


async def _drain(read: object) -> bytes:
    out = b""
    while chunk := await read():  # type: ignore[operator]
        out += chunk
    return out


async def test_exec_with_pipes(container: tuple[Path, str]) -> None:
    root, name = container
    proc = await RuncExec(root).exec(
        name, ["sh", "-c", "cat; echo err >&2; exit 5"], tty=False, stdin=True
    )
    await proc.write_stdin(b"through runc\n")
    await proc.close_stdin()
    assert await _drain(proc.read_stdout) == b"through runc\n"
    assert await _drain(proc.read_stderr) == b"err\n"
    assert await proc.wait() == 5


async def test_exec_with_a_terminal(container: tuple[Path, str]) -> None:
    root, name = container
    proc = await RuncExec(root).exec(name, ["sh"], tty=True, stdin=True)
    await proc.resize(101, 31)
    out = b""
    while b"# " not in out:  # the shell's prompt: typing now is echoed exactly once
        out += await proc.read_stdout()
    await proc.write_stdin(b"tty; stty size; exit 4\n")
    out += await _drain(proc.read_stdout)
    assert b"/dev/pts/" in out and b"31 101" in out
    # Echoed once, by the command's own terminal: ours (runc's side) is raw.
    assert out.count(b"tty; stty size; exit 4") == 1
    assert await proc.wait() == 4
    await proc.abandon()
