"""/metrics/resource: exact Prometheus text as the Go kubelet writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from steersman.kubelet.runtime.fake import FakeRuntime
from steersman.kubelet.runtime.interface import Unavailable
from steersman.kubelet.stats import StatsProvider, go_float, resource_metrics_text
from tests.unit.kubelet.stats.fake_node import Clock, FakeNodeReader, pod, run_pod


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (0.5, "0.5"),
        (2.297, "2.297"),
        (123456.0, "123456"),
        (1048576.0, "1.048576e+06"),
        (1_700_000_000.0, "1.7e+09"),
        (0.0001, "0.0001"),
        (0.000015, "1.5e-05"),
        (-3.25, "-3.25"),
        (float("inf"), "+Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


SUMMARY = {
    "node": {
        "nodeName": "n",
        "cpu": {"time": "2023-11-14T22:13:20Z", "usageCoreNanoSeconds": 2_500_000_000},
        "memory": {"time": "2023-11-14T22:13:20Z", "workingSetBytes": 1048576},
    },
    "pods": [
        {
            "podRef": {"name": "web", "namespace": "default", "uid": "u"},
            "containers": [
                {
                    "name": "z",
                    "startTime": "2023-11-14T22:00:00Z",
                    "cpu": {"time": "2023-11-14T22:13:21Z", "usageCoreNanoSeconds": 1_000_000},
                    "memory": {"time": "2023-11-14T22:13:21Z", "workingSetBytes": 4096},
                },
                {
                    "name": "a",
                    "startTime": "2023-11-14T22:00:00Z",
                    "cpu": {"time": "2023-11-14T22:13:21Z", "usageCoreNanoSeconds": 0},
                },
            ],
            "cpu": {"time": "2023-11-14T22:13:21Z", "usageCoreNanoSeconds": 1_000_000},
            "memory": {"time": "2023-11-14T22:13:21Z", "workingSetBytes": 4096},
        }
    ],
}

EXPECTED = """\
# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="a",namespace="default",pod="web"} 0 1700000001000
container_cpu_usage_seconds_total{container="z",namespace="default",pod="web"} 0.001 1700000001000
# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="z",namespace="default",pod="web"} 4096 1700000001000
# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds
# TYPE container_start_time_seconds gauge
container_start_time_seconds{container="a",namespace="default",pod="web"} 1.6999992e+09
container_start_time_seconds{container="z",namespace="default",pod="web"} 1.6999992e+09
# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total 2.5 1700000000000
# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 1.048576e+06 1700000000000
# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds
# TYPE pod_cpu_usage_seconds_total counter
pod_cpu_usage_seconds_total{namespace="default",pod="web"} 0.001 1700000001000
# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes
# TYPE pod_memory_working_set_bytes gauge
pod_memory_working_set_bytes{namespace="default",pod="web"} 4096 1700000001000
# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE resource_scrape_error gauge
resource_scrape_error 0
# HELP scrape_error [ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise
# TYPE scrape_error gauge
scrape_error 0
"""


def test_text_matches_the_go_kubelet() -> None:
    assert resource_metrics_text(SUMMARY) == EXPECTED


def test_failed_summary_reports_only_the_scrape_error() -> None:
    text = resource_metrics_text(None)
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        "resource_scrape_error 1",
        "scrape_error 1",
    ]


def test_label_values_are_escaped() -> None:
    summary = {
        "node": {},
        "pods": [
            {
                "podRef": {"name": 'we"b', "namespace": "a\\b", "uid": "u"},
                "containers": [],
                "memory": {"time": "2023-11-14T22:13:20Z", "workingSetBytes": 1},
            }
        ],
    }
    assert 'pod_memory_working_set_bytes{namespace="a\\\\b",pod="we\\"b"} 1 ' in (
        resource_metrics_text(summary)
    )


async def test_provider_end_to_end(tmp_path: Path) -> None:
    clock = Clock()
    rt = FakeRuntime(clock=clock.ns)
    web = pod("web")
    cid = (await run_pod(rt, web))["app"]
    rt.set_usage(cid, cpu_core_nano_seconds=3_000_000_000, working_set_bytes=2048)
    stats = StatsProvider(
        runtime=rt,
        pods=lambda: [web],
        root_dir=tmp_path,
        node_name="n",
        reader=FakeNodeReader(),
        clock=clock,
    )
    text = await stats.resource_metrics()
    assert (
        'container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 3 '
        in (text)
    )
    assert "scrape_error 0" in text
    rt.inject_error("list_pod_sandbox", Unavailable("down"))
    assert "resource_scrape_error 1" in await stats.resource_metrics()
