"""Local images end to end: `steersman images` (as a subprocess) against a real containerd, and
the images run with `ctr run` (runc, no network)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from steersman.images.reference import matches
from steersman.images.sandbox import SANDBOX_IMAGE
from steersman.kubelet.runtime.containerd import Containerd
from tests.e2e.node.conftest import ctr


def steersman(c: Containerd, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "steersman.cli.main", "images", *args, "--address", str(c.address)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"steersman images {' '.join(args)}: {result.stderr}")
    return result


def ctr_run(c: Containerd, image: str, *args: str, detach: bool = False) -> list[str]:
    """`ctr run` with runc state and fifos under the node's own dir (not /run/containerd)."""
    return [
        "ctr",
        "--address",
        str(c.address),
        "-n",
        "k8s.io",
        "run",
        *(["-d"] if detach else ["--rm"]),
        "--snapshotter",
        c.snapshotter,
        "--runc-root",
        str(c.state / "ctr-runc"),
        "--fifo-dir",
        str(c.state / "ctr-fifo"),
        image,
        f"e2e-{uuid.uuid4().hex[:8]}",
        *args,
    ]


def listed(c: Containerd) -> dict[str, tuple[str, str]]:
    lines = steersman(c, "ls").stdout.splitlines()
    assert lines[0].split() == ["NAME", "DIGEST", "SIZE"]
    return {n: (d, s) for n, d, s in (line.split() for line in lines[1:])}


def test_containerd_started_and_is_reused(containerd: Containerd) -> None:
    assert containerd.pid is not None
    assert containerd.start_seconds is not None and containerd.start_seconds < 10
    print(f"containerd answered after {containerd.start_seconds:.3f}s ({containerd.snapshotter})")
    again = Containerd(containerd.base_dir)
    asyncio.run(again.start())
    assert again.pid is None  # found the running one, started nothing
    assert again.snapshotter == containerd.snapshotter
    asyncio.run(again.stop())
    assert asyncio.run(containerd.answers())


def test_sandbox_image_is_there(containerd: Containerd) -> None:
    assert SANDBOX_IMAGE in listed(containerd)


