"""ResourceQuota accounting: what one object costs, which quotas it falls under, and whether
admitting it would exceed them (Kubernetes' pkg/quota/v1 evaluators and the ResourceQuota
admission plugin's CheckRequest).

Invariants:
- A group-resource is written as Kubernetes prints it: `pods`, `deployments.apps`.
- A `ResourceList` maps quota resource names to Quantities. Arithmetic follows apimachinery's
  quota helpers (`Add` keeps keys of both sides, `Mask` keeps only the named ones,
  `LessThanOrEqual` ignores names the limit does not carry).
- Admission reads a quota's `status.hard`/`status.used` (what the quota controller last
  wrote), never `spec.hard`; the controller's `calculate_usage` reads `spec.hard`.
- `admit`/`check` never change their inputs. `admit` returns deep copies of the quotas whose
  `status.used` grew, for the caller to write back before the object itself.
- Messages are Kubernetes' own wording; the caller wraps them into 403 Forbidden
  (`pods "x" is forbidden: <message>`).
Pure data: no I/O. Time enters only through the explicit `now` argument.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from steersman.api.quantity import Quantity, quantity_from_json
from steersman.api.resources import lookup_kind

Obj = dict[str, Any]
ResourceList = dict[str, Quantity]

CREATE = "CREATE"
UPDATE = "UPDATE"

REQUESTS_PREFIX = "requests."
HUGEPAGES_PREFIX = "hugepages-"
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
_ONE = Quantity.from_int(1)

# Resources the quota admission plugin never charges (quotainstall.DefaultIgnoredResources).
IGNORED_RESOURCES = frozenset({"events", "events.events.k8s.io"})

# Legacy (pre-`count/`) names that the object-count evaluators also answer to.
_LEGACY_COUNT_NAMES = {
    "configmaps": "configmaps",
    "secrets": "secrets",
    "resourcequotas": "resourcequotas",
    "replicationcontrollers": "replicationcontrollers",
}
# The mistake Kubernetes keeps for compatibility: a quota on these forces every container
# to state them (see pod `constraints`). Do not add more names.
_VALIDATION_SET = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
)
_POD_RESOURCES = frozenset(
    {
        "count/pods",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
    }
)
_SERVICE_RESOURCES = frozenset(
    {"count/services", "services", "services.loadbalancers", "services.nodeports"}
)
_PVC_RESOURCES = frozenset(
    {"count/persistentvolumeclaims", "persistentvolumeclaims", "requests.storage"}
)
_PVC_CLASS_RESOURCES = ("persistentvolumeclaims", "requests.storage")


# -- resource lists --------------------------------------------------------------------------
def parse_list(raw: Mapping[str, Any] | None) -> ResourceList:
    """A ResourceList from its JSON form; unparsable values are skipped (validation's job)."""
    out: ResourceList = {}
    for name, value in (raw or {}).items():
        try:
            out[name] = quantity_from_json(value)
        except (ValueError, TypeError):
            continue
    return out


def format_list(items: ResourceList) -> dict[str, str]:
    return {name: str(items[name]) for name in sorted(items)}


def add(a: ResourceList, b: ResourceList) -> ResourceList:
    out = dict(a)
    for name, value in b.items():
        out[name] = out[name] + value if name in out else value
    return out


def subtract_non_negative(a: ResourceList, b: ResourceList) -> ResourceList:
    """quota.SubtractWithNonNegativeResult: a - b per name, floored at zero."""
    out: ResourceList = {}
    for name, value in a.items():
        diff = value - b[name] if name in b else value
        out[name] = diff if diff.sign() >= 0 else Quantity(0, value.format)
    for name, value in b.items():
        if name not in out:
            out[name] = Quantity(0, value.format)
    return out


def mask(items: ResourceList, names: Iterable[str]) -> ResourceList:
    keep = set(names)
    return {name: value for name, value in items.items() if name in keep}


def remove_zeros(items: ResourceList) -> ResourceList:
    return {name: value for name, value in items.items() if not value.is_zero()}


def less_than_or_equal(a: ResourceList, b: ResourceList) -> tuple[bool, list[str]]:
    """Every name in both lists has a <= b; returns the names that exceed."""
    exceeded = [name for name, value in a.items() if name in b and value > b[name]]
    return not exceeded, exceeded


def equals(a: ResourceList, b: ResourceList) -> bool:
    return a.keys() == b.keys() and all(a[name] == b[name] for name in a)


def pretty_print(items: ResourceList) -> str:
    """prettyPrint: `name=value` pairs sorted by name, comma-separated."""
    return ",".join(f"{name}={items[name]}" for name in sorted(items))


def _max_into(target: ResourceList, other: ResourceList) -> None:
    for name, value in other.items():
        if name not in target or value > target[name]:
            target[name] = value


def _add_into(target: ResourceList, other: ResourceList) -> None:
    for name, value in other.items():
        target[name] = target[name] + value if name in target else value


# -- resource names ----------------------------------------------------------------------------
def object_count_name(group_resource: str) -> str:
    """generic.ObjectCountQuotaResourceNameFor: `count/pods`, `count/deployments.apps`."""
    return f"count/{group_resource}"


def is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_extended_resource_name(name: str) -> bool:
    return not is_native_resource(name) and not name.startswith(REQUESTS_PREFIX)


def _is_extended_quota_name(name: str) -> bool:
    return not is_native_resource(name) and name.startswith(REQUESTS_PREFIX)


def group_resource_of(obj: Obj) -> str:
    """The group-resource of a typed object (`pods`, `deployments.apps`); "" if unknown."""
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    info = lookup_kind(group, str(obj.get("kind") or ""))
    return info.group_resource if info is not None else ""


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


# -- evaluators ----------------------------------------------------------------------------
def _no_constraints(_required: Sequence[str], _obj: Obj) -> str | None:
    return None


@dataclass(frozen=True)
class Evaluator:
    """One resource's quota behaviour (quota.Evaluator)."""

    group_resource: str
    resources: frozenset[str]
    usage: Callable[[Obj, datetime.datetime], ResourceList]
    matches_scope: Callable[[Obj, Obj], bool]
    constraints: Callable[[Sequence[str], Obj], str | None] = _no_constraints
    handles_update: bool = False

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if self._matches_name(name)]

    def _matches_name(self, name: str) -> bool:
        if name in self.resources:
            return True
        if self.group_resource == "pods":
            # hugepages and extended resources are open-ended families of names.
            return (
                name.startswith(HUGEPAGES_PREFIX)
                or name.startswith(REQUESTS_PREFIX + HUGEPAGES_PREFIX)
                or _is_extended_quota_name(name)
            )
        if self.group_resource == "persistentvolumeclaims":
            # <class>.storageclass.storage.k8s.io/{persistentvolumeclaims,requests.storage}
            return STORAGE_CLASS_SUFFIX in name and name.rpartition("/")[2] in _PVC_CLASS_RESOURCES
        return False

    def handles(self, operation: str, subresource: str = "") -> bool:
        if self.group_resource == "pods":
            if subresource == "resize":
                return operation == UPDATE
            return subresource == "" and operation == CREATE
        if subresource:
            return False
        return operation == CREATE or (operation == UPDATE and self.handles_update)


