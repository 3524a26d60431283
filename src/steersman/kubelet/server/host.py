"""What the kubelet's HTTPS server needs from the rest of the kubelet: the `KubeletHost` protocol.

The server (`server.py`) speaks the wire protocols (HTTP, WebSocket channels, SPDY); the host
answers questions about pods and does the work in containers. The real kubelet implements
this over its pod manager and CRI; tests implement it with local processes and files.

Contract for implementers:
- Lookups raise `HostError` with Kubernetes' kubelet wording: `pod_not_found`,
  `container_not_found` (both 404) or `HostError(400, ...)` for a container that exists but
  cannot serve the request (`container "c" in pod "p" is waiting to start: ContainerCreating`).
- `exec` and `attach` either return a `ContainerProcess` the server drives itself, or a URL
  string; a URL is proxied as it is (raw upgrade splice), which is how a CRI runtime's own
  streaming server (containerd's Exec/Attach URLs) is used.
- A `ContainerProcess` is used by one session from one event loop; `abandon()` is called when
  the client went away before the process finished (exec: kill it; attach: just detach).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class HostError(Exception):
    """A request the host cannot serve; `code` is the HTTP status the kubelet answers."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def pod_not_found(namespace: str, name: str) -> HostError:
    return HostError(404, f'pod "{name}" does not exist')


def container_not_found(container: str, pod: str) -> HostError:
    return HostError(404, f'container "{container}" not found in pod "{pod}"')


@dataclass(frozen=True, slots=True)
class ContainerTarget:
    """One container of a pod the kubelet runs, as the streaming endpoints need it."""

    namespace: str
    pod_name: str
    pod_uid: str
    container_name: str
    # Runtime id of the current attempt; "" when it has none yet.
    container_id: str = ""
    # CRI log file of the current attempt and of the previous (terminated) one, if any.
    log_path: Path | None = None
    previous_log_path: Path | None = None
    # The container spec's tty/stdin flags (attach needs them).
    tty: bool = False
    stdin: bool = False
    # Pod sandbox id, as Kubernetes names the pod in port-forward errors.
    sandbox_id: str = ""


class ContainerProcess(Protocol):
    """A process in a container (exec) or a container's main process (attach)."""

    async def write_stdin(self, data: bytes) -> None: ...

    async def close_stdin(self) -> None: ...

    async def read_stdout(self) -> bytes:
        """The next chunk of output; b"" at end of output (with a tty: all output)."""
        ...

    async def read_stderr(self) -> bytes:
        """The next chunk of standard error; b"" at its end (at once with a tty)."""
        ...

    async def resize(self, width: int, height: int) -> None: ...

    async def wait(self) -> int:
        """The exit code, once the process has exited (attach: once the session ends)."""
        ...

    async def abandon(self) -> None: ...


class KubeletHost(Protocol):
    async def list_pods(self) -> list[dict[str, Any]]:
        """The pods this kubelet runs, as v1 Pod objects (for `/pods`)."""
        ...

    async def container_for(self, namespace: str, pod_name: str, container: str) -> ContainerTarget:
        """The container, or HostError (pod_not_found / container_not_found)."""
        ...

    async def is_running(self, target: ContainerTarget) -> bool:
        """Whether the container attempt `target` names is still running (log follow)."""
        ...

    async def exec(
        self, target: ContainerTarget, command: Sequence[str], *, tty: bool, stdin: bool
    ) -> ContainerProcess | str:
        """Start `command` in the container, or return a streaming URL to proxy to."""
        ...

    async def attach(
        self, target: ContainerTarget, *, tty: bool, stdin: bool
    ) -> ContainerProcess | str:
        """Attach to the container's main process, or return a streaming URL to proxy to."""
        ...

    async def pod_netns(self, namespace: str, pod_name: str) -> str | None:
        """Path of the pod's network namespace; None means this process's own namespace."""
        ...

    async def summary(self, *, only_cpu_and_memory: bool = False) -> dict[str, Any]:
        """The stats/v1alpha1 Summary (`/stats/summary`); raising fails the request with 500."""
        ...

    async def resource_metrics(self) -> str:
        """The Prometheus text of `/metrics/resource` (scrape errors are reported inside it)."""
        ...
