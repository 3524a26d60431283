"""Semantic validation per kind, worded as Kubernetes words it.

Each module (`core`, `apps`, `batch`, `misc`) registers, per (group, kind), a
`validate(obj)` for create and a `validate_update(new, old)` for update; both return a list
of `FieldError` (empty = valid). Validators never mutate their input and run after defaulting.
Kinds without a registered validator get `validate_object_meta` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steersman.api.errors import FieldError

CreateValidator = Callable[[dict[str, Any]], list[FieldError]]
UpdateValidator = Callable[[dict[str, Any], dict[str, Any]], list[FieldError]]


@dataclass(frozen=True, slots=True)
class KindValidator:
    validate: CreateValidator
    validate_update: UpdateValidator


_REGISTRY: dict[tuple[str, str], KindValidator] = {}
_loaded = False


def register(
    group: str, kind: str, validate: CreateValidator, validate_update: UpdateValidator
) -> None:
    _REGISTRY[(group, kind)] = KindValidator(validate, validate_update)


def validator_for(group: str, kind: str) -> KindValidator | None:
    _load()
    return _REGISTRY.get((group, kind))


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in ("core", "apps", "batch", "misc"):
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:  # a module not written yet
            if exc.name != f"{__name__}.{module}":
                raise