def _no_scope(_requirement: Obj, _obj: Obj) -> bool:
    return False


def _count_usage(names: frozenset[str]) -> Callable[[Obj, datetime.datetime], ResourceList]:
    def usage(_obj: Obj, _now: datetime.datetime) -> ResourceList:
        return dict.fromkeys(names, _ONE)

    return usage


def evaluator_for(group_resource: str) -> Evaluator:
    """The evaluator Kubernetes registers for a group-resource, or an object counter."""
    if group_resource == "pods":
        return Evaluator(
            "pods", _POD_RESOURCES, pod_usage, _pod_matches_scope, _pod_constraints, True
        )
    if group_resource == "services":
        return Evaluator(
            "services", _SERVICE_RESOURCES, service_usage, _no_scope, _no_constraints, True
        )
    if group_resource == "persistentvolumeclaims":
        return Evaluator(
            "persistentvolumeclaims",
            _PVC_RESOURCES,
            claim_usage,
            _claim_matches_scope,
            _no_constraints,
            True,
        )
    names = {object_count_name(group_resource)}
    if group_resource in _LEGACY_COUNT_NAMES:
        names.add(_LEGACY_COUNT_NAMES[group_resource])
    frozen = frozenset(names)
    return Evaluator(group_resource, frozen, _count_usage(frozen), _no_scope)


def count_group_resource(name: str) -> str | None:
    """The group-resource a `count/<resource>[.<group>]` quota name counts."""
    if not name.startswith("count/"):
        return None
    return name[len("count/") :] or None


def tracked_group_resources(hard_names: Iterable[str]) -> set[str]:
    """Every group-resource whose objects can change a quota with these hard names."""
    names = list(hard_names)
    out: set[str] = set()
    for gr in ("pods", "services", "persistentvolumeclaims", *_LEGACY_COUNT_NAMES):
        if evaluator_for(gr).matching_resources(names):
            out.add(gr)
    for name in names:
        counted = count_group_resource(name)
        if counted:
            out.add(counted)
    return out


# -- scopes and matching -------------------------------------------------------------------
def scope_selectors(quota: Obj) -> list[Obj]:
    """spec.scopes as Exists requirements, then spec.scopeSelector.matchExpressions."""
    spec = quota.get("spec") or {}
    out: list[Obj] = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or []]
    out.extend((spec.get("scopeSelector") or {}).get("matchExpressions") or [])
    return out


def matches_scopes(evaluator: Evaluator, quota: Obj, obj: Obj) -> bool:
    return all(evaluator.matches_scope(req, obj) for req in scope_selectors(quota))


def matches(evaluator: Evaluator, quota: Obj, obj: Obj) -> bool:
    """generic.Matches: the quota limits something this evaluator counts, and every scope
    of the quota selects the object."""
    hard = (quota.get("status") or {}).get("hard") or {}
    return bool(evaluator.matching_resources(hard)) and matches_scopes(evaluator, quota, obj)


