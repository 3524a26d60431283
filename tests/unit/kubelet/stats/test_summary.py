"""The Summary API over FakeRuntime and a fake node: shapes, sums, rates, filtering, disks."""

from __future__ import annotations

from pathlib import Path

import pytest

from steersman.kubelet.runtime.fake import FakeRuntime
from steersman.kubelet.runtime.interface import Unavailable
from steersman.kubelet.stats import (
    CpuUsageCache,
    StatsError,
    StatsProvider,
    has_dedicated_image_fs,
    summary,
)
from tests.unit.kubelet.stats.fake_node import GI, MI, Clock, FakeNodeReader, pod, run_pod


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rt(clock: Clock) -> FakeRuntime:
    return FakeRuntime(clock=clock.ns)


def provider(rt: FakeRuntime, tmp_path: Path, clock: Clock, pods: list[dict]) -> StatsProvider:
    return StatsProvider(
        runtime=rt,
        pods=lambda: pods,
        root_dir=tmp_path,
        node_name="node-a",
        reader=FakeNodeReader(),
        clock=clock,
    )


async def test_node_stats(rt: FakeRuntime, tmp_path: Path, clock: Clock) -> None:
    out = await provider(rt, tmp_path, clock, []).summary()
    node = out["node"]
    when = "2023-11-14T23:13:20Z"
    assert node["nodeName"] == "node-a"
    assert node["startTime"] == "2023-11-14T22:13:20Z"
    assert node["cpu"] == {"time": when, "usageCoreNanoSeconds": 5_000_000_000}
    assert node["memory"] == {
        "time": when,
        "availableBytes": 3 * GI,  # capacity - working set
        "usageBytes": 2 * GI,
        "workingSetBytes": 1 * GI,
        "rssBytes": 512 * MI,
        "pageFaults": 7,
    }
    assert node["fs"] == {
        "time": when,
        "availableBytes": 60 * GI,
        "capacityBytes": 100 * GI,
        "usedBytes": 40 * GI,
        "inodesFree": 900_000,
        "inodes": 1_000_000,
        "inodesUsed": 100_000,
    }
    assert node["network"]["name"] == "eth0" and node["network"]["rxBytes"] == 100
    assert [i["name"] for i in node["network"]["interfaces"]] == ["eth0", "cni0"]
    assert node["rlimit"] == {"time": when, "maxpid": 4_194_304, "curproc": 300}
    image_fs = node["runtime"]["imageFs"]
    assert image_fs["usedBytes"] == 0 and image_fs["capacityBytes"] == 100 * GI
    assert node["runtime"]["containerFs"] == image_fs
    assert out["pods"] == []


async def test_pods_containers_and_sums(rt: FakeRuntime, tmp_path: Path, clock: Clock) -> None:
    web = pod("web", containers={"app": {}, "sidecar": {}})
    db = pod("db", namespace="data")
    ids = await run_pod(rt, web)
    db_ids = await run_pod(rt, db)
    rt.set_usage(ids["app"], cpu_core_nano_seconds=3_000, working_set_bytes=10 * MI)
    rt.set_usage(ids["sidecar"], cpu_core_nano_seconds=1_000, working_set_bytes=2 * MI)
    rt.set_usage(db_ids["app"], cpu_core_nano_seconds=7, working_set_bytes=1 * MI)
    out = await provider(rt, tmp_path, clock, [web, db]).summary()
    assert [(p["podRef"]["namespace"], p["podRef"]["name"]) for p in out["pods"]] == [
        ("data", "db"),
        ("default", "web"),
    ]
    web_stats = out["pods"][1]
    assert web_stats["podRef"] == {"name": "web", "namespace": "default", "uid": "uid-web"}
    assert [c["name"] for c in web_stats["containers"]] == ["app", "sidecar"]
    app = web_stats["containers"][0]
    assert app["cpu"]["usageCoreNanoSeconds"] == 3_000 and "usageNanoCores" not in app["cpu"]
    assert app["memory"]["workingSetBytes"] == 10 * MI
    assert web_stats["cpu"]["usageCoreNanoSeconds"] == 4_000
    assert web_stats["memory"]["workingSetBytes"] == 12 * MI
    assert app["startTime"] == web_stats["startTime"] == "2023-11-14T23:13:20Z"
    assert "_id" not in app
    assert "logs" in app and "ephemeral-storage" in web_stats


async def test_usage_nano_cores_needs_two_samples(
    rt: FakeRuntime, tmp_path: Path, clock: Clock
) -> None:
    web = pod("web")
    cid = (await run_pod(rt, web))["app"]
    stats = provider(rt, tmp_path, clock, [web])
    rt.set_usage(cid, cpu_core_nano_seconds=1_000_000_000)
    first = await stats.summary(only_cpu_and_memory=True)
    assert "usageNanoCores" not in first["pods"][0]["cpu"]
    assert "usageNanoCores" not in first["node"]["cpu"]
    clock.now += 10
    rt.set_usage(cid, cpu_core_nano_seconds=6_000_000_000)  # 5 core-seconds in 10 s
    stats.reader.cpu = 25_000_000_000  # type: ignore[attr-defined]
    second = await stats.summary(only_cpu_and_memory=True)
    assert second["pods"][0]["containers"][0]["cpu"]["usageNanoCores"] == 500_000_000
    assert second["pods"][0]["cpu"]["usageNanoCores"] == 500_000_000
    assert second["node"]["cpu"]["usageNanoCores"] == 2_000_000_000
    # A scrape right after reuses the last rate instead of a 0-length window.
    clock.now += 0.1
    third = await stats.summary(only_cpu_and_memory=True)
    assert third["pods"][0]["containers"][0]["cpu"]["usageNanoCores"] == 500_000_000


