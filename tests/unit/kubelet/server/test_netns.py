"""Dialling localhost:port inside another network namespace (setns in a helper thread)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from steersman.kubelet.server import netns

SERVER = """
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); c.sendall(b"inside:" + c.recv(100)); c.close()
sys.stdin.read()  # stay alive (and keep the namespace) until the test is done
"""


def _own_netns() -> int:
    return os.stat(f"/proc/{os.getpid()}/ns/net").st_ino


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare"
)
async def test_connects_inside_another_namespace_and_comes_back() -> None:
    # A server on 127.0.0.1 of a fresh network namespace (its loopback brought up first).
    proc = subprocess.Popen(
        [
            "unshare",
            "--net",
            "sh",
            "-c",
            f'ip link set lo up && exec {sys.executable} -c "$0"',
            SERVER,
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        path = f"/proc/{proc.pid}/ns/net"
        # The port is not reachable from our own namespace...
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
        before = _own_netns()
        # ...but it is from inside the server's.
        reader, writer = await netns.open_connection(path, port)
        writer.write(b"hi")
        assert await asyncio.wait_for(reader.read(100), 5) == b"inside:hi"
        writer.close()
        assert _own_netns() == before  # no thread of ours stayed in the other namespace
        with pytest.raises(
            ConnectionRefusedError, match=f"failed to connect to localhost:{port + 1}"
        ):
            await netns.open_connection(path, port + 1)
    finally:
        proc.kill()
        proc.wait()


async def test_own_namespace_and_refusal_wording() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()
    time.sleep(0.01)
    with pytest.raises(ConnectionRefusedError) as exc:
        await netns.open_connection(None, port)
    message = str(exc.value)
    assert message.startswith(f'failed to connect to localhost:{port} inside namespace "(host)", ')
    assert f"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused" in message
