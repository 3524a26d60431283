"""Server-side `Table` (meta.k8s.io/v1) rendering for `kubectl get`.

Invariants:
- Columns and cells are those of Kubernetes' pkg/printers/internalversion printers for every
  kind in `resources.RESOURCES`; kinds without a printer get the API server's default table
  (Name, Created At). Like kube-apiserver we always print the wide form: every column,
  priority-1 ones included (kubectl hides those unless `-o wide`).
- Cells are computed from the v1 JSON object exactly as the Go printers compute them from the
  internal object (missing fields read as Go zero values; v1 -> internal renames applied).
- Ages use `util.durations.human_duration(now - t)`; a missing/zero timestamp is `<unknown>`.
- Column descriptions are the OpenAPI descriptions of the fields Kubernetes cites (its
  SwaggerDoc), read lazily once from kubernetes-validate's bundled v1.36 schemas.
Pure data apart from that one read of packaged schema data.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from steersman.api import errors, labels
from steersman.api.quantity import parse_quantity
from steersman.api.resources import ResourceInfo
from steersman.util.durations import human_duration

Obj = Mapping[str, Any]
Cells = list[Any]

INCLUDE_OBJECT = "Object"
INCLUDE_METADATA = "Metadata"
INCLUDE_NONE = "None"

# ---------------------------------------------------------------------------
# Column definitions

_SCHEMA_DIR = "v1.36.0-local"


@functools.cache
def _definitions() -> Mapping[str, Any]:
    try:
        import kubernetes_validate

        path = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / _SCHEMA_DIR
        data = orjson.loads((path / "_definitions.json").read_bytes())
    except (ImportError, OSError, ValueError):
        return {}
    defs = data.get("$defs") or data.get("definitions") or {}
    return defs if isinstance(defs, Mapping) else {}


def _doc(definition: str, prop: str) -> str:
    """The description of `definition.prop` (short names: `core.v1.PodSpec`, `meta.v1.ObjectMeta`)."""
    if definition.startswith("meta."):
        full = "io.k8s.apimachinery.pkg.apis." + definition
    else:
        full = "io.k8s.api." + definition
    schema = _definitions().get(full) or {}
    text = ((schema.get("properties") or {}).get(prop) or {}).get("description", "")
    return text if isinstance(text, str) else ""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    # Either literal text or a (definition, property) pair resolved from the schemas.
    description: str | tuple[str, str]
    priority: int = 0
    format: str = ""

    def definition(self) -> dict[str, Any]:
        desc = self.description if isinstance(self.description, str) else _doc(*self.description)
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": desc,
            "priority": self.priority,
        }


_META = "meta.v1.ObjectMeta"
NAME = Column("Name", "string", (_META, "name"), format="name")
AGE = Column("Age", "string", (_META, "creationTimestamp"))
_CONTAINERS = Column("Containers", "string", "Names of each container in the template.", 1)
_IMAGES = Column("Images", "string", "Images referenced by each container in the template.", 1)


def _s(name: str, desc: str | tuple[str, str], priority: int = 0) -> Column:
    return Column(name, "string", desc, priority)


def _i(name: str, desc: str | tuple[str, str], priority: int = 0) -> Column:
    return Column(name, "integer", desc, priority)


def _b(name: str, desc: str | tuple[str, str], priority: int = 0) -> Column:
    return Column(name, "boolean", desc, priority)


# ---------------------------------------------------------------------------
# Helpers mirroring the Go printers' utilities


def _get(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(p)
    return obj


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_time(value: Any) -> datetime.datetime | None:
    """An RFC 3339 metav1.Time / MicroTime; None for missing, malformed or Go's zero time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    if (
        t.year == 1
        and t.month == 1
        and t.day == 1
        and t.hour == 0
        and t.minute == 0
        and t.second == 0
    ):
        return None
    return t


def _utc(now: datetime.datetime) -> datetime.datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=datetime.UTC)


def translate_timestamp_since(value: Any, now: datetime.datetime) -> str:
    """translateTimestampSince: the age of a timestamp, or `<unknown>`."""
    t = parse_time(value)
    if t is None:
        return "<unknown>"
    return human_duration(_utc(now) - t)


def _age(obj: Obj, now: datetime.datetime) -> str:
    return translate_timestamp_since(_get(obj, "metadata", "creationTimestamp"), now)


def _name(obj: Obj) -> str:
    return _str(_get(obj, "metadata", "name"))


