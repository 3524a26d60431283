"""Container environment: `env` and `envFrom` (core/v1).

Invariants:
- Env var names are checked with the relaxed rules (feature gate RelaxedEnvironmentVariableValidation
  on at v1.36).
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    index,
    is_config_map_key,
    is_dns1123_subdomain,
    is_relaxed_env_var_name,
)
from steersman.api.validation.downward_api import (
    _ENV_DOWNWARD_FIELDS,
    _validate_object_field_selector,
    _validate_resource_field_selector,
)
from steersman.api.validation.helpers import Obj, _d, _name_errs, _s, _subdomain_prefix


def _validate_key_selector(ref: Obj, path: str) -> list[FieldError]:
    name = _s(ref.get("name"))
    out = _name_errs(child(path, "name"), name, is_dns1123_subdomain(name))
    k = _s(ref.get("key"))
    if not k:
        out.append(errors.required(child(path, "key")))
    else:
        out.extend(_name_errs(child(path, "key"), k, is_config_map_key(k)))
    return out


def validate_env(env: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, var in enumerate(env):
        var = _d(var)
        p = index(path, i)
        name = _s(var.get("name"))
        if not name:
            out.append(errors.required(child(p, "name")))
        else:
            out.extend(_name_errs(child(p, "name"), name, is_relaxed_env_var_name(name)))
        out.extend(_validate_env_value_from(var, child(p, "valueFrom")))
    return out


def _validate_env_value_from(var: Obj, path: str) -> list[FieldError]:
    src = var.get("valueFrom")
    if not isinstance(src, dict):
        return []
    out: list[FieldError] = []
    count = 0
    if isinstance(src.get("fieldRef"), dict):
        count += 1
        out.extend(
            _validate_object_field_selector(
                src["fieldRef"], _ENV_DOWNWARD_FIELDS, child(path, "fieldRef")
            )
        )
    if isinstance(src.get("resourceFieldRef"), dict):
        count += 1
        out.extend(
            _validate_resource_field_selector(
                src["resourceFieldRef"], child(path, "resourceFieldRef"), False
            )
        )
    for kind in ("configMapKeyRef", "secretKeyRef"):
        if isinstance(src.get(kind), dict):
            count += 1
            out.extend(_validate_key_selector(src[kind], child(path, kind)))
    if count == 0:
        out.append(
            errors.invalid(
                path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                "`secretKeyRef`",
            )
        )
    elif _s(var.get("value")):
        out.append(errors.invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        out.append(errors.invalid(path, "", "may not have more than one field specified at a time"))
    return out


def validate_env_from(sources: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, src in enumerate(sources):
        src = _d(src)
        p = index(path, i)
        prefix = _s(src.get("prefix"))
        if prefix:
            out.extend(_name_errs(child(p, "prefix"), prefix, is_relaxed_env_var_name(prefix)))
        count = 0
        for kind in ("configMapRef", "secretRef"):
            ref = src.get(kind)
            if not isinstance(ref, dict):
                continue
            count += 1
            name = _s(ref.get("name"))
            if not name:
                out.append(errors.required(child(p, kind, "name")))
            else:
                out.extend(_name_errs(child(p, kind, "name"), name, _subdomain_prefix(name)))
        if count == 0:
            out.append(
                errors.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`")
            )
        elif count > 1:
            out.append(
                errors.invalid(path, "", "may not have more than one field specified at a time")
            )
    return out
