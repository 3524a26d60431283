"""containerd config rendering and process lifecycle (with a stand-in binary; the real one is
exercised by tests/e2e/node)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from steersman.kubelet.runtime import containerd as ctd
from steersman.kubelet.runtime.containerd import Containerd, ContainerdError, render_config

CRI = "io.containerd.grpc.v1.cri"


def _config(tmp_path: Path, **kwargs: object) -> dict:
    text = render_config(
        root=tmp_path / "root",
        state=tmp_path / "state",
        address=tmp_path / 'sock "quoted"',
        sandbox_image="steersman.local/pause:3.10",
        cni_conf_dir=tmp_path / "net.d",
        **kwargs,  # type: ignore[arg-type]
    )
    return tomllib.loads(text)


def test_config_has_the_measured_fixes(tmp_path: Path) -> None:
    doc = _config(tmp_path)
    assert doc["version"] == 2
    assert doc["root"] == str(tmp_path / "root") and doc["state"] == str(tmp_path / "state")
    assert doc["grpc"]["address"] == str(tmp_path / 'sock "quoted"')
    assert doc["ttrpc"]["address"] == str(tmp_path / 'sock "quoted"') + ".ttrpc"
    cri = doc["plugins"][CRI]
    assert cri["sandbox_image"] == "steersman.local/pause:3.10"
    assert cri["restrict_oom_score_adj"] is True
    assert cri["disable_apparmor"] is True
    assert cri["containerd"]["snapshotter"] == "overlayfs"
    runc = cri["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"] == {"SystemdCgroup": False, "Root": str(tmp_path / "state" / "runc")}
    assert cri["cni"] == {
        "bin_dir": "/usr/lib/cni",
        "conf_dir": str(tmp_path / "net.d"),
        "max_conf_num": 1,
    }
    # Nothing outside the instance's own directories (the opt plugin defaults to /opt).
    assert doc["plugins"]["io.containerd.internal.v1.opt"]["path"] == str(tmp_path / "root/opt")


def test_config_options(tmp_path: Path) -> None:
    doc = _config(tmp_path, snapshotter="native", cni_bin_dir="/x/cni", runc_root=tmp_path / "r")
    cri = doc["plugins"][CRI]
    assert cri["containerd"]["snapshotter"] == "native"
    assert cri["cni"]["bin_dir"] == "/x/cni"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["Root"] == str(tmp_path / "r")


@pytest.fixture
def no_host_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The stand-in binary needs neither the netns dance nor a mount probe (both need root).
    monkeypatch.setattr(ctd, "prepare_netns_dir", lambda: None)
    monkeypatch.setattr(ctd, "overlayfs_works", lambda scratch: True)


def _fake(tmp_path: Path, script: str) -> str:
    path = tmp_path / "fake-containerd"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return str(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still "exists"; Popen reaped ours, so this means really running.
    return True


async def test_exit_at_start_reports_the_log_tail(tmp_path: Path, no_host_changes: None) -> None:
    binary = _fake(tmp_path, 'echo "level=fatal msg=\\"boom: $1 $2\\""; exit 3')
    c = Containerd(tmp_path / "node", binary=binary)
    with pytest.raises(ContainerdError) as err:
        await c.start()
    message = str(err.value)
    assert message.startswith("containerd exited with 3:")
    assert f"boom: --config {tmp_path / 'node' / 'config.toml'}" in message
    assert c.pid is None and not c.pid_path.exists()
    assert (tmp_path / "node" / "config.toml").exists()


async def test_no_answer_in_time_is_stopped(tmp_path: Path, no_host_changes: None) -> None:
    binary = _fake(tmp_path, f"echo $$ > {tmp_path}/pid; echo starting; exec sleep 30")
    c = Containerd(tmp_path / "node", binary=binary, start_timeout=0.3)
    with pytest.raises(ContainerdError) as err:
        await c.start()
    assert "did not answer at" in str(err.value) and "starting" in str(err.value)
    assert c.pid is None and not c.pid_path.exists()
    assert not _alive(int((tmp_path / "pid").read_text()))


async def test_stop_escalates_to_sigkill_and_only_our_pid(
    tmp_path: Path, no_host_changes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = _fake(tmp_path, "trap '' TERM; while :; do sleep 0.05; done")
    c = Containerd(tmp_path / "node", binary=binary)
    calls = iter([False, True])  # nothing at the socket yet; then "ours answers"

    async def answers(self: Containerd) -> bool:
        return next(calls)

    monkeypatch.setattr(Containerd, "answers", answers)
    await c.start()
    pid = c.pid
    assert pid is not None and _alive(pid)
    assert c.pid_path.read_text() == f"{pid}\n"
    assert c.start_seconds is not None and c.start_seconds < 5
    await c.stop(grace=0.3)
    assert c.pid is None and not c.pid_path.exists()
    assert not _alive(pid)
    await c.stop()  # idempotent


async def test_reuses_an_answering_instance(
    tmp_path: Path, no_host_changes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answers(self: Containerd) -> bool:
        return True

    monkeypatch.setattr(Containerd, "answers", answers)
    c = Containerd(tmp_path / "node", binary="/nonexistent/containerd")
    c.base_dir.mkdir()
    c.config_path.write_text(
        render_config(
            root=c.root,
            state=c.state,
            address=c.address,
            sandbox_image="x",
            cni_conf_dir=c.cni_conf_dir,
            snapshotter="native",
        )
    )
    await c.start()  # would fail if it tried to run the binary
    assert c.pid is None and c.start_seconds is None
    assert c.snapshotter == "native"  # what the running instance was configured with
    await c.stop()  # never stops what it did not start


async def test_socket_path_length_is_checked(tmp_path: Path) -> None:
    c = Containerd(tmp_path / ("d" * 120))
    with pytest.raises(ContainerdError, match="too long for a unix socket"):
        await c.start()
