"""Pod and PodTemplate rows, as pkg/printers/internalversion's printPod computes them.

Invariants: the Status column follows printPod's precedence (init containers, then the
last container state, then deletion); restart counts carry the age of the last restart
when one is known; Succeeded/Failed pods get the Completed row condition.
"""

from __future__ import annotations

import datetime
from typing import Any

from steersman.api import labels
from steersman.api.tables.columns import (
    AGE,
    NAME,
    Cells,
    Obj,
    Printers,
)
from steersman.api.tables.columns import Printer as _Printer
from steersman.api.tables.columns import s as _s
from steersman.api.tables.format import ZERO_TIME as _ZERO_TIME
from steersman.api.tables.format import age as _age
from steersman.api.tables.format import condition_true as _condition_true
from steersman.api.tables.format import get as _get
from steersman.api.tables.format import integer as _int
from steersman.api.tables.format import items as _list
from steersman.api.tables.format import mapping as _map
from steersman.api.tables.format import name as _name
from steersman.api.tables.format import parse_time
from steersman.api.tables.format import string as _str
from steersman.api.tables.format import template_cells as _template_cells
from steersman.api.tables.format import utc as _utc
from steersman.util.durations import human_duration

_POD_COLUMNS = (
    NAME,
    _s("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _s("Status", "The aggregate status of the containers in this pod."),
    _s(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    AGE,
    _s("IP", ("core.v1.PodStatus", "podIP"), 1),
    _s("Node", ("core.v1.PodSpec", "nodeName"), 1),
    _s("Nominated Node", ("core.v1.PodStatus", "nominatedNodeName"), 1),
    _s("Readiness Gates", ("core.v1.PodSpec", "readinessGates"), 1),
)


def _finished_at(status: Any) -> datetime.datetime:
    return parse_time(_get(status, "lastState", "terminated", "finishedAt")) or _ZERO_TIME


def _pod_status_reason(pod: Obj) -> tuple[str, int, datetime.datetime, int, int]:
    """printPod's core: (reason, restarts, last restart, ready, total)."""
    spec, status = _map(pod.get("spec")), _map(pod.get("status"))
    init_specs = {_str(_get(c, "name")): _map(c) for c in _list(spec.get("initContainers"))}
    total = len(_list(spec.get("containers")))
    total += sum(1 for c in init_specs.values() if c.get("restartPolicy") == "Always")
    ready = 0
    restarts = restartable_restarts = 0
    last_restart = last_restartable = _ZERO_TIME

    phase = _str(status.get("phase"))
    reason = _str(status.get("reason")) or phase
    for cond in _list(status.get("conditions")):
        if _get(cond, "type") == "PodScheduled" and _get(cond, "reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    init_statuses = _list(status.get("initContainerStatuses"))
    n_init = len(_list(spec.get("initContainers")))
    for i, cs in enumerate(init_statuses):
        restarts += _int(_get(cs, "restartCount"))
        last_restart = max(last_restart, _finished_at(cs))
        restartable = _get(init_specs.get(_str(_get(cs, "name"))), "restartPolicy") == "Always"
        if restartable:
            restartable_restarts += _int(_get(cs, "restartCount"))
            last_restartable = max(last_restartable, _finished_at(cs))
        terminated = _get(cs, "state", "terminated")
        waiting = _get(cs, "state", "waiting")
        if terminated is not None and _int(_get(terminated, "exitCode")) == 0:
            continue
        if restartable and _get(cs, "started") is True:
            if _get(cs, "ready") is True:
                ready += 1
            continue
        if terminated is not None:
            term_reason = _str(_get(terminated, "reason"))
            if term_reason:
                reason = "Init:" + term_reason
            elif _int(_get(terminated, "signal")):
                reason = f"Init:Signal:{_int(_get(terminated, 'signal'))}"
            else:
                reason = f"Init:ExitCode:{_int(_get(terminated, 'exitCode'))}"
        elif waiting is not None and _str(_get(waiting, "reason")) not in ("", "PodInitializing"):
            reason = "Init:" + _str(_get(waiting, "reason"))
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break

    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        restarts, last_restart = restartable_restarts, last_restartable
        has_running = False
        for cs in reversed(_list(status.get("containerStatuses"))):
            restarts += _int(_get(cs, "restartCount"))
            last_restart = max(last_restart, _finished_at(cs))
            waiting_reason = _str(_get(cs, "state", "waiting", "reason"))
            terminated = _get(cs, "state", "terminated")
            if waiting_reason:
                reason = waiting_reason
            elif terminated is not None and _str(_get(terminated, "reason")):
                reason = _str(_get(terminated, "reason"))
            elif terminated is not None:
                signal = _int(_get(terminated, "signal"))
                reason = (
                    f"Signal:{signal}"
                    if signal
                    else f"ExitCode:{_int(_get(terminated, 'exitCode'))}"
                )
            elif _get(cs, "ready") is True and _get(cs, "state", "running") is not None:
                has_running = True
                ready += 1
        # A "Completed" container next to a running one leaves the pod Running (or NotReady).
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status.get("conditions"), "Ready") else "NotReady"

    deleting = _get(pod, "metadata", "deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, restarts, last_restart, ready, total


def _pod_cells(pod: Obj, now: datetime.datetime) -> Cells:
    reason, restarts, last_restart, ready, total = _pod_status_reason(pod)
    restarts_text = str(restarts)
    if restarts and last_restart != _ZERO_TIME:
        restarts_text = f"{restarts} ({human_duration(_utc(now) - last_restart)} ago)"
    spec, status = _map(pod.get("spec")), _map(pod.get("status"))
    pod_ips = _list(status.get("podIPs"))
    pod_ip = _str(_get(pod_ips[0], "ip")) if pod_ips else _str(status.get("podIP"))
    gates = _list(spec.get("readinessGates"))
    gates_text = "<none>"
    if gates:
        true_count = sum(
            1
            for g in gates
            if _condition_true(status.get("conditions"), _str(_get(g, "conditionType")))
        )
        gates_text = f"{true_count}/{len(gates)}"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _age(pod, now),
        pod_ip or "<none>",
        _str(spec.get("nodeName")) or "<none>",
        _str(status.get("nominatedNodeName")) or "<none>",
        gates_text,
    ]


def _pod_conditions(pod: Obj) -> list[dict[str, Any]] | None:
    phase = _get(pod, "status", "phase")
    if phase == "Succeeded":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    if phase == "Failed":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Failed",
                "message": "The pod failed.",
            }
        ]
    return None


PRINTERS: Printers = {
    ("", "Pod"): _Printer(_POD_COLUMNS, _pod_cells, _pod_conditions),
    ("", "PodTemplate"): _Printer(
        (
            NAME,
            _s("Containers", "Names of each container in the template."),
            _s("Images", "Images referenced by each container in the template."),
            _s("Pod Labels", "The labels for the pod template."),
        ),
        lambda o, now: [
            _name(o),
            *_template_cells(o, "template"),
            labels.format_labels(_get(o, "template", "metadata", "labels")),
        ],
    ),
}
