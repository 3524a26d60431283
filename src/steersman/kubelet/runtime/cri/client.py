"""`CriRuntime`: the `Runtime` protocol over CRI runtime.v1 gRPC (grpc.aio) to containerd.

Invariants:
- One channel per instance, opened on first use inside the running event loop (grpc.aio
  objects belong to the loop that made them) and closed by `close()`; calls fail fast with
  `Unavailable` while the runtime is down (no wait-for-ready, as the Go kubelet).
- Deadlines are the kubelet's (k8s.io/cri-client): `timeout` (default 2 min) per call;
  twice that for RunPodSandbox; timeout + grace for StopContainer; timeout + the command's
  own timeout for ExecSync (none when the command has none); PullImage gets `pull_timeout`
  (default none: a pull ends when it ends or when the caller cancels it).
- Every gRPC failure becomes a `RuntimeApiError` subclass chosen by status code; answers
  missing required fields become `InvalidResponse` with upstream's wording.
- Messages up to 16 MiB are accepted (upstream's maxMsgSize; ExecSync output can be large).
- Methods are called by their wire path (`/runtime.v1.RuntimeService/Version`) with the typed
  api_pb2 classes, not through the untyped api_pb2_grpc stubs, so mypy checks every answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.interface import (
    KUBE_RUNTIME_API_VERSION,
    AlreadyExists,
    CommandTimedOut,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    InvalidResponse,
    NotFound,
    PlainError,
    RuntimeApiError,
    Unavailable,
    Unimplemented,
)

R = TypeVar("R", bound=Message)

DEFAULT_TIMEOUT = 120.0  # the kubelet's --runtime-request-timeout default
MAX_MSG_SIZE = 16 * 1024 * 1024
RUNTIME_SERVICE = "runtime.v1.RuntimeService"
IMAGE_SERVICE = "runtime.v1.ImageService"

# grpc.StatusCode names -> the CamelCase names Go's codes.Code prints.
_GO_CODE_NAMES = {
    "OK": "OK",
    "CANCELLED": "Canceled",
    "UNKNOWN": "Unknown",
    "INVALID_ARGUMENT": "InvalidArgument",
    "DEADLINE_EXCEEDED": "DeadlineExceeded",
    "NOT_FOUND": "NotFound",
    "ALREADY_EXISTS": "AlreadyExists",
    "PERMISSION_DENIED": "PermissionDenied",
    "RESOURCE_EXHAUSTED": "ResourceExhausted",
    "FAILED_PRECONDITION": "FailedPrecondition",
    "ABORTED": "Aborted",
    "OUT_OF_RANGE": "OutOfRange",
    "UNIMPLEMENTED": "Unimplemented",
    "INTERNAL": "Internal",
    "UNAVAILABLE": "Unavailable",
    "DATA_LOSS": "DataLoss",
    "UNAUTHENTICATED": "Unauthenticated",
}

_ERROR_CLASSES: dict[str, type[RuntimeApiError]] = {
    "NotFound": NotFound,
    "AlreadyExists": AlreadyExists,
    "InvalidArgument": InvalidArgument,
    "FailedPrecondition": FailedPrecondition,
    "Unimplemented": Unimplemented,
    "Unavailable": Unavailable,
    "DeadlineExceeded": DeadlineExceeded,
}


def go_code_name(code: Any) -> str:
    """`grpc.StatusCode.NOT_FOUND` -> `NotFound`."""
    name = getattr(code, "name", str(code))
    return _GO_CODE_NAMES.get(name, "Unknown")


def error_from_rpc(err: Any) -> RuntimeApiError:
    """The RuntimeApiError for a grpc.aio.AioRpcError (or anything with code()/details())."""
    code = go_code_name(err.code())
    message = err.details() or ""
    return _ERROR_CLASSES.get(code, RuntimeApiError)(message, code=code)


def go_duration(seconds: float) -> str:
    """A duration as Go's time.Duration prints it: 1s, 1.5s, 2m0s, 1h0m30s, 0s."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    total = abs(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{secs:.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{secs_text}s"
    if minutes:
        return f"{sign}{int(minutes)}m{secs_text}s"
    return f"{sign}{secs_text}s"


def unix_target(address: str) -> str:
    """A grpc target for a CRI endpoint given as a path or a unix:// URL."""
    if address.startswith("unix://"):
        path = address[len("unix://") :]
    elif address.startswith("unix:"):
        path = address[len("unix:") :]
    else:
        path = address
    return f"unix://{path}" if path.startswith("/") else f"unix:{path}"


