"""CriRuntime against an in-process grpc.aio server on a unix socket: wire round trips (the
server serves a FakeRuntime), error mapping, per-call deadlines and response verification."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from steersman.kubelet.runtime.cri import CriRuntime
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.cri import api_pb2_grpc as api_grpc
from steersman.kubelet.runtime.cri.client import go_duration, unix_target
from steersman.kubelet.runtime.fake import FakeRuntime
from steersman.kubelet.runtime.interface import (
    AlreadyExists,
    CommandTimedOut,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    InvalidResponse,
    NotFound,
    PlainError,
    Runtime,
    RuntimeApiError,
    Unavailable,
    Unimplemented,
)

IMAGE = "steersman.local/busybox:test"
Handler = Callable[[Any, Any], Awaitable[Any]]

# How each RPC reaches the FakeRuntime behind the test server.
DELEGATES: dict[str, Callable[[FakeRuntime, Any], Awaitable[Any]]] = {
    "Version": lambda rt, r: rt.version(r.version),
    "Status": lambda rt, r: rt.status(r.verbose),
    "RunPodSandbox": lambda rt, r: _wrap(
        api.RunPodSandboxResponse, "pod_sandbox_id", rt.run_pod_sandbox(r.config)
    ),
    "StopPodSandbox": lambda rt, r: _empty(
        api.StopPodSandboxResponse, rt.stop_pod_sandbox(r.pod_sandbox_id)
    ),
    "RemovePodSandbox": lambda rt, r: _empty(
        api.RemovePodSandboxResponse, rt.remove_pod_sandbox(r.pod_sandbox_id)
    ),
    "PodSandboxStatus": lambda rt, r: rt.pod_sandbox_status(r.pod_sandbox_id),
    "ListPodSandbox": lambda rt, r: _wrap(
        api.ListPodSandboxResponse, "items", rt.list_pod_sandbox(r.filter)
    ),
    "CreateContainer": lambda rt, r: _wrap(
        api.CreateContainerResponse,
        "container_id",
        rt.create_container(r.pod_sandbox_id, r.config, r.sandbox_config),
    ),
    "StartContainer": lambda rt, r: _empty(
        api.StartContainerResponse, rt.start_container(r.container_id)
    ),
    "StopContainer": lambda rt, r: _empty(
        api.StopContainerResponse, rt.stop_container(r.container_id, r.timeout)
    ),
    "RemoveContainer": lambda rt, r: _empty(
        api.RemoveContainerResponse, rt.remove_container(r.container_id)
    ),
    "ListContainers": lambda rt, r: _wrap(
        api.ListContainersResponse, "containers", rt.list_containers(r.filter)
    ),
    "ContainerStatus": lambda rt, r: rt.container_status(r.container_id),
    "ExecSync": lambda rt, r: rt.exec_sync(r.container_id, list(r.cmd), r.timeout),
    "Exec": lambda rt, r: _wrap(api.ExecResponse, "url", rt.exec(r)),
    "ContainerStats": lambda rt, r: _wrap(
        api.ContainerStatsResponse, "stats", rt.container_stats(r.container_id)
    ),
}
IMAGE_DELEGATES: dict[str, Callable[[FakeRuntime, Any], Awaitable[Any]]] = {
    "ImageStatus": lambda rt, r: rt.image_status(r.image),
    "ListImages": lambda rt, r: _wrap(api.ListImagesResponse, "images", rt.list_images()),
    "PullImage": lambda rt, r: _wrap(api.PullImageResponse, "image_ref", rt.pull_image(r.image)),
}
_STATUS_CODES = {
    "".join(part.title() for part in code.name.split("_")): code for code in grpc.StatusCode
}
_STATUS_CODES["Canceled"] = grpc.StatusCode.CANCELLED


async def _wrap(response: Any, field: str, result: Awaitable[Any]) -> Any:
    value = await result
    if isinstance(value, list):
        return response(**{field: value})
    message = response()
    if isinstance(value, str):
        setattr(message, field, value)
    else:
        getattr(message, field).CopyFrom(value)
    return message


async def _empty(response: Any, result: Awaitable[None]) -> Any:
    await result
    return response()


class Server:
    """Serves RuntimeService and ImageService from a FakeRuntime, unless `script` overrides
    a method; records each request and the deadline the client set on it."""

    def __init__(self, rt: FakeRuntime) -> None:
        self.rt = rt
        self.script: dict[str, Handler] = {}
        self.deadlines: dict[str, float | None] = {}
        self.requests: dict[str, Any] = {}

    def servicer(self, base: type, delegates: dict[str, Any]) -> Any:
        def make(name: str) -> Handler:
            async def handle(request: Any, context: Any) -> Any:
                self.deadlines[name] = context.time_remaining()
                self.requests[name] = request
                try:
                    if name in self.script:
                        return await self.script[name](request, context)
                    return await delegates[name](self.rt, request)
                except RuntimeApiError as err:
                    await context.abort(_STATUS_CODES[err.code], err.message)

            return handle

        return type("Servicer", (base,), {name: staticmethod(make(name)) for name in delegates})()


@pytest.fixture
async def served() -> AsyncIterator[tuple[Server, CriRuntime]]:
    # A short directory: unix socket paths are limited to 107 bytes.
    tmp = Path(tempfile.mkdtemp(prefix="cri-"))
    rt = FakeRuntime()
    rt.add_image(IMAGE)
    state = Server(rt)
    server = grpc.aio.server()
    api_grpc.add_RuntimeServiceServicer_to_server(
        state.servicer(api_grpc.RuntimeServiceServicer, DELEGATES), server
    )
    api_grpc.add_ImageServiceServicer_to_server(
        state.servicer(api_grpc.ImageServiceServicer, IMAGE_DELEGATES), server
    )
    server.add_insecure_port(f"unix://{tmp}/cri.sock")
    await server.start()
    client = CriRuntime(str(tmp / "cri.sock"), timeout=5.0)
    try:
        yield state, client
    finally:
        await client.close()
        await server.stop(None)
        shutil.rmtree(tmp, ignore_errors=True)


def sandbox_config() -> api.PodSandboxConfig:
    config = api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name="web", namespace="default", uid="uid-1"),
        labels={"app": "web"},
    )
    config.linux.cgroup_parent = "/kubepods/besteffort/poduid-1"
    config.linux.security_context.namespace_options.network = api.NODE
    return config


def container_config() -> api.ContainerConfig:
    return api.ContainerConfig(
        metadata=api.ContainerMetadata(name="app"),
        image=api.ImageSpec(image=IMAGE),
        command=["sh", "-c", "echo hi; sleep 30"],
    )


def test_implements_the_runtime_protocol() -> None:
    assert isinstance(CriRuntime("/run/x.sock"), Runtime)


def test_unix_target() -> None:
    assert (
        unix_target("/run/containerd/containerd.sock") == "unix:///run/containerd/containerd.sock"
    )
    assert unix_target("unix:///run/c.sock") == "unix:///run/c.sock"
    assert unix_target("unix:/run/c.sock") == "unix:///run/c.sock"
    assert unix_target("rel/c.sock") == "unix:rel/c.sock"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (1, "1s"), (1.5, "1.5s"), (60, "1m0s"), (125, "2m5s"), (3630, "1h0m30s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


async def test_lifecycle_round_trip(served: tuple[Server, CriRuntime]) -> None:
    server, cri = served
    version = await cri.version()
    assert server.requests["Version"].version == "0.1.0"
    assert version.runtime_name == "fake"

    sid = await cri.run_pod_sandbox(sandbox_config())
    sent = server.requests["RunPodSandbox"].config
    assert sent.linux.cgroup_parent == "/kubepods/besteffort/poduid-1"
    assert sent.linux.security_context.namespace_options.network == api.NODE
    cid = await cri.create_container(sid, container_config(), sandbox_config())
    await cri.start_container(cid)
    status = (await cri.container_status(cid)).status
    assert status.state == api.CONTAINER_RUNNING
    assert list(server.requests["CreateContainer"].config.command) == [
        "sh",
        "-c",
        "echo hi; sleep 30",
    ]
    assert [c.id for c in await cri.list_containers(api.ContainerFilter(pod_sandbox_id=sid))] == [
        cid
    ]
    assert [s.id for s in await cri.list_pod_sandbox()] == [sid]
    server.rt.exec_handler = lambda _id, cmd: (b"ok\n", b"", 0)
    assert (await cri.exec_sync(cid, ["echo", "ok"])).stdout == b"ok\n"
    assert (await cri.exec(api.ExecRequest(container_id=cid, cmd=["sh"]))).startswith("http://")
    assert (await cri.container_stats(cid)).attributes.id == cid

    await cri.stop_container(cid, 0)
    assert (await cri.container_status(cid)).status.exit_code == 137
    await cri.remove_container(cid)
    await cri.stop_pod_sandbox(sid)
    await cri.remove_pod_sandbox(sid)
    assert await cri.list_pod_sandbox() == []


async def test_images_round_trip(served: tuple[Server, CriRuntime]) -> None:
    server, cri = served
    status = await cri.image_status(api.ImageSpec(image=IMAGE))
    assert status.image.repo_tags == [IMAGE]
    assert not (await cri.image_status(api.ImageSpec(image="nope:1"))).HasField("image")
    assert [i.repo_tags[0] for i in await cri.list_images()] == [IMAGE]
    pullable = server.rt.add_image("app:1", present=False)
    assert await cri.pull_image(api.ImageSpec(image="app:1")) == pullable.id


async def test_not_found_keeps_the_go_wording(served: tuple[Server, CriRuntime]) -> None:
    _, cri = served
    with pytest.raises(NotFound) as e:
        await cri.container_status("deadbeef")
    assert str(e.value) == (
        'rpc error: code = NotFound desc = an error occurred when try to find container "deadbeef"'
        ": not found"
    )
    assert e.value.code == "NotFound"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (grpc.StatusCode.NOT_FOUND, NotFound),
        (grpc.StatusCode.ALREADY_EXISTS, AlreadyExists),
        (grpc.StatusCode.INVALID_ARGUMENT, InvalidArgument),
        (grpc.StatusCode.FAILED_PRECONDITION, FailedPrecondition),
        (grpc.StatusCode.UNIMPLEMENTED, Unimplemented),
        (grpc.StatusCode.UNAVAILABLE, Unavailable),
        (grpc.StatusCode.DEADLINE_EXCEEDED, DeadlineExceeded),
        (grpc.StatusCode.UNKNOWN, RuntimeApiError),
        (grpc.StatusCode.INTERNAL, RuntimeApiError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, RuntimeApiError),
    ],
)
async def test_status_codes_map_to_errors(
    served: tuple[Server, CriRuntime], code: grpc.StatusCode, cls: type[RuntimeApiError]
) -> None:
    server, cri = served

    async def fail(request: Any, context: Any) -> Any:
        await context.abort(code, "it went wrong")

    server.script["StartContainer"] = fail
    with pytest.raises(RuntimeApiError) as e:
        await cri.start_container("c1")
    assert type(e.value) is cls
    go_name = {"RESOURCE_EXHAUSTED": "ResourceExhausted", "INTERNAL": "Internal"}.get(
        code.name, e.value.code
    )
    assert str(e.value) == f"rpc error: code = {go_name} desc = it went wrong"


async def test_unimplemented_method(served: tuple[Server, CriRuntime]) -> None:
    _, cri = served
    # The test server has no ReopenContainerLog: grpc answers UNIMPLEMENTED.
    with pytest.raises(Unimplemented):
        await cri.reopen_container_log("c1")


async def test_unavailable_when_nothing_listens(tmp_path: Path) -> None:
    async with CriRuntime(str(tmp_path / "none.sock"), timeout=5.0) as cri:
        with pytest.raises(Unavailable):
            await cri.version()


async def test_pull_errors_drop_unknown_code(served: tuple[Server, CriRuntime]) -> None:
    _, cri = served
    with pytest.raises(PlainError) as e:
        await cri.pull_image(api.ImageSpec(image="nope:1"))
    assert str(e.value).startswith(
        'failed to pull and unpack image "default.invalid/library/nope:1"'
    )
    assert e.value.code == "Unknown"


async def test_deadlines_per_call(served: tuple[Server, CriRuntime]) -> None:
    server, cri = served
    server.rt.add_image("app:1", present=False)
    sid = await cri.run_pod_sandbox(sandbox_config())
    cid = await cri.create_container(sid, container_config(), sandbox_config())
    await cri.start_container(cid)
    await cri.exec_sync(cid, ["true"])
    await cri.exec_sync(cid, ["true"], timeout=30)
    exec_with_timeout = server.deadlines["ExecSync"]
    await cri.stop_container(cid, 60)
    await cri.pull_image(api.ImageSpec(image="app:1"))

    def near(value: float | None, expected: float) -> bool:
        return value is not None and expected - 1.0 < value < expected + 0.5

    assert near(server.deadlines["StartContainer"], 5.0)
    assert near(server.deadlines["RunPodSandbox"], 10.0)  # twice the timeout
    assert near(exec_with_timeout, 35.0)  # timeout + the command's own
    assert near(server.deadlines["StopContainer"], 65.0)  # timeout + grace period
    assert server.deadlines["PullImage"] is None  # no deadline by default


async def test_exec_sync_without_timeout_has_no_deadline(
    served: tuple[Server, CriRuntime],
) -> None:
    server, cri = served
    sid = await cri.run_pod_sandbox(sandbox_config())
    cid = await cri.create_container(sid, container_config(), sandbox_config())
    await cri.start_container(cid)
    await cri.exec_sync(cid, ["true"])
    assert server.deadlines["ExecSync"] is None


async def test_exec_sync_timeout_is_command_timed_out(
    served: tuple[Server, CriRuntime],
) -> None:
    server, cri = served
    cri.timeout = 0.05

    async def hang(request: Any, context: Any) -> Any:
        await asyncio.sleep(5)
        return api.ExecSyncResponse()

    server.script["ExecSync"] = hang
    with pytest.raises(CommandTimedOut) as e:
        await cri.exec_sync("c1", ["sleep", "5"], timeout=1)
    assert str(e.value) == 'command timed out: "sleep 5" timed out after 1s'
    assert server.requests["ExecSync"].timeout == 1


async def test_slow_runtime_hits_the_deadline(served: tuple[Server, CriRuntime]) -> None:
    server, cri = served
    cri.timeout = 0.05

    async def hang(request: Any, context: Any) -> Any:
        await asyncio.sleep(5)
        return api.ContainerStatusResponse()

    server.script["ContainerStatus"] = hang
    with pytest.raises(DeadlineExceeded) as e:
        await cri.container_status("c1")
    assert str(e.value) == "rpc error: code = DeadlineExceeded desc = Deadline Exceeded"


async def _answer(response: Any) -> Handler:
    async def handler(request: Any, context: Any) -> Any:
        return response

    return handler


async def test_incomplete_answers_are_invalid(served: tuple[Server, CriRuntime]) -> None:
    server, cri = served
    server.script["Version"] = await _answer(api.VersionResponse(version="0.1.0"))
    with pytest.raises(InvalidResponse) as e:
        await cri.version()
    assert str(e.value) == (
        "not all fields are set in VersionResponse "
        "(missing RuntimeName, RuntimeApiVersion, RuntimeVersion)"
    )

    one = api.RuntimeStatus(conditions=[api.RuntimeCondition(type="RuntimeReady", status=True)])
    server.script["Status"] = await _answer(api.StatusResponse(status=one))
    with pytest.raises(InvalidResponse, match="RuntimeReady or NetworkReady condition"):
        await cri.status()

    no_ref = api.ContainerStatus(
        id="c1",
        metadata=api.ContainerMetadata(name="app"),
        created_at=1,
        image=api.ImageSpec(image=IMAGE),
    )
    server.script["ContainerStatus"] = await _answer(api.ContainerStatusResponse(status=no_ref))
    with pytest.raises(InvalidResponse, match=r"^status\.ImageRef is not set$"):
        await cri.container_status("c1")

    no_created = api.PodSandboxStatus(
        id="s1", metadata=api.PodSandboxMetadata(name="p", namespace="n", uid="u")
    )
    server.script["PodSandboxStatus"] = await _answer(
        api.PodSandboxStatusResponse(status=no_created)
    )
    with pytest.raises(InvalidResponse, match=r"^status\.CreatedAt is not set$"):
        await cri.pod_sandbox_status("s1")

    server.script["Exec"] = await _answer(api.ExecResponse())
    with pytest.raises(InvalidResponse, match=r"^URL is not set$"):
        await cri.exec(api.ExecRequest(container_id="c1", cmd=["sh"]))

    server.script["RunPodSandbox"] = await _answer(api.RunPodSandboxResponse())
    with pytest.raises(InvalidResponse, match="PodSandboxId is not set"):
        await cri.run_pod_sandbox(sandbox_config())

    zero = api.Image(id="sha256:1", repo_tags=[IMAGE])
    server.script["ImageStatus"] = await _answer(api.ImageStatusResponse(image=zero))
    with pytest.raises(InvalidResponse, match=f'Id or size of image "{IMAGE}" is not set'):
        await cri.image_status(api.ImageSpec(image=IMAGE))


async def test_reconnects_after_the_runtime_restarts(tmp_path: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="cri-"))
    sock = tmp / "cri.sock"
    rt = FakeRuntime()

    async def serve() -> Any:
        server = grpc.aio.server()
        state = Server(rt)
        api_grpc.add_RuntimeServiceServicer_to_server(
            state.servicer(api_grpc.RuntimeServiceServicer, DELEGATES), server
        )
        server.add_insecure_port(f"unix://{sock}")
        await server.start()
        return server

    try:
        async with CriRuntime(str(sock), timeout=5.0) as cri:
            server = await serve()
            assert (await cri.version()).runtime_name == "fake"
            await server.stop(None)
            with pytest.raises(Unavailable):
                await cri.version()
            server = await serve()
            for _ in range(50):  # reconnect backoff starts at 100 ms
                try:
                    assert (await cri.version()).runtime_name == "fake"
                    break
                except Unavailable:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the client never reconnected")
            await server.stop(None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