def layout_container_cells(containers: Any) -> tuple[str, str]:
    cs = [_map(c) for c in _list(containers)]
    return ",".join(_str(c.get("name")) for c in cs), ",".join(_str(c.get("image")) for c in cs)


def _template_cells(obj: Obj, *template_path: str) -> list[Any]:
    names, images = layout_container_cells(_get(obj, *template_path, "spec", "containers"))
    return [names, images]


def _quantity_string(value: Any) -> str:
    """Quantity.String() of a stored value; a missing quantity is Go's zero value, "0"."""
    if value is None:
        return "0"
    try:
        return str(parse_quantity(value if isinstance(value, str) else str(value)))
    except ValueError:
        return str(value)


def _int_or_string(value: Any) -> str:
    if isinstance(value, bool):
        return "0"
    return str(value) if isinstance(value, int | str) else "0"


def _first_non_empty(*values: str) -> str:
    return next((v for v in values if v), "")


def _list_with_more(items: Sequence[str], count: int, limit: int) -> str:
    """listWithMoreString: at most `limit` items, `+ N more...`, `<unset>` when empty."""
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def _print_bool(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value is True else "False"


def _lb_status(status: Any) -> str:
    # loadBalancerStatusStringer with wide=True: the sorted, de-duplicated IPs/hostnames.
    found: set[str] = set()
    for ing in _list(_get(status, "ingress")):
        ip, host = _str(_get(ing, "ip")), _str(_get(ing, "hostname"))
        if ip:
            found.add(ip)
        elif host:
            found.add(host)
    return ",".join(sorted(found))


_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def _access_modes(modes: Any) -> str:
    have = set(_list(modes))
    return ",".join(short for long, short in _ACCESS_MODES if long in have)


# ---------------------------------------------------------------------------
# Pods


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

_ZERO_TIME = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _finished_at(status: Any) -> datetime.datetime:
    return parse_time(_get(status, "lastState", "terminated", "finishedAt")) or _ZERO_TIME


def _condition_true(conditions: Any, type_: str) -> bool:
    """The first condition of `type_` (as Go's loops) has status True."""
    for c in _list(conditions):
        if _get(c, "type") == type_:
            return _get(c, "status") == "True"
    return False


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


# ---------------------------------------------------------------------------
# Workloads


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


# ---------------------------------------------------------------------------
# Core objects


def _service_external_ip(svc: Obj) -> str:
    spec = _map(svc.get("spec"))
    external = [_str(x) for x in _list(spec.get("externalIPs"))]
    svc_type = spec.get("type")
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if svc_type == "LoadBalancer":
        lb = _lb_status(_get(svc, "status", "loadBalancer"))
        if external:
            return ",".join([*(lb.split(",") if lb else []), *external])
        return lb or "<pending>"
    if svc_type == "ExternalName":
        return _str(spec.get("externalName"))
    return "<unknown>"


def _service_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    cluster_ips = _list(spec.get("clusterIPs"))
    internal_ip = _str(cluster_ips[0]) if cluster_ips else _str(spec.get("clusterIP"))
    pieces = []
    for p in _list(spec.get("ports")):
        port, node_port, proto = (
            _int(_get(p, "port")),
            _int(_get(p, "nodePort")),
            _str(_get(p, "protocol")),
        )
        pieces.append(f"{port}:{node_port}/{proto}" if node_port > 0 else f"{port}/{proto}")
    return [
        _name(o),
        _str(spec.get("type")),
        internal_ip or "<none>",
        _service_external_ip(o),
        ",".join(pieces) or "<none>",
        _age(o, now),
        labels.format_labels(spec.get("selector")),
    ]


def _endpoints_text(o: Obj) -> str:
    """formatEndpoints: up to three `ip:port`, then `+ N more...`; `<none>` without subsets."""
    subsets = _list(o.get("subsets"))
    if not subsets:
        return "<none>"
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for ss in subsets:
        addresses = _list(_get(ss, "addresses"))
        ports = _list(_get(ss, "ports"))
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(_str(_get(a, "ip")))
            continue
        for port in ports:
            count += len(addresses)
            for a in addresses:
                if len(shown) == limit:
                    more = True
                    break
                ip = _str(_get(a, "ip"))
                host = f"[{ip}]" if ":" in ip else ip
                shown.append(f"{host}:{_int(_get(port, 'port'))}")
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _endpoint_slice_cells(o: Obj, now: datetime.datetime) -> Cells:
    ports = _list(o.get("ports"))
    port_texts = []
    for p in ports:
        if _get(p, "port") is not None:
            port_texts.append(str(_int(_get(p, "port"))))
        elif _get(p, "name") is not None:
            port_texts.append(_str(_get(p, "name")))
        else:
            port_texts.append("*")
    addresses = [_str(a) for ep in _list(o.get("endpoints")) for a in _list(_get(ep, "addresses"))]
    return [
        _name(o),
        _str(o.get("addressType")),
        _list_with_more(port_texts, len(port_texts), 3),
        _list_with_more(addresses, len(addresses), 3),
        _age(o, now),
    ]


def _node_cells(o: Obj, now: datetime.datetime) -> Cells:
    conditions: dict[str, Any] = {}
    for c in _list(_get(o, "status", "conditions")):
        conditions[_str(_get(c, "type"))] = c
    status: list[str] = []
    ready = conditions.get("Ready")
    if ready is not None:
        status.append("Ready" if _get(ready, "status") == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if _get(o, "spec", "unschedulable") is True:
        status.append("SchedulingDisabled")
    roles: set[str] = set()
    for k, v in _map(_get(o, "metadata", "labels")).items():
        if k.startswith("node-role.kubernetes.io/") and k.removeprefix("node-role.kubernetes.io/"):
            roles.add(k.removeprefix("node-role.kubernetes.io/"))
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    info = _map(_get(o, "status", "nodeInfo"))

    def address(kind: str) -> str:
        for a in _list(_get(o, "status", "addresses")):
            if _get(a, "type") == kind:
                return _str(_get(a, "address"))
        return "<none>"

    return [
        _name(o),
        ",".join(status),
        ",".join(sorted(roles)) or "<none>",
        _age(o, now),
        _str(info.get("kubeletVersion")),
        address("InternalIP"),
        address("ExternalIP"),
        _str(info.get("osImage")) or "<unknown>",
        _str(info.get("kernelVersion")) or "<unknown>",
        _str(info.get("containerRuntimeVersion")) or "<unknown>",
    ]


def _event_view(o: Obj, group: str) -> dict[str, Any]:
    """The internal core Event fields, read from either API's JSON (events.k8s.io renames them)."""
    if group != "events.k8s.io":
        return dict(o)
    return {
        "metadata": o.get("metadata"),
        "involvedObject": o.get("regarding"),
        "reason": o.get("reason"),
        "message": o.get("note"),
        "source": o.get("deprecatedSource"),
        "firstTimestamp": o.get("deprecatedFirstTimestamp"),
        "lastTimestamp": o.get("deprecatedLastTimestamp"),
        "count": o.get("deprecatedCount"),
        "type": o.get("type"),
        "eventTime": o.get("eventTime"),
        "series": o.get("series"),
        "reportingComponent": o.get("reportingController"),
        "reportingInstance": o.get("reportingInstance"),
    }


def _event_cells(o: Obj, now: datetime.datetime, group: str = "") -> Cells:
    ev = _event_view(o, group)
    first = translate_timestamp_since(ev.get("firstTimestamp"), now)
    if parse_time(ev.get("firstTimestamp")) is None:
        first = translate_timestamp_since(ev.get("eventTime"), now)
    last = translate_timestamp_since(ev.get("lastTimestamp"), now)
    if parse_time(ev.get("lastTimestamp")) is None:
        last = first
    count = _int(ev.get("count"))
    series = ev.get("series")
    if series is not None:
        last = translate_timestamp_since(_get(series, "lastObservedTime"), now)
        count = _int(_get(series, "count"))
    elif count == 0:
        count = 1  # singleton events of the new API carry no count
    ref = _map(ev.get("involvedObject"))
    kind = _str(ref.get("kind")).lower()
    target = f"{kind}/{_str(ref.get('name'))}" if _str(ref.get("name")) else kind
    component = _first_non_empty(
        _str(_get(ev, "source", "component")), _str(ev.get("reportingComponent"))
    )
    host = _first_non_empty(_str(_get(ev, "source", "host")), _str(ev.get("reportingInstance")))
    return [
        last,
        _str(ev.get("type")),
        _str(ev.get("reason")),
        target,
        _str(ref.get("fieldPath")),
        f"{component}, {host}" if host else component,
        _str(ev.get("message")).strip(),
        first,
        count,
        _name(o),
    ]


def _pv_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    claim = ""
    if spec.get("claimRef") is not None:
        claim = (
            f"{_str(_get(spec, 'claimRef', 'namespace'))}/{_str(_get(spec, 'claimRef', 'name'))}"
        )
    annotations = _map(_get(o, "metadata", "annotations"))
    storage_class = annotations.get(
        "volume.beta.kubernetes.io/storage-class", _str(spec.get("storageClassName"))
    )
    phase = _str(_get(o, "status", "phase"))
    if _get(o, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(o),
        _quantity_string(_get(spec, "capacity", "storage")),
        _access_modes(spec.get("accessModes")),
        _str(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        storage_class,
        "<unset>" if vac is None else _str(vac),
        _str(_get(o, "status", "reason")),
        _age(o, now),
        "<unset>" if spec.get("volumeMode") is None else _str(spec.get("volumeMode")),
    ]


def _pvc_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec, st = _map(o.get("spec")), _map(o.get("status"))
    phase = _str(st.get("phase"))
    if _get(o, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    capacity = access = ""
    if _str(spec.get("volumeName")):
        access = _access_modes(st.get("accessModes"))
        capacity = _quantity_string(_get(st, "capacity", "storage"))
    annotations = _map(_get(o, "metadata", "annotations"))
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        storage_class = _str(annotations["volume.beta.kubernetes.io/storage-class"])
    else:
        storage_class = _str(spec.get("storageClassName"))
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(o),
        phase,
        _str(spec.get("volumeName")),
        capacity,
        access,
        storage_class,
        "<unset>" if vac is None else _str(vac),
        _age(o, now),
        "<unset>" if spec.get("volumeMode") is None else _str(spec.get("volumeMode")),
    ]


def _resource_quota_cells(o: Obj, now: datetime.datetime) -> Cells:
    hard, used = _map(_get(o, "status", "hard")), _map(_get(o, "status", "used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        pieces = resource.split(".")
        target = limits if len(pieces) > 1 and pieces[0] == "limits" else requests
        target.append(
            f"{resource}: {_quantity_string(used.get(resource))}/{_quantity_string(hard[resource])}"
        )
    return [_name(o), ", ".join(requests), ", ".join(limits), _age(o, now)]


def _subjects(o: Obj) -> list[str]:
    users: list[str] = []
    groups: list[str] = []
    sas: list[str] = []
    for s in _list(o.get("subjects")):
        kind, name = _get(s, "kind"), _str(_get(s, "name"))
        if kind == "ServiceAccount":
            sas.append(f"{_str(_get(s, 'namespace'))}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return [", ".join(users), ", ".join(groups), ", ".join(sas)]


def _binding_cells(o: Obj, now: datetime.datetime) -> Cells:
    role = f"{_str(_get(o, 'roleRef', 'kind'))}/{_str(_get(o, 'roleRef', 'name'))}"
    return [_name(o), role, _age(o, now), *_subjects(o)]


def _storage_class_cells(o: Obj, now: datetime.datetime) -> Cells:
    annotations = _map(_get(o, "metadata", "annotations"))
    default = (
        annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
        or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true"
    )
    return [
        _name(o) + (" (default)" if default else ""),
        _str(o.get("provisioner")),
        "Delete" if o.get("reclaimPolicy") is None else _str(o.get("reclaimPolicy")),
        "Immediate" if o.get("volumeBindingMode") is None else _str(o.get("volumeBindingMode")),
        o.get("allowVolumeExpansion") is True,
        _age(o, now),
    ]


def _ingress_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    rules = _list(spec.get("rules"))
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and _str(_get(rule, "host")):
            hosts.append(_str(_get(rule, "host")))
    hosts_text = ",".join(hosts) if hosts else "*"
    if hosts and more:
        hosts_text = f"{hosts_text} + {len(rules) - 3} more..."
    class_name = spec.get("ingressClassName")
    return [
        _name(o),
        "<none>" if class_name is None else _str(class_name),
        hosts_text,
        _lb_status(_get(o, "status", "loadBalancer")),
        "80, 443" if _list(spec.get("tls")) else "80",
        _age(o, now),
    ]


def _ingress_class_cells(o: Obj, now: datetime.datetime) -> Cells:
    params = _get(o, "spec", "parameters")
    text = "<none>"
    if params is not None:
        text = _str(_get(params, "kind"))
        if _get(params, "apiGroup") is not None:
            text += "." + _str(_get(params, "apiGroup"))
        text += "/" + _str(_get(params, "name"))
    return [_name(o), _str(_get(o, "spec", "controller")), text, _age(o, now)]


def _priority_class_cells(o: Obj, now: datetime.datetime) -> Cells:
    return [
        _name(o),
        _int(o.get("value")),
        o.get("globalDefault") is True,
        _age(o, now),
        _str(o.get("preemptionPolicy")),
    ]


def _default_cells(o: Obj, now: datetime.datetime) -> Cells:
    created = parse_time(_get(o, "metadata", "creationTimestamp"))
    text = (
        "0001-01-01T00:00:00Z"
        if created is None
        else created.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return [_name(o), text]


# ---------------------------------------------------------------------------
# The printer table


@dataclass(frozen=True, slots=True)
class _Printer:
    columns: tuple[Column, ...]
    cells: Callable[[Obj, datetime.datetime], Cells]
    conditions: Callable[[Obj], list[dict[str, Any]] | None] | None = None


_SELECTOR = "Selector"
_PRINTERS: dict[tuple[str, str], _Printer] = {
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
    ("", "Service"): _Printer(
        (
            NAME,
            _s("Type", ("core.v1.ServiceSpec", "type")),
            _s("Cluster-IP", ("core.v1.ServiceSpec", "clusterIP")),
            _s("External-IP", ("core.v1.ServiceSpec", "externalIPs")),
            _s("Port(s)", ("core.v1.ServiceSpec", "ports")),
            AGE,
            _s(_SELECTOR, ("core.v1.ServiceSpec", "selector"), 1),
        ),
        _service_cells,
    ),
    ("networking.k8s.io", "Ingress"): _Printer(
        (
            NAME,
            _s(
                "Class",
                "The name of the IngressClass resource that should be used for additional configuration",
            ),
            _s("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
            _s("Address", "Address is a list containing ingress points for the load-balancer"),
            _s("Ports", "Ports of TLS configurations that open"),
            AGE,
        ),
        _ingress_cells,
    ),
    ("networking.k8s.io", "IngressClass"): _Printer(
        (
            NAME,
            _s("Controller", "Controller that is responsible for handling this class"),
            _s("Parameters", "A reference to a resource with additional parameters"),
            AGE,
        ),
        _ingress_class_cells,
    ),
    ("apps", "StatefulSet"): _Printer(
        (NAME, _s("Ready", "Number of the pod with ready state"), AGE, _CONTAINERS, _IMAGES),
        _sts_cells,
    ),
    ("", "Endpoints"): _Printer(
        (NAME, _s("Endpoints", ("core.v1.Endpoints", "subsets")), AGE),
        lambda o, now: [_name(o), _endpoints_text(o), _age(o, now)],
    ),
    ("", "Node"): _Printer(
        (
            NAME,
            _s("Status", "The status of the node"),
            _s("Roles", "The roles of the node"),
            AGE,
            _s("Version", ("core.v1.NodeSystemInfo", "kubeletVersion")),
            _s("Internal-IP", ("core.v1.NodeStatus", "addresses"), 1),
            _s("External-IP", ("core.v1.NodeStatus", "addresses"), 1),
            _s("OS-Image", ("core.v1.NodeSystemInfo", "osImage"), 1),
            _s("Kernel-Version", ("core.v1.NodeSystemInfo", "kernelVersion"), 1),
            _s("Container-Runtime", ("core.v1.NodeSystemInfo", "containerRuntimeVersion"), 1),
        ),
        _node_cells,
    ),
    ("", "Namespace"): _Printer(
        (NAME, _s("Status", "The status of the namespace"), AGE),
        lambda o, now: [_name(o), _str(_get(o, "status", "phase")), _age(o, now)],
    ),
    ("", "Secret"): _Printer(
        (NAME, _s("Type", ("core.v1.Secret", "type")), _s("Data", ("core.v1.Secret", "data")), AGE),
        lambda o, now: [_name(o), _str(o.get("type")), len(_map(o.get("data"))), _age(o, now)],
    ),
    ("", "ServiceAccount"): _Printer(
        (NAME, _s("Secrets", ("core.v1.ServiceAccount", "secrets")), AGE),
        lambda o, now: [_name(o), len(_list(o.get("secrets"))), _age(o, now)],
    ),
    ("", "PersistentVolume"): _Printer(
        (
            NAME,
            _s("Capacity", ("core.v1.PersistentVolumeSpec", "capacity")),
            _s("Access Modes", ("core.v1.PersistentVolumeSpec", "accessModes")),
            _s("Reclaim Policy", ("core.v1.PersistentVolumeSpec", "persistentVolumeReclaimPolicy")),
            _s("Status", ("core.v1.PersistentVolumeStatus", "phase")),
            _s("Claim", ("core.v1.PersistentVolumeSpec", "claimRef")),
            _s("StorageClass", "StorageClass of the pv"),
            _s("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
            _s("Reason", ("core.v1.PersistentVolumeStatus", "reason")),
            AGE,
            _s("VolumeMode", ("core.v1.PersistentVolumeSpec", "volumeMode"), 1),
        ),
        _pv_cells,
    ),
    ("", "PersistentVolumeClaim"): _Printer(
        (
            NAME,
            _s("Status", ("core.v1.PersistentVolumeClaimStatus", "phase")),
            _s("Volume", ("core.v1.PersistentVolumeClaimSpec", "volumeName")),
            _s("Capacity", ("core.v1.PersistentVolumeClaimStatus", "capacity")),
            _s("Access Modes", ("core.v1.PersistentVolumeClaimStatus", "accessModes")),
            _s("StorageClass", "StorageClass of the pvc"),
            _s("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
            AGE,
            _s("VolumeMode", ("core.v1.PersistentVolumeClaimSpec", "volumeMode"), 1),
        ),
        _pvc_cells,
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
    ("", "ConfigMap"): _Printer(
        (NAME, _s("Data", ("core.v1.ConfigMap", "data")), AGE),
        lambda o, now: [
            _name(o),
            len(_map(o.get("data"))) + len(_map(o.get("binaryData"))),
            _age(o, now),
        ],
    ),
    ("networking.k8s.io", "NetworkPolicy"): _Printer(
        (NAME, _s("Pod-Selector", ("networking.v1.NetworkPolicySpec", "podSelector")), AGE),
        lambda o, now: [
            _name(o),
            labels.format_label_selector(_map(_get(o, "spec", "podSelector"))),
            _age(o, now),
        ],
    ),
    ("rbac.authorization.k8s.io", "RoleBinding"): _Printer(
        (
            NAME,
            _s("Role", ("rbac.v1.RoleBinding", "roleRef")),
            AGE,
            _s("Users", "Users in the roleBinding", 1),
            _s("Groups", "Groups in the roleBinding", 1),
            _s("ServiceAccounts", "ServiceAccounts in the roleBinding", 1),
        ),
        _binding_cells,
    ),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _Printer(
        (
            NAME,
            _s("Role", ("rbac.v1.ClusterRoleBinding", "roleRef")),
            AGE,
            _s("Users", "Users in the clusterRoleBinding", 1),
            _s("Groups", "Groups in the clusterRoleBinding", 1),
            _s("ServiceAccounts", "ServiceAccounts in the clusterRoleBinding", 1),
        ),
        _binding_cells,
    ),
    ("coordination.k8s.io", "Lease"): _Printer(
        (NAME, _s("Holder", ("coordination.v1.LeaseSpec", "holderIdentity")), AGE),
        lambda o, now: [_name(o), _str(_get(o, "spec", "holderIdentity")), _age(o, now)],
    ),
    ("storage.k8s.io", "StorageClass"): _Printer(
        (
            NAME,
            _s("Provisioner", ("storage.v1.StorageClass", "provisioner")),
            _s("ReclaimPolicy", ("storage.v1.StorageClass", "reclaimPolicy")),
            _s("VolumeBindingMode", ("storage.v1.StorageClass", "volumeBindingMode")),
            _s("AllowVolumeExpansion", ("storage.v1.StorageClass", "allowVolumeExpansion")),
            AGE,
        ),
        _storage_class_cells,
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
    ("", "ResourceQuota"): _Printer(
        (
            NAME,
            _s(
                "Request",
                "Request represents a minimum amount of cpu/memory that a container may consume.",
            ),
            _s(
                "Limit",
                "Limits control the maximum amount of cpu/memory that a container may use independent "
                "of contention on the node.",
            ),
            AGE,
        ),
        _resource_quota_cells,
    ),
    ("scheduling.k8s.io", "PriorityClass"): _Printer(
        (
            NAME,
            _i("Value", ("scheduling.v1.PriorityClass", "value")),
            _b("Global-Default", ("scheduling.v1.PriorityClass", "globalDefault")),
            AGE,
            _s("PreemptionPolicy", ("scheduling.v1.PriorityClass", "preemptionPolicy")),
        ),
        _priority_class_cells,
    ),
    ("discovery.k8s.io", "EndpointSlice"): _Printer(
        (
            NAME,
            _s("AddressType", ("discovery.v1.EndpointSlice", "addressType")),
            _s("Ports", ("discovery.v1.EndpointSlice", "ports")),
            _s("Endpoints", ("discovery.v1.EndpointSlice", "endpoints")),
            AGE,
        ),
        _endpoint_slice_cells,
    ),
}

_EVENT_COLUMNS = (
    _s("Last Seen", ("core.v1.Event", "lastTimestamp")),
    _s("Type", ("core.v1.Event", "type")),
    _s("Reason", ("core.v1.Event", "reason")),
    _s("Object", ("core.v1.Event", "involvedObject")),
    _s("Subobject", ("core.v1.ObjectReference", "fieldPath"), 1),
    _s("Source", ("core.v1.Event", "source"), 1),
    _s("Message", ("core.v1.Event", "message")),
    _s("First Seen", ("core.v1.Event", "firstTimestamp"), 1),
    _s("Count", ("core.v1.Event", "count"), 1),
    Column("Name", "string", (_META, "name"), 1, "name"),
)
# Both Event APIs share one storage, hence one printer over the internal (core) shape.
_PRINTERS[("", "Event")] = _Printer(_EVENT_COLUMNS, _event_cells)
_PRINTERS[("events.k8s.io", "Event")] = _Printer(
    _EVENT_COLUMNS, lambda o, now: _event_cells(o, now, "events.k8s.io")
)

# rest.NewDefaultTableConvertor, for kinds without a printer.
_DEFAULT_PRINTER = _Printer(
    (NAME, Column("Created At", "date", (_META, "creationTimestamp"))), _default_cells
)


def has_printer(info: ResourceInfo) -> bool:
    return (info.group, info.kind) in _PRINTERS


def _printer(info: ResourceInfo) -> _Printer:
    return _PRINTERS.get((info.group, info.kind), _DEFAULT_PRINTER)


def column_definitions(info: ResourceInfo) -> list[dict[str, Any]]:
    """The Table's columnDefinitions for a resource (all columns: the server prints wide)."""
    return [c.definition() for c in _printer(info).columns]


def row_cells(info: ResourceInfo, obj: Obj, now: datetime.datetime) -> list[Any]:
    """One row's cells, computed as Kubernetes' printer for the kind computes them."""
    return _printer(info).cells(obj, now)


def _row_object(info: ResourceInfo, obj: Obj, include_object: str) -> Any:
    if include_object == INCLUDE_OBJECT:
        full = dict(obj)
        full.setdefault("apiVersion", info.group_version)
        full.setdefault("kind", info.kind)
        return full
    if include_object in (INCLUDE_METADATA, ""):
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {},
        }
    if include_object == INCLUDE_NONE:
        return None
    raise errors.bad_request_error(
        f"unrecognized includeObject value: {errors.go_value(include_object)}"
    )


def build_table(
    info: ResourceInfo,
    objects: Sequence[Obj],
    *,
    now: datetime.datetime,
    include_object: str = INCLUDE_METADATA,
    resource_version: str = "",
    continue_token: str = "",
    remaining: int | None = None,
    no_headers: bool = False,
) -> dict[str, Any]:
    """A complete meta.k8s.io/v1 Table for `objects` (a list, or one object for a GET).

    Raises a 400 ApiError for an unknown `include_object`, as the API server does.
    """
    printer = _printer(info)
    rows: list[dict[str, Any]] = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj) if printer.conditions else None
        if conditions:
            row["conditions"] = conditions
        row["object"] = _row_object(info, obj, include_object)
        rows.append(row)
    meta: dict[str, Any] = {}
    if resource_version:
        meta["resourceVersion"] = resource_version
    if continue_token:
        meta["continue"] = continue_token
    if remaining is not None and continue_token:
        meta["remainingItemCount"] = remaining
    table: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    if not no_headers:
        table["columnDefinitions"] = [c.definition() for c in printer.columns]
    table["rows"] = rows
    return table
