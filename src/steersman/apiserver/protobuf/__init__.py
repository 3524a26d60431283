"""Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).

kubectl 1.32's typed clients (`kubectl create configmap|secret|deployment|...`) POST their
objects as protobuf. A body is the 4-byte magic `k8s\\x00` and a `runtime.Unknown`
{1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType} whose `raw`
is the object's own gogo-generated proto2 message. This package turns that into the dict
Go's encoding/json would print for the same object, so the rest of the server sees exactly
what a JSON client would have sent.

Invariants:
- Only the kinds in `MESSAGES` (those `kubectl create <generator>` sends, all v1) are
  decoded; any other kind, a content encoding, or malformed data raises `ProtobufError`
  (a ValueError) with the reason, which the handler answers with 400. No other exception
  type escapes `decode_protobuf_object`.
- Field handling is described in `decode.py`; tables live in one module per API area
  (`meta`, `core`, `container`, `pod`, `workloads`, `groups`), each checked against upstream
  generated.proto.
"""

from __future__ import annotations

from typing import Any

from steersman.apiserver.protobuf import core, groups, workloads
from steersman.apiserver.protobuf.decode import Message, decode_message
from steersman.apiserver.protobuf.wire import (
    LEN,
    ProtobufError,
    UnsupportedFieldError,
    iter_fields,
    text,
)

MAGIC = b"k8s\x00"

# (group, kind) -> message; the version is v1 for every kind listed.
MESSAGES: dict[tuple[str, str], Message] = {
    ("", "ConfigMap"): core.CONFIG_MAP,
    ("", "Secret"): core.SECRET,
    ("", "Namespace"): core.NAMESPACE,
    ("", "ServiceAccount"): core.SERVICE_ACCOUNT,
    ("", "Service"): core.SERVICE,
    ("", "ResourceQuota"): core.RESOURCE_QUOTA,
    ("apps", "Deployment"): workloads.DEPLOYMENT,
    ("batch", "Job"): workloads.JOB,
    ("batch", "CronJob"): workloads.CRON_JOB,
    ("scheduling.k8s.io", "PriorityClass"): groups.PRIORITY_CLASS,
    ("rbac.authorization.k8s.io", "Role"): groups.ROLE,
    ("rbac.authorization.k8s.io", "ClusterRole"): groups.CLUSTER_ROLE,
    ("rbac.authorization.k8s.io", "RoleBinding"): groups.ROLE_BINDING,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): groups.ROLE_BINDING,
    ("policy", "PodDisruptionBudget"): groups.POD_DISRUPTION_BUDGET,
    ("networking.k8s.io", "Ingress"): groups.INGRESS,
    ("autoscaling", "HorizontalPodAutoscaler"): groups.HORIZONTAL_POD_AUTOSCALER_V1,
}

__all__ = [
    "MAGIC",
    "MESSAGES",
    "ProtobufError",
    "UnsupportedFieldError",
    "decode_protobuf_object",
    "decode_unknown",
]


def _envelope_text(wire: int, value: int | bytes, where: str) -> str:
    if wire != LEN or not isinstance(value, bytes):
        raise ProtobufError(f"protobuf: envelope field {where!r} must be length-delimited")
    return text(value, where)


def decode_unknown(data: bytes) -> tuple[str, str, bytes]:
    """Split an enveloped body into (apiVersion, kind, raw object message)."""
    if not data.startswith(MAGIC):
        raise ProtobufError("protobuf: body does not start with the k8s\\x00 magic prefix")
    api_version = kind = encoding = ""
    raw = b""
    for number, wire, value in iter_fields(data[len(MAGIC) :]):
        if number == 1:
            if wire != LEN or not isinstance(value, bytes):
                raise ProtobufError("protobuf: envelope field 'typeMeta' must be length-delimited")
            for tnum, twire, tval in iter_fields(value):
                if tnum == 1:
                    api_version = _envelope_text(twire, tval, "apiVersion")
                elif tnum == 2:
                    kind = _envelope_text(twire, tval, "kind")
        elif number == 2:
            if wire != LEN or not isinstance(value, bytes):
                raise ProtobufError("protobuf: envelope field 'raw' must be length-delimited")
            raw = value
        elif number == 3:
            encoding = _envelope_text(wire, value, "contentEncoding")
    if encoding:
        raise ProtobufError(f"protobuf: unsupported contentEncoding {encoding!r}")
    if not kind or not api_version:
        raise ProtobufError("protobuf: the envelope has no apiVersion/kind")
    return api_version, kind, raw


def decode_protobuf_object(data: bytes) -> dict[str, Any]:
    """Decode a `k8s\\x00`-enveloped protobuf object into its Kubernetes JSON dict.

    Raises ProtobufError (UnsupportedFieldError for a field this server will not decode).
    """
    api_version, kind, raw = decode_unknown(data)
    group, _, version = api_version.rpartition("/")
    msg = MESSAGES.get((group, kind)) if version == "v1" else None
    if msg is None:
        raise ProtobufError(f"protobuf: decoding {kind} ({api_version}) is not supported")
    try:
        body = decode_message(raw, msg)
    except ProtobufError:
        raise
    except (RecursionError, OverflowError) as exc:
        # Tables nest only a few levels deep, so this means a hostile body; keep it a 400.
        raise ProtobufError(f"protobuf: cannot decode {kind}: {type(exc).__name__}") from exc
    return {"apiVersion": api_version, "kind": kind, **body}
