"""`steersman up` / `steersman down`: one command starts and supervises a local cluster.

Invariants:
- All state lives in the data dir: `pki/`, `state.db` (sqlite), `admin.kubeconfig`,
  `steersman.log` (detached), `up.pid` (the supervisor) and `<component>.pid` per child.
- Each component runs as its own child process; a child that dies is restarted (with
  backoff), so `kill -9` of the API server is survived without losing acknowledged writes.
- On SIGTERM/SIGINT the supervisor stops its children (SIGTERM, then SIGKILL after a grace
  period) and removes its pid files. It only ever signals processes it started.
- `--storage URL` puts the API server on that store (an existing etcd) instead of
  `state.db`. `--ha` runs a highly available control plane (cli/ha.py): three etcd members,
  three API servers behind HAProxy on the secure port, two schedulers and two controller
  managers (one leader each); every one of them is a supervised child like the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

READY_TIMEOUT = 30.0
STOP_GRACE = 5.0
KUBELET_STOP_GRACE = 60.0  # a clean kubelet stop removes every pod and stops containerd
POD_CIDR = "10.244.0.0/24"
DEFAULT_DIRS = Path("/var/lib/steersman")


def _kubelet_port() -> int:
    """10250 as Kubernetes uses, unless taken (another local cluster): then any free port —
    the API server reads it from the Node's daemonEndpoints."""
    for port in (10250, 0):
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port for the kubelet")