def test_build_import_ls_run_rm(containerd: Containerd, tmp_path: Path) -> None:
    archive = tmp_path / "hello.tar"
    begin = time.monotonic()
    built = steersman(
        containerd,
        "build",
        "-t",
        "e2e-hello:1",
        "--busybox",
        "--cmd",
        "sh -c 'echo hello $GREETING; pwd; id -u'",
        "--env",
        "GREETING=world",
        "--workdir",
        "/srv",
        "--user",
        "nobody",
        "-o",
        str(archive),
    ).stdout.split()
    build_seconds = time.monotonic() - begin
    name, digest = built[0], built[1]
    assert name == "e2e-hello:1"
    assert not any(matches(n, name) for n in listed(containerd))  # -o imports nothing

    begin = time.monotonic()
    [stored] = steersman(containerd, "import", str(archive)).stdout.split()
    # containerd stores the short name normalized, as the CRI plugin resolves pod images.
    assert stored.endswith("/library/e2e-hello:1") and matches(stored, name)
    name = stored
    import_seconds = time.monotonic() - begin
    print(f"build {build_seconds:.3f}s, import {import_seconds:.3f}s (CLI processes included)")
    assert listed(containerd)[name][0] == digest
    assert steersman(containerd, "ls", "-q").stdout.split().count(name) == 1

    run = subprocess.run(ctr_run(containerd, name), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "hello world\n/srv\n65534\n"

    # The short name finds it, as a pod's `image: e2e-hello:1` would.
    assert steersman(containerd, "rm", "e2e-hello:1").stdout == "deleted e2e-hello:1\n"
    assert name not in listed(containerd)
    content = ctr(containerd, "content", "ls", "-q").stdout.split()
    assert digest not in content  # nothing keeps the image's blobs alive any more
    again = steersman(containerd, "rm", "e2e-hello:1", check=False)
    assert (again.returncode, again.stderr) == (1, "error: e2e-hello:1: image not found\n")


def test_build_from_directory_imports_directly(containerd: Containerd, tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "app").mkdir(parents=True)
    script = app / "app" / "run.sh"
    script.write_text('#!/bin/sh\necho "from-dir $1 $(cat /app/data.txt)"\n')
    script.chmod(0o755)
    (app / "app" / "data.txt").write_text("42\n")
    out = steersman(
        containerd,
        "build",
        "-t",
        "steersman.local/e2e/app:v1",
        "--busybox",
        "--from",
        str(app),
        "--entrypoint",
        '["/app/run.sh"]',
        "--cmd",
        "first",
    ).stdout
    assert out.startswith("steersman.local/e2e/app:v1 sha256:") and out.endswith("(imported)\n")
    try:
        run = subprocess.run(
            ctr_run(containerd, "steersman.local/e2e/app:v1"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout == "from-dir first 42\n"
    finally:
        steersman(containerd, "rm", "steersman.local/e2e/app:v1")


def test_build_usage_errors(containerd: Containerd) -> None:
    none = steersman(containerd, "build", "-t", "x:1", check=False)
    assert none.returncode == 2 and "one of --busybox or --from DIR is required" in none.stderr
    bad = steersman(containerd, "build", "-t", "Bad:1", "--busybox", check=False)
    assert bad.returncode == 1
    assert "repository name must be lowercase" in bad.stderr


def _task_status(c: Containerd, task: str) -> str:
    for line in ctr(c, "tasks", "ls").stdout.splitlines()[1:]:
        words = line.split()
        if words and words[0] == task:
            return words[-1]
    return ""


def _task_pid(c: Containerd, task: str) -> int:
    for line in ctr(c, "tasks", "ls").stdout.splitlines()[1:]:
        words = line.split()
        if words and words[0] == task:
            return int(words[1])
    raise AssertionError(f"no task {task}")


def _zombie_children(parent: int) -> list[int]:
    """PIDs (host view) of `parent`'s children that have exited but were not reaped."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
        if fields.get("PPid") == str(parent) and fields.get("State", "").startswith("Z"):
            found.append(int(status.parent.name))
    return found


def test_pause_sleeps_reaps_and_exits_on_sigterm(containerd: Containerd) -> None:
    argv = ctr_run(containerd, SANDBOX_IMAGE)
    task = argv[-1]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while _task_status(containerd, task) != "RUNNING":
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "pause never ran"
            time.sleep(0.05)
        time.sleep(0.3)
        assert proc.poll() is None  # sleeps, does not exit by itself

        # An orphan of an exec'd process is re-parented to PID 1 (the pause shell): it must
        # be reaped, not left a zombie.
        fifo_dir = str(containerd.state / "ctr-fifo")
        exec_argv = ["--exec-id", "orphan", "--fifo-dir", fifo_dir, task, "sh", "-c", "sleep 0.2 &"]
        ctr(containerd, "tasks", "exec", *exec_argv)
        time.sleep(1.0)
        assert _zombie_children(_task_pid(containerd, task)) == []

        begin = time.monotonic()
        ctr(containerd, "tasks", "kill", "-s", "SIGTERM", task)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err  # `ctr run` exits with the container's status
        assert time.monotonic() - begin < 2.0
    finally:
        if proc.poll() is None:
            ctr(containerd, "tasks", "kill", "-s", "SIGKILL", task, check=False)
            proc.wait(10)
        ctr(containerd, "containers", "rm", task, check=False)


@pytest.mark.parametrize("signal_name", ["SIGINT"])
def test_pause_exits_on_sigint_too(containerd: Containerd, signal_name: str) -> None:
    argv = ctr_run(containerd, SANDBOX_IMAGE, detach=True)
    task = argv[-1]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)
    try:
        ctr(containerd, "tasks", "kill", "-s", signal_name, task)
        deadline = time.monotonic() + 2.0
        while _task_status(containerd, task) != "STOPPED":
            assert time.monotonic() < deadline, "pause ignored " + signal_name
            time.sleep(0.05)
    finally:
        ctr(containerd, "tasks", "kill", "-s", "SIGKILL", task, check=False)
        ctr(containerd, "tasks", "delete", "--force", task, check=False)
        ctr(containerd, "containers", "rm", task, check=False)


def test_no_containerd_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "steersman.cli.main", "images", "ls", "--address", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: no containerd socket at {tmp_path} (is the node running?)\n"
