"""Benchmark the scheduler (issue 4 targets in bench/RESULTS.md).

Starts an in-process API server on memory:// (plain HTTP on loopback), creates N Node objects
(allocatable 32 cpu / 128Gi / 110 pods; Ready) and P pending pods (100m cpu, 64Mi each), then
runs the scheduler and measures pods bound per second (first bind → last bind, and overall),
plus the scheduler process's RSS afterwards. Nodes need no kubelet: nothing runs.

    python3 bench/scheduler.py [--nodes 1000] [--pods 10000] [--separate]

With --separate the API server runs as its own process (`steersman apiserver`, memory store,
TLS), as in `steersman up`, and only the scheduler runs here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from steersman.client.rest import RestClient
from steersman.scheduler.scheduler import Scheduler
from steersman.testing.control_plane import running_apiserver


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (0 when there is none)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def separate_apiserver() -> AsyncIterator[tuple[str, ssl.SSLContext, Path, int | None]]:
    from steersman.pki import ensure_pki
    from steersman.pki.kubeconfig import write_kubeconfig

    tmp = Path(tempfile.mkdtemp(prefix="steersman-bench-sched-"))
    pki = ensure_pki(tmp / "pki", hosts=["127.0.0.1"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steersman",
            "apiserver",
            "--storage",
            "memory://",
            "--secure-port",
            str(port),
            "--pki-dir",
            str(tmp / "pki"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    ctx.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    kubeconfig = tmp / "admin.kubeconfig"
    write_kubeconfig(
        kubeconfig,
        server=f"https://127.0.0.1:{port}",
        ca_pem=pki.ca_cert.read_bytes(),
        cert_pem=pki.admin_cert.read_bytes(),
        key_pem=pki.admin_key.read_bytes(),
    )
    base = f"https://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            for _ in range(300):
                try:
                    async with http.get(base + "/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        yield base, ctx, kubeconfig, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.asynccontextmanager
async def in_process_apiserver() -> AsyncIterator[
    tuple[str, ssl.SSLContext | None, None, int | None]
]:
    async with running_apiserver() as srv:
        yield srv.base_url, None, None, None


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--separate", action="store_true")
    args = ap.parse_args()
    server = separate_apiserver() if args.separate else in_process_apiserver()
    async with server as (base, ctx, kubeconfig, apiserver_pid):
        connector = aiohttp.TCPConnector(limit=64, ssl=ctx if ctx is not None else False)
        async with aiohttp.ClientSession(connector=connector) as http:
            sem = asyncio.Semaphore(64)

            async def post(path: str, body: dict) -> None:
                async with sem, http.post(base + path, json=body) as resp:
                    assert resp.status == 201, await resp.text()

            await asyncio.gather(
                *(
                    post(
                        "/api/v1/nodes",
                        {
                            "apiVersion": "v1",
                            "kind": "Node",
                            "metadata": {
                                "name": f"node-{i}",
                                "labels": {"kubernetes.io/hostname": f"node-{i}"},
                            },
                            "status": {
                                "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                                "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                                "conditions": [{"type": "Ready", "status": "True"}],
                            },
                        },
                    )
                    for i in range(args.nodes)
                )
            )
            await asyncio.gather(
                *(
                    post(
                        "/api/v1/namespaces/default/pods",
                        {
                            "apiVersion": "v1",
                            "kind": "Pod",
                            "metadata": {"name": f"p-{i}"},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "c",
                                        "image": "x:1",
                                        "resources": {
                                            "requests": {"cpu": "100m", "memory": "64Mi"}
                                        },
                                    }
                                ]
                            },
                        },
                    )
                    for i in range(args.pods)
                )
            )
        client = RestClient.from_kubeconfig(kubeconfig) if kubeconfig else RestClient(base)
        scheduler = Scheduler(client)
        begin = time.monotonic()
        cpu_begin = time.process_time()
        api_cpu_begin = cpu_seconds(apiserver_pid)
        task = asyncio.create_task(scheduler.run())
        try:
            while True:
                await asyncio.sleep(0.2)
                bound = sum(1 for p in scheduler.pods.store.list() if p["spec"].get("nodeName"))
                if bound >= args.pods:
                    break
                if time.monotonic() - begin > 600:
                    break
            took = time.monotonic() - begin
            cpu = time.process_time() - cpu_begin
            api_cpu = cpu_seconds(apiserver_pid) - api_cpu_begin
            print(
                f"scheduler: {bound} of {args.pods} pods bound on {args.nodes} nodes in {took:.1f} s"
                f" (informer start included) -> {bound / took:.0f} pods/s (target >= 500)"
            )
            print(
                f"CPU while scheduling: scheduler process {cpu:.1f} s "
                f"({1000 * cpu / max(bound, 1):.2f} ms/pod)"
                + (f", API server {api_cpu:.1f} s" if apiserver_pid else "")
            )
            where = "scheduler alone" if args.separate else "API server + scheduler in one process"
            print(f"process RSS ({where}): {rss_mb():.1f} MB")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await client.close()


if __name__ == "__main__":
    asyncio.run(main())
