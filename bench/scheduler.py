"""Benchmark the scheduler (issue 4 targets in bench/RESULTS.md).

Starts an in-process API server on memory:// (plain HTTP on loopback), creates N Node objects
(allocatable 32 cpu / 128Gi / 110 pods; Ready) and P pending pods (100m cpu, 64Mi each), then
runs the scheduler and measures pods bound per second (first bind → last bind, and overall),
plus the scheduler process's RSS afterwards. Nodes need no kubelet: nothing runs.

    python3 bench/scheduler.py [--nodes 1000] [--pods 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
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


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--pods", type=int, default=10000)
    args = ap.parse_args()
    async with running_apiserver() as srv:
        base = srv.base_url
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
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
        client = RestClient(base)
        scheduler = Scheduler(client)
        begin = time.monotonic()
        task = asyncio.create_task(scheduler.run())
        try:
            while True:
                await asyncio.sleep(0.5)
                bound = sum(1 for p in scheduler.pods.store.list() if p["spec"].get("nodeName"))
                if bound >= args.pods:
                    break
                if time.monotonic() - begin > 600:
                    break
            took = time.monotonic() - begin
            print(
                f"scheduler: {bound} of {args.pods} pods bound on {args.nodes} nodes in {took:.1f} s"
                f" -> {bound / took:.0f} pods/s (target >= 500)"
            )
            print(f"process RSS (API server + scheduler in one process): {rss_mb():.1f} MB")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await client.close()


if __name__ == "__main__":
    asyncio.run(main())
