"""ControllerExpectations: how many pod creations/deletions a controller is still waiting
to see in its informer (Kubernetes' controller_utils.go), so that a sync does not act twice on
the same shortfall while the cache lags.

Invariants: counts only go down through observed events or `lower_*` on failed requests;
expectations older than 5 minutes are treated as satisfied (a lost event cannot wedge a
controller).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

EXPECTATIONS_TTL = 300.0


@dataclass
class _Expectation:
    add: int = 0
    delete: int = 0
    deleted_keys: set[str] = field(default_factory=set)
    at: float = field(default_factory=time.monotonic)


class ControllerExpectations:
    def __init__(self) -> None:
        self._by_key: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        exp = self._by_key.get(key)
        if exp is None:
            return True
        if exp.add <= 0 and exp.delete <= 0:
            return True
        return time.monotonic() - exp.at > EXPECTATIONS_TTL

    def expect_creations(self, key: str, count: int) -> None:
        self._by_key[key] = _Expectation(add=count)

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._by_key[key] = _Expectation(delete=len(pod_keys), deleted_keys=set(pod_keys))

    def creation_observed(self, key: str) -> None:
        exp = self._by_key.get(key)
        if exp is not None:
            exp.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        exp = self._by_key.get(key)
        if exp is not None and pod_key in exp.deleted_keys:
            exp.deleted_keys.discard(pod_key)
            exp.delete -= 1

    lower_creations = creation_observed

    def delete(self, key: str) -> None:
        self._by_key.pop(key, None)