class Component:
    def __init__(
        self,
        name: str,
        argv: list[str],
        pid_file: Path,
        log_file: Path | None,
        *,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self.name = name
        self.argv = argv
        self.pid_file = pid_file
        self.log_file = log_file
        self.stop_grace = stop_grace
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.next_start = 0.0

    def start(self) -> None:
        out = open(self.log_file, "ab") if self.log_file else None
        self.proc = subprocess.Popen(
            self.argv,
            stdout=out or None,
            stderr=subprocess.STDOUT if out else None,
            stdin=subprocess.DEVNULL,
        )
        if out:
            out.close()
        self.pid_file.write_text(f"{self.proc.pid}\n")

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()


class Cluster:
    def __init__(
        self,
        data_dir: Path,
        *,
        secure_port: int = 6443,
        nodes: int = 1,
        pod_cidr: str = POD_CIDR,
        storage: str | None = None,
        ha: bool = False,
    ) -> None:
        if ha and storage:
            raise ValueError("--ha runs its own etcd cluster; it does not take --storage")
        self.storage = storage
        self.ha = ha
        self.data_dir = data_dir.resolve()
        self.secure_port = secure_port
        if nodes > 1:
            raise ValueError("--nodes above 1 is not supported yet (one node per machine)")
        self.nodes = nodes
        self.pod_cidr = pod_cidr
        self.node_name = socket.gethostname().lower()
        # Network plumbing named after the data dir, so clusters of different dirs (tests)
        # never share a bridge or a guard chain. Linux interface names have 15 characters.
        tag = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:8]
        self.bridge = "steersman0" if self.data_dir == DEFAULT_DIRS else f"st-{tag}"
        self.guard_chain = f"STEERSMAN-GUARD-{tag.upper()}"
        self.kubeconfig = self.data_dir / "admin.kubeconfig"
        self.pid_file = self.data_dir / "up.pid"
        self._stopping = False

    # -- set-up -------------------------------------------------------------
    def _prepare(self) -> None:
        from steersman.pki import ensure_pki
        from steersman.pki.kubeconfig import write_kubeconfig

        self.data_dir.mkdir(parents=True, exist_ok=True)
        hosts = ["127.0.0.1", "10.96.0.1"]
        if self.ha:
            from steersman.cli.ha import apiserver_addresses

            hosts += apiserver_addresses()
        pki = ensure_pki(self.data_dir / "pki", hosts=hosts)
        self.pki = pki
        if self.nodes >= 1:
            from steersman.kubelet.host import node_ip
            from steersman.pki.ca import ensure_kubelet_serving_cert

            self.kubelet_cert, self.kubelet_key = ensure_kubelet_serving_cert(
                pki, self.node_name, [self.node_name, node_ip(), "127.0.0.1"]
            )
        write_kubeconfig(
            self.kubeconfig,
            server=f"https://127.0.0.1:{self.secure_port}",
            ca_pem=pki.ca_cert.read_bytes(),
            cert_pem=pki.admin_cert.read_bytes(),
            key_pem=pki.admin_key.read_bytes(),
        )

    def apiserver_argv(self, storage: str, port: int, *, address: str = "127.0.0.1") -> list[str]:
        return [
            sys.executable,
            "-m",
            "steersman",
            "apiserver",
            "--storage",
            storage,
            "--secure-port",
            str(port),
            "--bind-address",
            address,
            "--advertise-address",
            address,
            "--pki-dir",
            str(self.data_dir / "pki"),
        ]

    def python_component(self, name: str) -> list[str]:
        """The command line of a control-plane component that only needs the kubeconfig."""
        return [sys.executable, "-m", "steersman", name, "--kubeconfig", str(self.kubeconfig)]

    def _components(self) -> list[Component]:
        if self.ha:
            from steersman.cli.ha import ha_components

            components = ha_components(self)
        else:
            components = self._control_plane()
        if self.nodes >= 1:
            components.append(self._kubelet())
        return components

    def _control_plane(self) -> list[Component]:
        log = self.data_dir / "apiserver.log"
        storage = self.storage or f"sqlite://{self.data_dir / 'state.db'}"
        argv = self.apiserver_argv(storage, self.secure_port)
        controller_manager = self.python_component("controller-manager")
        scheduler = self.python_component("scheduler")
        components = [
            Component("apiserver", argv, self.data_dir / "apiserver.pid", log),
            Component(
                "controller-manager",
                controller_manager,
                self.data_dir / "controller-manager.pid",
                self.data_dir / "controller-manager.log",
            ),
            Component(
                "scheduler",
                scheduler,
                self.data_dir / "scheduler.pid",
                self.data_dir / "scheduler.log",
            ),
        ]
        return components

    def _kubelet(self) -> Component:
        kubelet = [
            sys.executable,
            "-m",
            "steersman",
            "kubelet",
            "--kubeconfig",
            str(self.kubeconfig),
            "--node-name",
            self.node_name,
            "--root-dir",
            str(self.data_dir / "kubelet"),
            "--containerd-dir",
            str(self.data_dir / "containerd"),
            "--pod-cidr",
            self.pod_cidr,
            "--cni-bridge",
            self.bridge,
            "--egress-guard-chain",
            self.guard_chain,
            "--pod-manifest-path",
            str(self.data_dir / "manifests"),
            "--port",
            str(_kubelet_port()),
            "--tls-cert-file",
            str(self.kubelet_cert),
            "--tls-private-key-file",
            str(self.kubelet_key),
            "--client-ca-file",
            str(self.pki.ca_cert),
        ]
        return Component(
            "kubelet",
            kubelet,
            self.data_dir / "kubelet.pid",
            self.data_dir / "kubelet.log",
            stop_grace=KUBELET_STOP_GRACE,
        )

    def _running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def _ready(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{self.secure_port}/readyz", context=ctx, timeout=1
            ) as resp:
                return bool(resp.status == 200)
        except (OSError, ValueError):
            return False

    def _node_ready(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        ctx.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        url = f"https://127.0.0.1:{self.secure_port}/api/v1/nodes/{self.node_name}"
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=2) as resp:
                node = json.load(resp)
        except (OSError, ValueError):
            return False
        return any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (node.get("status") or {}).get("conditions") or []
        )

    def _wait_ready(self, alive: object = None) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._ready() and (self.nodes < 1 or self._node_ready()):
                return True
            if callable(alive) and not alive():
                return False
            time.sleep(0.05)
        return False

    def _banner(self) -> None:
        print(f"steersman is ready at https://127.0.0.1:{self.secure_port}", flush=True)
        print(f"export KUBECONFIG={self.kubeconfig}", flush=True)

    # -- up -----------------------------------------------------------------
    def up(self, *, detach: bool) -> int:
        if self._running_pid() is not None:
            print(
                f"steersman is already running for {self.data_dir} (pid {self._running_pid()})",
                file=sys.stderr,
            )
            return 1
        self._prepare()
        if detach:
            return self._detach()
        return self._supervise()

    def _detach(self) -> int:
        log = open(self.data_dir / "steersman.log", "ab")
        argv = [
            sys.executable,
            "-m",
            "steersman",
            "up",
            "--data-dir",
            str(self.data_dir),
            "--secure-port",
            str(self.secure_port),
            "--nodes",
            str(self.nodes),
            "--pod-cidr",
            self.pod_cidr,
        ]
        if self.storage:
            argv += ["--storage", self.storage]
        if self.ha:
            argv.append("--ha")
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        if not self._wait_ready(alive=lambda: proc.poll() is None):
            print(
                f"steersman did not become ready; see {self.data_dir / 'steersman.log'}",
                file=sys.stderr,
            )
            return 1
        self._banner()
        return 0

    def _supervise(self) -> int:
        self.pid_file.write_text(f"{os.getpid()}\n")
        components = self._components()

        def stop(signum: int, _frame: object) -> None:
            self._stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            for c in components:
                c.start()
            if self.ha:
                # A replicated control plane rides out a member that dies while the others
                # start (a race at bootstrap, etcd still electing): restart it and go on.
                def alive() -> bool:
                    self._restart_exited(components)
                    return True
            else:

                def alive() -> bool:
                    return all(c.proc is not None and c.proc.poll() is None for c in components)

            if not self._wait_ready(alive=alive):
                print(f"steersman did not become ready; see {self.data_dir}/*.log", file=sys.stderr)
                return 1
            self._banner()
            while not self._stopping:
                self._restart_exited(components)
                time.sleep(0.1)
            return 0
        finally:
            for c in reversed(components):
                c.stop()
            with contextlib.suppress(FileNotFoundError):
                self.pid_file.unlink()

    @staticmethod
    def _restart_exited(components: list[Component]) -> None:
        """Start again, with backoff, every component whose process has exited."""
        for c in components:
            if (
                c.proc is not None
                and c.proc.poll() is not None
                and time.monotonic() >= c.next_start
            ):
                c.restarts += 1
                print(
                    f"{c.name} exited with {c.proc.returncode}; restarting",
                    file=sys.stderr,
                    flush=True,
                )
                c.next_start = time.monotonic() + min(10.0, 0.1 * 2 ** min(c.restarts, 7))
                c.start()

    # -- down ---------------------------------------------------------------
    def down(self) -> int:
        pid = self._running_pid()
        if pid is None:
            print(f"steersman is not running for {self.data_dir}", file=sys.stderr)
            return 1
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE * 3
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                print("steersman stopped")
                return 0
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        print("steersman killed")
        return 0
