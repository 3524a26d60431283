"""A `KubeletHost` without containers: exec runs local processes in a per-container working
directory, logs are CRI files written by the test, port-forward dials this host's loopback,
attach talks to one long-running local process per container.

Invariants: every process started here is remembered and killed by `close()`; the working
directory of container c of pod p is `<root>/rootfs/<p>/<c>` (what `kubectl cp` reaches).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steersman.kubelet.server.host import (
    ContainerProcess,
    ContainerTarget,
    container_not_found,
    pod_not_found,
)
from steersman.kubelet.server.process import PipeProcess, PtyProcess, spawn_local

ATTACH_PROGRAM = 'echo attached-ready; while read -r line; do echo "got:$line"; done; echo bye'


@dataclass
class FakeContainer:
    name: str
    restart_count: int = 0
    running: bool = True
    tty: bool = False
    stdin: bool = True
    main: PipeProcess | PtyProcess | None = None


@dataclass
class FakePod:
    obj: dict[str, Any]
    containers: dict[str, FakeContainer] = field(default_factory=dict)


class AttachedView:
    """One attach session on a container's long-running process (detach leaves it running)."""

    def __init__(self, proc: PipeProcess | PtyProcess) -> None:
        self._proc = proc
        self._detached = asyncio.Event()

    async def write_stdin(self, data: bytes) -> None:
        await self._proc.write_stdin(data)

    async def close_stdin(self) -> None:
        return None  # closing the session's stdin must not end the container's stdin

    async def read_stdout(self) -> bytes:
        return await self._proc.read_stdout()

    async def read_stderr(self) -> bytes:
        return await self._proc.read_stderr()

    async def resize(self, width: int, height: int) -> None:
        await self._proc.resize(width, height)

    async def wait(self) -> int:
        done = asyncio.ensure_future(self._proc.wait())
        detached = asyncio.ensure_future(self._detached.wait())
        await asyncio.wait([done, detached], return_when=asyncio.FIRST_COMPLETED)
        detached.cancel()
        if done.done():
            return done.result()
        done.cancel()
        return 0

    async def abandon(self) -> None:
        self._detached.set()


class FakeHost:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pods: dict[tuple[str, str], FakePod] = {}
        self._processes: list[PipeProcess | PtyProcess] = []
        self.exec_calls: list[tuple[str, str, list[str], bool, bool]] = []

    def add_pod(self, pod: dict[str, Any], *, tty: bool = False) -> FakePod:
        meta = pod["metadata"]
        fake = FakePod(pod)
        for c in pod["spec"]["containers"]:
            fake.containers[c["name"]] = FakeContainer(c["name"], tty=tty)
            self.rootfs(meta["name"], c["name"]).mkdir(parents=True, exist_ok=True)
        self.pods[(meta.get("namespace", "default"), meta["name"])] = fake
        return fake

    def rootfs(self, pod: str, container: str) -> Path:
        return self.root / "rootfs" / pod / container

    def log_path(self, namespace: str, pod: str, container: str, attempt: int) -> Path:
        uid = self.pods[(namespace, pod)].obj["metadata"].get("uid", "uid")
        return self.root / "logs" / f"{namespace}_{pod}_{uid}" / container / f"{attempt}.log"

    def write_log(
        self, namespace: str, pod: str, container: str, attempt: int, records: Sequence[str]
    ) -> Path:
        path = self.log_path(namespace, pod, container, attempt)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            for record in records:
                f.write(record + "\n")
        return path

    def _find(self, namespace: str, pod: str, container: str) -> tuple[FakePod, FakeContainer]:
        fake = self.pods.get((namespace, pod))
        if fake is None:
            raise pod_not_found(namespace, pod)
        c = fake.containers.get(container)
        if c is None:
            raise container_not_found(container, pod)
        return fake, c

    async def list_pods(self) -> list[dict[str, Any]]:
        return [p.obj for p in self.pods.values()]

    async def container_for(self, namespace: str, pod_name: str, container: str) -> ContainerTarget:
        fake, c = self._find(namespace, pod_name, container)
        current = self.log_path(namespace, pod_name, container, c.restart_count)
        previous = (
            self.log_path(namespace, pod_name, container, c.restart_count - 1)
            if c.restart_count > 0
            else None
        )
        return ContainerTarget(
            namespace=namespace,
            pod_name=pod_name,
            pod_uid=fake.obj["metadata"].get("uid", ""),
            container_name=container,
            container_id=f"fake-{pod_name}-{container}-{c.restart_count}",
            log_path=current,
            previous_log_path=previous,
            tty=c.tty,
            stdin=c.stdin,
        )

    async def is_running(self, target: ContainerTarget) -> bool:
        _, c = self._find(target.namespace, target.pod_name, target.container_name)
        return c.running and target.container_id.endswith(f"-{c.restart_count}")

    async def exec(
        self, target: ContainerTarget, command: Sequence[str], *, tty: bool, stdin: bool
    ) -> ContainerProcess:
        self.exec_calls.append((target.pod_name, target.container_name, list(command), tty, stdin))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root", "TERM": "xterm"}
        proc = await spawn_local(
            command,
            tty=tty,
            stdin=stdin,
            cwd=str(self.rootfs(target.pod_name, target.container_name)),
            env=env,
        )
        self._processes.append(proc)
        return proc

    async def attach(self, target: ContainerTarget, *, tty: bool, stdin: bool) -> ContainerProcess:
        _, c = self._find(target.namespace, target.pod_name, target.container_name)
        if c.main is None:
            c.main = await spawn_local(["sh", "-c", ATTACH_PROGRAM], tty=False, stdin=True)
            self._processes.append(c.main)
        return AttachedView(c.main)

    async def pod_netns(self, namespace: str, pod_name: str) -> str | None:
        if (namespace, pod_name) not in self.pods:
            raise pod_not_found(namespace, pod_name)
        return None

    async def close(self) -> None:
        for proc in self._processes:
            with contextlib.suppress(Exception):
                await proc.abandon()
