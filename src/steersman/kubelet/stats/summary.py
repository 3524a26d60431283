"""The Summary (stats/v1alpha1) from CRI stats, the node reader and du, as the CRI stats
provider computes it.

Invariants:
- Pods are listed as upstream lists them: per pod name/namespace the ready sandbox(es),
  else the newest; per container name only running attempts; a pod appears once it has a
  running container. Pod cpu/memory are the sums of its containers'.
- Disk walks (logs, volumes) run in a worker thread, never on the event loop; they are
  skipped with `only_cpu_and_memory` (what /metrics/resource and metrics-server need).
- Network and process counts come from CRI sandbox stats, best effort.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steersman.kubelet.kuberuntime.labels import CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.runtime.interface import Runtime, RuntimeApiError
from steersman.kubelet.stats.helpers import (
    fs_stats,
    memory_from_cri,
    network_from_cri,
    network_stats,
    ns_time,
    parse_time,
    rfc3339,
    sum_memory,
    uint_value,
)
from steersman.kubelet.stats.node import SECOND_NS, FsInfo, NodeReader, ProcNodeReader
from steersman.kubelet.stats.usage_cache import CpuUsageCache
from steersman.kubelet.volumes.manager import volume_host_path

log = logging.getLogger("steersman.kubelet.stats")

Obj = dict[str, Any]
NODE_KEY = "/"  # the node's entry in the CPU cache (cadvisor's name for the root cgroup)
# Volume kinds that have usage metrics (du-based, as upstream's MetricsDu/MetricsNil split).
METERED_VOLUMES = ("emptyDir", "configMap", "secret", "downwardAPI", "projected")


class StatsError(Exception):
    """The summary could not be computed; `str()` is what the kubelet answers after
    `Internal Error: `."""


def _kept_sandboxes(sandboxes: Sequence[api.PodSandbox]) -> dict[str, api.PodSandbox]:
    """removeTerminatedPods: per name/namespace the ready sandboxes, else the newest."""
    groups: dict[tuple[str, str], list[api.PodSandbox]] = {}
    for s in sorted(sandboxes, key=lambda s: s.created_at):
        groups.setdefault((s.metadata.namespace, s.metadata.name), []).append(s)
    kept: dict[str, api.PodSandbox] = {}
    for group in groups.values():
        ready = [s for s in group if s.state == api.SANDBOX_READY]
        for s in ready or group[-1:]:
            kept[s.id] = s
    return kept


class _Context:
    """What one summary computation shares: the clock reading and per-path fs facts."""

    def __init__(self, reader: NodeReader, now: float) -> None:
        self.reader = reader
        self.now = now
        self.when = rfc3339(now)
        self._fs: dict[Path, FsInfo | None] = {}

    def fs(self, path: Path) -> FsInfo | None:
        if path not in self._fs:
            self._fs[path] = self.reader.filesystem(path)
        return self._fs[path]


def _container_stats(
    container: api.Container, stats: api.ContainerStats, cache: CpuUsageCache
) -> Obj:
    name = container.labels.get(CONTAINER_NAME) or container.metadata.name
    out: Obj = {"name": name, "startTime": ns_time(container.created_at)}
    if stats.HasField("cpu"):
        cpu: Obj = {"time": ns_time(stats.cpu.timestamp)}
        usage = uint_value(stats.cpu, "usage_core_nano_seconds")
        rate = uint_value(stats.cpu, "usage_nano_cores")
        if usage is not None:
            cpu["usageCoreNanoSeconds"] = usage
            if rate is None:
                rate = cache.nano_cores(container.id, stats.cpu.timestamp, usage)
        if rate is not None:
            cpu["usageNanoCores"] = rate
        out["cpu"] = cpu
    if stats.HasField("memory"):
        out["memory"] = memory_from_cri(stats.memory)
    return out


def _pod_cpu(uid: str, containers: Sequence[Obj], cache: CpuUsageCache) -> Obj | None:
    parts = [c["cpu"] for c in containers if "usageCoreNanoSeconds" in c.get("cpu", {})]
    if not parts:
        return None
    when = max(p["time"] for p in parts)
    usage = sum(p["usageCoreNanoSeconds"] for p in parts)
    cpu: Obj = {"time": when, "usageCoreNanoSeconds": usage}
    stamp = int((parse_time(when) or 0) * SECOND_NS)
    rates = [p.get("usageNanoCores") for p in parts]
    rate = sum(r for r in rates if r is not None) if None not in rates else None
    # The pod's own sample keeps its counter history across container restarts.
    cached = cache.nano_cores(f"pod/{uid}", stamp, usage)
    if rate is None:
        rate = cached
    if rate is not None:
        cpu["usageNanoCores"] = rate
    return cpu


async def _node_stats(
    ctx: _Context,
    node_name: str,
    root_dir: Path,
    runtime: Runtime,
    cache: CpuUsageCache,
    only_cpu_and_memory: bool,
) -> Obj:
    reader = ctx.reader
    node: Obj = {"nodeName": node_name, "startTime": rfc3339(reader.boot_time())}
    usage = reader.cpu_usage()
    if usage is not None:
        cpu: Obj = {"time": ctx.when, "usageCoreNanoSeconds": usage}
        rate = cache.nano_cores(NODE_KEY, int(ctx.now * SECOND_NS), usage)
        if rate is not None:
            cpu["usageNanoCores"] = rate
        node["cpu"] = cpu
    memory = reader.memory()
    if memory is not None:
        mem: Obj = {
            "time": ctx.when,
            "availableBytes": memory.available,
            "usageBytes": memory.usage,
            "workingSetBytes": memory.working_set,
        }
        for key, value in (
            ("rssBytes", memory.rss),
            ("pageFaults", memory.page_faults),
            ("majorPageFaults", memory.major_page_faults),
        ):
            if value is not None:
                mem[key] = value
        node["memory"] = mem
    if only_cpu_and_memory:
        return node
    default, interfaces = reader.network()
    if interfaces:
        node["network"] = network_stats(ctx.when, default, interfaces)
    root_fs = ctx.fs(root_dir)
    if root_fs is not None:
        node["fs"] = fs_stats(ctx.when, root_fs, used=root_fs.used, inodes_used=root_fs.inodes_used)
    image_fs = await _image_fs(ctx, runtime)
    if image_fs is not None:
        # One filesystem for images and writable layers: containerFs is imageFs (upstream
        # reports the same stats twice when the two are not split).
        node["runtime"] = {"imageFs": image_fs, "containerFs": dict(image_fs)}
    limits = reader.rlimit()
    if limits is not None:
        node["rlimit"] = {"time": ctx.when, "maxpid": limits[0], "curproc": limits[1]}
    return node


async def _image_fs(ctx: _Context, runtime: Runtime) -> Obj | None:
    try:
        info = await runtime.image_fs_info()
    except RuntimeApiError as exc:
        log.debug("image fs info: %s", exc)
        return None
    if not info.image_filesystems:
        return None
    usage = info.image_filesystems[0]
    return fs_stats(
        ns_time(usage.timestamp) if usage.timestamp else ctx.when,
        ctx.fs(Path(usage.fs_id.mountpoint)) if usage.fs_id.mountpoint else None,
        used=uint_value(usage, "used_bytes"),
        inodes_used=uint_value(usage, "inodes_used"),
    )


def _volume_stats(ctx: _Context, root_dir: Path, pod: Obj) -> list[Obj]:
    out = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        if not any(volume.get(kind) is not None for kind in METERED_VOLUMES):
            continue
        path = volume_host_path(root_dir, pod, volume)
        usage = ctx.reader.disk_usage(path) if path is not None else None
        if path is None or usage is None:
            continue
        entry = fs_stats(ctx.when, ctx.fs(path), used=usage[0], inodes_used=usage[1])
        entry["name"] = volume.get("name", "")
        out.append(entry)
    return out


def _storage_stats(
    ctx: _Context,
    *,
    pod_stats: Obj,
    container_stats: dict[str, api.ContainerStats],
    pod: Obj | None,
    root_dir: Path,
    logs_root: Path,
) -> None:
    """rootfs/logs per container, volumes and ephemeral-storage per pod (blocking: du)."""
    ref = pod_stats["podRef"]
    log_dir = logs_root / f"{ref['namespace']}_{ref['name']}_{ref['uid']}"
    log_fs = ctx.fs(logs_root)
    rootfs_used = rootfs_inodes = 0
    for c in pod_stats["containers"]:
        stats = container_stats.get(c.pop("_id"))
        if stats is not None and stats.HasField("writable_layer"):
            layer = stats.writable_layer
            c["rootfs"] = fs_stats(
                ctx.when,
                ctx.fs(Path(layer.fs_id.mountpoint)) if layer.fs_id.mountpoint else None,
                used=uint_value(layer, "used_bytes"),
                inodes_used=uint_value(layer, "inodes_used"),
            )
            rootfs_used += c["rootfs"].get("usedBytes", 0)
            rootfs_inodes += c["rootfs"].get("inodesUsed", 0)
        logs = ctx.reader.disk_usage(log_dir / c["name"])
        c["logs"] = fs_stats(
            ctx.when,
            log_fs,
            used=logs[0] if logs else 0,
            inodes_used=logs[1] if logs else 0,
        )
    volumes = _volume_stats(ctx, root_dir, pod) if pod is not None else []
    if volumes:
        pod_stats["volume"] = volumes
    # calcEphemeralStorage: writable layers + disk-backed volumes + the pod's logs + etc-hosts.
    specs = {v.get("name"): v for v in ((pod or {}).get("spec") or {}).get("volumes") or []}
    on_disk = [v for v in volumes if _is_volume_ephemeral(specs.get(v["name"]) or {})]
    pod_logs = ctx.reader.disk_usage(log_dir) or (0, 0)
    hosts = ctx.reader.disk_usage(root_dir / "pods" / ref["uid"] / "etc-hosts") or (0, 0)
    pod_stats["ephemeral-storage"] = fs_stats(
        ctx.when,
        ctx.fs(root_dir),
        used=rootfs_used + sum(v["usedBytes"] for v in on_disk) + pod_logs[0] + hosts[0],
        inodes_used=rootfs_inodes + sum(v["inodesUsed"] for v in on_disk) + pod_logs[1] + hosts[1],
    )


def _is_volume_ephemeral(volume: Obj) -> bool:
    """isVolumeEphemeral: the volumes whose bytes count as the pod's ephemeral storage."""
    empty_dir = volume.get("emptyDir")
    return (
        (empty_dir is not None and not (empty_dir or {}).get("medium"))
        or volume.get("configMap") is not None
        or volume.get("gitRepo") is not None
    )


