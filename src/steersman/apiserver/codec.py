"""Encoding objects for storage and decoding them back.

Invariants:
- Stored bytes are the object's JSON without `metadata.resourceVersion` (the storage revision
  is the resourceVersion; it is set on every read, as Kubernetes' etcd3 store does).
- `decode` returns a fresh dict the caller may mutate.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from steersman.api import errors
from steersman.storage.interface import KeyValue


def encode_for_storage(obj: dict[str, Any]) -> bytes:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "resourceVersion" in meta:
        rv = meta.pop("resourceVersion")
        try:
            return orjson.dumps(obj)
        finally:
            meta["resourceVersion"] = rv
    return orjson.dumps(obj)


def decode(kv: KeyValue) -> dict[str, Any]:
    obj: dict[str, Any] = orjson.loads(kv.value)
    obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
    return obj


def parse_resource_version(value: str, *, what: str = "resourceVersion") -> int:
    """Parse a client-supplied resourceVersion; a bad one is 400 as in Kubernetes."""
    try:
        rv = int(value)
        if rv < 0:
            raise ValueError
        return rv
    except ValueError:
        raise errors.bad_request_error(
            f'invalid {what}: "{value}"'
            if what != "resourceVersion"
            else f"invalid resource version: {value}"
        ) from None


def encode_continue(revision: int, start_key: str, prefix: str) -> str:
    token = orjson.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start_key[len(prefix) :]})
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_continue(token: str, prefix: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError
        rv = int(data["rv"])
        start = str(data["start"])
        if rv <= 0 or start.startswith("/") or ".." in start.split("/"):
            raise ValueError
        return rv, prefix + start
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise errors.bad_request_error(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None