def verify_sandbox_status(status: api.PodSandboxStatus) -> None:
    if not status.id:
        raise InvalidResponse("status.Id is not set")
    if not status.HasField("metadata"):
        raise InvalidResponse("status.Metadata is not set")
    md = status.metadata
    if not md.name or not md.namespace or not md.uid:
        raise InvalidResponse(
            "metadata.Name, metadata.Namespace or metadata.Uid is not in metadata "
            f"{json.dumps(str(md).strip())}"
        )
    if status.created_at == 0:
        raise InvalidResponse("status.CreatedAt is not set")


def verify_container_status(status: api.ContainerStatus) -> None:
    if not status.id:
        raise InvalidResponse("status.Id is not set")
    if not status.HasField("metadata"):
        raise InvalidResponse("status.Metadata is not set")
    if not status.metadata.name:
        raise InvalidResponse(
            f"metadata.Name is not in metadata {json.dumps(str(status.metadata).strip())}"
        )
    if status.created_at == 0:
        raise InvalidResponse("status.CreatedAt is not set")
    if not status.image.image:
        raise InvalidResponse("status.Image is not set")
    if not status.image_ref:
        raise InvalidResponse("status.ImageRef is not set")


class CriRuntime:
    """The Runtime protocol spoken to a CRI endpoint (containerd's socket)."""

    def __init__(
        self,
        address: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        pull_timeout: float | None = None,
    ) -> None:
        self.address = address
        self.target = unix_target(address)
        self.timeout = timeout
        self.pull_timeout = pull_timeout
        self._channel: Any = None
        self._methods: dict[str, Any] = {}

    async def __aenter__(self) -> CriRuntime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        channel, self._channel = self._channel, None
        self._methods.clear()
        if channel is not None:
            await channel.close()

    def _open(self) -> Any:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(
                self.target,
                options=[
                    ("grpc.max_receive_message_length", MAX_MSG_SIZE),
                    ("grpc.max_send_message_length", MAX_MSG_SIZE),
                    ("grpc.enable_http_proxy", 0),
                    # Reconnect quickly after containerd restarts (upstream: 100ms..3s).
                    ("grpc.initial_reconnect_backoff_ms", 100),
                    ("grpc.max_reconnect_backoff_ms", 3000),
                ],
            )
        return self._channel

    async def _call(
        self,
        service: str,
        method: str,
        request: Message,
        response: type[R],
        timeout: float | None,
    ) -> R:
        path = f"/{service}/{method}"
        callable_ = self._methods.get(path)
        if callable_ is None:
            callable_ = self._open().unary_unary(
                path,
                request_serializer=type(request).SerializeToString,
                response_deserializer=response.FromString,
            )
            self._methods[path] = callable_
        try:
            result: R = await callable_(request, timeout=timeout)
        except grpc.aio.AioRpcError as err:
            raise error_from_rpc(err) from None
        return result

    async def _runtime(
        self, method: str, request: Message, response: type[R], timeout: float | None = None
    ) -> R:
        t = self.timeout if timeout is None else timeout
        return await self._call(RUNTIME_SERVICE, method, request, response, t)

    async def _image(
        self, method: str, request: Message, response: type[R], timeout: float | None = None
    ) -> R:
        t = self.timeout if timeout is None else timeout
        return await self._call(IMAGE_SERVICE, method, request, response, t)

    # ---- runtime ----
    async def version(self, api_version: str = KUBE_RUNTIME_API_VERSION) -> api.VersionResponse:
        resp = await self._runtime(
            "Version", api.VersionRequest(version=api_version), api.VersionResponse
        )
        missing = [
            name
            for name, value in (
                ("Version", resp.version),
                ("RuntimeName", resp.runtime_name),
                ("RuntimeApiVersion", resp.runtime_api_version),
                ("RuntimeVersion", resp.runtime_version),
            )
            if not value
        ]
        if missing:
            raise InvalidResponse(
                f"not all fields are set in VersionResponse (missing {', '.join(missing)})"
            )
        return resp

    async def status(self, verbose: bool = False) -> api.StatusResponse:
        resp = await self._runtime("Status", api.StatusRequest(verbose=verbose), api.StatusResponse)
        if len(resp.status.conditions) < 2:
            raise InvalidResponse("RuntimeReady or NetworkReady condition are not set")
        return resp

    async def update_runtime_config(self, runtime_config: api.RuntimeConfig) -> None:
        await self._runtime(
            "UpdateRuntimeConfig",
            api.UpdateRuntimeConfigRequest(runtime_config=runtime_config),
            api.UpdateRuntimeConfigResponse,
        )

    # ---- pod sandboxes ----
    async def run_pod_sandbox(self, config: api.PodSandboxConfig, runtime_handler: str = "") -> str:
        resp = await self._runtime(
            "RunPodSandbox",
            api.RunPodSandboxRequest(config=config, runtime_handler=runtime_handler),
            api.RunPodSandboxResponse,
            timeout=self.timeout * 2,  # sandbox setup includes CNI; upstream doubles it
        )
        if not resp.pod_sandbox_id:
            raise InvalidResponse(
                f"PodSandboxId is not set for sandbox {json.dumps(str(config.metadata).strip())}"
            )
        return resp.pod_sandbox_id

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await self._runtime(
            "StopPodSandbox",
            api.StopPodSandboxRequest(pod_sandbox_id=pod_sandbox_id),
            api.StopPodSandboxResponse,
        )

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await self._runtime(
            "RemovePodSandbox",
            api.RemovePodSandboxRequest(pod_sandbox_id=pod_sandbox_id),
            api.RemovePodSandboxResponse,
        )

    async def pod_sandbox_status(
        self, pod_sandbox_id: str, verbose: bool = False
    ) -> api.PodSandboxStatusResponse:
        resp = await self._runtime(
            "PodSandboxStatus",
            api.PodSandboxStatusRequest(pod_sandbox_id=pod_sandbox_id, verbose=verbose),
            api.PodSandboxStatusResponse,
        )
        if resp.HasField("status"):
            verify_sandbox_status(resp.status)
        return resp

    async def list_pod_sandbox(
        self, filter: api.PodSandboxFilter | None = None
    ) -> list[api.PodSandbox]:
        resp = await self._runtime(
            "ListPodSandbox", api.ListPodSandboxRequest(filter=filter), api.ListPodSandboxResponse
        )
        return list(resp.items)

    # ---- containers ----
    async def create_container(
        self,
        pod_sandbox_id: str,
        config: api.ContainerConfig,
        sandbox_config: api.PodSandboxConfig,
    ) -> str:
        resp = await self._runtime(
            "CreateContainer",
            api.CreateContainerRequest(
                pod_sandbox_id=pod_sandbox_id, config=config, sandbox_config=sandbox_config
            ),
            api.CreateContainerResponse,
        )
        if not resp.container_id:
            raise InvalidResponse(
                f"ContainerId is not set for container {json.dumps(str(config.metadata).strip())}"
            )
        return resp.container_id

    async def start_container(self, container_id: str) -> None:
        await self._runtime(
            "StartContainer",
            api.StartContainerRequest(container_id=container_id),
            api.StartContainerResponse,
        )

    async def stop_container(self, container_id: str, timeout: int) -> None:
        await self._runtime(
            "StopContainer",
            api.StopContainerRequest(container_id=container_id, timeout=timeout),
            api.StopContainerResponse,
            # The grace period plus the usual deadline, for the SIGKILL and the round trip.
            timeout=self.timeout + max(timeout, 0),
        )

    async def remove_container(self, container_id: str) -> None:
        await self._runtime(
            "RemoveContainer",
            api.RemoveContainerRequest(container_id=container_id),
            api.RemoveContainerResponse,
        )

    async def list_containers(
        self, filter: api.ContainerFilter | None = None
    ) -> list[api.Container]:
        resp = await self._runtime(
            "ListContainers", api.ListContainersRequest(filter=filter), api.ListContainersResponse
        )
        return list(resp.containers)

    async def container_status(
        self, container_id: str, verbose: bool = False
    ) -> api.ContainerStatusResponse:
        resp = await self._runtime(
            "ContainerStatus",
            api.ContainerStatusRequest(container_id=container_id, verbose=verbose),
            api.ContainerStatusResponse,
        )
        if resp.HasField("status"):
            verify_container_status(resp.status)
        return resp

    async def update_container_resources(
        self, container_id: str, resources: api.ContainerResources
    ) -> None:
        request = api.UpdateContainerResourcesRequest(container_id=container_id)
        if resources.HasField("linux"):
            request.linux.CopyFrom(resources.linux)
        await self._runtime(
            "UpdateContainerResources", request, api.UpdateContainerResourcesResponse
        )

    async def reopen_container_log(self, container_id: str) -> None:
        await self._runtime(
            "ReopenContainerLog",
            api.ReopenContainerLogRequest(container_id=container_id),
            api.ReopenContainerLogResponse,
        )

    # ---- exec, attach, port-forward ----
    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], timeout: float = 0
    ) -> api.ExecSyncResponse:
        request = api.ExecSyncRequest(container_id=container_id, cmd=cmd, timeout=int(timeout))
        try:
            return await self._call(
                RUNTIME_SERVICE,
                "ExecSync",
                request,
                api.ExecSyncResponse,
                # No deadline for a command without one; otherwise leave room for cleanup.
                self.timeout + timeout if timeout else None,
            )
        except DeadlineExceeded:
            raise CommandTimedOut(
                f"command timed out: {json.dumps(' '.join(cmd))} timed out after "
                f"{go_duration(timeout)}"
            ) from None

    async def exec(self, request: api.ExecRequest) -> str:
        resp = await self._runtime("Exec", request, api.ExecResponse)
        if not resp.url:
            raise InvalidResponse("URL is not set")
        return resp.url

    async def attach(self, request: api.AttachRequest) -> str:
        resp = await self._runtime("Attach", request, api.AttachResponse)
        if not resp.url:
            raise InvalidResponse("URL is not set")
        return resp.url

    async def port_forward(self, request: api.PortForwardRequest) -> str:
        resp = await self._runtime("PortForward", request, api.PortForwardResponse)
        if not resp.url:
            raise InvalidResponse("URL is not set")
        return resp.url

    # ---- stats ----
    async def container_stats(self, container_id: str) -> api.ContainerStats:
        resp = await self._runtime(
            "ContainerStats",
            api.ContainerStatsRequest(container_id=container_id),
            api.ContainerStatsResponse,
        )
        return resp.stats

    async def list_container_stats(
        self, filter: api.ContainerStatsFilter | None = None
    ) -> list[api.ContainerStats]:
        resp = await self._runtime(
            "ListContainerStats",
            api.ListContainerStatsRequest(filter=filter),
            api.ListContainerStatsResponse,
        )
        return list(resp.stats)

    async def pod_sandbox_stats(self, pod_sandbox_id: str) -> api.PodSandboxStats:
        resp = await self._runtime(
            "PodSandboxStats",
            api.PodSandboxStatsRequest(pod_sandbox_id=pod_sandbox_id),
            api.PodSandboxStatsResponse,
        )
        return resp.stats

    async def list_pod_sandbox_stats(
        self, filter: api.PodSandboxStatsFilter | None = None
    ) -> list[api.PodSandboxStats]:
        resp = await self._runtime(
            "ListPodSandboxStats",
            api.ListPodSandboxStatsRequest(filter=filter),
            api.ListPodSandboxStatsResponse,
        )
        return list(resp.stats)

    # ---- images ----
    async def list_images(self, filter: api.ImageFilter | None = None) -> list[api.Image]:
        resp = await self._image(
            "ListImages", api.ListImagesRequest(filter=filter), api.ListImagesResponse
        )
        return list(resp.images)

    async def image_status(
        self, image: api.ImageSpec, verbose: bool = False
    ) -> api.ImageStatusResponse:
        resp = await self._image(
            "ImageStatus",
            api.ImageStatusRequest(image=image, verbose=verbose),
            api.ImageStatusResponse,
        )
        if resp.HasField("image") and (not resp.image.id or resp.image.size == 0):
            raise InvalidResponse(f"Id or size of image {json.dumps(image.image)} is not set")
        return resp

    async def pull_image(
        self,
        image: api.ImageSpec,
        auth: api.AuthConfig | None = None,
        sandbox_config: api.PodSandboxConfig | None = None,
    ) -> str:
        request = api.PullImageRequest(image=image, auth=auth, sandbox_config=sandbox_config)
        try:
            resp = await self._call(
                IMAGE_SERVICE, "PullImage", request, api.PullImageResponse, self.pull_timeout
            )
        except RuntimeApiError as err:
            if type(err) is RuntimeApiError and err.code == "Unknown":
                # Upstream drops the code from Unknown pull errors (they read better in events).
                raise PlainError(err.message) from None
            raise
        if not resp.image_ref:
            raise InvalidResponse(f"imageRef of image {json.dumps(image.image)} is not set")
        return resp.image_ref

    async def remove_image(self, image: api.ImageSpec) -> None:
        await self._image(
            "RemoveImage", api.RemoveImageRequest(image=image), api.RemoveImageResponse
        )

    async def image_fs_info(self) -> api.ImageFsInfoResponse:
        return await self._image("ImageFsInfo", api.ImageFsInfoRequest(), api.ImageFsInfoResponse)
