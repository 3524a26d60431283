"""Pieces of stats/v1alpha1 JSON: metav1.Time, FsStats, and CRI usage messages converted.

Invariants: pure; a value the source did not report is absent from the output, never 0.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.stats.node import SECOND_NS, FsInfo, Interface

Obj = dict[str, Any]


def rfc3339(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(int(seconds), datetime.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def ns_time(ns: int) -> str:
    return rfc3339(ns / SECOND_NS)


def parse_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return (
            datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            .replace(tzinfo=datetime.UTC)
            .timestamp()
        )
    except ValueError:
        return None


def fs_stats(when: str, info: FsInfo | None, *, used: int | None, inodes_used: int | None) -> Obj:
    out: Obj = {"time": when}
    if info is not None:
        out.update(
            availableBytes=info.available,
            capacityBytes=info.capacity,
            inodesFree=info.inodes_free,
            inodes=info.inodes,
        )
    if used is not None:
        out["usedBytes"] = used
    if inodes_used is not None:
        out["inodesUsed"] = inodes_used
    return out


def uint_value(message: Any, name: str) -> int | None:
    return int(getattr(message, name).value) if message.HasField(name) else None


def memory_from_cri(memory: api.MemoryUsage) -> Obj:
    out: Obj = {"time": ns_time(memory.timestamp)}
    for key, name in (
        ("availableBytes", "available_bytes"),
        ("usageBytes", "usage_bytes"),
        ("workingSetBytes", "working_set_bytes"),
        ("rssBytes", "rss_bytes"),
        ("pageFaults", "page_faults"),
        ("majorPageFaults", "major_page_faults"),
    ):
        value = uint_value(memory, name)
        if value is not None:
            out[key] = value
    return out


def sum_memory(containers: Sequence[Obj]) -> Obj | None:
    parts = [c["memory"] for c in containers if "memory" in c]
    if not parts:
        return None
    out: Obj = {"time": max(p["time"] for p in parts)}
    for key in ("usageBytes", "workingSetBytes", "rssBytes", "pageFaults", "majorPageFaults"):
        if all(key in p for p in parts):
            out[key] = sum(p[key] for p in parts)
    return out


def network_stats(when: str, default: str, interfaces: Iterable[Interface]) -> Obj:
    listed = [
        {
            "name": i.name,
            "rxBytes": i.rx_bytes,
            "rxErrors": i.rx_errors,
            "txBytes": i.tx_bytes,
            "txErrors": i.tx_errors,
        }
        for i in interfaces
    ]
    out: Obj = {"time": when}
    for entry in listed:
        if entry["name"] == default:
            out.update(entry)
    if listed:
        out["interfaces"] = listed
    return out


def network_from_cri(network: api.NetworkUsage) -> Obj:
    def iface(i: api.NetworkInterfaceUsage) -> Interface:
        return Interface(
            i.name, i.rx_bytes.value, i.rx_errors.value, i.tx_bytes.value, i.tx_errors.value
        )

    return network_stats(
        ns_time(network.timestamp),
        network.default_interface.name,
        [iface(i) for i in network.interfaces] or [iface(network.default_interface)],
    )
