"""Scheduler profiles: which plugins run at which extension point with which weights, built
from a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) or the defaults, with user
plugins loaded from the `steersman.scheduler.plugins` entry-point group.

Invariants:
- Every profile has a unique schedulerName; the default profile is `default-scheduler` with
  Kubernetes' default plugin set and score weights.
- A plugin object is shared by every extension point it serves in a profile; its extension
  points are the methods it has (filter, score, ...), restricted by enabled/disabled lists.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steersman.scheduler.framework import Plugin
from steersman.scheduler.plugins.default_binder import DefaultBinder
from steersman.scheduler.plugins.node_affinity import NodeAffinity
from steersman.scheduler.plugins.node_name import NodeName
from steersman.scheduler.plugins.node_ports import NodePorts
from steersman.scheduler.plugins.node_resources_fit import NodeResourcesFit
from steersman.scheduler.plugins.node_unschedulable import NodeUnschedulable
from steersman.scheduler.plugins.priority_sort import PrioritySort
from steersman.scheduler.plugins.taint_toleration import TaintToleration

DEFAULT_SCHEDULER = "default-scheduler"
ENTRY_POINT_GROUP = "steersman.scheduler.plugins"

# name → factory(args, context) ; context carries the client, recorder, callbacks.
PluginFactory = Callable[[dict[str, Any], dict[str, Any]], Plugin]

IN_TREE: dict[str, PluginFactory] = {
    "PrioritySort": lambda args, ctx: PrioritySort(),
    "NodeName": lambda args, ctx: NodeName(),
    "NodeUnschedulable": lambda args, ctx: NodeUnschedulable(),
    "TaintToleration": lambda args, ctx: TaintToleration(),
    "NodeAffinity": lambda args, ctx: NodeAffinity(),
    "NodePorts": lambda args, ctx: NodePorts(),
    "NodeResourcesFit": lambda args, ctx: NodeResourcesFit(args),
    "DefaultBinder": lambda args, ctx: DefaultBinder(ctx["client"]),
}

# Kubernetes' default plugins (in order) and score weights.
DEFAULT_PLUGINS: list[tuple[str, int]] = [
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
]


def registry() -> dict[str, PluginFactory]:
    plugins = dict(IN_TREE)
    for extra in _optional_in_tree():
        plugins.update(extra)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        plugins[ep.name] = ep.load()
    return plugins


def _optional_in_tree() -> list[dict[str, PluginFactory]]:
    """Plugins that live in their own modules and register themselves when present."""
    out = []
    for module in (
        "default_preemption",
        "balanced_allocation",
        "image_locality",
        "inter_pod_affinity",
        "pod_topology_spread",
    ):
        try:
            mod = importlib.import_module(f"steersman.scheduler.plugins.{module}")
        except ImportError:
            continue
        factories = getattr(mod, "FACTORIES", None)
        if factories:
            out.append(factories)
    return out


@dataclass
class ProfileSpec:
    scheduler_name: str
    plugins: list[tuple[str, int]]  # (name, score weight) in order
    args: dict[str, dict[str, Any]] = field(default_factory=dict)


def default_profile(name: str = DEFAULT_SCHEDULER) -> ProfileSpec:
    return ProfileSpec(name, list(DEFAULT_PLUGINS))


def load_config(path: Path | None) -> list[ProfileSpec]:
    if path is None:
        return [default_profile()]
    import yaml  # only when a configuration file is given

    doc = yaml.safe_load(path.read_text()) or {}
    if doc.get("kind") != "KubeSchedulerConfiguration":
        raise ValueError(f"{path}: kind must be KubeSchedulerConfiguration")
    profiles = []
    for raw in doc.get("profiles") or [{}]:
        name = raw.get("schedulerName") or DEFAULT_SCHEDULER
        plugins = list(DEFAULT_PLUGINS)
        weights = dict(plugins)
        sets = raw.get("plugins") or {}
        disabled: set[str] = set()
        enabled: list[tuple[str, int]] = []
        for point in sets.values():
            for item in (point or {}).get("disabled") or []:
                disabled.add(item.get("name", ""))
            for item in (point or {}).get("enabled") or []:
                enabled.append(
                    (item["name"], int(item.get("weight") or weights.get(item["name"], 1)))
                )
        if "*" in disabled:
            plugins = []
        plugins = [(n, w) for n, w in plugins if n not in disabled]
        for name_weight in enabled:
            plugins = [(n, w) for n, w in plugins if n != name_weight[0]] + [name_weight]
        args = {c["name"]: c.get("args") or {} for c in raw.get("pluginConfig") or []}
        profiles.append(ProfileSpec(name, plugins, args))
    names = [p.scheduler_name for p in profiles]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: duplicate schedulerName in profiles")
    return profiles
