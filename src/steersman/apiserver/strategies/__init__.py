"""Per-resource strategies for the generic registry (DESIGN §3, "API machinery").

A strategy supplies what differs between resources: storage key layout, how to prepare an
object for create/update (status reset, generation), validation, deletion behaviour. The
registry (apiserver/registry.py) does everything else the same way for all resources.
`strategy_for(info)` returns the strategy registered for a resource, or the default one.
"""

from __future__ import annotations

from steersman.api.resources import ResourceInfo
from steersman.apiserver.strategies.base import Strategy

_SPECIAL: dict[tuple[str, str], type[Strategy]] = {}


def register(group: str, resource: str, cls: type[Strategy]) -> None:
    _SPECIAL[(group, resource)] = cls


def strategy_for(info: ResourceInfo) -> Strategy:
    from steersman.apiserver.strategies import core as _core  # noqa: F401  (registers)
    from steersman.apiserver.strategies import workloads as _workloads  # noqa: F401

    cls = _SPECIAL.get((info.group, info.resource), Strategy)
    return cls(info)