async def summary(
    *,
    runtime: Runtime,
    pods: Sequence[Obj],
    root_dir: Path,
    node_name: str,
    cache: CpuUsageCache,
    reader: NodeReader | None = None,
    logs_root: Path | None = None,
    only_cpu_and_memory: bool = False,
    now: float | None = None,
) -> Obj:
    """A stats/v1alpha1 Summary. `pods` (the kubelet's pods) supply the volumes to measure;
    which pods are listed is the runtime's answer. Raises StatsError (worded as upstream's)
    when the runtime cannot list sandboxes, containers or their stats."""
    ctx = _Context(reader or ProcNodeReader(), time.time() if now is None else now)
    logs_root = logs_root if logs_root is not None else root_dir / "logs" / "pods"
    step = "pod sandboxes"
    try:
        sandboxes = _kept_sandboxes(await runtime.list_pod_sandbox())
        step = "containers"
        listed = await runtime.list_containers()
        step = "container stats"
        all_stats = await runtime.list_container_stats()
    except RuntimeApiError as exc:
        raise StatsError(f"failed to list pod stats: failed to list all {step}: {exc}") from exc
    running = {
        c.id: c
        for c in listed
        if c.state == api.CONTAINER_RUNNING and c.pod_sandbox_id in sandboxes
    }
    container_stats = {s.attributes.id: s for s in all_stats if s.attributes.id in running}
    node = await _node_stats(ctx, node_name, root_dir, runtime, cache, only_cpu_and_memory)
    by_sandbox: dict[str, list[Obj]] = {}
    for cid, stats in container_stats.items():
        container = running[cid]
        entry = _container_stats(container, stats, cache)
        entry["_id"] = cid
        by_sandbox.setdefault(container.pod_sandbox_id, []).append(entry)
    spec_by_uid = {(p.get("metadata") or {}).get("uid"): p for p in pods}
    out_pods = []
    for sandbox_id, containers in by_sandbox.items():
        sandbox = sandboxes[sandbox_id]
        meta, labels = sandbox.metadata, sandbox.labels
        uid = labels.get(POD_UID) or meta.uid
        pod_stats: Obj = {
            "podRef": {
                "name": labels.get(POD_NAME) or meta.name,
                "namespace": labels.get(POD_NAMESPACE) or meta.namespace,
                "uid": uid,
            },
            "startTime": ns_time(sandbox.created_at),
            "containers": sorted(containers, key=lambda c: c["name"]),
        }
        cpu = _pod_cpu(uid, containers, cache)
        if cpu is not None:
            pod_stats["cpu"] = cpu
        memory = sum_memory(containers)
        if memory is not None:
            pod_stats["memory"] = memory
        if only_cpu_and_memory:
            for c in containers:
                c.pop("_id", None)
        else:
            await _sandbox_extras(runtime, sandbox, pod_stats)
            await asyncio.to_thread(
                _storage_stats,
                ctx,
                pod_stats=pod_stats,
                container_stats=container_stats,
                pod=spec_by_uid.get(uid),
                root_dir=root_dir,
                logs_root=logs_root,
            )
        out_pods.append(pod_stats)
    cache.prune(int(ctx.now * SECOND_NS))
    out_pods.sort(key=lambda p: (p["podRef"]["namespace"], p["podRef"]["name"]))
    return {"node": node, "pods": out_pods}


