"""The container runtime as the kubelet sees it: CRI runtime.v1 (Kubernetes' internalapi
RuntimeService + ImageManagerService), one Protocol with a real and a fake implementation.

Invariants:
- Requests and results are the generated runtime.v1 messages (`steersman.kubelet.runtime.cri.
  api_pb2`), exactly as upstream's Go interface passes `*runtimeapi.X`: the kubelet code that
  builds PodSandboxConfig/ContainerConfig and reads ContainerStatus translates one to one,
  there is no second model to keep in step with the proto, and the fake takes and returns the
  very types containerd does. Callers must not mutate a message after handing it over.
- Times inside messages are int64 nanoseconds since the epoch, as on the wire; 0 means unset.
- Every failure is a `RuntimeApiError`; its subclass says what the kubelet may act on
  (`NotFound` for a container/sandbox that is gone, ...). `str(error)` is worded as the Go
  kubelet prints a gRPC error (`rpc error: code = NotFound desc = ...`), because that text
  reaches events and container status messages.
- Implementations are used from one event loop; methods are coroutines and never block it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from steersman.kubelet.runtime.cri import api_pb2 as api

# What the kubelet sends in VersionRequest (kubeRuntimeAPIVersion upstream).
KUBE_RUNTIME_API_VERSION = "0.1.0"

# CRI runtime condition types the kubelet requires (RuntimeReady, NetworkReady).
RUNTIME_READY = "RuntimeReady"
NETWORK_READY = "NetworkReady"


class RuntimeApiError(Exception):
    """A failed runtime call. `code` is the gRPC status name as Go spells it."""

    code = "Unknown"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"rpc error: code = {self.code} desc = {self.message}"


class NotFound(RuntimeApiError):
    code = "NotFound"


class AlreadyExists(RuntimeApiError):
    code = "AlreadyExists"


class InvalidArgument(RuntimeApiError):
    code = "InvalidArgument"


class FailedPrecondition(RuntimeApiError):
    code = "FailedPrecondition"


class Unimplemented(RuntimeApiError):
    code = "Unimplemented"


class Unavailable(RuntimeApiError):
    """The runtime cannot be reached (socket missing, refused, or going away)."""

    code = "Unavailable"


class DeadlineExceeded(RuntimeApiError):
    code = "DeadlineExceeded"


class CommandTimedOut(DeadlineExceeded):
    """ExecSync ran past its timeout (upstream's ErrCommandTimedOut, same wording)."""

    def __str__(self) -> str:
        return self.message


class InvalidResponse(RuntimeApiError):
    """The runtime answered, but without fields the kubelet requires (upstream's verify*)."""

    def __str__(self) -> str:
        return self.message


class PlainError(RuntimeApiError):
    """An error shown without the gRPC wrapper: upstream strips codes.Unknown from PullImage
    errors so image-pull messages read as the runtime wrote them."""

    def __str__(self) -> str:
        return self.message


@runtime_checkable
class Runtime(Protocol):
    """CRI RuntimeService + ImageService, with upstream's method shapes in snake_case."""

    # ---- runtime ----
    async def version(self, api_version: str = KUBE_RUNTIME_API_VERSION) -> api.VersionResponse:
        """Runtime name/version; every field set, or InvalidResponse."""
        ...

    async def status(self, verbose: bool = False) -> api.StatusResponse:
        """Runtime conditions; at least RuntimeReady and NetworkReady, or InvalidResponse."""
        ...

    async def update_runtime_config(self, runtime_config: api.RuntimeConfig) -> None: ...

    # ---- pod sandboxes ----
    async def run_pod_sandbox(self, config: api.PodSandboxConfig, runtime_handler: str = "") -> str:
        """Create and start a sandbox; its id (ready on return)."""
        ...

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Stop the sandbox and kill its containers; repeating it is harmless."""
        ...

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Remove the sandbox and its containers; removing a removed one is not an error."""
        ...

    async def pod_sandbox_status(
        self, pod_sandbox_id: str, verbose: bool = False
    ) -> api.PodSandboxStatusResponse: ...

    async def list_pod_sandbox(
        self, filter: api.PodSandboxFilter | None = None
    ) -> list[api.PodSandbox]: ...

    # ---- containers ----
    async def create_container(
        self,
        pod_sandbox_id: str,
        config: api.ContainerConfig,
        sandbox_config: api.PodSandboxConfig,
    ) -> str:
        """Create a container (state created) in the sandbox; its id."""
        ...

    async def start_container(self, container_id: str) -> None: ...

    async def stop_container(self, container_id: str, timeout: int) -> None:
        """SIGTERM (or the image's stop signal), SIGKILL after `timeout` seconds; idempotent."""
        ...

    async def remove_container(self, container_id: str) -> None:
        """Remove (killing it first if running); removing a removed one is not an error."""
        ...

    async def list_containers(
        self, filter: api.ContainerFilter | None = None
    ) -> list[api.Container]: ...

    async def container_status(
        self, container_id: str, verbose: bool = False
    ) -> api.ContainerStatusResponse: ...

    async def update_container_resources(
        self, container_id: str, resources: api.ContainerResources
    ) -> None: ...

    async def reopen_container_log(self, container_id: str) -> None: ...

    # ---- exec, attach, port-forward ----
    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], timeout: float = 0
    ) -> api.ExecSyncResponse:
        """Run `cmd` to completion. A non-zero exit is a result (exit_code), not an error;
        running past `timeout` seconds (0: no limit) raises CommandTimedOut."""
        ...

    async def exec(self, request: api.ExecRequest) -> str:
        """The URL of the runtime's streaming server for this exec (the kubelet proxies it)."""
        ...

    async def attach(self, request: api.AttachRequest) -> str: ...

    async def port_forward(self, request: api.PortForwardRequest) -> str: ...

    # ---- stats ----
    async def container_stats(self, container_id: str) -> api.ContainerStats: ...

    async def list_container_stats(
        self, filter: api.ContainerStatsFilter | None = None
    ) -> list[api.ContainerStats]: ...

    async def pod_sandbox_stats(self, pod_sandbox_id: str) -> api.PodSandboxStats: ...

    async def list_pod_sandbox_stats(
        self, filter: api.PodSandboxStatsFilter | None = None
    ) -> list[api.PodSandboxStats]: ...

    # ---- images ----
    async def list_images(self, filter: api.ImageFilter | None = None) -> list[api.Image]: ...

    async def image_status(
        self, image: api.ImageSpec, verbose: bool = False
    ) -> api.ImageStatusResponse:
        """`.image` is unset (HasField false) when the runtime does not have the image."""
        ...

    async def pull_image(
        self,
        image: api.ImageSpec,
        auth: api.AuthConfig | None = None,
        sandbox_config: api.PodSandboxConfig | None = None,
    ) -> str:
        """Pull; the image reference (image id) the runtime now knows it by."""
        ...

    async def remove_image(self, image: api.ImageSpec) -> None: ...

    async def image_fs_info(self) -> api.ImageFsInfoResponse: ...

    async def close(self) -> None: ...
