"""Quota usage: what one pod, service or persistentvolumeclaim costs, and which scopes select it.

Kubernetes' pkg/quota/v1/evaluator/core (pods.go, services.go, persistent_volume_claims.go);
`quota.evaluator_for` wires these functions into the evaluators.

Invariants:
- A usage function takes `(obj, now)` and returns a new ResourceList keyed by quota resource
  names; it never changes the object.
- A pod always costs `count/pods`; its compute resources (requests and limits of containers,
  sidecars, init containers, pod-level resources and overhead, as resourcehelper adds them up)
  only while `is_pod_charged`: not terminal, and not stuck terminating past its grace period.
- A claim costs its requested storage, or its allocated storage when that is larger (a shrink
  after a failed expansion); the per-storage-class names are charged only when it names a class.
- A scope predicate reads one ScopedResourceSelectorRequirement; a scope it does not know
  selects nothing.
- `_pod_constraints` only ever requires the legacy names in `_VALIDATION_SET`.
Pure data: no I/O. Time enters only through the explicit `now` argument.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from steersman.api.quantity import Quantity
from steersman.api.quota_resources import (
    _ONE,
    HUGEPAGES_PREFIX,
    REQUESTS_PREFIX,
    STORAGE_CLASS_SUFFIX,
    Obj,
    ResourceList,
    _add_into,
    _max_into,
    add,
    is_extended_resource_name,
    parse_list,
)

# The mistake Kubernetes keeps for compatibility: a quota on these forces every container
# to state them (see pod `constraints`). Do not add more names.
_VALIDATION_SET = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
)


# -- pods ----------------------------------------------------------------------------------
def _container_lists(container: Obj) -> tuple[ResourceList, ResourceList]:
    resources = container.get("resources") or {}
    return parse_list(resources.get("requests")), parse_list(resources.get("limits"))


def _is_sidecar(container: Obj) -> bool:
    return container.get("restartPolicy") == "Always"


def _aggregate(pod: Obj, which: int) -> ResourceList:
    """AggregateContainerRequests/Limits: regular containers and sidecars run together; each
    plain init container runs alone beside the sidecars started before it."""
    spec = pod.get("spec") or {}
    total: ResourceList = {}
    for container in spec.get("containers") or []:
        _add_into(total, _container_lists(container)[which])
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or []:
        own = _container_lists(container)[which]
        if _is_sidecar(container):
            _add_into(total, own)
            _add_into(sidecars, own)
            _max_into(init_peak, sidecars)
        else:
            _max_into(init_peak, add(own, sidecars))
    _max_into(total, init_peak)
    return total


def _is_pod_level_resource(name: str) -> bool:
    return name in ("cpu", "memory") or name.startswith(HUGEPAGES_PREFIX)


def pod_requests(pod: Obj) -> ResourceList:
    """resourcehelper.PodRequests: containers, pod-level requests, then overhead."""
    spec = pod.get("spec") or {}
    requests = _aggregate(pod, 0)
    pod_level = parse_list((spec.get("resources") or {}).get("requests"))
    for name, value in pod_level.items():
        if _is_pod_level_resource(name):
            requests[name] = value
    _add_into(requests, parse_list(spec.get("overhead")))
    return requests


def pod_limits(pod: Obj) -> ResourceList:
    """resourcehelper.PodLimits: overhead only adds to limits that are set."""
    spec = pod.get("spec") or {}
    limits = _aggregate(pod, 1)
    pod_level = parse_list((spec.get("resources") or {}).get("limits"))
    for name, value in pod_level.items():
        if _is_pod_level_resource(name):
            limits[name] = value
    for name, value in parse_list(spec.get("overhead")).items():
        if name in limits:
            limits[name] = limits[name] + value
    return limits


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper."""
    out: ResourceList = {"pods": _ONE}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            out[name] = requests[name]
            out[REQUESTS_PREFIX + name] = requests[name]
        if name in limits:
            out["limits." + name] = limits[name]
    for name, value in requests.items():
        if name.startswith(HUGEPAGES_PREFIX):
            out[name] = value
            out[REQUESTS_PREFIX + name] = value
        if is_extended_resource_name(name):
            out[REQUESTS_PREFIX + name] = value
    return out


def pod_qos_class(pod: Obj) -> str:
    """The persisted status.qosClass, else computed: BestEffort when no container (nor the pod)
    asks for or caps cpu or memory, Guaranteed when every one caps both at its requests."""
    persisted = (pod.get("status") or {}).get("qosClass")
    if persisted:
        return str(persisted)
    spec = pod.get("spec") or {}
    requests: ResourceList = {}
    limits: ResourceList = {}
    guaranteed = True
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    for container in containers:
        req, lim = _container_lists(container)
        for name in ("cpu", "memory"):
            if name in req and req[name].sign() > 0:
                requests[name] = req[name]
            if name in lim and lim[name].sign() > 0:
                limits[name] = lim[name]
            if name not in lim or (name in req and req[name] != lim[name]):
                guaranteed = False
    pod_resources = spec.get("resources") or {}
    for name, value in parse_list(pod_resources.get("requests")).items():
        if name in ("cpu", "memory") and value.sign() > 0:
            requests[name] = value
    for name, value in parse_list(pod_resources.get("limits")).items():
        if name in ("cpu", "memory") and value.sign() > 0:
            limits[name] = value
    if not requests and not limits:
        return "BestEffort"
    return "Guaranteed" if guaranteed and set(limits) == {"cpu", "memory"} else "Burstable"


