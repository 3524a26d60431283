"""Exec in a containerd-managed container with `runc exec`, as the kubelet's exec backend.

containerd (io.containerd.runc.v2) keeps each CRI container's runc state under
`<runc root>/<container id>`; the root is `/run/containerd/runc/k8s.io` for a default
containerd and lives under the state directory of one started with its own, so it is a
parameter. `runc exec` runs the command with the container's environment, working
directory, user and namespaces (it reads them from the container's state).

Invariants:
- Without a tty the command's stdio are pipes to us (`PipeProcess`).
- With a tty, runc runs in the foreground on a pseudo-terminal we hold (`PtyProcess`): runc
  creates the command's own terminal, copies between the two, and resizes it when ours is
  resized (SIGWINCH). (`--console-socket` would hand us the command's terminal directly, but
  runc accepts it only with `--detach`, and a detached exec loses the exit code.)
- The exit code of `runc exec` is the command's exit code; `abandon()` kills runc, which
  forwards the signal to the command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from steersman.kubelet.server.process import PipeProcess, PtyProcess, spawn_local


class RuncExec:
    def __init__(self, runc_root: Path, *, runc: str = "runc") -> None:
        self.runc_root = runc_root
        self.runc = runc

    def _base(self) -> list[str]:
        return [self.runc, "--root", str(self.runc_root), "exec"]

    async def exec(
        self, container_id: str, command: Sequence[str], *, tty: bool, stdin: bool
    ) -> PipeProcess | PtyProcess:
        if tty:
            return await spawn_local(
                [*self._base(), "--tty", container_id, *command], tty=True, stdin=True, raw=True
            )
        proc = await asyncio.create_subprocess_exec(
            *self._base(),
            container_id,
            *command,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return PipeProcess(proc)
