"""Quota resource lists and names: the ResourceList arithmetic ResourceQuota accounting uses.

Kubernetes' apiserver pkg/quota/v1 helpers (`Add`, `Mask`, `LessThanOrEqual`, ...) and the rules
for quota resource names (`count/<resource>`, native, extended, hugepages, storage classes).

Invariants:
- A `ResourceList` maps quota resource names to Quantities. Arithmetic follows apimachinery's
  quota helpers (`Add` keeps keys of both sides, `Mask` keeps only the named ones,
  `LessThanOrEqual` ignores names the limit does not carry).
- The public list functions return new lists and never change their arguments; the private
  `_add_into`/`_max_into` fold `other` into `target` in place.
- `parse_list` skips values that do not parse; rejecting them is validation's job.
- A group-resource is written as Kubernetes prints it: `pods`, `deployments.apps`.
Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from steersman.api.quantity import Quantity, quantity_from_json
from steersman.api.resources import lookup_kind

Obj = dict[str, Any]
ResourceList = dict[str, Quantity]

REQUESTS_PREFIX = "requests."
HUGEPAGES_PREFIX = "hugepages-"
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
_ONE = Quantity.from_int(1)


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
