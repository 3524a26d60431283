"""The kubelet's Summary API (stats/v1alpha1, `GET /stats/summary`) and `/metrics/resource`,
computed from CRI stats (containers), /proc and cgroupfs (the node) and statvfs/du (disks):

  node.py              NodeReader (the machine's cpu, memory, filesystems, network, pids)
  usage_cache.py       CpuUsageCache (usageNanoCores from two samples)
  helpers.py           stats/v1alpha1 JSON pieces
  summary.py           summary(): node + pods
  resource_metrics.py  the Prometheus text of /metrics/resource
  provider.py          StatsProvider: what the kubelet keeps and serves from

Invariants: field names, units and omission rules are stats/v1alpha1's (absent, never 0, when
unknown); times are metav1.Time (RFC 3339, whole seconds, UTC); nothing blocks the loop.
"""

from steersman.kubelet.stats.helpers import parse_time, rfc3339
from steersman.kubelet.stats.node import (
    FsInfo,
    Interface,
    NodeMemory,
    NodeReader,
    ProcNodeReader,
    disk_usage,
)
from steersman.kubelet.stats.provider import StatsProvider
from steersman.kubelet.stats.resource_metrics import go_float, resource_metrics_text
from steersman.kubelet.stats.summary import StatsError, has_dedicated_image_fs, summary
from steersman.kubelet.stats.usage_cache import CpuUsageCache

__all__ = [
    "CpuUsageCache",
    "FsInfo",
    "Interface",
    "NodeMemory",
    "NodeReader",
    "ProcNodeReader",
    "StatsError",
    "StatsProvider",
    "disk_usage",
    "go_float",
    "has_dedicated_image_fs",
    "parse_time",
    "resource_metrics_text",
    "rfc3339",
    "summary",
]
