"""containerd's configuration and lifecycle, owned by the node (no systemd here: DESIGN §5).

Invariants:
- Everything of one instance lives under its base dir: `config.toml`, `root/` (content,
  snapshots, metadata), `state/` (runtime state, runc root), `containerd.sock` (+ `.ttrpc`),
  `containerd.log`, `containerd.pid`. Two nodes are two base dirs.
- The CRI config carries the fixes measured on these machines: restrict_oom_score_adj (no
  CAP_SYS_RESOURCE), disable_apparmor, runc with cgroupfs (SystemdCgroup = false), CNI plugins
  from /usr/lib/cni, and a locally imported sandbox image (nothing is ever pulled).
- `start()` reuses a containerd that already answers at the socket and then never stops it;
  otherwise it starts one (in its own session, so a terminal's Ctrl-C reaches only us) and
  `stop()` signals exactly that PID: SIGTERM, then SIGKILL after a grace period. Shims of
  still-running containers outlive containerd by design; callers remove their pods first.
- Process handling is synchronous (`subprocess.Popen`) with async waiting, so one object may be
  started in one event loop and stopped in another (session-scoped test fixtures do that).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import tomllib
from pathlib import Path

log = logging.getLogger(__name__)

# The name images/sandbox.py builds the pause image under (local-looking, never pulled).
SANDBOX_IMAGE = "steersman.local/pause:3.10"
CNI_BIN_DIR = Path("/usr/lib/cni")
START_TIMEOUT = 10.0
STOP_GRACE = 10.0
# sun_path is 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107
_UNUSED_SNAPSHOTTERS = ("aufs", "btrfs", "devmapper", "zfs")


class ContainerdError(RuntimeError):
    """containerd did not start (the message carries the tail of its log)."""


def _toml_string(value: str | Path) -> str:
    # A JSON string literal is a valid TOML basic string (same escapes).
    return json.dumps(str(value))


def render_config(
    *,
    root: Path,
    state: Path,
    address: Path,
    sandbox_image: str,
    cni_conf_dir: Path,
    cni_bin_dir: Path | str = CNI_BIN_DIR,
    snapshotter: str = "overlayfs",
    runc_root: Path | None = None,
) -> str:
    """containerd 1.6 config (version 2) for one node's instance."""
    s = _toml_string
    cri = '[plugins."io.containerd.grpc.v1.cri"'
    disabled = ", ".join(s(f"io.containerd.snapshotter.v1.{n}") for n in _UNUSED_SNAPSHOTTERS)
    lines = [
        "version = 2",
        f"root = {s(root)}",
        f"state = {s(state)}",
        f"disabled_plugins = [{disabled}]",
        "",
        "[grpc]",
        f"  address = {s(address)}",
        "",
        "[ttrpc]",
        f"  address = {s(str(address) + '.ttrpc')}",
        "",
        "[debug]",
        '  level = "info"',
        "",
        # The default would create /opt/containerd; keep every byte under our own root.
        '[plugins."io.containerd.internal.v1.opt"]',
        f"  path = {s(root / 'opt')}",
        "",
        f"{cri}]",
        f"  sandbox_image = {s(sandbox_image)}",
        "  restrict_oom_score_adj = true",
        "  disable_apparmor = true",
        "  enable_selinux = false",
        '  stream_server_address = "127.0.0.1"',
        '  stream_server_port = "0"',
        "",
        f"{cri}.containerd]",
        f"  snapshotter = {s(snapshotter)}",
        '  default_runtime_name = "runc"',
        "",
        f"{cri}.containerd.runtimes.runc]",
        '  runtime_type = "io.containerd.runc.v2"',
        "",
        f"{cri}.containerd.runtimes.runc.options]",
        "  SystemdCgroup = false",
        f"  Root = {s(runc_root or state / 'runc')}",
        "",
        f"{cri}.cni]",
        f"  bin_dir = {s(cni_bin_dir)}",
        f"  conf_dir = {s(cni_conf_dir)}",
        "  max_conf_num = 1",
        "",
    ]
    return "\n".join(lines)


def overlayfs_works(scratch: Path) -> bool:
    """Whether an overlay mount with upper/work dirs on `scratch`'s filesystem succeeds.

    containerd's overlayfs snapshotter needs exactly this; on a filesystem that cannot be an
    overlay upper layer the node falls back to the (slower, copying) native snapshotter.
    """
    if shutil.which("mount") is None:
        return False
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="overlay-probe-", dir=scratch) as tmp:
        t = Path(tmp)
        for d in ("lower", "upper", "work", "merged"):
            (t / d).mkdir()
        opts = f"lowerdir={t / 'lower'},upperdir={t / 'upper'},workdir={t / 'work'}"
        mounted = subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o", opts, str(t / "merged")],
            capture_output=True,
        )
        if mounted.returncode != 0:
            return False
        subprocess.run(["umount", str(t / "merged")], capture_output=True, check=True)
        return True


def prepare_netns_dir() -> None:
    """`ip netns add x && ip netns del x` once before containerd starts (DESIGN §5).

    iproute2 makes /run/netns a shared bind mount on first use. If that first use comes after
    containerd has mounted pod namespaces there, the new mount shadows them and pod teardown
    fails with "device or resource busy"; doing it first makes the mount exist already.
    """
    name = f"steersman-init-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    subprocess.run(["ip", "netns", "del", name], check=True, capture_output=True)