async def test_only_cpu_and_memory_skips_disks_and_network(
    rt: FakeRuntime, tmp_path: Path, clock: Clock
) -> None:
    web = pod("web")
    await run_pod(rt, web)
    out = await provider(rt, tmp_path, clock, [web]).summary(only_cpu_and_memory=True)
    assert set(out["node"]) == {"nodeName", "startTime", "cpu", "memory"}
    assert set(out["pods"][0]) == {"podRef", "startTime", "containers", "cpu", "memory"}
    assert set(out["pods"][0]["containers"][0]) == {"name", "startTime", "cpu", "memory"}


async def test_terminated_containers_and_old_sandboxes_are_left_out(
    rt: FakeRuntime, tmp_path: Path, clock: Clock
) -> None:
    web = pod("web", containers={"app": {}, "done": {}})
    ids = await run_pod(rt, web)
    rt.exit_container(ids["done"], 0)
    idle = pod("idle")
    idle_ids = await run_pod(rt, idle)
    rt.exit_container(idle_ids["app"], 1)  # nothing running: not listed
    old = pod("again")
    old_ids = await run_pod(rt, old)
    await rt.stop_pod_sandbox(rt.containers[old_ids["app"]].sandbox_id)
    new_ids = await run_pod(rt, old, attempt=1)  # a new sandbox for the same pod
    out = await provider(rt, tmp_path, clock, [web, idle, old]).summary()
    listed = {p["podRef"]["name"]: [c["name"] for c in p["containers"]] for p in out["pods"]}
    assert listed == {"web": ["app"], "again": ["app"]}
    assert new_ids["app"] != old_ids["app"]


async def test_volumes_logs_and_ephemeral_storage(
    rt: FakeRuntime, tmp_path: Path, clock: Clock
) -> None:
    web = pod(
        "web",
        volumes=[
            {"name": "scratch", "emptyDir": {}},
            {"name": "host", "hostPath": {"path": "/tmp"}},
            {"name": "missing", "emptyDir": {}},
            {"name": "token", "secret": {"secretName": "s"}},
        ],
    )
    await run_pod(rt, web)
    volumes_dir = tmp_path / "pods" / "uid-web" / "volumes"
    scratch = volumes_dir / "kubernetes.io~empty-dir" / "scratch"
    scratch.mkdir(parents=True)
    (scratch / "data").write_bytes(b"x" * 100_000)
    token = volumes_dir / "kubernetes.io~secret" / "token"
    token.mkdir(parents=True)
    (token / "key").write_bytes(b"s" * 1_000_000)
    log_dir = tmp_path / "logs" / "pods" / "default_web_uid-web" / "app"
    log_dir.mkdir(parents=True)
    (log_dir / "0.log").write_bytes(b"y" * 50_000)
    (tmp_path / "pods" / "uid-web" / "etc-hosts").write_bytes(b"z" * 10)
    out = await provider(rt, tmp_path, clock, [web]).summary()
    stats = out["pods"][0]
    volumes = stats["volume"]
    # hostPath has no metrics; "missing" is not on disk.
    assert [v["name"] for v in volumes] == ["scratch", "token"]
    assert volumes[0]["usedBytes"] >= 100_000 and volumes[0]["inodesUsed"] == 2
    assert volumes[0]["capacityBytes"] == 100 * GI
    logs = stats["containers"][0]["logs"]
    assert logs["usedBytes"] >= 50_000 and logs["inodesUsed"] == 2
    ephemeral = stats["ephemeral-storage"]
    assert 150_000 <= ephemeral["usedBytes"] < 1_000_000  # secrets are not ephemeral storage
    assert ephemeral["availableBytes"] == 60 * GI


async def test_runtime_failure_is_worded_as_upstream(tmp_path: Path, clock: Clock) -> None:
    rt = FakeRuntime(clock=clock.ns)
    rt.inject_error("list_container_stats", Unavailable("connection refused"))
    with pytest.raises(StatsError) as err:
        await summary(
            runtime=rt,
            pods=[],
            root_dir=tmp_path,
            node_name="n",
            cache=CpuUsageCache(),
            reader=FakeNodeReader(),
        )
    assert str(err.value) == (
        "failed to list pod stats: failed to list all container stats: "
        "rpc error: code = Unavailable desc = connection refused"
    )


async def test_dedicated_image_fs_compares_devices(rt: FakeRuntime, tmp_path: Path) -> None:
    reader = FakeNodeReader()
    assert await has_dedicated_image_fs(rt, tmp_path, reader) is False
