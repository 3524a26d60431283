"""Workload rows: ReplicationController, ReplicaSet, DaemonSet, Deployment, StatefulSet,
Job, CronJob, ControllerRevision and PodDisruptionBudget.

Invariants: columns and cells are those of Kubernetes' printers; the wide columns
(containers, images, selector) are always present because the server prints wide.
"""

from __future__ import annotations

import datetime

from steersman.api import labels
from steersman.api.tables.columns import (
    AGE,
    NAME,
    Cells,
    Obj,
    Printers,
)
from steersman.api.tables.columns import CONTAINERS as _CONTAINERS
from steersman.api.tables.columns import IMAGES as _IMAGES
from steersman.api.tables.columns import SELECTOR as _SELECTOR
from steersman.api.tables.columns import Printer as _Printer
from steersman.api.tables.columns import b as _b
from steersman.api.tables.columns import i as _i
from steersman.api.tables.columns import s as _s
from steersman.api.tables.format import age as _age
from steersman.api.tables.format import condition_true as _condition_true
from steersman.api.tables.format import get as _get
from steersman.api.tables.format import int_or_string as _int_or_string
from steersman.api.tables.format import integer as _int
from steersman.api.tables.format import items as _list
from steersman.api.tables.format import mapping as _map
from steersman.api.tables.format import name as _name
from steersman.api.tables.format import parse_time, translate_timestamp_since
from steersman.api.tables.format import print_bool as _print_bool
from steersman.api.tables.format import string as _str
from steersman.api.tables.format import template_cells as _template_cells
from steersman.api.tables.format import utc as _utc
from steersman.util.durations import human_duration


