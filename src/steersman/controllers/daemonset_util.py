"""Pure helpers of the DaemonSet controller (Kubernetes' pkg/controller/daemon/util and the
placement checks of daemon_controller.go): where a daemon pod should run, the tolerations and
node affinity it is created with, update arithmetic and the failed-pod backoff.

Invariants:
- `node_should_run_daemon_pod` decides as the scheduler would filter: spec.nodeName, the
  nodeSelector and required node affinity, and NoSchedule/NoExecute taints against the pod's
  tolerations plus the DaemonSet defaults. A pod already running stays unless an untolerated
  NoExecute taint appears.
- Daemon pods are pinned with a required node affinity term `matchFields metadata.name In
  [node]` (not spec.nodeName): the scheduler binds them.
- Default tolerations (not-ready and unreachable NoExecute without seconds; disk-, memory-,
  pid-pressure and unschedulable NoSchedule; network-unavailable NoSchedule for hostNetwork)
  replace any toleration with the same key, operator, value and effect.
- No I/O; inputs are never changed unless a function says it mutates its argument.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

DEFAULT_DAEMON_SET_UNIQUE_LABEL_KEY = "controller-revision-hash"
DAEMON_SET_TEMPLATE_GENERATION_KEY = "pod-template-generation"
DEPRECATED_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
NODE_FIELD_SELECTOR_KEY_NODE_NAME = "metadata.name"

_DEFAULT_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
_NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")


# -- tolerations and taints ----------------------------------------------------------------
def _matches_toleration(a: Obj, b: Obj) -> bool:
    """v1.Toleration.MatchToleration: same key, operator, value and effect."""
    return all((a.get(f) or "") == (b.get(f) or "") for f in ("key", "operator", "value", "effect"))


def add_or_update_toleration(spec: Obj, toleration: Obj) -> None:
    """Mutates `spec` (AddOrUpdateTolerationInPodSpec)."""
    tolerations = list(spec.get("tolerations") or [])
    for i, existing in enumerate(tolerations):
        if _matches_toleration(toleration, existing):
            tolerations[i] = dict(toleration)
            break
    else:
        tolerations.append(dict(toleration))
    spec["tolerations"] = tolerations


def add_or_update_daemon_pod_tolerations(spec: Obj) -> None:
    """Mutates `spec`: the tolerations every daemon pod gets."""
    defaults = list(_DEFAULT_TOLERATIONS)
    if spec.get("hostNetwork"):
        defaults.append(_NETWORK_UNAVAILABLE)
    for key, effect in defaults:
        add_or_update_toleration(spec, {"key": key, "operator": "Exists", "effect": effect})


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """v1.Toleration.ToleratesTaint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def has_untolerated_taint(
    taints: list[Obj], tolerations: list[Obj], effects: tuple[str, ...]
) -> bool:
    return any(
        taint.get("effect") in effects and not any(tolerates(t, taint) for t in tolerations)
        for taint in taints
    )


# -- node affinity --------------------------------------------------------------------------------
def _requirement_matches(req: Obj, values: dict[str, str]) -> bool:
    key = req.get("key", "")
    operator = req.get("operator", "")
    wanted = req.get("values") or []
    present = key in values
    value = values.get(key, "")
    if operator == "In":
        return present and value in wanted
    if operator == "NotIn":
        return not present or value not in wanted
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt"):
        if not present or len(wanted) != 1:
            return False
        try:
            have, limit = int(value), int(wanted[0])
        except ValueError:
            return False
        return have > limit if operator == "Gt" else have < limit
    return False


def _term_matches(term: Obj, node: Obj) -> bool:
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False  # an empty term matches no objects
    labels = (node.get("metadata") or {}).get("labels") or {}
    field_values = {NODE_FIELD_SELECTOR_KEY_NODE_NAME: node["metadata"]["name"]}
    return all(_requirement_matches(r, labels) for r in expressions) and all(
        _requirement_matches(r, field_values) for r in fields
    )


def required_node_affinity_matches(pod: Obj, node: Obj) -> bool:
    """nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required terms."""
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is None:
        return True
    return any(_term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])


def new_pod(ds: Obj, node_name: str) -> Obj:
    """NewPod: the daemon pod as it would be on `node_name`, for the placement checks."""
    template = (ds.get("spec") or {}).get("template") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    spec["nodeName"] = node_name
    add_or_update_daemon_pod_tolerations(spec)
    meta = copy.deepcopy(template.get("metadata") or {})
    meta["namespace"] = ds["metadata"].get("namespace", "")
    return {"metadata": meta, "spec": spec}


