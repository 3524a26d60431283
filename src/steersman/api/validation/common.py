"""Validation building blocks shared by every kind, worded as apimachinery's `validation` packages.

Invariants:
- Name validators (`is_*`) take a string and return a list of messages, empty when the value is
  valid; the messages are apimachinery's, byte for byte (including Go's double spaces in
  `RegexError` examples). They never raise.
- `validate_*` helpers return `FieldError` lists whose field paths render like apimachinery's
  `field.Path` (`spec.containers[0].name`, `metadata.annotations[key]`).
- Nothing here mutates its input; all functions are pure.
- Regexes are matched with `fullmatch`, because Python's `$` (unlike Go's) accepts a trailing
  newline.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.labels import (
    is_dns1123_subdomain,
    is_label_key,
    is_label_value,
    max_len_error,
    regex_error,
    validate_label_name,
    validate_label_selector,
    validate_labels,
)
from steersman.api.quantity import Quantity, quantity_from_json

__all__ = [
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
    "NameValidator",
    "child",
    "index",
    "is_c_identifier",
    "is_config_map_key",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_env_var_name",
    "is_qualified_name",
    "is_relaxed_env_var_name",
    "is_valid_cidr",
    "is_valid_ip",
    "is_valid_label_value",
    "is_valid_port_name",
    "is_valid_port_num",
    "key",
    "mask_trailing_dash",
    "path_segment_name",
    "validate_annotations",
    "validate_dns1123_label",
    "validate_dns1123_subdomain",
    "validate_finalizers",
    "validate_immutable",
    "validate_label_name",
    "validate_label_selector",
    "validate_labels",
    "validate_nonnegative",
    "validate_object_meta",
    "validate_object_meta_update",
    "validate_owner_references",
    "validate_qualified_name",
    "validate_quantity",
]

NameValidator = Callable[[str], list[str]]

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
FIELD_MANAGER_MAX_LENGTH = 128
MAX_SUBRESOURCE_NAME_LENGTH = 256

# Finalizer names without a domain that Kubernetes accepts (core's validateKubeFinalizerName).
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})

# ---------------------------------------------------------------------------
# Field paths (field.Path's rendering)


def child(path: str, *names: str) -> str:
    """`path.name`; an empty path yields just the name (field.NewPath)."""
    for name in names:
        path = f"{path}.{name}" if path else name
    return path


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: str) -> str:
    return f"{path}[{k}]"


# ---------------------------------------------------------------------------
# Name and format validators (util/validation, api/validate/content)

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_ERR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*")
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_ERR = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character"
)
_DNS1035_LABEL_RE = re.compile(_DNS1035_LABEL_FMT)
_C_IDENTIFIER_FMT = "[A-Za-z_][A-Za-z0-9_]*"
_C_IDENTIFIER_ERR = (
    "a valid C identifier must start with alphabetic character or '_', followed by a string "
    "of alphanumeric characters or '_'"
)
_C_IDENTIFIER_RE = re.compile(_C_IDENTIFIER_FMT)
_ENV_VAR_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV_VAR_ERR = (
    "a valid environment variable name must consist of alphabetic characters, digits, '_', "
    "'-', or '.', and must not start with a digit"
)
_ENV_VAR_RE = re.compile(_ENV_VAR_FMT)
_RELAXED_ENV_VAR_ERR = (
    "a valid environment variable name must consist only of printable ASCII characters other "
    "than '='"
)
_CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_MAP_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_CONFIG_MAP_KEY_RE = re.compile(_CONFIG_MAP_KEY_FMT)
_PORT_NAME_CHARSET_RE = re.compile("[-a-z0-9]+")
_PORT_NAME_LETTER_RE = re.compile("[a-z]")
DNS1123_LABEL_MAX_LENGTH = 63
DNS1035_LABEL_MAX_LENGTH = 63
DNS1123_SUBDOMAIN_MAX_LENGTH = 253

# Aliases named as the brief and apimachinery name them.
is_qualified_name = is_label_key
is_valid_label_value = is_label_value


def _blen(value: str) -> int:
    """Go's len(): bytes, not characters."""
    return len(value.encode("utf-8", "surrogatepass"))


