"""Benchmark a large Deployment (issue 4 target in bench/RESULTS.md): from the create of a
1000-replica Deployment to every pod bound to a node.

One process runs an in-process API server (memory://), the Deployment and ReplicaSet
controllers and the scheduler (each with its own client, as separate components would have);
N Node objects with room for the pods (no kubelet: nothing runs). Prints one line.

    python3 bench/deployment.py [--replicas 1000] [--nodes 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time

import aiohttp

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.controllers.deployment import DeploymentController
from steersman.controllers.replicaset import ReplicaSetController
from steersman.scheduler.scheduler import Scheduler
from steersman.testing.control_plane import running_apiserver


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=100)
    args = ap.parse_args()
    async with running_apiserver() as srv:
        base = srv.base_url
        async with aiohttp.ClientSession() as http:
            for i in range(args.nodes):
                node = {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": f"node-{i}"},
                    "status": {
                        "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
                        "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110"},
                        "conditions": [{"type": "Ready", "status": "True"}],
                    },
                }
                async with http.post(f"{base}/api/v1/nodes", json=node) as resp:
                    assert resp.status == 201
        cm_client, sched_client, user = RestClient(base), RestClient(base), RestClient(base)
        factory = InformerFactory(cm_client)
        recorder = EventRecorder(cm_client, "controller-manager")
        scheduler = Scheduler(sched_client)
        tasks = [
            asyncio.create_task(DeploymentController(cm_client, factory, recorder).run()),
            asyncio.create_task(ReplicaSetController(cm_client, factory, recorder).run()),
            asyncio.create_task(recorder.run()),
            asyncio.create_task(scheduler.run()),
        ]
        try:
            await asyncio.sleep(1.0)  # informers synced
            deployment = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "big"},
                "spec": {
                    "replicas": args.replicas,
                    "selector": {"matchLabels": {"app": "big"}},
                    "template": {
                        "metadata": {"labels": {"app": "big"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "c",
                                    "image": "x:1",
                                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                                }
                            ]
                        },
                    },
                },
            }
            begin = time.monotonic()
            await user.create("/apis/apps/v1/namespaces/default/deployments", deployment)
            while True:
                bound = sum(
                    1
                    for p in scheduler.pods.store.list()
                    if p["spec"].get("nodeName") and p["metadata"].get("labels", {}).get("app")
                )
                if bound >= args.replicas or time.monotonic() - begin > 300:
                    break
                await asyncio.sleep(0.1)
            took = time.monotonic() - begin
            print(
                f"deployment of {args.replicas} replicas on {args.nodes} nodes: all {bound} pods"
                f" bound {took:.1f} s after the create (target <= 10 s)"
            )
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await factory.stop()
            for c in (cm_client, sched_client, user):
                await c.close()


if __name__ == "__main__":
    asyncio.run(main())
