"""The official Python client's streaming calls (WebSocket `v4.channel.k8s.io` for exec and
the port-forward channel protocol) through the API server to the kubelet server."""

from __future__ import annotations

from kubernetes import client, config
from kubernetes.stream import portforward, stream

from tests.integration.streaming.harness import StreamingCluster


def _api(cluster: StreamingCluster) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(cluster.kubeconfig)))


def test_exec_with_the_python_client(cluster: StreamingCluster) -> None:
    cluster.create_pod("py-exec")
    api = _api(cluster)
    out = stream(
        api.connect_get_namespaced_pod_exec,
        "py-exec",
        "default",
        command=["sh", "-c", "echo from python"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert out == "from python\n"
    resp = stream(
        api.connect_get_namespaced_pod_exec,
        "py-exec",
        "default",
        command=["sh", "-c", "exit 6"],
        stderr=True,
        stdout=True,
        _preload_content=False,
    )
    resp.run_forever(timeout=10)
    assert resp.returncode == 6


def test_port_forward_with_the_python_client(cluster: StreamingCluster, echo_port: int) -> None:
    cluster.create_pod("py-pf")
    pf = portforward(
        _api(cluster).connect_get_namespaced_pod_portforward,
        "py-pf",
        "default",
        ports=str(echo_port),
    )
    sock = pf.socket(echo_port)
    sock.settimeout(10)
    sock.sendall(b"hi")
    got = b""
    while len(got) < len(b"echo:hi"):
        chunk = sock.recv(100)
        if not chunk:
            break
        got += chunk
    assert got == b"echo:hi"
    sock.close()
    pf.close()
    assert pf.error(echo_port) is None
