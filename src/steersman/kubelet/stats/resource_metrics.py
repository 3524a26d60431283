"""`/metrics/resource` in Prometheus text 0.0.4, as the Go kubelet writes it
(pkg/kubelet/metrics/collectors/resource_metrics.go).

Invariants: families sorted by name, samples by label values in label-name order; values in
Go's shortest %g form; cpu/memory samples carry their sample time in milliseconds; a failed
summary yields only scrape_error/resource_scrape_error = 1.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from steersman.kubelet.stats.helpers import parse_time
from steersman.kubelet.stats.node import SECOND_NS

Obj = dict[str, Any]


def go_float(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64), as Prometheus' Go text encoder writes values."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign, digits_t, exp = Decimal(repr(float(value))).normalize().as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digits_t))
    nd, dp = len(digits), len(digits) + exp
    minus = "-" if sign else ""
    x = dp - 1
    if x < -4 or x >= 6:  # %e; shortest precision decides with 6
        mantissa = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{minus}{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if dp <= 0:
        return f"{minus}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{minus}{digits}{'0' * (dp - nd)}"
    return f"{minus}{digits[:dp]}.{digits[dp:]}"


_FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # name: (type, help with its stability prefix, label names)
    "container_cpu_usage_seconds_total": (
        "counter",
        "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
        ("container", "pod", "namespace"),
    ),
    "container_memory_working_set_bytes": (
        "gauge",
        "[STABLE] Current working set of the container in bytes",
        ("container", "pod", "namespace"),
    ),
    "container_start_time_seconds": (
        "gauge",
        "[STABLE] Start time of the container since unix epoch in seconds",
        ("container", "pod", "namespace"),
    ),
    "node_cpu_usage_seconds_total": (
        "counter",
        "[STABLE] Cumulative cpu time consumed by the node in core-seconds",
        (),
    ),
    "node_memory_working_set_bytes": (
        "gauge",
        "[STABLE] Current working set of the node in bytes",
        (),
    ),
    "pod_cpu_usage_seconds_total": (
        "counter",
        "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
        ("pod", "namespace"),
    ),
    "pod_memory_working_set_bytes": (
        "gauge",
        "[STABLE] Current working set of the pod in bytes",
        ("pod", "namespace"),
    ),
    "resource_scrape_error": (
        "gauge",
        "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise",
        (),
    ),
    "scrape_error": (
        "gauge",
        "[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container "
        "metrics, 0 otherwise",
        (),
    ),
}

_Sample = tuple[tuple[str, ...], float, int | None]  # label values, value, timestamp (ms)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _ms(when: str) -> int | None:
    seconds = parse_time(when)
    return int(seconds * 1000) if seconds is not None else None


def resource_metrics_text(stats: Obj | None) -> str:
    """The /metrics/resource body for a cpu-and-memory summary (None: it failed)."""
    samples: dict[str, list[_Sample]] = {name: [] for name in _FAMILIES}

    def cpu(name: str, labels: tuple[str, ...], block: Obj | None) -> None:
        if block and "usageCoreNanoSeconds" in block:
            seconds = block["usageCoreNanoSeconds"] / SECOND_NS
            samples[name].append((labels, seconds, _ms(block["time"])))

    def memory(name: str, labels: tuple[str, ...], block: Obj | None) -> None:
        if block and "workingSetBytes" in block:
            samples[name].append((labels, float(block["workingSetBytes"]), _ms(block["time"])))

    error = 1.0 if stats is None else 0.0
    for name in ("scrape_error", "resource_scrape_error"):
        samples[name].append(((), error, None))
    if stats is not None:
        node = stats.get("node") or {}
        cpu("node_cpu_usage_seconds_total", (), node.get("cpu"))
        memory("node_memory_working_set_bytes", (), node.get("memory"))
        for pod in stats.get("pods") or []:
            ref = pod["podRef"]
            for c in pod.get("containers") or []:
                labels = (c["name"], ref["name"], ref["namespace"])
                started = parse_time(c.get("startTime"))
                if started is not None and started > 0:
                    samples["container_start_time_seconds"].append((labels, started, None))
                cpu("container_cpu_usage_seconds_total", labels, c.get("cpu"))
                memory("container_memory_working_set_bytes", labels, c.get("memory"))
            cpu("pod_cpu_usage_seconds_total", (ref["name"], ref["namespace"]), pod.get("cpu"))
            memory(
                "pod_memory_working_set_bytes", (ref["name"], ref["namespace"]), pod.get("memory")
            )
    lines: list[str] = []
    for name in sorted(_FAMILIES):
        if not samples[name]:
            continue
        kind, help_text, label_names = _FAMILIES[name]
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        # Go's registry sorts a family's samples by label values in label-name order.
        order = sorted(range(len(label_names)), key=lambda i: label_names[i])
        for values, value, stamp in sorted(samples[name], key=lambda s: [s[0][i] for i in order]):
            rendered = ",".join(f'{label_names[i]}="{_escape(values[i])}"' for i in order)
            line = f"{name}{{{rendered}}} " if rendered else f"{name} "
            line += go_float(value)
            if stamp is not None:
                line += f" {stamp}"
            lines.append(line)
    return "\n".join(lines) + "\n"
