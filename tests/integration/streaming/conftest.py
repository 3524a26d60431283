"""Fixtures: one streaming cluster (API server + kubelet server with a fake host) per module,
and a local TCP echo server standing in for a pod's port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.integration.streaming.harness import StreamingCluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamingCluster]:
    c = StreamingCluster(tmp_path_factory.mktemp("streaming"))
    c.start()
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    """A loopback TCP server that echoes every byte back, prefixed once with `echo:`."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.sendall(b"echo:")
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