def is_dns1123_label(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1123_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if _DNS1123_LABEL_RE.fullmatch(value) is None:
        if _DNS1123_SUBDOMAIN_RE.fullmatch(value) is not None:
            # A valid subdomain but not a label: length was checked, so it must be the dots.
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_ERR, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1035_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1035_LABEL_MAX_LENGTH))
    if _DNS1035_LABEL_RE.fullmatch(value) is None:
        errs.append(regex_error(_DNS1035_LABEL_ERR, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_c_identifier(value: str) -> list[str]:
    if _C_IDENTIFIER_RE.fullmatch(value) is None:
        return [regex_error(_C_IDENTIFIER_ERR, _C_IDENTIFIER_FMT, "my_name", "MY_NAME", "MyName")]
    return []


def _has_chdir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_env_var_name(value: str) -> list[str]:
    """The strict rule (IsEnvVarName); pods use the relaxed one since v1.34."""
    errs: list[str] = []
    if _ENV_VAR_RE.fullmatch(value) is None:
        errs.append(
            regex_error(_ENV_VAR_ERR, _ENV_VAR_FMT, "my.env-name", "MY_ENV.NAME", "MyEnvName1")
        )
    return errs + _has_chdir_prefix(value)


def is_relaxed_env_var_name(value: str) -> list[str]:
    """IsRelaxedEnvVarName: printable ASCII but '=' (RelaxedEnvironmentVariableValidation, GA)."""
    errs: list[str] = []
    if not value:
        errs.append("environment variable name must be non-empty")
    if any(ord(c) > 0x7E or ord(c) < 0x20 or c == "=" for c in value):
        errs.append(_RELAXED_ENV_VAR_ERR)
    return errs


def is_config_map_key(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if _CONFIG_MAP_KEY_RE.fullmatch(value) is None:
        errs.append(
            regex_error(
                _CONFIG_MAP_KEY_ERR, _CONFIG_MAP_KEY_FMT, "key.name", "KEY_NAME", "key-name"
            )
        )
    return errs + _has_chdir_prefix(value)


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def is_valid_port_num(port: Any) -> list[str]:
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


def is_in_range(value: int, lo: int, hi: int) -> list[str]:
    return [] if lo <= value <= hi else [inclusive_range_error(lo, hi)]


def is_valid_user_id(uid: int) -> list[str]:
    return is_in_range(uid, 0, 0xFFFFFFFF)


def is_valid_group_id(gid: int) -> list[str]:
    return is_in_range(gid, 0, 0xFFFFFFFF)


def is_valid_port_name(port: str) -> list[str]:
    errs: list[str] = []
    if _blen(port) > 15:
        errs.append(max_len_error(15))
    if _PORT_NAME_CHARSET_RE.fullmatch(port) is None:
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if _PORT_NAME_LETTER_RE.search(port) is None:
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


_IP_ERR = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_ERR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def parse_ip_sloppy(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """netutils.ParseIPSloppy: like net.ParseIP but IPv4 octets may carry leading zeros."""
    if not value or "%" in value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    parts = value.split(".")
    if len(parts) == 4 and all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts):
        octets = [int(p, 10) for p in parts]
        if all(o <= 255 for o in octets):
            return ipaddress.IPv4Address(".".join(str(o) for o in octets))
    return None


def is_valid_ip(value: str) -> list[str]:
    return [] if parse_ip_sloppy(value) is not None else [_IP_ERR]


def is_valid_cidr(value: str) -> list[str]:
    addr, slash, bits = value.partition("/")
    ip = parse_ip_sloppy(addr) if slash else None
    if ip is None or not bits.isdigit() or not bits.isascii():
        return [_CIDR_ERR]
    if int(bits) > (32 if ip.version == 4 else 128):
        return [_CIDR_ERR]
    return []


def path_segment_name(name: str, prefix: bool = False) -> list[str]:
    """path.ValidatePathSegmentName: names that are safe as one URL path segment."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


def mask_trailing_dash(name: str) -> str:
    """What apimachinery validates a generateName prefix as: a trailing '-' is fine there."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


# ---------------------------------------------------------------------------
# Field-error helpers


def _field_errors(path: str, value: Any, msgs: Sequence[str]) -> list[FieldError]:
    return [errors.invalid(path, value, m) for m in msgs]


def validate_dns1123_label(value: str, path: str) -> list[FieldError]:
    return _field_errors(path, value, is_dns1123_label(value))


def validate_dns1123_subdomain(value: str, path: str) -> list[FieldError]:
    return _field_errors(path, value, is_dns1123_subdomain(value))


def validate_qualified_name(value: str, path: str) -> list[FieldError]:
    return _field_errors(path, value, is_qualified_name(value))


def validate_nonnegative(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return [errors.invalid(path, value, IS_NEGATIVE)]
    return []


def validate_immutable(new: Any, old: Any, path: str) -> list[FieldError]:
    return [] if new == old else [errors.invalid(path, new, FIELD_IMMUTABLE)]


def validate_quantity(value: Any, path: str) -> tuple[Quantity | None, list[FieldError]]:
    """Parse a resource.Quantity from its JSON form.

    Kubernetes rejects an unparsable quantity while decoding (400); we report it as a field
    error with the parser's message instead, so the caller still learns which field it was.
    """
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return quantity_from_json(value), []
        except ValueError as exc:
            return None, [errors.invalid(path, value, str(exc))]
    return None, [errors.invalid(path, value, "must be a quantity")]


def validate_annotations(annotations: Mapping[str, str] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    total = 0
    for k, v in (annotations or {}).items():
        # Annotation keys are qualified names, but case does not matter.
        out.extend(errors.invalid(path, k, m) for m in is_qualified_name(k.lower()))
        total += _blen(k) + _blen(str(v))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        out.append(errors.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return out


def _parse_api_version(api_version: str) -> tuple[str, str]:
    """schema.ParseGroupVersion, with a malformed value read as empty (as FromAPIVersionAndKind)."""
    if not api_version:
        return "", ""
    parts = api_version.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    return "", ""


def validate_owner_references(refs: Sequence[Any] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    first_controller = ""
    for ref in refs or []:
        if not isinstance(ref, Mapping):
            out.append(errors.invalid(path, ref, "must be an object"))
            continue
        group, version = _parse_api_version(ref.get("apiVersion") or "")
        kind = ref.get("kind") or ""
        if not version:
            out.append(
                errors.invalid(
                    child(path, "apiVersion"),
                    ref.get("apiVersion") or "",
                    "version must not be empty",
                )
            )
        if not kind:
            out.append(errors.invalid(child(path, "kind"), kind, "must not be empty"))
        if not ref.get("name"):
            out.append(errors.invalid(child(path, "name"), "", "must not be empty"))
        if not ref.get("uid"):
            out.append(errors.invalid(child(path, "uid"), "", "must not be empty"))
        if (group, version, kind) == ("", "v1", "Event"):
            out.append(
                errors.invalid(path, dict(ref), "/v1, Kind=Event is disallowed from being an owner")
            )
        if ref.get("controller") is True:
            current = f"{kind}/{ref.get('name') or ''}"
            if first_controller:
                out.append(
                    errors.invalid(
                        path,
                        list(refs or []),
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return out


def validate_finalizers(
    finalizers: Sequence[str] | None, path: str, *, kube_finalizers: bool = True
) -> list[FieldError]:
    """Qualified names; `orphan` and `foregroundDeletion` exclude each other.

    With `kube_finalizers` (every built-in kind), a name without a '/' must also be one of
    Kubernetes' standard finalizers.
    """
    out: list[FieldError] = []
    names = list(finalizers or [])
    for f in names:
        out.extend(errors.invalid(path, f, m) for m in is_qualified_name(f))
    if "orphan" in names and "foregroundDeletion" in names:
        out.append(
            errors.invalid(
                path, names, "finalizer orphan and foregroundDeletion cannot be both set"
            )
        )
    if kube_finalizers:
        out.extend(_validate_kube_finalizer_names(names, path))
    return out


def _validate_kube_finalizer_names(names: Sequence[str], path: str) -> list[FieldError]:
    return [
        errors.invalid(
            index(path, i),
            f,
            "name is neither a standard finalizer name nor is it fully qualified",
        )
        for i, f in enumerate(names)
        if "/" not in f and f not in STANDARD_FINALIZERS
    ]


def validate_kube_finalizer_name(name: str, path: str) -> list[FieldError]:
    """Core's validateFinalizerName: a qualified name that is standard or domain-prefixed."""
    out = [errors.invalid(path, name, m) for m in is_qualified_name(name)]
    if "/" not in name and name not in STANDARD_FINALIZERS:
        out.append(
            errors.invalid(
                path, name, "name is neither a standard finalizer name nor is it fully qualified"
            )
        )
    return out


def _validate_managed_fields(entries: Sequence[Any] | None, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    for i, entry in enumerate(entries or []):
        p = index(path, i)
        if not isinstance(entry, Mapping):
            continue
        op = entry.get("operation") or ""
        if op not in ("Apply", "Update"):
            out.append(errors.invalid(child(p, "operation"), op, "must be `Apply` or `Update`"))
        ftype = entry.get("fieldsType") or ""
        if ftype and ftype != "FieldsV1":
            out.append(errors.invalid(child(p, "fieldsType"), ftype, "must be `FieldsV1`"))
        manager = entry.get("manager") or ""
        if _blen(manager) > FIELD_MANAGER_MAX_LENGTH:
            out.append(errors.too_long(child(p, "manager"), FIELD_MANAGER_MAX_LENGTH))
        for pos, ch in enumerate(manager):
            if not ch.isprintable():
                out.append(
                    errors.invalid(
                        child(p, "manager"),
                        manager,
                        f"invalid character U+{ord(ch):04X} (at position {pos})",
                    )
                )
        if _blen(entry.get("subresource") or "") > MAX_SUBRESOURCE_NAME_LENGTH:
            out.append(errors.too_long(child(p, "subresource"), MAX_SUBRESOURCE_NAME_LENGTH))
    return out


# ---------------------------------------------------------------------------
# ObjectMeta


def validate_object_meta(
    meta: Mapping[str, Any],
    *,
    namespaced: bool,
    name_validator: NameValidator = is_dns1123_subdomain,
    path: str = "metadata",
    kube_finalizers: bool = True,
) -> list[FieldError]:
    """ValidateObjectMeta (core's wrapper): run after name generation, on create."""
    out: list[FieldError] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        out.extend(
            errors.invalid(child(path, "generateName"), generate_name, m)
            for m in name_validator(mask_trailing_dash(generate_name))
        )
    name = meta.get("name") or ""
    if not name:
        out.append(errors.required(child(path, "name"), "name or generateName is required"))
    else:
        out.extend(errors.invalid(child(path, "name"), name, m) for m in name_validator(name))
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            out.append(errors.required(child(path, "namespace")))
        else:
            out.extend(
                errors.invalid(child(path, "namespace"), namespace, m)
                for m in is_dns1123_label(namespace)
            )
    elif namespace:
        out.append(errors.forbidden(child(path, "namespace"), "not allowed on this type"))
    out.extend(validate_nonnegative(meta.get("generation"), child(path, "generation")))
    out.extend(validate_labels(meta.get("labels"), child(path, "labels")))
    out.extend(validate_annotations(meta.get("annotations"), child(path, "annotations")))
    out.extend(
        validate_owner_references(meta.get("ownerReferences"), child(path, "ownerReferences"))
    )
    out.extend(
        validate_finalizers(
            meta.get("finalizers"), child(path, "finalizers"), kube_finalizers=kube_finalizers
        )
    )
    out.extend(_validate_managed_fields(meta.get("managedFields"), child(path, "managedFields")))
    return out


def _go_string_slice(values: Sequence[str]) -> str:
    return "[]string{" + ", ".join(errors.go_value(v) for v in values) + "}"


def validate_object_meta_update(
    new_meta: Mapping[str, Any],
    old_meta: Mapping[str, Any],
    path: str = "metadata",
    *,
    kube_finalizers: bool = True,
) -> list[FieldError]:
    """ValidateObjectMetaUpdate: identity fields are immutable; deleting objects gain no finalizers.

    Kubernetes also requires `resourceVersion` here, but its registry fills it in for
    unconditional updates before validating; ours does not, so that check is left out.
    """
    out: list[FieldError] = []
    new_finalizers = list(new_meta.get("finalizers") or [])
    if old_meta.get("deletionTimestamp"):
        extra = sorted(set(new_finalizers) - set(old_meta.get("finalizers") or []))
        if extra:
            out.append(
                errors.forbidden(
                    child(path, "finalizers"),
                    "no new finalizers can be added if the object is being deleted, found new "
                    f"finalizers {_go_string_slice(extra)}",
                )
            )
    new_gen = new_meta.get("generation") or 0
    if isinstance(new_gen, int) and new_gen < (old_meta.get("generation") or 0):
        out.append(errors.invalid(child(path, "generation"), new_gen, "must not be decremented"))
    for field in (
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ):
        new_v = new_meta.get(field)
        old_v = old_meta.get(field)
        if field in ("name", "namespace", "uid", "creationTimestamp"):
            # Unset and empty are the same value in Go.
            new_v, old_v = new_v or "", old_v or ""
        out.extend(validate_immutable(new_v, old_v, child(path, field)))
    out.extend(validate_labels(new_meta.get("labels"), child(path, "labels")))
    out.extend(validate_annotations(new_meta.get("annotations"), child(path, "annotations")))
    out.extend(
        validate_owner_references(new_meta.get("ownerReferences"), child(path, "ownerReferences"))
    )
    out.extend(
        _validate_managed_fields(new_meta.get("managedFields"), child(path, "managedFields"))
    )
    if kube_finalizers:
        out.extend(_validate_kube_finalizer_names(new_finalizers, child(path, "finalizers")))
    return out
