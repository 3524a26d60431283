"""Bad values rendered as Kubernetes prints them with Go's `%v`/`%#v` (`GoRaw`), and the
`intstr.IntOrString` int-or-percent checks that print them.

Invariants:
- A `GoRaw` is printed verbatim in an error message, never quoted like a string.
- Pointer addresses, which differ on every Kubernetes call, render as one fixed placeholder
  address (`GO_PTR_ADDRESS`); maps render with sorted keys, as Go's fmt prints them.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    regex_error,
)
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    validate_nonnegative,
)
from steersman.api.validation.helpers import _d, _i, _s


class GoRaw:
    """A bad value printed verbatim (Go's %v/%#v output), not quoted like a string."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


# Go prints pointers inside %#v structs by address; any fixed address reads the same to users.
GO_PTR_ADDRESS = "0xc000a0c000"
_PERCENT_FMT = "[0-9]+%"
_PERCENT_ERR = "a valid percent string must be a numeric string followed by an ending '%'"
_PERCENT_RE = re.compile(_PERCENT_FMT)


def go_ptr(type_name: str, present: bool) -> str:
    return f"(*{type_name})({GO_PTR_ADDRESS if present else 'nil'})"


def go_string_map(value: Any) -> GoRaw:
    """map[string]string as %#v prints it: keys sorted, `(nil)` when unset."""
    if not isinstance(value, dict):
        return GoRaw("map[string]string(nil)")
    pairs = ", ".join(
        f"{errors.go_value(str(k))}:{errors.go_value(str(v))}" for k, v in sorted(value.items())
    )
    return GoRaw("map[string]string{" + pairs + "}")


def go_string_slice(value: Any, type_name: str = "[]string") -> str:
    if not isinstance(value, list):
        return f"{type_name}(nil)"
    return type_name + "{" + ", ".join(errors.go_value(str(v)) for v in value) + "}"


def go_label_selector(selector: Any) -> GoRaw:
    """A metav1.LabelSelector as %#v prints it."""
    sel = _d(selector)
    exprs = sel.get("matchExpressions")
    if isinstance(exprs, list):
        items = ", ".join(
            "v1.LabelSelectorRequirement{"
            f"Key:{errors.go_value(_s(_d(e).get('key')))}, "
            f"Operator:{errors.go_value(_s(_d(e).get('operator')))}, "
            f"Values:{go_string_slice(_d(e).get('values'))}"
            "}"
            for e in exprs
        )
        exprs_text = "[]v1.LabelSelectorRequirement{" + items + "}"
    else:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    labels = go_string_map(sel.get("matchLabels"))
    return GoRaw(f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs_text}}}")


def go_int_or_string(value: Any) -> GoRaw:
    """An intstr.IntOrString as %#v prints it (Type 0 = Int, 1 = String)."""
    if isinstance(value, str):
        return GoRaw(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{errors.go_value(value)}}}")
    return GoRaw(f'intstr.IntOrString{{Type:0, IntVal:{_i(value)}, StrVal:""}}')


def go_raw_extension(value: Any) -> GoRaw:
    """A runtime.RawExtension (ControllerRevision.data) as %#v prints it."""
    if value is None:
        return GoRaw("runtime.RawExtension{Raw:[]uint8(nil), Object:runtime.Object(nil)}")
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    data = ", ".join(f"0x{b:x}" for b in raw)
    return GoRaw(f"runtime.RawExtension{{Raw:[]uint8{{{data}}}, Object:runtime.Object(nil)}}")


def _percent_value(value: Any) -> int | None:
    if isinstance(value, str) and _PERCENT_RE.fullmatch(value):
        return int(value[:-1])
    return None


def _int_value(value: Any) -> int:
    """intstr.IntValue: a string is parsed as a decimal integer, 0 when it is not one."""
    if isinstance(value, str):
        return int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else 0
    return _i(value)


def get_int_or_percent_value(value: Any) -> int:
    pct = _percent_value(value)
    return pct if pct is not None else _int_value(value)


def validate_positive_int_or_percent(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, str):
        if _PERCENT_RE.fullmatch(value) is None:
            msg = regex_error(_PERCENT_ERR, _PERCENT_FMT, "1%", "93%")
            return [errors.invalid(path, go_int_or_string(value), msg)]
        return []
    return validate_nonnegative(_int_value(value), path)


def is_not_more_than_100_percent(value: Any, path: str) -> list[FieldError]:
    pct = _percent_value(value)
    if pct is None or pct <= 100:
        return []
    return [errors.invalid(path, go_int_or_string(value), "must not be greater than 100%")]


def _nullable(value: Any) -> Any:
    return GoRaw("null") if value is None else value


def _immutable(
    new: Any, old: Any, path: str, render: Callable[[Any], Any] = _nullable
) -> list[FieldError]:
    return [] if new == old else [errors.invalid(path, render(new), FIELD_IMMUTABLE)]
