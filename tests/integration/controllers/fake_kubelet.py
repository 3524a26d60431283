"""A fake kubelet for batch controller tests: it plays each new pod's script (run, then
succeed or fail with an exit code and optional pod conditions) by writing `pods/status`, the
way a kubelet reports containers.

Invariant: each pod is finished at most once; pods being deleted are left alone (pods are
never bound to a node here, so the API server removes them once their finalizers are gone).
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steersman.client.rest import ApiStatusError, RestClient


@dataclass
class Outcome:
    """What a pod does: keep running (exit_code None) or terminate with `exit_code`."""

    exit_code: int | None = 0
    conditions: list[dict[str, Any]] = field(default_factory=list)


Script = Callable[[dict[str, Any]], Outcome]


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeKubelet:
    def __init__(self, client: RestClient, script: Script, *, namespace: str = "default") -> None:
        self.client = client
        self.script = script
        self.namespace = namespace
        self.seen: dict[str, float] = {}  # pod name -> loop time first seen
        self.finished: dict[str, float] = {}  # pod name -> loop time finished
        self.max_running = 0
        self._handled: set[str] = set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pods = (await self.client.get(f"/api/v1/namespaces/{self.namespace}/pods"))["items"]
            running = 0
            for pod in pods:
                meta, status = pod["metadata"], pod.get("status") or {}
                if meta.get("deletionTimestamp") or status.get("phase") in ("Succeeded", "Failed"):
                    continue
                running += 1
                self.seen.setdefault(meta["name"], loop.time())
                if meta["uid"] in self._handled:
                    continue
                self._handled.add(meta["uid"])
                try:
                    await self._play(pod, self.script(pod))
                except ApiStatusError:
                    self._handled.discard(meta["uid"])  # changed meanwhile: try again
                    continue
                if pod["status"]["phase"] in ("Succeeded", "Failed"):
                    self.finished[meta["name"]] = loop.time()
            self.max_running = max(self.max_running, running)
            await asyncio.sleep(0.02)

    async def _play(self, pod: dict[str, Any], outcome: Outcome) -> None:
        now = _stamp()
        containers = pod["spec"]["containers"]
        if outcome.exit_code is None:
            pod["status"].update(
                {
                    "phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
                    "containerStatuses": [
                        {
                            "name": c["name"],
                            "state": {"running": {"startedAt": now}},
                            "ready": True,
                            "restartCount": 0,
                            "image": c["image"],
                            "imageID": "",
                        }
                        for c in containers
                    ],
                }
            )
        else:
            pod["status"].update(
                {
                    "phase": "Succeeded" if outcome.exit_code == 0 else "Failed",
                    "conditions": [
                        {"type": "Ready", "status": "False", "lastTransitionTime": now},
                        *outcome.conditions,
                    ],
                    "containerStatuses": [
                        {
                            "name": c["name"],
                            "state": {
                                "terminated": {
                                    "exitCode": outcome.exit_code,
                                    "reason": "Completed" if outcome.exit_code == 0 else "Error",
                                    "startedAt": now,
                                    "finishedAt": now,
                                }
                            },
                            "ready": False,
                            "restartCount": 0,
                            "image": c["image"],
                            "imageID": "",
                        }
                        for c in containers
                    ],
                }
            )
        await self.client.update(
            f"/api/v1/namespaces/{self.namespace}/pods/{pod['metadata']['name']}/status", pod
        )
