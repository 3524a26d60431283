"""Defaulting per kind, as Kubernetes' SetDefaults_* functions do.

Each module (`core`, `apps`, `batch`, `misc`) registers, per (group, kind), a function that
fills defaults into an object in place. Defaulting runs on create and on every update (on
the full new object), before validation; it must be idempotent.

Invariants:
- A group's module is imported on the first `apply_defaults` for a kind of that group
  (`_GROUP_MODULES`; every other group is in `misc`), so a process loads only the defaulters
  it uses. Every module registers only kinds of the groups mapped to it.
- `service_update` (what the service registry does to a Service update before validating
  it) registers nothing and is not in `_GROUP_MODULES`; its users import it directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Defaulter = Callable[[dict[str, Any]], None]

_REGISTRY: dict[tuple[str, str], Defaulter] = {}
_GROUP_MODULES: dict[str, str] = {"": "core", "apps": "apps", "batch": "batch"}
_MISC = "misc"
_loaded: set[str] = set()


def register(group: str, kind: str, defaulter: Defaulter) -> None:
    _REGISTRY[(group, kind)] = defaulter


def apply_defaults(group: str, kind: str, obj: dict[str, Any]) -> None:
    fn = _REGISTRY.get((group, kind))
    if fn is None:
        module = _GROUP_MODULES.get(group, _MISC)
        if module in _loaded:
            return  # loaded already: the kind has no defaulter
        _loaded.add(module)
        importlib.import_module(f"{__name__}.{module}")
        fn = _REGISTRY.get((group, kind))
        if fn is None:
            return
    fn(obj)


def load_all() -> None:
    """Import every defaulting module (tests)."""
    for module in (*_GROUP_MODULES.values(), _MISC):
        _loaded.add(module)
        importlib.import_module(f"{__name__}.{module}")