def calculate_usage(
    quota: Obj,
    objects_by_group_resource: Mapping[str, Iterable[Obj]],
    *,
    now: datetime.datetime,
) -> ResourceList:
    """quota.CalculateUsage for the quota controller: each tracked resource starts at zero,
    then every object in scope adds its usage; the result is masked to `spec.hard`."""
    hard = list(((quota.get("spec") or {}).get("hard") or {}).keys())
    used: ResourceList = {}
    matched: set[str] = set()
    for gr, objects in objects_by_group_resource.items():
        evaluator = evaluator_for(gr)
        names = evaluator.matching_resources(hard)
        if not names:
            continue
        matched.update(names)
        stats: ResourceList = {name: Quantity(0) for name in names}
        for obj in objects:
            if matches_scopes(evaluator, quota, obj):
                stats = add(stats, evaluator.usage(obj, now))
        used = add(used, stats)
    return mask(used, matched)


# -- admission -----------------------------------------------------------------------------
@dataclass
class QuotaDecision:
    """The outcome of `admit`: an error message, or the quotas to write back (maybe none)."""

    error: str | None = None
    updated: list[Obj] = field(default_factory=list)


def admit(
    quotas: Sequence[Obj],
    new_obj: Obj,
    old_obj: Obj | None = None,
    *,
    group_resource: str | None = None,
    subresource: str = "",
    now: datetime.datetime | None = None,
) -> QuotaDecision:
    """CheckRequest for one create (`old_obj` None) or update of `new_obj` in the quotas'
    namespace. On success, `updated` holds copies of the quotas charged, `status.used` raised."""
    gr = group_resource if group_resource is not None else group_resource_of(new_obj)
    if not gr or gr in IGNORED_RESOURCES:
        return QuotaDecision()
    evaluator = evaluator_for(gr)
    operation = CREATE if old_obj is None else UPDATE
    if not evaluator.handles(operation, subresource):
        return QuotaDecision()
    when = now or datetime.datetime.now(datetime.UTC)

    interesting: list[int] = []
    for i, quota in enumerate(quotas):
        if not matches(evaluator, quota, new_obj):
            continue
        status = quota.get("status") or {}
        restricted = evaluator.matching_resources((status.get("hard") or {}).keys())
        problem = evaluator.constraints(restricted, new_obj)
        if problem is not None:
            return QuotaDecision(f"failed quota: {_name(quota)}: {problem}")
        used = status.get("used") or {}
        if any(name not in used for name in restricted):
            return QuotaDecision(
                f"status unknown for quota: {_name(quota)}, resources: "
                + ",".join(sorted(restricted))
            )
        interesting.append(i)
    if not interesting:
        return QuotaDecision()

    usage = evaluator.usage(new_obj, when)
    negative = sorted(name for name, value in usage.items() if value.sign() < 0)
    if negative:
        return QuotaDecision("quota usage is negative for resource(s): " + ",".join(negative))

    deltas: dict[int, ResourceList] = dict.fromkeys(interesting, usage)
    if old_obj is not None and (old_obj.get("metadata") or {}).get("resourceVersion"):
        delta = subtract_non_negative(usage, evaluator.usage(old_obj, when))
        for i in interesting:
            if matches(evaluator, quotas[i], old_obj):
                deltas[i] = delta
    deltas = {i: nonzero for i, d in deltas.items() if (nonzero := remove_zeros(d))}
    if not deltas:
        return QuotaDecision()

    updated: list[Obj] = []
    for i in interesting:
        if i not in deltas:
            continue
        quota = quotas[i]
        status = quota.get("status") or {}
        hard = parse_list(status.get("hard"))
        used = parse_list(status.get("used"))
        requested = mask(deltas[i], hard.keys())
        new_used = add(used, requested)
        allowed, exceeded = less_than_or_equal(mask(new_used, requested.keys()), hard)
        if not allowed:
            return QuotaDecision(
                f"exceeded quota: {_name(quota)}, "
                f"requested: {pretty_print(mask(requested, exceeded))}, "
                f"used: {pretty_print(mask(used, exceeded))}, "
                f"limited: {pretty_print(mask(hard, exceeded))}"
            )
        if not equals(new_used, used):
            charged = copy.deepcopy(quota)
            charged.setdefault("status", {})["used"] = format_list(new_used)
            updated.append(charged)
    return QuotaDecision(None, updated)


def check(
    quotas: Sequence[Obj],
    new_obj: Obj,
    old_obj: Obj | None = None,
    *,
    group_resource: str | None = None,
    subresource: str = "",
    now: datetime.datetime | None = None,
) -> str | None:
    """The admission verdict alone: Kubernetes' message when the request must be refused."""
    return admit(
        quotas,
        new_obj,
        old_obj,
        group_resource=group_resource,
        subresource=subresource,
        now=now,
    ).error


def _name(quota: Obj) -> str:
    return str((quota.get("metadata") or {}).get("name", ""))