def is_pod_charged(pod: Obj, now: datetime.datetime) -> bool:
    """QuotaV1Pod: terminal pods, and pods stuck terminating past their grace, cost nothing."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod.get("metadata") or {}
    deleted = meta.get("deletionTimestamp")
    grace = meta.get("deletionGracePeriodSeconds")
    if deleted and grace is not None:
        when = datetime.datetime.fromisoformat(str(deleted).replace("Z", "+00:00"))
        if now > when + datetime.timedelta(seconds=int(grace)):
            return False
    return True


def pod_usage(pod: Obj, now: datetime.datetime) -> ResourceList:
    """PodUsageFunc: count/pods always; compute resources while the pod is charged."""
    out: ResourceList = {"count/pods": _ONE}
    if not is_pod_charged(pod, now):
        return out
    return add(out, _compute_usage(pod_requests(pod), pod_limits(pod)))


def _pod_constraints(required: Sequence[str], pod: Obj) -> str | None:
    """The pod evaluator's Constraints: every container must state each quota'd cpu/memory."""
    required_set = set(required) & _VALIDATION_SET
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for container in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        req, lim = _container_lists(container)
        have = set(_compute_usage(req, lim))
        for name in required_set - have:
            missing.setdefault(name, set()).add(str(container.get("name", "")))
    if not missing:
        return None
    parts = [f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing)]
    return "must specify " + "; ".join(parts)


def _uses_cross_namespace_affinity(pod: Obj) -> bool:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        terms = affinity.get(kind) or {}
        required = terms.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        preferred = [
            (t or {}).get("podAffinityTerm") or {}
            for t in terms.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ]
        for term in list(required) + preferred:
            if term.get("namespaces") or term.get("namespaceSelector") is not None:
                return True
    return False


def _selector_matches(requirement: Obj, key: str, value: str | None) -> bool:
    """A ScopedResourceSelectorRequirement read as a label requirement on {key: value}."""
    operator = requirement.get("operator")
    values = set(requirement.get("values") or [])
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    return False


def _pod_matches_scope(requirement: Obj, pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    scope = requirement.get("scopeName")
    if scope in ("Terminating", "NotTerminating"):
        deadline = spec.get("activeDeadlineSeconds")
        terminating = deadline is not None and int(deadline) >= 0
        return terminating if scope == "Terminating" else not terminating
    if scope in ("BestEffort", "NotBestEffort"):
        best_effort = pod_qos_class(pod) == "BestEffort"
        return best_effort if scope == "BestEffort" else not best_effort
    if scope == "PriorityClass":
        name = spec.get("priorityClassName") or None
        if requirement.get("operator") == "Exists":
            return name is not None
        return _selector_matches(requirement, "PriorityClass", name)
    if scope == "CrossNamespacePodAffinity":
        return _uses_cross_namespace_affinity(pod)
    return False


# -- services and claims ---------------------------------------------------------------------
def service_usage(service: Obj, now: datetime.datetime) -> ResourceList:
    spec = service.get("spec") or {}
    ports = spec.get("ports") or []
    node_ports = 0
    balancers = 0
    if spec.get("type") == "NodePort":
        node_ports = len(ports)
    elif spec.get("type") == "LoadBalancer":
        balancers = 1
        if spec.get("allocateLoadBalancerNodePorts") is False:
            # Only ports that ask for a node port explicitly get one.
            node_ports = sum(1 for p in ports if p.get("nodePort"))
        else:
            node_ports = len(ports)
    return {
        "count/services": _ONE,
        "services": _ONE,
        "services.loadbalancers": Quantity.from_int(balancers),
        "services.nodeports": Quantity.from_int(node_ports),
    }


def _claim_class(claim: Obj) -> str:
    cls = (claim.get("spec") or {}).get("storageClassName")
    if cls is None:
        annotations = (claim.get("metadata") or {}).get("annotations") or {}
        cls = annotations.get("volume.beta.kubernetes.io/storage-class", "")
    return str(cls or "")


def claim_usage(claim: Obj, now: datetime.datetime) -> ResourceList:
    out: ResourceList = {"persistentvolumeclaims": _ONE, "count/persistentvolumeclaims": _ONE}
    cls = _claim_class(claim)
    if cls:
        out[cls + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims"] = _ONE
    requested = parse_list(((claim.get("spec") or {}).get("resources") or {}).get("requests")).get(
        "storage"
    )
    allocated = parse_list((claim.get("status") or {}).get("allocatedResources")).get("storage")
    # A shrink after a failed expansion is charged at the larger, allocated size.
    if allocated is not None and (requested is None or allocated > requested):
        requested = allocated
    if requested is not None:
        out["requests.storage"] = requested
        if cls:
            out[cls + STORAGE_CLASS_SUFFIX + "requests.storage"] = requested
    return out


def _claim_matches_scope(requirement: Obj, claim: Obj) -> bool:
    if requirement.get("scopeName") != "VolumeAttributesClass":
        return False
    spec = claim.get("spec") or {}
    status = claim.get("status") or {}
    names = {
        spec.get("volumeAttributesClassName"),
        status.get("currentVolumeAttributesClassName"),
        (status.get("modifyVolumeStatus") or {}).get("targetVolumeAttributesClassName"),
    } - {None, ""}
    if not names:
        return _selector_matches(requirement, "VolumeAttributesClass", None)
    return any(_selector_matches(requirement, "VolumeAttributesClass", n) for n in names)
