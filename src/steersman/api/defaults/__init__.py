"""Defaulting per kind, as Kubernetes' SetDefaults_* functions do.

Each module (`core`, `apps`, `batch`, `misc`) registers, per (group, kind), a function that
fills defaults into an object in place. Defaulting runs on create and on every update (on
the full new object), before validation; it must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Defaulter = Callable[[dict[str, Any]], None]

_REGISTRY: dict[tuple[str, str], Defaulter] = {}
_loaded = False


def register(group: str, kind: str, defaulter: Defaulter) -> None:
    _REGISTRY[(group, kind)] = defaulter


def apply_defaults(group: str, kind: str, obj: dict[str, Any]) -> None:
    _load()
    fn = _REGISTRY.get((group, kind))
    if fn is not None:
        fn(obj)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in ("core", "apps", "batch", "misc"):
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module}":
                raise
