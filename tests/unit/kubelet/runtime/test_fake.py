"""FakeRuntime: lifecycle, idempotency, reservations and error wording as measured on
containerd 1.6 (tests/e2e/node/test_cri.py drives the real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.fake import FakeRuntime, normalize_image
from steersman.kubelet.runtime.interface import (
    NotFound,
    PlainError,
    Runtime,
    RuntimeApiError,
)

IMAGE = "steersman.local/busybox:test"


def sandbox_config(
    name: str = "web", uid: str = "uid-1", *, host_network: bool = False, log_dir: str = ""
) -> api.PodSandboxConfig:
    config = api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name=name, namespace="default", uid=uid),
        hostname="" if host_network else name,
        log_directory=log_dir,
        labels={"io.kubernetes.pod.name": name},
    )
    config.linux.cgroup_parent = f"/kubepods/besteffort/pod{uid}"
    if host_network:
        config.linux.security_context.namespace_options.network = api.NODE
    return config


def container_config(name: str = "app", attempt: int = 0) -> api.ContainerConfig:
    return api.ContainerConfig(
        metadata=api.ContainerMetadata(name=name, attempt=attempt),
        image=api.ImageSpec(image=IMAGE),
        command=["sh", "-c", "echo hi; sleep 30"],
        log_path=f"{name}/{attempt}.log",
        labels={"io.kubernetes.container.name": name},
    )


@pytest.fixture
def rt() -> FakeRuntime:
    fake = FakeRuntime(clock=iter(range(1_000, 10**9, 1_000)).__next__)
    fake.add_image(IMAGE)
    return fake


async def _running(rt: FakeRuntime, name: str = "app") -> tuple[str, str]:
    pod = sandbox_config(f"pod-{name}", f"uid-{name}")
    sid = await rt.run_pod_sandbox(pod)
    cid = await rt.create_container(sid, container_config(name), pod)
    await rt.start_container(cid)
    return sid, cid


def test_implements_the_runtime_protocol() -> None:
    assert isinstance(FakeRuntime(), Runtime)


async def test_version_and_status() -> None:
    rt = FakeRuntime()
    version = await rt.version()
    assert (version.version, version.runtime_api_version) == ("0.1.0", "v1")
    rt.conditions["NetworkReady"] = (False, "NetworkPluginNotReady", "cni not initialized")
    conditions = {c.type: c for c in (await rt.status()).status.conditions}
    assert conditions["RuntimeReady"].status is True
    assert conditions["NetworkReady"].status is False
    assert conditions["NetworkReady"].reason == "NetworkPluginNotReady"


async def test_container_lifecycle(rt: FakeRuntime) -> None:
    sid = await rt.run_pod_sandbox(sandbox_config(log_dir="/logs/default_web_uid-1"))
    cid = await rt.create_container(sid, container_config(), sandbox_config())
    status = (await rt.container_status(cid)).status
    assert status.state == api.CONTAINER_CREATED
    assert status.log_path == "/logs/default_web_uid-1/app/0.log"
    assert status.image_ref.startswith("sha256:") and status.image_ref == status.image_id
    assert status.started_at == 0

    await rt.start_container(cid)
    status = (await rt.container_status(cid)).status
    assert status.state == api.CONTAINER_RUNNING
    assert status.started_at > status.created_at > 0

    await rt.stop_container(cid, 30)
    status = (await rt.container_status(cid)).status
    assert status.state == api.CONTAINER_EXITED
    assert (status.exit_code, status.reason) == (137, "Error")
    assert status.finished_at > status.started_at

    await rt.stop_container(cid, 30)  # idempotent
    await rt.remove_container(cid)
    await rt.remove_container(cid)  # idempotent
    with pytest.raises(NotFound) as e:
        await rt.container_status(cid)
    assert str(e.value) == (
        f'rpc error: code = NotFound desc = an error occurred when try to find container "{cid}"'
        ": not found"
    )


async def test_exit_codes_and_reasons(rt: FakeRuntime) -> None:
    _, cid = await _running(rt)
    rt.set_exit_code(cid, 0)
    await rt.stop_container(cid, 1)
    status = (await rt.container_status(cid)).status
    assert (status.exit_code, status.reason) == (0, "Completed")

    _, other = await _running(rt, "other")
    rt.exit_container(other, 3)
    assert (await rt.container_status(other)).status.reason == "Error"
    with pytest.raises(ValueError):
        rt.exit_container(other, 0)

    _, oom = await _running(rt, "oom")
    rt.exit_container(oom, 137, reason="OOMKilled")
    assert (await rt.container_status(oom)).status.reason == "OOMKilled"


async def test_starting_twice_and_stopping_created(rt: FakeRuntime) -> None:
    sid = await rt.run_pod_sandbox(sandbox_config())
    cid = await rt.create_container(sid, container_config(), sandbox_config())
    await rt.stop_container(cid, 0)
    assert (await rt.container_status(cid)).status.state == api.CONTAINER_CREATED
    await rt.start_container(cid)
    with pytest.raises(RuntimeApiError) as e:
        await rt.start_container(cid)
    assert e.value.code == "Unknown"
    assert e.value.message == (
        f'failed to set starting state for container "{cid}": container is in '
        "CONTAINER_RUNNING state"
    )


async def test_names_are_reserved_until_removed(rt: FakeRuntime) -> None:
    sid = await rt.run_pod_sandbox(sandbox_config())
    with pytest.raises(RuntimeApiError) as e:
        await rt.run_pod_sandbox(sandbox_config())
    assert e.value.message == (
        'failed to reserve sandbox name "web_default_uid-1_0": name "web_default_uid-1_0" '
        f'is reserved for "{sid}"'
    )
    cid = await rt.create_container(sid, container_config(), sandbox_config())
    await rt.start_container(cid)
    await rt.stop_container(cid, 0)
    with pytest.raises(RuntimeApiError, match="is reserved for"):
        await rt.create_container(sid, container_config(), sandbox_config())
    # The next attempt has another name; removing the old one frees its name.
    await rt.create_container(sid, container_config(attempt=1), sandbox_config())
    await rt.remove_container(cid)
    await rt.create_container(sid, container_config(), sandbox_config())
    await rt.stop_pod_sandbox(sid)
    await rt.remove_pod_sandbox(sid)
    assert await rt.run_pod_sandbox(sandbox_config()) != sid


async def test_sandbox_network(rt: FakeRuntime) -> None:
    pod = await rt.pod_sandbox_status(await rt.run_pod_sandbox(sandbox_config("a", "u-a")))
    assert pod.status.network.ip.startswith("10.88.")
    host = await rt.pod_sandbox_status(
        await rt.run_pod_sandbox(sandbox_config("b", "u-b", host_network=True))
    )
    assert host.status.network.ip == ""
    assert host.status.linux.namespaces.options.network == api.NODE
    bad = sandbox_config("c", "u-c", host_network=True)
    bad.hostname = "c"
    with pytest.raises(RuntimeApiError, match="unable to set hostname without a private UTS"):
        await rt.run_pod_sandbox(bad)


async def test_stopping_a_sandbox_kills_its_containers(rt: FakeRuntime) -> None:
    sid, cid = await _running(rt)
    await rt.stop_pod_sandbox(sid)
    await rt.stop_pod_sandbox(sid)  # idempotent
    status = (await rt.pod_sandbox_status(sid)).status
    assert status.state == api.SANDBOX_NOTREADY
    cs = (await rt.container_status(cid)).status
    assert (cs.state, cs.exit_code) == (api.CONTAINER_EXITED, 137)
    with pytest.raises(NotFound, match="no running task found"):
        await rt.create_container(sid, container_config("late"), sandbox_config())
    await rt.remove_pod_sandbox(sid)
    await rt.remove_pod_sandbox(sid)  # idempotent
    assert await rt.list_containers() == []
    with pytest.raises(NotFound, match=f'find sandbox "{sid}": not found'):
        await rt.stop_pod_sandbox(sid)
    with pytest.raises(NotFound, match="an error occurred when try to find sandbox: not found"):
        await rt.pod_sandbox_status(sid)


async def test_create_needs_sandbox_and_image(rt: FakeRuntime) -> None:
    with pytest.raises(NotFound, match='failed to find sandbox id "nope": not found'):
        await rt.create_container("nope", container_config(), sandbox_config())
    sid = await rt.run_pod_sandbox(sandbox_config())
    config = container_config()
    config.image.image = "missing:1"
    with pytest.raises(NotFound, match='failed to resolve image "missing:1": not found'):
        await rt.create_container(sid, config, sandbox_config())


async def test_list_filters(rt: FakeRuntime) -> None:
    sid, running = await _running(rt)
    created = await rt.create_container(sid, container_config("side"), sandbox_config())
    other_sid = await rt.run_pod_sandbox(sandbox_config("db", "uid-2"))
    await rt.stop_pod_sandbox(other_sid)

    by_state = api.ContainerFilter(state=api.ContainerStateValue(state=api.CONTAINER_CREATED))
    assert [c.id for c in await rt.list_containers(by_state)] == [created]
    by_label = api.ContainerFilter(label_selector={"io.kubernetes.container.name": "app"})
    assert [c.id for c in await rt.list_containers(by_label)] == [running]
    assert len(await rt.list_containers(api.ContainerFilter(pod_sandbox_id=sid))) == 2
    assert len(await rt.list_containers(api.ContainerFilter(pod_sandbox_id=other_sid))) == 0

    ready = api.PodSandboxFilter(state=api.PodSandboxStateValue(state=api.SANDBOX_READY))
    assert [s.id for s in await rt.list_pod_sandbox(ready)] == [sid]
    by_pod = api.PodSandboxFilter(label_selector={"io.kubernetes.pod.name": "db"})
    assert [s.id for s in await rt.list_pod_sandbox(by_pod)] == [other_sid]
    assert len(await rt.list_pod_sandbox()) == 2


async def test_exec_sync(rt: FakeRuntime) -> None:
    sid = await rt.run_pod_sandbox(sandbox_config())
    cid = await rt.create_container(sid, container_config(), sandbox_config())
    with pytest.raises(RuntimeApiError) as e:
        await rt.exec_sync(cid, ["true"])
    assert e.value.message == (
        "failed to exec in container: container is in CONTAINER_CREATED state"
    )
    await rt.start_container(cid)
    seen: list[list[str]] = []

    def handler(container_id: str, cmd: list[str]) -> tuple[bytes, bytes, int]:
        seen.append(cmd)
        return b"ok\n", b"warn\n", 3

    rt.exec_handler = handler
    result = await rt.exec_sync(cid, ["sh", "-c", "exit 3"], timeout=5)
    assert (result.stdout, result.stderr, result.exit_code) == (b"ok\n", b"warn\n", 3)
    assert seen == [["sh", "-c", "exit 3"]]
    with pytest.raises(NotFound, match='failed to find container "x" in store'):
        await rt.exec_sync("x", ["true"])
    url = await rt.exec(api.ExecRequest(container_id=cid, cmd=["sh"], stdout=True))
    assert url.startswith("http://127.0.0.1:")
    assert "/portforward/" in await rt.port_forward(api.PortForwardRequest(pod_sandbox_id=sid))


async def test_images(rt: FakeRuntime) -> None:
    assert normalize_image("busybox") == "default.invalid/library/busybox:latest"
    assert normalize_image("me/app:1") == "default.invalid/me/app:1"
    assert normalize_image("localhost:5000/app") == "localhost:5000/app:latest"
    assert normalize_image("steersman.local/pause:3.10") == "steersman.local/pause:3.10"

    image = rt.add_image("busybox", size=1234)
    rt.add_image("busybox:other", image_id=image.id)
    status = await rt.image_status(api.ImageSpec(image="busybox:latest"))
    assert status.image.id == image.id and status.image.size == 1234
    assert sorted(status.image.repo_tags) == [
        "default.invalid/library/busybox:latest",
        "default.invalid/library/busybox:other",
    ]
    assert (await rt.image_status(api.ImageSpec(image=image.id))).image.id == image.id
    assert not (await rt.image_status(api.ImageSpec(image="nothere:1"))).HasField("image")

    with pytest.raises(PlainError) as e:
        await rt.pull_image(api.ImageSpec(image="nothere:1"))
    assert str(e.value).startswith(
        'failed to pull and unpack image "default.invalid/library/nothere:1"'
    )
    pullable = rt.add_image("app:2", present=False)
    assert await rt.pull_image(api.ImageSpec(image="app:2")) == pullable.id
    assert rt.pulled[-2:] == ["default.invalid/library/nothere:1", "default.invalid/library/app:2"]
    assert len(await rt.list_images()) == 3  # IMAGE, busybox, app

    # Removing by one tag removes the image with all its tags; again is no error.
    await rt.remove_image(api.ImageSpec(image="busybox:other"))
    await rt.remove_image(api.ImageSpec(image="busybox:other"))
    assert not (await rt.image_status(api.ImageSpec(image="busybox"))).HasField("image")
    fs = (await rt.image_fs_info()).image_filesystems[0]
    assert fs.used_bytes.value == sum(i.size for i in rt.images.values())


async def test_stats(rt: FakeRuntime) -> None:
    sid, cid = await _running(rt)
    rt.set_usage(cid, cpu_core_nano_seconds=5_000, working_set_bytes=4096)
    stats = await rt.container_stats(cid)
    assert stats.attributes.id == cid
    assert stats.cpu.usage_core_nano_seconds.value == 5_000
    assert stats.memory.working_set_bytes.value == 4096
    pod = await rt.pod_sandbox_stats(sid)
    assert pod.linux.memory.working_set_bytes.value == 4096
    assert [c.attributes.id for c in pod.linux.containers] == [cid]
    assert len(await rt.list_container_stats(api.ContainerStatsFilter(pod_sandbox_id=sid))) == 1
    assert len(await rt.list_pod_sandbox_stats()) == 1
    with pytest.raises(NotFound, match="failed to find container: not found"):
        await rt.container_stats("nope")
    # containerd 1.6 fails the whole list while a sandbox is stopped.
    await rt.stop_pod_sandbox(sid)
    with pytest.raises(RuntimeApiError, match="is not in ready state"):
        await rt.list_pod_sandbox_stats()


async def test_injected_errors_and_call_log(rt: FakeRuntime) -> None:
    rt.inject_error("run_pod_sandbox", RuntimeApiError("boom"))
    with pytest.raises(RuntimeApiError, match="boom"):
        await rt.run_pod_sandbox(sandbox_config())
    sid = await rt.run_pod_sandbox(sandbox_config())  # only the next call fails
    assert sid in rt.sandboxes
    assert rt.calls == ["run_pod_sandbox", "run_pod_sandbox"]


async def test_returned_messages_are_copies(rt: FakeRuntime) -> None:
    config = sandbox_config()
    sid = await rt.run_pod_sandbox(config)
    config.labels["changed"] = "after"
    status = (await rt.pod_sandbox_status(sid)).status
    assert "changed" not in status.labels
    status.labels["mine"] = "x"
    assert "mine" not in (await rt.pod_sandbox_status(sid)).status.labels


async def test_write_log_uses_the_cri_format(rt: FakeRuntime, tmp_path: Path) -> None:
    sid = await rt.run_pod_sandbox(sandbox_config(log_dir=str(tmp_path)))
    cid = await rt.create_container(sid, container_config(), sandbox_config())
    rt.write_log(cid, "hello")
    rt.write_log(cid, "oops", stream="stderr")
    lines = (tmp_path / "app" / "0.log").read_text().splitlines()
    assert lines[0].endswith("Z stdout F hello") and lines[0].startswith("1970-01-01T00:00:00.")
    assert lines[1].endswith(" stderr F oops")


async def test_update_resources_and_runtime_config(rt: FakeRuntime) -> None:
    _, cid = await _running(rt)
    resources = api.ContainerResources(linux=api.LinuxContainerResources(cpu_shares=512))
    await rt.update_container_resources(cid, resources)
    status = (await rt.container_status(cid)).status
    assert status.resources.linux.cpu_shares == 512
    with pytest.raises(NotFound):
        await rt.update_container_resources("nope", resources)
    await rt.update_runtime_config(
        api.RuntimeConfig(network_config=api.NetworkConfig(pod_cidr="10.244.0.0/24"))
    )
    assert rt.pod_cidr == "10.244.0.0/24"
    await rt.reopen_container_log(cid)
    await rt.stop_container(cid, 0)
    with pytest.raises(RuntimeApiError, match="container is not running"):
        await rt.reopen_container_log(cid)
