"""Go's fmt for decoded JSON values (interface{} holding maps, slices, strings, int64, float64,
bool or nil), as patch error messages print them.

Invariants: `go_sprint` is `%v` (maps with sorted keys, `<nil>` for nil, floats in shortest
'g' form), `go_s` is `%s` (with Go's `%!s(type=value)` for non-strings), `go_type_of` is
`reflect.TypeOf(v).String()`. Pure functions: no I/O.
"""

from __future__ import annotations

from typing import Any

from steersman.api.errors import go_float


def go_type_of(v: Any) -> str:
    """reflect.TypeOf(v).String() for a decoded JSON value."""
    if v is None:
        return "<nil>"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    return "float64"


def go_sprint(v: Any) -> str:
    """fmt's %v for a decoded JSON value (maps print with sorted keys)."""
    if v is None:
        return "<nil>"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, list):
        return "[" + " ".join(go_sprint(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(v[k])}" for k in sorted(v)) + "]"
    return str(v)


def go_s(v: Any) -> str:
    """fmt's %s for a decoded JSON value."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict | list):
        return go_sprint(v)
    return f"%!s({go_type_of(v)}={go_sprint(v)})" if v is not None else "%!s(<nil>)"