def _rc_cells(o: Obj, now: datetime.datetime) -> Cells:
    status = _map(o.get("status"))
    return [
        _name(o),
        _int(_get(o, "spec", "replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _age(o, now),
        *_template_cells(o, "spec", "template"),
        labels.format_labels(_get(o, "spec", "selector")),
    ]


def _rs_cells(o: Obj, now: datetime.datetime) -> Cells:
    status = _map(o.get("status"))
    return [
        _name(o),
        _int(_get(o, "spec", "replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _age(o, now),
        *_template_cells(o, "spec", "template"),
        labels.format_label_selector(_get(o, "spec", "selector")),
    ]


def _ds_cells(o: Obj, now: datetime.datetime) -> Cells:
    st = _map(o.get("status"))
    return [
        _name(o),
        _int(st.get("desiredNumberScheduled")),
        _int(st.get("currentNumberScheduled")),
        _int(st.get("numberReady")),
        _int(st.get("updatedNumberScheduled")),
        _int(st.get("numberAvailable")),
        labels.format_labels(_get(o, "spec", "template", "spec", "nodeSelector")),
        _age(o, now),
        *_template_cells(o, "spec", "template"),
        labels.format_label_selector(_get(o, "spec", "selector")),
    ]


def _deployment_cells(o: Obj, now: datetime.datetime) -> Cells:
    st = _map(o.get("status"))
    try:
        selector = str(labels.selector_from_label_selector(_get(o, "spec", "selector")))
    except ValueError:
        selector = "<invalid>"
    return [
        _name(o),
        f"{_int(st.get('readyReplicas'))}/{_int(_get(o, 'spec', 'replicas'))}",
        _int(st.get("updatedReplicas")),
        _int(st.get("availableReplicas")),
        _age(o, now),
        *_template_cells(o, "spec", "template"),
        selector,
    ]


def _sts_cells(o: Obj, now: datetime.datetime) -> Cells:
    ready, desired = _int(_get(o, "status", "readyReplicas")), _int(_get(o, "spec", "replicas"))
    return [_name(o), f"{ready}/{desired}", _age(o, now), *_template_cells(o, "spec", "template")]


def _job_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec, st = _map(o.get("spec")), _map(o.get("status"))
    succeeded = _int(st.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec.get('completions'))}"
    elif _int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {_int(spec.get('parallelism'))}"
    else:
        completions = f"{succeeded}/1"
    start, done = parse_time(st.get("startTime")), parse_time(st.get("completionTime"))
    if start is None:
        duration = ""
    elif done is None:
        duration = human_duration(_utc(now) - start)
    else:
        duration = human_duration(done - start)
    conds = st.get("conditions")
    if _condition_true(conds, "Complete"):
        status = "Complete"
    elif _condition_true(conds, "Failed"):
        status = "Failed"
    elif _get(o, "metadata", "deletionTimestamp") is not None:
        status = "Terminating"
    elif _condition_true(conds, "Suspended"):
        status = "Suspended"
    elif _condition_true(conds, "FailureTarget"):
        status = "FailureTarget"
    else:
        status = "Running"
    return [
        _name(o),
        status,
        completions,
        duration,
        _age(o, now),
        *_template_cells(o, "spec", "template"),
        labels.format_label_selector(spec.get("selector")),
    ]


def _cronjob_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec, st = _map(o.get("spec")), _map(o.get("status"))
    last = st.get("lastScheduleTime")
    return [
        _name(o),
        _str(spec.get("schedule")),
        "<none>" if spec.get("timeZone") is None else _str(spec.get("timeZone")),
        _print_bool(spec.get("suspend")),
        len(_list(st.get("active"))),
        "<none>" if last is None else translate_timestamp_since(last, now),
        _age(o, now),
        *_template_cells(o, "spec", "jobTemplate", "spec", "template"),
        labels.format_label_selector(_get(spec, "jobTemplate", "spec", "selector")),
    ]


def _hpa_metric(spec_metric: Obj, current: Obj | None) -> str:
    """One TARGETS entry as kubectl's printer writes it (cpu: 12%/80%, <unknown> when no
    current value is known)."""
    kind = _str(spec_metric.get("type"))
    if kind == "Resource":
        resource = _map(spec_metric.get("resource"))
        target = _map(resource.get("target"))
        name = _str(resource.get("name"))
        cur = _map(_map((current or {}).get("resource")).get("current"))
        if target.get("averageUtilization") is not None:
            have = cur.get("averageUtilization")
            shown = f"{have}%" if have is not None else "<unknown>"
            return f"{name}: {shown}/{target['averageUtilization']}%"
        have = cur.get("averageValue")
        shown = _str(have) if have is not None else "<unknown>"
        return f"{name}: {shown}/{_str(target.get('averageValue'))}"
    return "<unknown>/<unknown>"


def _hpa_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    status = _map(o.get("status"))
    ref = _map(spec.get("scaleTargetRef"))
    metrics = _list(spec.get("metrics"))
    currents = _list(status.get("currentMetrics"))
    targets = [
        _hpa_metric(_map(m), _map(currents[i]) if i < len(currents) else None)
        for i, m in enumerate(metrics)
    ]
    shown = ", ".join(targets[:2]) + (f" + {len(targets) - 2} more..." if len(targets) > 2 else "")
    min_replicas = spec.get("minReplicas")
    return [
        _name(o),
        f"{_str(ref.get('kind'))}/{_str(ref.get('name'))}",
        shown or "<none>",
        str(min_replicas) if min_replicas is not None else "<unset>",
        _int(spec.get("maxReplicas")),
        _int(status.get("currentReplicas")),
        _age(o, now),
    ]


def _controller_revision_cells(o: Obj, now: datetime.datetime) -> Cells:
    controller = "<none>"
    for ref in _list(_get(o, "metadata", "ownerReferences")):
        if _get(ref, "controller") is True:
            api_version = _str(_get(ref, "apiVersion"))
            group = api_version.split("/")[0] if api_version.count("/") == 1 else ""
            kind = _str(_get(ref, "kind"))
            name = _str(_get(ref, "name"))
            group_kind = f"{kind}.{group}" if group else kind
            controller = f"{group_kind.lower()}/{name}" if group_kind else name
            break
    return [_name(o), controller, _int(o.get("revision")), _age(o, now)]


def _pdb_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    min_available = (
        "N/A" if spec.get("minAvailable") is None else _int_or_string(spec.get("minAvailable"))
    )
    max_unavailable = (
        "N/A" if spec.get("maxUnavailable") is None else _int_or_string(spec.get("maxUnavailable"))
    )
    return [
        _name(o),
        min_available,
        max_unavailable,
        _int(_get(o, "status", "disruptionsAllowed")),
        _age(o, now),
    ]


PRINTERS: Printers = {
    ("", "ReplicationController"): _Printer(
        (
            NAME,
            _i("Desired", ("core.v1.ReplicationControllerSpec", "replicas")),
            _i("Current", ("core.v1.ReplicationControllerStatus", "replicas")),
            _i("Ready", ("core.v1.ReplicationControllerStatus", "readyReplicas")),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _s(_SELECTOR, ("core.v1.ReplicationControllerSpec", "selector"), 1),
        ),
        _rc_cells,
    ),
    ("apps", "ReplicaSet"): _Printer(
        (
            NAME,
            _i("Desired", ("apps.v1.ReplicaSetSpec", "replicas")),
            _i("Current", ("apps.v1.ReplicaSetStatus", "replicas")),
            _i("Ready", ("apps.v1.ReplicaSetStatus", "readyReplicas")),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _s(_SELECTOR, ("apps.v1.ReplicaSetSpec", "selector"), 1),
        ),
        _rs_cells,
    ),
    ("apps", "DaemonSet"): _Printer(
        (
            NAME,
            _i("Desired", ("apps.v1.DaemonSetStatus", "desiredNumberScheduled")),
            _i("Current", ("apps.v1.DaemonSetStatus", "currentNumberScheduled")),
            _i("Ready", ("apps.v1.DaemonSetStatus", "numberReady")),
            _i("Up-to-date", ("apps.v1.DaemonSetStatus", "updatedNumberScheduled")),
            _i("Available", ("apps.v1.DaemonSetStatus", "numberAvailable")),
            _s("Node Selector", ("core.v1.PodSpec", "nodeSelector")),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _s(_SELECTOR, ("apps.v1.DaemonSetSpec", "selector"), 1),
        ),
        _ds_cells,
    ),
    ("apps", "Deployment"): _Printer(
        (
            NAME,
            _s("Ready", "Number of the pod with ready state"),
            _s("Up-to-date", ("apps.v1.DeploymentStatus", "updatedReplicas")),
            _s("Available", ("apps.v1.DeploymentStatus", "availableReplicas")),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _s(_SELECTOR, ("apps.v1.DeploymentSpec", "selector"), 1),
        ),
        _deployment_cells,
    ),
    ("apps", "StatefulSet"): _Printer(
        (NAME, _s("Ready", "Number of the pod with ready state"), AGE, _CONTAINERS, _IMAGES),
        _sts_cells,
    ),
    ("batch", "Job"): _Printer(
        (
            NAME,
            _s("Status", "Status of the job."),
            _s("Completions", ("batch.v1.JobStatus", "succeeded")),
            _s("Duration", "Time required to complete the job."),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _s(_SELECTOR, ("batch.v1.JobSpec", "selector"), 1),
        ),
        _job_cells,
    ),
    ("batch", "CronJob"): _Printer(
        (
            NAME,
            _s("Schedule", ("batch.v1.CronJobSpec", "schedule")),
            _s("Timezone", ("batch.v1.CronJobSpec", "timeZone")),
            _b("Suspend", ("batch.v1.CronJobSpec", "suspend")),
            _i("Active", ("batch.v1.CronJobStatus", "active")),
            _s("Last Schedule", ("batch.v1.CronJobStatus", "lastScheduleTime")),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _s(_SELECTOR, ("batch.v1.JobSpec", "selector"), 1),
        ),
        _cronjob_cells,
    ),
    ("apps", "ControllerRevision"): _Printer(
        (
            NAME,
            _s("Controller", "Controller of the object"),
            _s("Revision", ("apps.v1.ControllerRevision", "revision")),
            AGE,
        ),
        _controller_revision_cells,
    ),
    ("policy", "PodDisruptionBudget"): _Printer(
        (
            NAME,
            _s("Min Available", "The minimum number of pods that must be available."),
            _s("Max Unavailable", "The maximum number of pods that may be unavailable."),
            _i(
                "Allowed Disruptions",
                "Calculated number of pods that may be disrupted at this time.",
            ),
            AGE,
        ),
        _pdb_cells,
    ),
    ("autoscaling", "HorizontalPodAutoscaler"): _Printer(
        (
            NAME,
            _s("Reference", "Reference to the scaled object"),
            _s("Targets", "Current and target values of the metrics"),
            _s("MinPods", "Lower limit for the number of pods"),
            _i("MaxPods", "Upper limit for the number of pods"),
            _i("Replicas", "Current number of replicas"),
            AGE,
        ),
        _hpa_cells,
    ),
}
