"""The real kubectl against the API server and a kubelet server: logs, exec, attach,
port-forward and cp, through the production path (API server → kubelet over TLS with client
certificates; upgraded connections spliced), with a fake host doing the container work."""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import pty
import select
import socket
import struct
import subprocess
import termios
import time
from collections.abc import Callable

import pytest

from tests.integration.streaming.harness import KUBECTL, StreamingCluster

NS = "default"


def _now(offset: float = 0.0) -> str:
    t = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _read_until(fd: int, needle: bytes, timeout: float = 10.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while needle not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen in {data!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


# -- logs -----------------------------------------------------------------------------


def test_logs_plain_timestamps_and_partial_records(cluster: StreamingCluster) -> None:
    cluster.create_pod("logs-plain")
    cluster.host.write_log(
        NS,
        "logs-plain",
        "main",
        0,
        [
            "2024-01-01T00:00:00.123400000Z stdout F hello",
            "2024-01-01T00:00:01Z stderr P par",
            "2024-01-01T00:00:01.5Z stderr F tial",
            "not a cri record",
        ],
    )
    plain = cluster.kubectl("logs", "logs-plain")
    assert plain.stdout == b"hello\npartial\n"
    stamped = cluster.kubectl("logs", "logs-plain", "--timestamps")
    assert stamped.stdout == (
        b"2024-01-01T00:00:00.123400000Z hello\n2024-01-01T00:00:01.000000000Z partial\n"
    )


def test_logs_tail_since_and_limit(cluster: StreamingCluster) -> None:
    cluster.create_pod("logs-opts")
    old = "2020-01-01T00:00:00Z"
    records = [f"{old} stdout F old-{i}" for i in range(3)]
    records += [f"{_now()} stdout F new-{i}" for i in range(3)]
    cluster.host.write_log(NS, "logs-opts", "main", 0, records)
    assert cluster.kubectl("logs", "logs-opts", "--tail=2").stdout == b"new-1\nnew-2\n"
    assert cluster.kubectl("logs", "logs-opts", "--tail=0").stdout == b""
    assert cluster.kubectl("logs", "logs-opts", "--since=1h").stdout == b"new-0\nnew-1\nnew-2\n"
    since_time = "2021-01-01T00:00:00Z"
    out = cluster.kubectl("logs", "logs-opts", f"--since-time={since_time}").stdout
    assert out == b"new-0\nnew-1\nnew-2\n"
    assert cluster.kubectl("logs", "logs-opts", "--limit-bytes=8").stdout == b"old-0\nol"


def test_logs_previous(cluster: StreamingCluster) -> None:
    cluster.create_pod("logs-prev")
    missing = cluster.kubectl("logs", "logs-prev", "--previous", check=False)
    assert missing.returncode == 1
    assert (
        b'Error from server (BadRequest): previous terminated container "main" in pod '
        b'"logs-prev" not found' in missing.stderr
    )
    cluster.host.write_log(NS, "logs-prev", "main", 0, [f"{_now()} stdout F first attempt"])
    cluster.host.pods[(NS, "logs-prev")].containers["main"].restart_count = 1
    cluster.host.write_log(NS, "logs-prev", "main", 1, [f"{_now()} stdout F second attempt"])
    assert cluster.kubectl("logs", "logs-prev", "-p").stdout == b"first attempt\n"
    assert cluster.kubectl("logs", "logs-prev").stdout == b"second attempt\n"


def test_logs_follow_until_the_container_stops(cluster: StreamingCluster) -> None:
    cluster.create_pod("logs-follow")
    cluster.host.write_log(NS, "logs-follow", "main", 0, [f"{_now()} stdout F one"])
    proc = subprocess.Popen(
        [KUBECTL, "logs", "-f", "logs-follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cluster.env(),
    )
    try:
        assert proc.stdout is not None
        assert _read_until(proc.stdout.fileno(), b"one\n") == b"one\n"
        cluster.host.write_log(NS, "logs-follow", "main", 0, [f"{_now()} stdout F two"])
        assert _read_until(proc.stdout.fileno(), b"two\n") == b"two\n"
        cluster.host.write_log(NS, "logs-follow", "main", 0, [f"{_now()} stdout F last words"])
        cluster.host.pods[(NS, "logs-follow")].containers["main"].running = False
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == b"last words\n"
    finally:
        proc.kill()
        proc.wait()


def test_logs_errors_worded_as_kubernetes(cluster: StreamingCluster) -> None:
    cluster.create_pod("two", ("a", "b"), bound=True)
    base = f"/api/v1/namespaces/{NS}/pods"
    res = cluster.kubectl("get", "--raw", f"{base}/two/log", check=False)
    assert (
        b"Error from server (BadRequest): a container name must be specified for pod two, "
        b"choose one of: [a b]" in res.stderr
    )
    res = cluster.kubectl("get", "--raw", f"{base}/two/log?container=c", check=False)
    assert b"Error from server (BadRequest): container c is not valid for pod two" in res.stderr
    res = cluster.kubectl("get", "--raw", f"{base}/nope/log", check=False)
    assert b'Error from server (NotFound): pods "nope" not found' in res.stderr
    res = cluster.kubectl("get", "--raw", f"{base}/two/log?container=a&tailLines=-1", check=False)
    assert (
        b'PodLogOptions "two" is invalid: tailLines: Invalid value: -1: must be greater than or '
        b"equal to 0" in res.stderr
    )
    # A container without a log file yet: the kubelet's 400, relayed as BadRequest.
    res = cluster.kubectl("logs", "two", "-c", "b", check=False)
    assert b"Error from server (BadRequest): failed to try resolving symlinks" in res.stderr


def test_unscheduled_pod(cluster: StreamingCluster) -> None:
    cluster.create_pod("pending", bound=False)
    assert cluster.kubectl("logs", "pending").stdout == b""
    res = cluster.kubectl("exec", "pending", "--", "true", check=False)
    assert b"pod pending does not have a host assigned" in res.stderr


# -- exec -----------------------------------------------------------------------------


def test_exec_streams_and_exit_code(cluster: StreamingCluster) -> None:
    cluster.create_pod("exec")
    res = cluster.kubectl(
        "exec", "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False
    )
    assert res.returncode == 3
    assert res.stdout == b"out\n"
    assert res.stderr == b"err\ncommand terminated with exit code 3\n"
    piped = cluster.kubectl("exec", "-i", "exec", "--", "sh", "-c", "tr a-z A-Z", input="shout\n")
    assert piped.stdout == b"SHOUT\n"
    assert cluster._kubelet is not None
    assert ("exec", "websocket", "v5.channel.k8s.io") in cluster._kubelet.sessions


def test_exec_falls_back_to_spdy(cluster: StreamingCluster) -> None:
    cluster.create_pod("exec-spdy")
    res = cluster.kubectl(
        "exec",
        "-i",
        "exec-spdy",
        "--",
        "sh",
        "-c",
        "cat; echo done >&2; exit 4",
        input="over spdy\n",
        check=False,
        env={"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"},
    )
    assert res.returncode == 4
    assert res.stdout == b"over spdy\n"
    assert res.stderr == b"done\ncommand terminated with exit code 4\n"
    assert cluster._kubelet is not None
    assert ("exec", "spdy", "v4.channel.k8s.io") in cluster._kubelet.sessions


def test_exec_interactive_terminal(cluster: StreamingCluster) -> None:
    cluster.create_pod("exec-tty")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    proc = subprocess.Popen(
        [KUBECTL, "exec", "-it", "exec-tty", "--", "sh"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=cluster.env(),
        start_new_session=True,
    )
    os.close(slave)
    try:
        os.write(master, b"echo tty=$(tty >/dev/null && echo yes) size=$(stty size)\n")
        out = _read_until(master, b"size=33 111")
        assert b"tty=yes" in out
        os.write(master, b"exit 7\n")
        assert proc.wait(timeout=10) == 7
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


# -- attach ---------------------------------------------------------------------------


def test_attach_reaches_the_running_process_and_detaches(cluster: StreamingCluster) -> None:
    cluster.create_pod("attach")
    for word in (b"first", b"second"):
        proc = subprocess.Popen(
            [KUBECTL, "attach", "-i", "attach"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cluster.env(),
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(word + b"\n")
            proc.stdin.flush()
            assert b"got:" + word in _read_until(proc.stdout.fileno(), b"got:" + word)
        finally:
            proc.kill()
            proc.wait()
    main = cluster.host.pods[(NS, "attach")].containers["main"].main
    assert main is not None  # the same process served both sessions: detaching kept it


# -- port-forward ---------------------------------------------------------------------


@pytest.mark.parametrize("websockets", ["true", "false"])
def test_port_forward(cluster: StreamingCluster, echo_port: int, websockets: str) -> None:
    name = f"pf-{websockets}"
    cluster.create_pod(name)
    proc = subprocess.Popen(
        [KUBECTL, "port-forward", f"pod/{name}", f":{echo_port}", ":1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**cluster.env(), "KUBECTL_PORT_FORWARD_WEBSOCKETS": websockets},
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        head = _read_until(proc.stdout.fileno(), b"-> 1\n").decode()
        ports = [
            int(line.split("127.0.0.1:")[1].split(" ")[0])
            for line in head.splitlines()
            if "127.0.0.1:" in line
        ]
        for i in range(3):  # several connections over one session
            with socket.create_connection(("127.0.0.1", ports[0]), timeout=10) as conn:
                conn.sendall(b"ping %d" % i)
                got = b""
                while len(got) < len(b"echo:ping 0"):
                    got += conn.recv(100)
                assert got == b"echo:ping %d" % i
        with socket.create_connection(("127.0.0.1", ports[1]), timeout=10) as conn:
            assert conn.recv(100) == b""  # nothing listens on port 1: closed
        assert b"error forwarding port 1 to pod" in _read_until(
            proc.stderr.fileno(), b"error forwarding port 1"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert cluster._kubelet is not None
    expected = (
        ("portForward", "websocket", "SPDY/3.1+portforward.k8s.io")
        if websockets == "true"
        else ("portForward", "spdy", "portforward.k8s.io")
    )
    assert expected in cluster._kubelet.sessions


# -- cp -------------------------------------------------------------------------------


def test_cp_both_directions(cluster: StreamingCluster, tmp_path: object) -> None:
    from pathlib import Path

    local = Path(str(tmp_path))
    cluster.create_pod("cp")
    rootfs = cluster.host.rootfs("cp", "main")
    payload = os.urandom(200_000)
    (local / "up.bin").write_bytes(payload)
    cluster.kubectl("cp", str(local / "up.bin"), f"{NS}/cp:up.bin", timeout=60)
    assert (rootfs / "up.bin").read_bytes() == payload
    (rootfs / "down.txt").write_text("from the container\n")
    cluster.kubectl("cp", f"{NS}/cp:down.txt", str(local / "down.txt"), timeout=60)
    assert (local / "down.txt").read_text() == "from the container\n"


def test_kubelet_pods_and_healthz_through_node_proxy(cluster: StreamingCluster) -> None:
    cluster.create_pod("listed")
    node = "stream-node"
    health = cluster.kubectl("get", "--raw", f"/api/v1/nodes/{node}/proxy/healthz")
    assert health.stdout == b"ok"
    pods = json.loads(cluster.kubectl("get", "--raw", f"/api/v1/nodes/{node}/proxy/pods").stdout)
    assert pods["kind"] == "PodList"
    assert "listed" in {p["metadata"]["name"] for p in pods["items"]}
