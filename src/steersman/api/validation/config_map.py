"""The ConfigMap and Secret kinds (core/v1).

Invariants:
- `binaryData` and Secret `data` are base64 in the JSON form: sizes are counted decoded, as
  Kubernetes counts the bytes.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    is_config_map_key,
    key,
    validate_immutable,
    validate_object_meta,
    validate_object_meta_update,
)
from steersman.api.validation.helpers import Obj, _d, _meta, _name_errs, _s

MAX_SECRET_SIZE = 1024 * 1024


def _b64_len(value: Any) -> int:
    """Decoded size of a base64 `[]byte` field (its raw length if it does not decode)."""
    text = _s(value)
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return len(text)


def _b64_bytes(value: Any) -> bytes:
    try:
        return base64.b64decode(_s(value), validate=True)
    except (binascii.Error, ValueError):
        return _s(value).encode()


def validate_config_map(cm: Obj) -> list[FieldError]:
    out = validate_object_meta(_meta(cm), namespaced=True)
    data = _d(cm.get("data"))
    binary = _d(cm.get("binaryData"))
    total = 0
    for k, v in data.items():
        out.extend(_name_errs(key("data", k), k, is_config_map_key(k)))
        if k in binary:
            out.append(errors.invalid(key("data", k), k, "duplicate of key present in binaryData"))
        total += len(_s(v).encode())
    for k, v in binary.items():
        out.extend(_name_errs(key("binaryData", k), k, is_config_map_key(k)))
        total += _b64_len(v)
    if total > MAX_SECRET_SIZE:
        out.append(errors.too_long("", MAX_SECRET_SIZE))
    return out


def validate_config_map_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            out.append(errors.forbidden("immutable", "field is immutable when `immutable` is set"))
        for field in ("data", "binaryData"):
            if (new.get(field) or {}) != (old.get(field) or {}):
                out.append(errors.forbidden(field, "field is immutable when `immutable` is set"))
    out.extend(validate_config_map(new))
    return out


def _innermost_open(text: str, pos: int) -> str:
    """The innermost bracket still open at `pos` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


# Python's json error -> the state Go's encoding/json scanner names in its error.
_GO_JSON_CONTEXT = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Extra data": "after top-level value",
}


def _go_json_error(raw: bytes) -> str | None:
    """What encoding/json says when unmarshalling `raw` into a map, or None if it is fine."""
    text = raw.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip(" \t\r\n")) or exc.msg.startswith("Unterminated"):
            return "unexpected end of JSON input"
        context = _GO_JSON_CONTEXT.get(exc.msg)
        if context is None:
            inner = _innermost_open(text, exc.pos)
            context = "after array element" if inner == "[" else "after object key:value pair"
        ch = text[exc.pos]
        shown = "'\\''" if ch == "'" else repr(ch)
        return f"invalid character {shown} {context}"
    if value is None or isinstance(value, dict):
        return None
    kinds = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}
    kind = kinds.get(type(value), "value")
    return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"


def validate_secret(secret: Obj) -> list[FieldError]:
    meta = _meta(secret)
    out = validate_object_meta(meta, namespaced=True)
    data = _d(secret.get("data"))
    total = 0
    for k, v in data.items():
        out.extend(_name_errs(key("data", k), k, is_config_map_key(k)))
        total += _b64_len(v)
    if total > MAX_SECRET_SIZE:
        out.append(errors.too_long("data", MAX_SECRET_SIZE))
    kind = _s(secret.get("type"))
    if kind == "kubernetes.io/service-account-token":
        sa_key = "kubernetes.io/service-account.name"
        if not _s(_d(meta.get("annotations")).get(sa_key)):
            out.append(errors.required(f"metadata.annotations[{sa_key}]"))
    elif kind in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        data_key = ".dockercfg" if kind == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if data_key not in data:
            out.append(errors.required(key("data", data_key)))
        else:
            err = _go_json_error(_b64_bytes(data[data_key]))
            if err is not None:
                out.append(errors.invalid(key("data", data_key), "<secret contents redacted>", err))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            out.append(errors.required("data[username]"))
            out.append(errors.required("data[password]"))
    elif kind == "kubernetes.io/ssh-auth":
        if not _b64_len(data.get("ssh-privatekey")):
            out.append(errors.required("data[ssh-privatekey]"))
    elif kind == "kubernetes.io/tls":
        for field in ("tls.crt", "tls.key"):
            if field not in data:
                out.append(errors.required(key("data", field)))
    return out


def validate_secret_update(new: Obj, old: Obj) -> list[FieldError]:
    out = validate_object_meta_update(_meta(new), _meta(old))
    out.extend(validate_immutable(_s(new.get("type")), _s(old.get("type")), "type"))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            out.append(errors.forbidden("immutable", "field is immutable when `immutable` is set"))
        if (new.get("data") or {}) != (old.get("data") or {}):
            out.append(errors.forbidden("data", "field is immutable when `immutable` is set"))
    out.extend(validate_secret(new))
    return out


register("", "ConfigMap", validate_config_map, validate_config_map_update)
register("", "Secret", validate_secret, validate_secret_update)
