"""`StatsProvider`: the one object per kubelet behind /stats/summary, /metrics/resource and
the eviction manager (they share its CPU cache, so rates are computed once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from steersman.kubelet.runtime.interface import Runtime
from steersman.kubelet.stats.node import NodeReader, ProcNodeReader
from steersman.kubelet.stats.resource_metrics import resource_metrics_text
from steersman.kubelet.stats.summary import StatsError, has_dedicated_image_fs, summary
from steersman.kubelet.stats.usage_cache import CpuUsageCache

log = logging.getLogger("steersman.kubelet.stats")

Obj = dict[str, Any]


class StatsProvider:
    """One per kubelet: the CPU cache shared by /stats/summary, /metrics/resource and the
    eviction manager, and the inputs every summary needs."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        pods: Callable[[], Sequence[Obj]],
        root_dir: Path,
        node_name: str,
        logs_root: Path | None = None,
        reader: NodeReader | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.runtime = runtime
        self.pods = pods
        self.root_dir = root_dir
        self.node_name = node_name
        self.logs_root = logs_root
        self.reader: NodeReader = reader or ProcNodeReader()
        self.clock = clock
        self.cache = CpuUsageCache()

    async def summary(self, *, only_cpu_and_memory: bool = False) -> Obj:
        return await summary(
            runtime=self.runtime,
            pods=self.pods(),
            root_dir=self.root_dir,
            node_name=self.node_name,
            cache=self.cache,
            reader=self.reader,
            logs_root=self.logs_root,
            only_cpu_and_memory=only_cpu_and_memory,
            now=self.clock(),
        )

    async def resource_metrics(self) -> str:
        try:
            stats: Obj | None = await self.summary(only_cpu_and_memory=True)
        except (StatsError, OSError) as exc:
            log.warning("error getting summary for resource metrics: %s", exc)
            stats = None
        return resource_metrics_text(stats)

    async def has_dedicated_image_fs(self) -> bool:
        return await has_dedicated_image_fs(self.runtime, self.root_dir, self.reader)
