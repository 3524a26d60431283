"""ResourceQuota evaluators, scope matching and admission: which quotas an object counts against.

What a quota's usage adds up to (`calculate_usage`, Kubernetes' quota.CalculateUsage, for the
controller) and whether admitting an object would exceed its quotas (the ResourceQuota admission
plugin's CheckRequest). What one object costs is in `quota_usage`; ResourceList arithmetic and
quota resource names are in `quota_resources`.

Invariants:
- A group-resource is written as Kubernetes prints it: `pods`, `deployments.apps`.
- Every group-resource has an evaluator: pods, services and persistentvolumeclaims their own,
  anything else an object counter (`count/<resource>`, plus the legacy bare names).
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

from steersman.api.quantity import Quantity
from steersman.api.quota_resources import (
    _ONE,
    HUGEPAGES_PREFIX,
    REQUESTS_PREFIX,
    STORAGE_CLASS_SUFFIX,
    Obj,
    ResourceList,
    _is_extended_quota_name,
    add,
    equals,
    format_list,
    group_resource_of,
    less_than_or_equal,
    mask,
    object_count_name,
    parse_list,
    pretty_print,
    remove_zeros,
    subtract_non_negative,
)
from steersman.api.quota_usage import (
    _claim_matches_scope,
    _pod_constraints,
    _pod_matches_scope,
    claim_usage,
    pod_usage,
    service_usage,
)

CREATE = "CREATE"
UPDATE = "UPDATE"

# Resources the quota admission plugin never charges (quotainstall.DefaultIgnoredResources).
IGNORED_RESOURCES = frozenset({"events", "events.events.k8s.io"})

# Legacy (pre-`count/`) names that the object-count evaluators also answer to.
_LEGACY_COUNT_NAMES = {
    "configmaps": "configmaps",
    "secrets": "secrets",
    "resourcequotas": "resourcequotas",
    "replicationcontrollers": "replicationcontrollers",
}
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
