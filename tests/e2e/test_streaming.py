"""kubectl logs / exec / attach / port-forward / cp against `steersman up`'s API server and a
kubelet server registered as a Node (its host is the fake of tests/integration/streaming:
local processes and CRI log files written here, so no containers are needed).

The API server must have been started with kubelet client credentials (ApiServer passes
`kubelet_client` to build_app); until it is, these tests skip with that reason.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import pty
import select
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from steersman.kubelet.server import KubeletServer, build_ssl_context
from steersman.pki import Pki
from steersman.pki.ca import ensure_kubelet_serving_cert
from tests.e2e.harness import KUBECTL, Cluster
from tests.integration.streaming.fake_host import FakeHost

pytestmark = pytest.mark.e2e

NODE = "e2e-stream-node"
T = TypeVar("T")


class Kubelet:
    """A KubeletServer on its own event loop thread, registered as Node NODE."""

    def __init__(self, cluster: Cluster, root: Path) -> None:
        self.cluster = cluster
        self.host = FakeHost(root)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        pki = Pki.at(cluster.data_dir / "pki")
        cert, key = ensure_kubelet_serving_cert(pki, NODE, ["127.0.0.1"], out_dir=root / "pki")
        self.server = KubeletServer(
            self.host,
            address="127.0.0.1",
            port=0,
            ssl_context=build_ssl_context(cert, key, pki.ca_cert),
        )

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def start(self) -> None:
        self.thread.start()
        self.run(self.server.start())
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}}
        self.cluster.kubectl("create", "-f", "-", input=json.dumps(node))
        status = {
            "status": {
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.server.port}},
            }
        }
        self.cluster.kubectl(
            "patch", "node", NODE, "--subresource=status", "--type=merge", "-p", json.dumps(status)
        )

    def stop(self) -> None:
        async def _stop() -> None:
            await self.host.close()
            await self.server.stop()

        try:
            self.run(_stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.cluster.kubectl("delete", "node", NODE, "--wait=false", check=False)


@pytest.fixture(scope="module")
def kubelet(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubelet]:
    k = Kubelet(cluster, tmp_path_factory.mktemp("stream-kubelet"))
    k.start()
    try:
        yield k
    finally:
        k.stop()


@pytest.fixture(scope="module")
def ns(cluster: Cluster, kubelet: Kubelet) -> Iterator[str]:
    name = f"e2e-streaming-{uuid.uuid4().hex[:6]}"
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    cluster.kubectl("create", "-f", "-", input=json.dumps(manifest))
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def _pod(
    cluster: Cluster, kubelet: Kubelet, ns: str, name: str, containers: tuple[str, ...] = ("main",)
) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "nodeName": NODE,
            "containers": [{"name": c, "image": "busybox:1.35", "stdin": True} for c in containers],
        },
    }
    deadline = time.monotonic() + 10
    while True:  # the ServiceAccount admission needs the namespace's default account first
        res = cluster.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(pod), check=False)
        if res.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert res.returncode == 0, res.stderr
    kubelet.host.add_pod(json.loads(res.stdout))
    status = {
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": c,
                    "ready": True,
                    "restartCount": 0,
                    "image": "busybox:1.35",
                    "imageID": "",
                    "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}},
                }
                for c in containers
            ],
        }
    }
    cluster.kubectl(
        "patch",
        "pod",
        name,
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(status),
    )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def _read_until(fd: int, needle: bytes, timeout: float = 15.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while needle not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen in {data!r}")
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


@pytest.fixture(scope="module")
def wired(cluster: Cluster, kubelet: Kubelet, ns: str) -> None:
    """Skip unless the API server can reach kubelets (it has kubelet client credentials)."""
    _pod(cluster, kubelet, ns, "probe")
    res = cluster.kubectl("get", "--raw", f"/api/v1/nodes/{NODE}/proxy/healthz", check=False)
    if "no kubelet client credentials" in res.stderr:
        pytest.skip("the API server was started without kubelet client credentials")
    assert res.stdout == "ok", res.stderr


def test_logs(cluster: Cluster, kubelet: Kubelet, ns: str, wired: None) -> None:
    _pod(cluster, kubelet, ns, "logs", ("main", "side"))
    kubelet.host.write_log(ns, "logs", "main", 0, ["2020-01-01T00:00:00Z stdout F old"])
    kubelet.host.write_log(ns, "logs", "main", 0, [f"{_now()} stdout F a", f"{_now()} stderr F b"])
    kubelet.host.write_log(ns, "logs", "side", 0, [f"{_now()} stdout F from side"])
    assert cluster.kubectl("logs", "logs", "-n", ns, "-c", "main").stdout == "old\na\nb\n"
    assert cluster.kubectl("logs", "logs", "-n", ns, "-c", "side").stdout == "from side\n"
    assert cluster.kubectl("logs", "logs", "-n", ns, "-c", "main", "--tail=1").stdout == "b\n"
    assert cluster.kubectl("logs", "logs", "-n", ns, "-c", "main", "--since=1h").stdout == "a\nb\n"
    stamped = cluster.kubectl("logs", "logs", "-n", ns, "-c", "main", "--timestamps").stdout
    assert stamped.startswith("2020-01-01T00:00:00.000000000Z old\n")
    res = cluster.kubectl("logs", "logs", "-n", ns, "-c", "main", "--previous", check=False)
    assert 'previous terminated container "main" in pod "logs" not found' in res.stderr
    kubelet.host.pods[(ns, "logs")].containers["main"].restart_count = 1
    kubelet.host.write_log(ns, "logs", "main", 1, [f"{_now()} stdout F second run"])
    assert cluster.kubectl("logs", "logs", "-n", ns, "-c", "main", "-p").stdout == "old\na\nb\n"
    follow = subprocess.Popen(
        [KUBECTL, "logs", "-f", "logs", "-n", ns, "-c", "main"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cluster.env(),
    )
    try:
        assert follow.stdout is not None
        _read_until(follow.stdout.fileno(), b"second run\n")
        kubelet.host.write_log(ns, "logs", "main", 1, [f"{_now()} stdout F streamed"])
        _read_until(follow.stdout.fileno(), b"streamed\n")
        kubelet.host.pods[(ns, "logs")].containers["main"].running = False
        assert follow.wait(timeout=15) == 0
    finally:
        follow.kill()
        follow.wait()


def test_exec(cluster: Cluster, kubelet: Kubelet, ns: str, wired: None) -> None:
    _pod(cluster, kubelet, ns, "exec")
    res = cluster.kubectl(
        "exec", "exec", "-n", ns, "--", "sh", "-c", "echo out; echo err >&2; exit 2", check=False
    )
    assert (res.returncode, res.stdout) == (2, "out\n")
    assert res.stderr.endswith("command terminated with exit code 2\n")
    piped = cluster.kubectl("exec", "-i", "exec", "-n", ns, "--", "cat", input="stdin works\n")
    assert piped.stdout == "stdin works\n"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [KUBECTL, "exec", "-it", "exec", "-n", ns, "--", "sh"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=cluster.env(),
        start_new_session=True,
    )
    os.close(slave)
    try:
        os.write(master, b"echo $((6*7))\n")
        _read_until(master, b"42")
        os.write(master, b"exit 3\n")
        assert proc.wait(timeout=15) == 3
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def test_attach(cluster: Cluster, kubelet: Kubelet, ns: str, wired: None) -> None:
    _pod(cluster, kubelet, ns, "attach")
    proc = subprocess.Popen(
        [KUBECTL, "attach", "-i", "attach", "-n", ns],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cluster.env(),
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"hello\n")
        proc.stdin.flush()
        _read_until(proc.stdout.fileno(), b"got:hello")
    finally:
        proc.kill()
        proc.wait()


def test_port_forward(cluster: Cluster, kubelet: Kubelet, ns: str, wired: None) -> None:
    _pod(cluster, kubelet, ns, "pf")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"pong:" + conn.recv(100))

    threading.Thread(target=serve, daemon=True).start()
    proc = subprocess.Popen(
        [KUBECTL, "port-forward", "pod/pf", "-n", ns, f":{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cluster.env(),
    )
    try:
        assert proc.stdout is not None
        head = _read_until(proc.stdout.fileno(), f"-> {port}".encode()).decode()
        local = int(head.split("127.0.0.1:")[1].split(" ")[0])
        with socket.create_connection(("127.0.0.1", local), timeout=10) as conn:
            conn.sendall(b"ping")
            assert conn.recv(100) == b"pong:ping"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.close()


def test_cp(cluster: Cluster, kubelet: Kubelet, ns: str, wired: None, tmp_path: Path) -> None:
    _pod(cluster, kubelet, ns, "cp")
    (tmp_path / "in.txt").write_text("to the pod\n")
    cluster.kubectl("cp", str(tmp_path / "in.txt"), f"{ns}/cp:in.txt")
    assert (kubelet.host.rootfs("cp", "main") / "in.txt").read_text() == "to the pod\n"
    (kubelet.host.rootfs("cp", "main") / "out.txt").write_text("from the pod\n")
    cluster.kubectl("cp", f"{ns}/cp:out.txt", str(tmp_path / "out.txt"))
    assert (tmp_path / "out.txt").read_text() == "from the pod\n"
