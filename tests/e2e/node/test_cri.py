"""CriRuntime against the real containerd of the `containerd` fixture (runc, CNI, the local
sandbox image): one pod's whole lifecycle over CRI runtime.v1, with its timings printed.

The pod runs once on the fixture's CNI network (skipped if it provides none) and once on the
host's network (hostname then empty, as the kubelet leaves it: runc cannot set one in the
host's UTS namespace). Its cgroup parent is under /kubepods (DESIGN §5); the test removes
that pod cgroup afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from steersman.images import store
from steersman.images.build import ImageConfig, build_image
from steersman.images.rootfs import busybox_entries
from steersman.kubelet.runtime.containerd import Containerd
from steersman.kubelet.runtime.cri import CriRuntime
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.interface import NotFound

BUSYBOX_IMAGE = "steersman.local/cri-e2e-busybox:1"
CGROUP_ROOT = Path("/sys/fs/cgroup")


@pytest.fixture
async def cri(containerd: Containerd) -> AsyncIterator[CriRuntime]:
    async with CriRuntime(str(containerd.address)) as runtime:
        status = await runtime.image_status(api.ImageSpec(image=BUSYBOX_IMAGE))
        if not status.HasField("image"):
            with tempfile.TemporaryDirectory(prefix="cri-e2e-") as tmp:
                built = build_image(
                    Path(tmp) / "busybox.tar",
                    name=BUSYBOX_IMAGE,
                    layers=[busybox_entries()],
                    config=ImageConfig(cmd=["sh"]),
                )
                await store.import_archive(
                    containerd.address, built.archive, snapshotter=containerd.snapshotter
                )
        yield runtime


def _has_cni_config(containerd: Containerd) -> bool:
    return any(containerd.cni_conf_dir.glob("*.conf*"))


def _remove_pod_cgroups(parent: str) -> None:
    """rmdir the pod's cgroup in every v1 hierarchy (runc leaves the parent behind)."""
    for hierarchy in CGROUP_ROOT.iterdir():
        pod = hierarchy / parent.lstrip("/")
        if pod.is_dir():
            for d in sorted((p for p in pod.rglob("*") if p.is_dir()), reverse=True):
                with contextlib.suppress(OSError):
                    d.rmdir()
            with contextlib.suppress(OSError):
                pod.rmdir()


async def _log_text(path: Path, wanted: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        if wanted in text or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("pod_network", [True, False], ids=["pod-network", "host-network"])
async def test_pod_lifecycle(
    cri: CriRuntime, containerd: Containerd, tmp_path: Path, pod_network: bool
) -> None:
    if pod_network and not _has_cni_config(containerd):
        pytest.skip("the containerd fixture has no CNI config")
    version = await cri.version()
    assert (version.runtime_name, version.runtime_api_version) == ("containerd", "v1")
    conditions = {c.type: c.status for c in (await cri.status()).status.conditions}
    assert conditions["RuntimeReady"] is True

    uid = uuid.uuid4().hex
    cgroup_parent = f"/kubepods/besteffort/pod{uid}"
    log_dir = tmp_path / f"default_cri-e2e_{uid}"
    log_dir.mkdir()
    sandbox = api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name="cri-e2e", namespace="default", uid=uid),
        hostname="cri-e2e" if pod_network else "",
        log_directory=str(log_dir),
        labels={"io.kubernetes.pod.uid": uid},
    )
    sandbox.linux.cgroup_parent = cgroup_parent
    namespaces = sandbox.linux.security_context.namespace_options
    namespaces.network = api.POD if pod_network else api.NODE
    namespaces.pid = api.CONTAINER
    container = api.ContainerConfig(
        metadata=api.ContainerMetadata(name="main"),
        image=api.ImageSpec(image=BUSYBOX_IMAGE),
        command=["sh", "-c", "echo hi; sleep 30"],
        log_path="main/0.log",
        labels={"io.kubernetes.container.name": "main"},
    )
    container.linux.security_context.namespace_options.CopyFrom(namespaces)

    sandbox_id = ""
    try:
        begin = time.monotonic()
        sandbox_id = await cri.run_pod_sandbox(sandbox)
        sandbox_ready = time.monotonic()
        container_id = await cri.create_container(sandbox_id, container, sandbox)
        await cri.start_container(container_id)
        status = (await cri.container_status(container_id)).status
        running = time.monotonic()
        assert status.state == api.CONTAINER_RUNNING
        assert status.image_ref.startswith("sha256:")
        assert status.log_path == str(log_dir / "main" / "0.log")

        pod = (await cri.pod_sandbox_status(sandbox_id)).status
        assert pod.state == api.SANDBOX_READY
        assert pod.metadata.uid == uid
        if pod_network:
            assert pod.network.ip, "a pod-network sandbox gets an IP from CNI"

        result = await cri.exec_sync(container_id, ["echo", "ok"], timeout=10)
        assert (result.stdout, result.exit_code) == (b"ok\n", 0)
        failed = await cri.exec_sync(container_id, ["sh", "-c", "echo no >&2; exit 3"])
        assert (failed.stderr, failed.exit_code) == (b"no\n", 3)

        log = await _log_text(Path(status.log_path), "hi")
        assert log.splitlines()[0].endswith(" stdout F hi"), log

        url = await cri.exec(api.ExecRequest(container_id=container_id, cmd=["sh"], stdout=True))
        assert url.startswith("http://127.0.0.1:")

        stop_begin = time.monotonic()
        # sh as PID 1 ignores SIGTERM: a grace period would always run out; kill at once.
        await cri.stop_container(container_id, 0)
        exited = (await cri.container_status(container_id)).status
        assert exited.state == api.CONTAINER_EXITED
        assert (exited.exit_code, exited.reason) == (137, "Error")
        await cri.remove_container(container_id)
        await cri.stop_pod_sandbox(sandbox_id)
        await cri.remove_pod_sandbox(sandbox_id)
        stopped = time.monotonic()
        removed_id, sandbox_id = sandbox_id, ""

        with pytest.raises(NotFound):
            await cri.container_status(container_id)
        await cri.remove_pod_sandbox(removed_id)  # idempotent
        assert all(s.id != removed_id for s in await cri.list_pod_sandbox())

        print(
            f"\nCRI ({'pod network' if pod_network else 'host network'}): "
            f"RunPodSandbox {1000 * (sandbox_ready - begin):.0f} ms, "
            f"RunPodSandbox->running {1000 * (running - begin):.0f} ms, "
            f"stop+remove {1000 * (stopped - stop_begin):.0f} ms"
        )
    finally:
        if sandbox_id:
            with contextlib.suppress(Exception):
                await cri.stop_pod_sandbox(sandbox_id)
                await cri.remove_pod_sandbox(sandbox_id)
        _remove_pod_cgroups(cgroup_parent)