def node_should_run_daemon_pod(node: Obj, ds: Obj) -> tuple[bool, bool]:
    """(shouldRun, shouldContinueRunning) of a daemon pod of `ds` on `node`."""
    wanted_node = (((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeName")
    if wanted_node and wanted_node != node["metadata"]["name"]:
        return False, False
    pod = new_pod(ds, node["metadata"]["name"])
    if not required_node_affinity_matches(pod, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = pod["spec"].get("tolerations") or []
    if has_untolerated_taint(taints, tolerations, ("NoSchedule", "NoExecute")):
        return False, not has_untolerated_taint(taints, tolerations, ("NoExecute",))
    return True, True


def replace_node_name_node_affinity(affinity: Obj | None, node_name: str) -> Obj:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become one matchFields term
    selecting `node_name`; other affinity is kept."""
    term = {
        "matchFields": [
            {"key": NODE_FIELD_SELECTOR_KEY_NODE_NAME, "operator": "In", "values": [node_name]}
        ]
    }
    out = copy.deepcopy(affinity) if affinity else {}
    node_affinity = out.setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    required["nodeSelectorTerms"] = [term]
    return out


def get_target_node_name(pod: Obj) -> str | None:
    """The node a daemon pod is for: spec.nodeName, else its single matchFields name."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for req in term.get("matchFields") or []:
            if req.get("key") == NODE_FIELD_SELECTOR_KEY_NODE_NAME and req.get("operator") == "In":
                values = req.get("values") or []
                return str(values[0]) if len(values) == 1 else None
    return None


# -- templates, revisions, updates ---------------------------------------------------------------
def template_generation(ds: Obj) -> int | None:
    raw = ((ds.get("metadata") or {}).get("annotations") or {}).get(DEPRECATED_TEMPLATE_GENERATION)
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None


def create_pod_template(template: Obj, generation: int | None, hash_: str) -> Obj:
    """CreatePodTemplate: a copy with daemon tolerations, the revision hash and generation labels."""
    out = copy.deepcopy(template)
    add_or_update_daemon_pod_tolerations(out.setdefault("spec", {}))
    labels = out.setdefault("metadata", {}).setdefault("labels", {})
    if generation is not None:
        labels[DAEMON_SET_TEMPLATE_GENERATION_KEY] = str(generation)
    if hash_:
        labels[DEFAULT_DAEMON_SET_UNIQUE_LABEL_KEY] = hash_
    return out


def is_pod_updated(pod: Obj, hash_: str, generation: int | None) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    template_matches = generation is not None and labels.get(
        DAEMON_SET_TEMPLATE_GENERATION_KEY
    ) == str(generation)
    hash_matches = bool(hash_) and labels.get(DEFAULT_DAEMON_SET_UNIQUE_LABEL_KEY) == hash_
    return hash_matches or template_matches


def _scaled(value: Any, total: int) -> int:
    """GetScaledValueFromIntOrPercent rounding up."""
    if value is None:
        return 0
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


def _rolling(ds: Obj) -> Obj | None:
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return None
    rolling = strategy.get("rollingUpdate")
    return rolling if isinstance(rolling, dict) else None


def surge_count(ds: Obj, number_to_schedule: int) -> int:
    rolling = _rolling(ds)
    return 0 if rolling is None else _scaled(rolling.get("maxSurge"), number_to_schedule)


def unavailable_count(ds: Obj, number_to_schedule: int) -> int:
    rolling = _rolling(ds)
    return 0 if rolling is None else _scaled(rolling.get("maxUnavailable"), number_to_schedule)


def allows_surge(ds: Obj) -> bool:
    return surge_count(ds, 1) != 0


def creation_order_key(pod: Obj) -> tuple[int, str, str]:
    """podByCreationTimestampAndPhase: scheduled pods first, then oldest, then by name."""
    meta = pod.get("metadata") or {}
    scheduled = bool((pod.get("spec") or {}).get("nodeName"))
    return (0 if scheduled else 1, meta.get("creationTimestamp") or "", meta.get("name", ""))


# -- failed pods backoff -----------------------------------------------------------------------
@dataclass
class _Entry:
    delay: float
    last_update: float


class Backoff:
    """flowcontrol.Backoff: per-key delays doubling from `initial` to `maximum`."""

    def __init__(self, initial: float = 1.0, maximum: float = 900.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, _Entry] = {}

    def get(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.delay if entry else 0.0

    def next(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        entry = self._entries.get(key)
        if entry is None or now - entry.last_update > 2 * self.maximum:
            self._entries[key] = _Entry(self.initial, now)
            return
        entry.delay = min(entry.delay * 2, self.maximum)
        entry.last_update = now

    def is_in_backoff_since_update(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        entry = self._entries.get(key)
        if entry is None or now - entry.last_update > 2 * self.maximum:
            return False
        return now - entry.last_update < entry.delay

    def gc(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in [k for k, e in self._entries.items() if now - e.last_update > 2 * self.maximum]:
            del self._entries[key]