async def _sandbox_extras(runtime: Runtime, sandbox: api.PodSandbox, pod_stats: Obj) -> None:
    """Network and process count, which only the sandbox stats carry (best effort: containerd
    1.6 fails them for sandboxes that are not ready)."""
    if sandbox.state != api.SANDBOX_READY:
        return
    try:
        stats = await runtime.pod_sandbox_stats(sandbox.id)
    except RuntimeApiError as exc:
        log.debug("pod sandbox stats %s: %s", sandbox.id, exc)
        return
    linux = stats.linux
    if linux.HasField("network") and linux.network.HasField("default_interface"):
        pod_stats["network"] = network_from_cri(linux.network)
    if linux.HasField("process") and linux.process.HasField("process_count"):
        pod_stats["process_stats"] = {"process_count": linux.process.process_count.value}


async def has_dedicated_image_fs(
    runtime: Runtime, root_dir: Path, reader: NodeReader | None = None
) -> bool:
    """HasDedicatedImageFs: the image filesystem is another device than the kubelet root's."""
    reader = reader or ProcNodeReader()
    try:
        info = await runtime.image_fs_info()
    except RuntimeApiError:
        return False
    if not info.image_filesystems or not info.image_filesystems[0].fs_id.mountpoint:
        return False
    image = reader.filesystem(Path(info.image_filesystems[0].fs_id.mountpoint))
    root = reader.filesystem(root_dir)
    return image is not None and root is not None and image.device != root.device
