"""Small helpers shared by the per-kind validators: null-tolerant accessors for the JSON form,
Go's semantic equality, path and port checks, and field checks used by several kinds.

Invariants:
- The JSON form may hold nulls where Go holds zero values: the accessors (`_d`, `_l`, `_s`,
  `_i`) map anything of the wrong type to the zero value instead of raising.
- `_semantic_equal` compares as Go's `apiequality.Semantic` does for core kinds: unset, null,
  empty, false and zero are alike.
- Nothing here mutates its input.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    regex_error,
)
from steersman.api.validation.common import (
    is_dns1123_subdomain,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    mask_trailing_dash,
    parse_ip_sloppy,
)

Obj = Mapping[str, Any]

MAX_INT32 = 2**31 - 1
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
IS_NOT_POSITIVE = "must be greater than zero"
IS_NOT_INTEGER = "must be an integer"


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _i(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _name_errs(path: str, value: str, msgs: Iterable[str]) -> list[FieldError]:
    return [errors.invalid(path, value, m) for m in msgs]


def _subdomain_prefix(name: str) -> list[str]:
    """NameIsDNSSubdomain(name, prefix=true)."""
    return is_dns1123_subdomain(mask_trailing_dash(name))


def _local_descending_path(target: str, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if target.startswith("/"):
        out.append(errors.invalid(path, target, "must be a relative path"))
    out.extend(_no_backsteps(target, path))
    return out


def _no_backsteps(target: str, path: str) -> list[FieldError]:
    if ".." in target.replace("\\", "/").split("/"):
        return [errors.invalid(path, target, "must not contain '..'")]
    return []


def _local_non_reserved_path(target: str, path: str) -> list[FieldError]:
    out = _local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        out.append(errors.invalid(path, target, "must not start with '..'"))
    return out


def _file_mode(mode: Any, path: str) -> list[FieldError]:
    if isinstance(mode, int) and not isinstance(mode, bool) and not 0 <= mode <= 0o777:
        return [errors.invalid(path, mode, FILE_MODE_ERROR)]
    return []


def _port_num_or_name(port: Any, path: str) -> list[FieldError]:
    if isinstance(port, str):
        return _name_errs(path, port, is_valid_port_name(port))
    return [errors.invalid(path, port, m) for m in is_valid_port_num(port)]


def _spec_diff(old: Any, new: Any) -> str:
    """A readable diff of two specs (Kubernetes prints go-cmp's; this is its analogue)."""
    a = json.dumps(old, indent=2, sort_keys=True, default=str).splitlines()
    b = json.dumps(new, indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join(line for line in difflib.ndiff(a, b) if line[:1] in "-+")


_PROTOCOLS = ("SCTP", "TCP", "UDP")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def _validate_pull_policy(policy: Any, path: str) -> list[FieldError]:
    if policy in _PULL_POLICIES:
        return []
    if not policy:
        return [errors.required(path)]
    return [errors.not_supported(path, policy, _PULL_POLICIES)]


def _meta(obj: Obj) -> dict[str, Any]:
    return _d(obj.get("metadata"))


def _semantic(value: Any) -> Any:
    """What Go's apiequality.Semantic compares: unset, null, empty and zero are alike."""
    if isinstance(value, dict):
        items = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v not in (None, "", [], {}, False, 0)}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _semantic_equal(a: Any, b: Any) -> bool:
    return bool(_semantic(a) == _semantic(b))


def _validate_non_special_ip(ip: str, path: str) -> list[FieldError]:
    addr = parse_ip_sloppy(ip)
    if addr is None:
        return [errors.invalid(path, ip, "must be a valid IP address")]
    out: list[FieldError] = []
    if addr.is_unspecified:
        out.append(errors.invalid(path, ip, f"may not be unspecified ({ip})"))
    if addr.is_loopback:
        out.append(
            errors.invalid(path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)")
        )
    if addr.is_link_local and not addr.is_multicast:
        out.append(
            errors.invalid(
                path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
            )
        )
    link_local_mc = (addr.version == 4 and str(addr).startswith("224.0.0.")) or (
        addr.version == 6 and addr.is_multicast and (int(addr) >> 112) & 0xF == 2
    )
    if link_local_mc:
        out.append(
            errors.invalid(
                path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
            )
        )
    return out


def changed(new: Any, old: Any) -> bool:
    """Whether a field changed, counting unset, null and empty as the same (Go zero values)."""
    return (new or None) != (old or None)


def label_selector_has_invalid_label_value(selector: Any) -> bool:
    """metav1validation.LabelSelectorHasInvalidLabelValue (old objects keep legacy values)."""
    return any(
        is_valid_label_value(v)
        for expr in _l(_d(selector).get("matchExpressions"))
        for v in _l(_d(expr).get("values"))
        if isinstance(v, str)
    )


_HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+"
_HTTP_PATH_RE = re.compile(_HTTP_PATH_FMT)


def is_domain_prefixed_path(path: str, value: str) -> list[FieldError]:
    """validation.IsDomainPrefixedPath: `example.com/some/path`."""
    if not value:
        return [errors.required(path)]
    host, slash, rest = value.partition("/")
    if not slash or not host or not rest:
        return [
            errors.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')
        ]
    out = [errors.invalid(path, host, m) for m in is_dns1123_subdomain(host)]
    if _HTTP_PATH_RE.fullmatch(rest) is None:
        out.append(errors.invalid(path, rest, regex_error("Invalid path", _HTTP_PATH_FMT)))
    return out