def configured_snapshotter(config_path: Path) -> str:
    """The CRI snapshotter in a config `render_config` wrote ("" when there is none)."""
    try:
        doc = tomllib.loads(config_path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    cri = doc.get("plugins", {}).get("io.containerd.grpc.v1.cri", {})
    value = cri.get("containerd", {}).get("snapshotter", "")
    return value if isinstance(value, str) else ""


async def ctr(address: Path, *args: str, namespace: str = "k8s.io", timeout: float = 60.0) -> str:
    """Run `ctr --address ADDRESS -n NAMESPACE ARGS...`; its stdout, or ContainerdError."""
    proc = await asyncio.create_subprocess_exec(
        "ctr",
        "--address",
        str(address),
        "-n",
        namespace,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise ContainerdError(f"ctr {' '.join(args)}: no answer within {timeout:g}s") from None
    if proc.returncode != 0:
        raise ContainerdError(f"ctr {' '.join(args)}: {err.decode(errors='replace').strip()}")
    return out.decode()


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Containerd:
    """One containerd instance under `base_dir` (started here, or found already running)."""

    def __init__(
        self,
        base_dir: Path,
        *,
        sandbox_image: str = SANDBOX_IMAGE,
        cni_conf_dir: Path | None = None,
        cni_bin_dir: Path = CNI_BIN_DIR,
        start_timeout: float = START_TIMEOUT,
        binary: str = "containerd",
    ) -> None:
        self.base_dir = base_dir
        self.binary = binary
        self.sandbox_image = sandbox_image
        self.cni_conf_dir = cni_conf_dir or base_dir / "net.d"
        self.cni_bin_dir = cni_bin_dir
        self.start_timeout = start_timeout
        self.root = base_dir / "root"
        self.state = base_dir / "state"
        self.runc_root = self.state / "runc"
        self.config_path = base_dir / "config.toml"
        self.log_path = base_dir / "containerd.log"
        self.pid_path = base_dir / "containerd.pid"
        self.snapshotter = ""
        self.start_seconds: float | None = None  # measured time until the socket answered
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> Path:
        return self.base_dir / "containerd.sock"

    @property
    def pid(self) -> int | None:
        """The PID of the containerd this object started (None when reused or stopped)."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    async def answers(self) -> bool:
        if not self.address.is_socket():
            return False
        try:
            await ctr(self.address, "version", timeout=5.0)
        except ContainerdError:
            return False
        return True

    async def start(self) -> None:
        if len(str(self.address)) + len(".ttrpc") > MAX_SOCKET_PATH:
            raise ContainerdError(f"socket path {self.address} is too long for a unix socket")
        if await self.answers():
            self.snapshotter = configured_snapshotter(self.config_path)
            log.info("reusing the containerd answering at %s", self.address)
            return
        await asyncio.to_thread(self._prepare)
        begin = time.monotonic()
        with self.log_path.open("ab") as log_file:
            self._proc = subprocess.Popen(
                [self.binary, "--config", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self._proc.pid}\n")
        deadline = begin + self.start_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                self._forget()
                raise ContainerdError(f"containerd exited with {code}:\n{self.log_tail()}")
            if await self.answers():
                break
            if time.monotonic() > deadline:
                await self.stop()
                raise ContainerdError(
                    f"containerd did not answer at {self.address} within "
                    f"{self.start_timeout:g}s:\n{self.log_tail()}"
                )
            await asyncio.sleep(0.02)
        self.start_seconds = time.monotonic() - begin
        log.info(
            "containerd %d answers at %s after %.3fs (snapshotter %s)",
            self._proc.pid,
            self.address,
            self.start_seconds,
            self.snapshotter,
        )

    def _prepare(self) -> None:
        for d in (self.base_dir, self.root, self.state, self.cni_conf_dir):
            d.mkdir(parents=True, exist_ok=True)
        prepare_netns_dir()
        self.snapshotter = "overlayfs" if overlayfs_works(self.root) else "native"
        self.config_path.write_text(
            render_config(
                root=self.root,
                state=self.state,
                address=self.address,
                sandbox_image=self.sandbox_image,
                cni_conf_dir=self.cni_conf_dir,
                cni_bin_dir=self.cni_bin_dir,
                snapshotter=self.snapshotter,
                runc_root=self.runc_root,
            )
        )
        # A socket left by a killed instance would make containerd fail to listen.
        for sock in (self.address, Path(str(self.address) + ".ttrpc")):
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISSOCK(sock.lstat().st_mode):
                    sock.unlink()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop the containerd this object started (nothing, if it reused one)."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            if not await self._wait(proc, grace):
                log.warning("containerd %d ignored SIGTERM for %gs; killing it", proc.pid, grace)
                proc.kill()
                await self._wait(proc, grace)
        self._forget()

    async def stop_recorded(self, grace: float = STOP_GRACE) -> None:
        """Stop the containerd whose PID an earlier start under this dir recorded (one this
        object reused), if that process is still a containerd running our config."""
        try:
            pid = int(self.pid_path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if str(self.config_path).encode() not in cmdline:
            return  # the PID was reused by some other process: not ours to signal
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _alive(pid):
            if time.monotonic() > deadline:
                log.warning("containerd %d ignored SIGTERM for %gs; killing it", pid, grace)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                break
            await asyncio.sleep(0.02)
        self._forget()

    def _forget(self) -> None:
        self._proc = None
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()

    @staticmethod
    async def _wait(proc: subprocess.Popen[bytes], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
