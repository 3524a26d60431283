"""A fake machine for stats and eviction tests: a `NodeReader` whose numbers tests set, a
FakeRuntime with running pods made the way the kubelet labels them, and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steersman.kubelet.kuberuntime.labels import container_labels, pod_labels
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.fake import FakeRuntime
from steersman.kubelet.stats import FsInfo, Interface, NodeMemory, disk_usage

IMAGE = "steersman.local/busybox:test"
GI = 1024**3
MI = 1024**2
BOOT = 1_700_000_000.0


@dataclass
class Clock:
    now: float = BOOT + 3600.0

    def __call__(self) -> float:
        return self.now

    def ns(self) -> int:
        return int(self.now * 1e9)


@dataclass
class FakeNodeReader:
    cpu: int | None = 5_000_000_000
    mem: NodeMemory | None = field(
        default_factory=lambda: NodeMemory(
            capacity=4 * GI, usage=2 * GI, working_set=1 * GI, rss=512 * MI, page_faults=7
        )
    )
    fs: FsInfo = field(
        default_factory=lambda: FsInfo(
            capacity=100 * GI,
            available=60 * GI,
            used=40 * GI,
            inodes=1_000_000,
            inodes_free=900_000,
            inodes_used=100_000,
            device=1,
        )
    )
    interfaces: list[Interface] = field(
        default_factory=lambda: [Interface("eth0", 100, 1, 200, 2), Interface("cni0", 5, 0, 6, 0)]
    )
    pids: tuple[int, int] | None = (4_194_304, 300)
    usage: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def boot_time(self) -> float:
        return BOOT

    def cpu_usage(self) -> int | None:
        return self.cpu

    def memory(self) -> NodeMemory | None:
        return self.mem

    def filesystem(self, path: Path) -> FsInfo | None:
        return self.fs

    def network(self) -> tuple[str, list[Interface]]:
        return "eth0", list(self.interfaces)

    def rlimit(self) -> tuple[int, int] | None:
        return self.pids

    def disk_usage(self, path: Path) -> tuple[int, int] | None:
        if path in self.usage:
            return self.usage[path]
        return disk_usage(path)

    def set_memory_available(self, available: int) -> None:
        assert self.mem is not None
        working_set = self.mem.capacity - available
        self.mem = NodeMemory(
            capacity=self.mem.capacity, usage=working_set, working_set=working_set
        )

    def set_fs_available(self, available: int, inodes_free: int | None = None) -> None:
        free = self.fs.inodes_free if inodes_free is None else inodes_free
        self.fs = FsInfo(
            capacity=self.fs.capacity,
            available=available,
            used=self.fs.capacity - available,
            inodes=self.fs.inodes,
            inodes_free=free,
            inodes_used=self.fs.inodes - free,
            device=self.fs.device,
        )


def pod(
    name: str,
    *,
    uid: str | None = None,
    namespace: str = "default",
    containers: dict[str, dict[str, Any]] | None = None,
    priority: int | None = None,
    volumes: list[dict[str, Any]] | None = None,
    **meta: Any,
) -> dict[str, Any]:
    """A v1 Pod; `containers` maps container name -> its resources."""
    spec: dict[str, Any] = {
        "containers": [
            {"name": c, "image": IMAGE, "resources": res}
            for c, res in (containers or {"app": {}}).items()
        ]
    }
    if priority is not None:
        spec["priority"] = priority
    if volumes:
        spec["volumes"] = volumes
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": uid or f"uid-{name}", **meta},
        "spec": spec,
        "status": {"phase": "Running"},
    }


async def run_pod(
    rt: FakeRuntime, p: dict[str, Any], *, log_dir: str = "", attempt: int = 0
) -> dict[str, str]:
    """Start the pod's sandbox and containers in the fake runtime; container name -> id."""
    meta = p["metadata"]
    config = api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(
            name=meta["name"], namespace=meta["namespace"], uid=meta["uid"], attempt=attempt
        ),
        labels=pod_labels(p),
        log_directory=log_dir,
    )
    if IMAGE not in str(list(rt.images.values())):
        rt.add_image(IMAGE, size=5 * MI)
    sid = await rt.run_pod_sandbox(config)
    ids = {}
    for c in p["spec"]["containers"]:
        cid = await rt.create_container(
            sid,
            api.ContainerConfig(
                metadata=api.ContainerMetadata(name=c["name"], attempt=attempt),
                image=api.ImageSpec(image=IMAGE),
                labels=container_labels(p, c["name"]),
                log_path=f"{c['name']}/0.log",
            ),
            config,
        )
        await rt.start_container(cid)
        ids[c["name"]] = cid
    return ids
