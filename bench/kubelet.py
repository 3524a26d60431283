"""Benchmark the kubelet on real containerd (issue 3 targets in bench/RESULTS.md).

Starts `steersman up --nodes 1` in a temp dir on a free loopback port, builds a busybox image,
records the kubelet's idle RSS, then creates a burst of pods bound straight to the node
(spec.nodeName, image present) and measures pod startup latency as Kubernetes' SLO defines it:
creation → every container started, observed through a watch. Prints one line per figure.
Bounded (one burst), loopback only; the cluster is stopped (SIGTERM to `up`) at the end, which
removes every pod and stops containerd.

    python3 bench/kubelet.py [--pods 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process and its reaped children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def started(pod: dict) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    return len(statuses) == len(containers) and all(
        "running" in s.get("state", {}) for s in statuses
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=100)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="steersman-bench-kubelet-"))
    port = free_port()
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steersman",
            "up",
            "--data-dir",
            str(tmp),
            "--secure-port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert up.stdout is not None
        for line in up.stdout:
            if b"is ready" in line:
                break
        subprocess.run(
            [
                sys.executable,
                "-m",
                "steersman",
                "images",
                "build",
                "-t",
                "bench:1",
                "--busybox",
                "--address",
                str(tmp / "containerd" / "containerd.sock"),
            ],
            check=True,
            capture_output=True,
        )
        pki = tmp / "pki"
        ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        base = f"https://127.0.0.1:{port}"
        kubelet_pid = int((tmp / "kubelet.pid").read_text())
        await asyncio.sleep(5)
        print(f"kubelet idle RSS: {rss_mb(kubelet_pid):.1f} MB (target <= 60)")

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=32)) as http:
            async with http.get(f"{base}/api/v1/nodes") as resp:
                node = (await resp.json())["items"][0]["metadata"]["name"]
            async with http.get(f"{base}/api/v1/namespaces/default/pods") as resp:
                rv = (await resp.json())["metadata"]["resourceVersion"]
            created: dict[str, float] = {}
            latencies: list[float] = []
            done = asyncio.Event()

            async def watch() -> None:
                url = f"{base}/api/v1/namespaces/default/pods?watch=1&resourceVersion={rv}"
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=None)) as resp:
                    async for line in resp.content:
                        event = orjson.loads(line)
                        pod = event["object"]
                        name = pod["metadata"]["name"]
                        if name in created and started(pod):
                            latencies.append(time.monotonic() - created.pop(name))
                            if len(latencies) == args.pods:
                                done.set()
                                return

            watcher = asyncio.create_task(watch())
            await asyncio.sleep(0.2)

            async def create(i: int) -> None:
                name = f"burst-{i}"
                body = {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": name},
                    "spec": {
                        "nodeName": node,
                        "terminationGracePeriodSeconds": 0,
                        "containers": [
                            {"name": "c", "image": "bench:1", "command": ["sleep", "3600"]}
                        ],
                    },
                }
                created[name] = time.monotonic()
                async with http.post(f"{base}/api/v1/namespaces/default/pods", json=body) as resp:
                    assert resp.status == 201, await resp.text()

            containerd_pid = int((tmp / "containerd" / "containerd.pid").read_text())
            cpu_before = {p: cpu_seconds(p) for p in (kubelet_pid, containerd_pid)}
            begin = time.monotonic()
            await asyncio.gather(*(create(i) for i in range(args.pods)))
            await asyncio.wait_for(done.wait(), 300)
            total = time.monotonic() - begin
            watcher.cancel()
            print(
                f"pod startup latency ({args.pods} pods): p50 {pct(latencies, 0.5) * 1000:.0f} ms,"
                f" p99 {pct(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
                f" (target p99 <= 1000 ms); all running after {total:.1f} s"
            )
            print(f"kubelet RSS with {args.pods} pods: {rss_mb(kubelet_pid):.1f} MB")
            kubelet_cpu = cpu_seconds(kubelet_pid) - cpu_before[kubelet_pid]
            containerd_cpu = cpu_seconds(containerd_pid) - cpu_before[containerd_pid]
            print(
                f"CPU during the burst: kubelet {kubelet_cpu:.1f} s, containerd {containerd_cpu:.1f} s"
                f" (shims, runc and CNI plugins not counted) over {total:.1f} s on"
                f" {os.cpu_count()} cores"
            )
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(120)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("needs root (containerd, CNI)")
    asyncio.run(main())
