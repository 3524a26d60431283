"""Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).

kubectl 1.32's typed clients (`kubectl create configmap|secret|deployment|...`) POST their
objects as protobuf. The envelope is the 4-byte magic `k8s\\x00` followed by a
`runtime.Unknown` message: 1 typeMeta (TypeMeta: 1 apiVersion, 2 kind), 2 raw (the object's
own message), 3 contentEncoding, 4 contentType. The object message is gogo-generated proto2
from each API group's generated.proto; this module walks it with a tiny wire decoder and a
per-message table {field_number: (json_name, kind, submessage)} and builds the dict that
Go's encoding/json would produce for the same object.

Invariants:
- Field numbers and JSON names match upstream generated.proto / types.go.
- Go's omitempty is mirrored: gogo writes every non-pointer scalar, so zero strings/ints/bools
  are dropped unless the kind carries a `!` (pointer fields or fields without omitempty, where
  zero is meaningful). Embedded messages that are present become dicts even when empty
  (Go emits `{}` for non-pointer structs; nil pointers are simply absent on the wire).
- Maps are repeated {1: key, 2: value} entries; empty maps/lists are omitted.
- `bytes` values (Secret.data, ConfigMap.binaryData) are base64 text, Time is RFC3339 (UTC,
  seconds), Quantity is its string, IntOrString is an int or a string.
- Fields not in a table are skipped (forward compatible); malformed wire data raises
  ValueError with the reason.
"""

from __future__ import annotations

import base64
import datetime
import struct
from typing import Any

import orjson

MAGIC = b"k8s\x00"

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5

# A message table: field number -> (json name, kind, submessage table or None).
# Kinds: str, bytes, int, bool (suffix "!" keeps zero values), msg, inline (embedded struct
# whose fields merge into the parent), time, qty, ios (IntOrString), raw (FieldsV1 JSON),
# map (string->string), mapbytes, mapqty, and "[]" prefix for repeated.
Table = dict[int, tuple[str, str, "Table | None"]]


# --- wire level -------------------------------------------------------------------------


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("protobuf: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ValueError("protobuf: varint too long")


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split one message into (field number, wire type, value) triples, in wire order."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("protobuf: invalid field number 0")
        value: int | bytes
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == _LEN:
            size, pos = _read_varint(data, pos)
            if pos + size > end:
                raise ValueError(f"protobuf: field {number} length {size} exceeds message")
            value = data[pos : pos + size]
            pos += size
        elif wire == _I64:
            if pos + 8 > end:
                raise ValueError("protobuf: truncated fixed64")
            value = struct.unpack_from("<Q", data, pos)[0]
            pos += 8
        elif wire == _I32:
            if pos + 4 > end:
                raise ValueError("protobuf: truncated fixed32")
            value = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        else:
            raise ValueError(f"protobuf: unsupported wire type {wire} for field {number}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    # int32/int64 negatives travel as ten-byte two's-complement varints.
    return value - (1 << 64) if value >= 1 << 63 else value


def _want_bytes(value: int | bytes, name: str) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError(f"protobuf: field {name!r} must be length-delimited")
    return value


def _want_int(value: int | bytes, name: str) -> int:
    if isinstance(value, bytes):
        raise ValueError(f"protobuf: field {name!r} must be a varint")
    return value


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"protobuf: field {name!r} is not valid UTF-8") from exc


# --- special value types ----------------------------------------------------------------


def _time(raw: bytes) -> str | None:
    seconds = 0
    for number, _wire, value in _fields(raw):
        if number == 1:
            seconds = _signed(_want_int(value, "seconds"))
    if seconds == 0:
        return None  # zero metav1.Time (kubectl sends an empty creationTimestamp)
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=seconds
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _quantity(raw: bytes) -> str:
    text = ""
    for number, _wire, value in _fields(raw):
        if number == 1:
            text = _text(_want_bytes(value, "quantity"), "quantity")
    return text


def _int_or_string(raw: bytes) -> int | str:
    kind = 0
    int_val = 0
    str_val = ""
    for number, _wire, value in _fields(raw):
        if number == 1:
            kind = _want_int(value, "type")
        elif number == 2:
            int_val = _signed(_want_int(value, "intVal"))
            int_val = int_val - (1 << 32) if int_val >= 1 << 31 else int_val
        elif number == 3:
            str_val = _text(_want_bytes(value, "strVal"), "strVal")
    return str_val if kind == 1 else int_val


def _raw_json(raw: bytes) -> Any:
    # FieldsV1 holds the managed-fields set as JSON text in field 1.
    for number, _wire, value in _fields(raw):
        if number == 1:
            try:
                return orjson.loads(_want_bytes(value, "fieldsV1"))
            except orjson.JSONDecodeError as exc:
                raise ValueError("protobuf: fieldsV1 is not valid JSON") from exc
    return {}


def _map_entry(raw: bytes, name: str, kind: str) -> tuple[str, Any]:
    key = ""
    val: Any = b"" if kind == "mapbytes" else ""
    for number, _wire, value in _fields(raw):
        if number == 1:
            key = _text(_want_bytes(value, name), name)
        elif number == 2:
            data = _want_bytes(value, name)
            if kind == "map":
                val = _text(data, name)
            elif kind == "mapbytes":
                val = data
            else:
                val = _quantity(data)
    if kind == "mapbytes":
        val = base64.b64encode(val).decode("ascii")
    return key, val


# --- message walking --------------------------------------------------------------------


def _decode_message(raw: bytes, table: Table, out: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {} if out is None else out
    for number, _wire, value in _fields(raw):
        spec = table.get(number)
        if spec is None:
            continue  # unknown or unmodelled field: skip, as proto readers must
        name, kind, sub = spec
        keep_zero = kind.endswith("!")
        base = kind.rstrip("!")
        repeated = base.startswith("[]")
        base = base.removeprefix("[]")
        if base in ("map", "mapbytes", "mapqty"):
            key, val = _map_entry(_want_bytes(value, name), name, base)
            result.setdefault(name, {})[key] = val
            continue
        if base == "inline":
            assert sub is not None
            _decode_message(_want_bytes(value, name), sub, result)
            continue
        item = _decode_value(value, name, base, sub)
        if repeated:
            # Packed repeated scalars are not used by gogo's proto2 output; a LEN value of a
            # scalar kind would fail in _decode_value with a clear message.
            result.setdefault(name, []).append(item)
            continue
        if item is None:
            result.pop(name, None)
            continue
        if not keep_zero and base in ("str", "int", "bool", "bytes") and not item:
            result.pop(name, None)
            continue
        result[name] = item
    return result


def _decode_value(value: int | bytes, name: str, base: str, sub: Table | None) -> Any:
    if base == "str":
        return _text(_want_bytes(value, name), name)
    if base == "bytes":
        return base64.b64encode(_want_bytes(value, name)).decode("ascii")
    if base == "int":
        return _signed(_want_int(value, name))
    if base == "bool":
        return bool(_want_int(value, name))
    if base == "msg":
        assert sub is not None
        return _decode_message(_want_bytes(value, name), sub)
    if base == "time":
        return _time(_want_bytes(value, name))
    if base == "qty":
        return _quantity(_want_bytes(value, name))
    if base == "ios":
        return _int_or_string(_want_bytes(value, name))
    if base == "raw":
        return _raw_json(_want_bytes(value, name))
    raise ValueError(f"protobuf: internal error, unknown kind {base!r} for {name!r}")


def decode_unknown(data: bytes) -> tuple[str, str, bytes]:
    """Split an enveloped body into (apiVersion, kind, raw object message)."""
    if not data.startswith(MAGIC):
        raise ValueError("protobuf: body does not start with the k8s\\x00 magic prefix")
    api_version = kind = ""
    raw = b""
    encoding = ""
    for number, _wire, value in _fields(data[len(MAGIC) :]):
        if number == 1:
            for tnum, _tw, tval in _fields(_want_bytes(value, "typeMeta")):
                if tnum == 1:
                    api_version = _text(_want_bytes(tval, "apiVersion"), "apiVersion")
                elif tnum == 2:
                    kind = _text(_want_bytes(tval, "kind"), "kind")
        elif number == 2:
            raw = _want_bytes(value, "raw")
        elif number == 3:
            encoding = _text(_want_bytes(value, "contentEncoding"), "contentEncoding")
    if encoding:
        raise ValueError(f"protobuf: unsupported contentEncoding {encoding!r}")
    if not kind or not api_version:
        raise ValueError("protobuf: the envelope has no apiVersion/kind")
    return api_version, kind, raw


def decode_protobuf_object(data: bytes) -> dict[str, Any]:
    """Decode a `k8s\\x00`-enveloped protobuf object into its Kubernetes JSON dict."""
    api_version, kind, raw = decode_unknown(data)
    table = MESSAGES.get((api_version.rpartition("/")[0], kind))
    if table is None:
        raise ValueError(f"protobuf: decoding {kind} ({api_version}) is not supported")
    body = _decode_message(raw, table)
    return {"apiVersion": api_version, "kind": kind, **body}


# --- message tables (field numbers from upstream generated.proto) -----------------------
# meta/v1

OWNER_REFERENCE: Table = {
    5: ("apiVersion", "str", None),
    1: ("kind", "str", None),
    3: ("name", "str", None),
    4: ("uid", "str", None),
    6: ("controller", "bool!", None),
    7: ("blockOwnerDeletion", "bool!", None),
}
MANAGED_FIELDS_ENTRY: Table = {
    1: ("manager", "str", None),
    2: ("operation", "str", None),
    3: ("apiVersion", "str", None),
    4: ("time", "time", None),
    6: ("fieldsType", "str", None),
    7: ("fieldsV1", "raw", None),
    8: ("subresource", "str", None),
}
OBJECT_META: Table = {
    1: ("name", "str", None),
    2: ("generateName", "str", None),
    3: ("namespace", "str", None),
    4: ("selfLink", "str", None),
    5: ("uid", "str", None),
    6: ("resourceVersion", "str", None),
    7: ("generation", "int", None),
    8: ("creationTimestamp", "time", None),
    9: ("deletionTimestamp", "time", None),
    10: ("deletionGracePeriodSeconds", "int!", None),
    11: ("labels", "map", None),
    12: ("annotations", "map", None),
    13: ("ownerReferences", "[]msg", OWNER_REFERENCE),
    14: ("finalizers", "[]str", None),
    17: ("managedFields", "[]msg", MANAGED_FIELDS_ENTRY),
}
LABEL_SELECTOR_REQUIREMENT: Table = {
    1: ("key", "str", None),
    2: ("operator", "str", None),
    3: ("values", "[]str", None),
}
LABEL_SELECTOR: Table = {
    1: ("matchLabels", "map", None),
    2: ("matchExpressions", "[]msg", LABEL_SELECTOR_REQUIREMENT),
}
CONDITION: Table = {  # metav1.Condition and the per-type conditions share the common fields
    1: ("type", "str", None),
    2: ("status", "str", None),
}

# core/v1

LOCAL_OBJECT_REFERENCE: Table = {1: ("name", "str", None)}
OBJECT_REFERENCE: Table = {
    1: ("kind", "str", None),
    2: ("namespace", "str", None),
    3: ("name", "str", None),
    4: ("uid", "str", None),
    5: ("apiVersion", "str", None),
    6: ("resourceVersion", "str", None),
    7: ("fieldPath", "str", None),
}
KEY_TO_PATH: Table = {
    1: ("key", "str", None),
    2: ("path", "str", None),
    3: ("mode", "int!", None),
}
CONTAINER_PORT: Table = {
    1: ("name", "str", None),
    2: ("hostPort", "int", None),
    3: ("containerPort", "int!", None),
    4: ("protocol", "str", None),
    5: ("hostIP", "str", None),
}
OBJECT_FIELD_SELECTOR: Table = {1: ("apiVersion", "str", None), 2: ("fieldPath", "str", None)}
RESOURCE_FIELD_SELECTOR: Table = {
    1: ("containerName", "str", None),
    2: ("resource", "str", None),
    3: ("divisor", "qty", None),
}
KEY_SELECTOR: Table = {  # ConfigMapKeySelector and SecretKeySelector
    1: ("localObjectReference", "inline", LOCAL_OBJECT_REFERENCE),
    2: ("key", "str", None),
    3: ("optional", "bool!", None),
}
ENV_VAR_SOURCE: Table = {
    1: ("fieldRef", "msg", OBJECT_FIELD_SELECTOR),
    2: ("resourceFieldRef", "msg", RESOURCE_FIELD_SELECTOR),
    3: ("configMapKeyRef", "msg", KEY_SELECTOR),
    4: ("secretKeyRef", "msg", KEY_SELECTOR),
}
ENV_VAR: Table = {
    1: ("name", "str", None),
    2: ("value", "str", None),
    3: ("valueFrom", "msg", ENV_VAR_SOURCE),
}
ENV_SOURCE: Table = {  # ConfigMapEnvSource and SecretEnvSource
    1: ("localObjectReference", "inline", LOCAL_OBJECT_REFERENCE),
    2: ("optional", "bool!", None),
}
ENV_FROM_SOURCE: Table = {
    1: ("prefix", "str", None),
    2: ("configMapRef", "msg", ENV_SOURCE),
    3: ("secretRef", "msg", ENV_SOURCE),
}
RESOURCE_CLAIM: Table = {1: ("name", "str", None), 2: ("request", "str", None)}
RESOURCE_REQUIREMENTS: Table = {
    1: ("limits", "mapqty", None),
    2: ("requests", "mapqty", None),
    3: ("claims", "[]msg", RESOURCE_CLAIM),
}
VOLUME_MOUNT: Table = {
    1: ("name", "str", None),
    2: ("readOnly", "bool", None),
    3: ("mountPath", "str", None),
    4: ("subPath", "str", None),
    5: ("mountPropagation", "str!", None),
    6: ("subPathExpr", "str", None),
    7: ("recursiveReadOnly", "str!", None),
}
EXEC_ACTION: Table = {1: ("command", "[]str", None)}
HTTP_HEADER: Table = {1: ("name", "str!", None), 2: ("value", "str!", None)}
HTTP_GET_ACTION: Table = {
    1: ("path", "str", None),
    2: ("port", "ios", None),
    3: ("host", "str", None),
    4: ("scheme", "str", None),
    5: ("httpHeaders", "[]msg", HTTP_HEADER),
}
TCP_SOCKET_ACTION: Table = {1: ("port", "ios", None), 2: ("host", "str", None)}
GRPC_ACTION: Table = {1: ("port", "int!", None), 2: ("service", "str!", None)}
PROBE_HANDLER: Table = {
    1: ("exec", "msg", EXEC_ACTION),
    2: ("httpGet", "msg", HTTP_GET_ACTION),
    3: ("tcpSocket", "msg", TCP_SOCKET_ACTION),
    4: ("grpc", "msg", GRPC_ACTION),
}
PROBE: Table = {
    1: ("handler", "inline", PROBE_HANDLER),
    2: ("initialDelaySeconds", "int", None),
    3: ("timeoutSeconds", "int", None),
    4: ("periodSeconds", "int", None),
    5: ("successThreshold", "int", None),
    6: ("failureThreshold", "int", None),
    7: ("terminationGracePeriodSeconds", "int!", None),
}
SLEEP_ACTION: Table = {1: ("seconds", "int!", None)}
LIFECYCLE_HANDLER: Table = {
    1: ("exec", "msg", EXEC_ACTION),
    2: ("httpGet", "msg", HTTP_GET_ACTION),
    3: ("tcpSocket", "msg", TCP_SOCKET_ACTION),
    4: ("sleep", "msg", SLEEP_ACTION),
}
LIFECYCLE: Table = {
    1: ("postStart", "msg", LIFECYCLE_HANDLER),
    2: ("preStop", "msg", LIFECYCLE_HANDLER),
    3: ("stopSignal", "str!", None),
}
CAPABILITIES: Table = {1: ("add", "[]str", None), 2: ("drop", "[]str", None)}
SECCOMP_PROFILE: Table = {1: ("type", "str", None), 2: ("localhostProfile", "str!", None)}
SE_LINUX_OPTIONS: Table = {
    1: ("user", "str", None),
    2: ("role", "str", None),
    3: ("type", "str", None),
    4: ("level", "str", None),
}
SECURITY_CONTEXT: Table = {
    1: ("capabilities", "msg", CAPABILITIES),
    2: ("privileged", "bool!", None),
    3: ("seLinuxOptions", "msg", SE_LINUX_OPTIONS),
    4: ("runAsUser", "int!", None),
    5: ("runAsNonRoot", "bool!", None),
    6: ("readOnlyRootFilesystem", "bool!", None),
    7: ("allowPrivilegeEscalation", "bool!", None),
    8: ("runAsGroup", "int!", None),
    9: ("procMount", "str!", None),
    11: ("seccompProfile", "msg", SECCOMP_PROFILE),
}
SYSCTL: Table = {1: ("name", "str!", None), 2: ("value", "str!", None)}
POD_SECURITY_CONTEXT: Table = {
    1: ("seLinuxOptions", "msg", SE_LINUX_OPTIONS),
    2: ("runAsUser", "int!", None),
    3: ("runAsNonRoot", "bool!", None),
    4: ("supplementalGroups", "[]int", None),
    5: ("fsGroup", "int!", None),
    6: ("runAsGroup", "int!", None),
    7: ("sysctls", "[]msg", SYSCTL),
    9: ("fsGroupChangePolicy", "str!", None),
    10: ("seccompProfile", "msg", SECCOMP_PROFILE),
}
CONTAINER: Table = {
    1: ("name", "str!", None),
    2: ("image", "str", None),
    3: ("command", "[]str", None),
    4: ("args", "[]str", None),
    5: ("workingDir", "str", None),
    6: ("ports", "[]msg", CONTAINER_PORT),
    7: ("env", "[]msg", ENV_VAR),
    8: ("resources", "msg", RESOURCE_REQUIREMENTS),
    9: ("volumeMounts", "[]msg", VOLUME_MOUNT),
    10: ("livenessProbe", "msg", PROBE),
    11: ("readinessProbe", "msg", PROBE),
    12: ("lifecycle", "msg", LIFECYCLE),
    13: ("terminationMessagePath", "str", None),
    14: ("imagePullPolicy", "str", None),
    15: ("securityContext", "msg", SECURITY_CONTEXT),
    16: ("stdin", "bool", None),
    17: ("stdinOnce", "bool", None),
    18: ("tty", "bool", None),
    19: ("envFrom", "[]msg", ENV_FROM_SOURCE),
    20: ("terminationMessagePolicy", "str", None),
    22: ("startupProbe", "msg", PROBE),
    24: ("restartPolicy", "str!", None),
}
HOST_PATH_VOLUME_SOURCE: Table = {1: ("path", "str!", None), 2: ("type", "str!", None)}
EMPTY_DIR_VOLUME_SOURCE: Table = {1: ("medium", "str", None), 2: ("sizeLimit", "qty", None)}
SECRET_VOLUME_SOURCE: Table = {
    1: ("secretName", "str", None),
    2: ("items", "[]msg", KEY_TO_PATH),
    3: ("defaultMode", "int!", None),
    4: ("optional", "bool!", None),
}
CONFIG_MAP_VOLUME_SOURCE: Table = {
    1: ("localObjectReference", "inline", LOCAL_OBJECT_REFERENCE),
    2: ("items", "[]msg", KEY_TO_PATH),
    3: ("defaultMode", "int!", None),
    4: ("optional", "bool!", None),
}
PVC_VOLUME_SOURCE: Table = {1: ("claimName", "str!", None), 2: ("readOnly", "bool", None)}
VOLUME_SOURCE: Table = {
    1: ("hostPath", "msg", HOST_PATH_VOLUME_SOURCE),
    2: ("emptyDir", "msg", EMPTY_DIR_VOLUME_SOURCE),
    6: ("secret", "msg", SECRET_VOLUME_SOURCE),
    10: ("persistentVolumeClaim", "msg", PVC_VOLUME_SOURCE),
    19: ("configMap", "msg", CONFIG_MAP_VOLUME_SOURCE),
}
VOLUME: Table = {1: ("name", "str!", None), 2: ("volumeSource", "inline", VOLUME_SOURCE)}
TOLERATION: Table = {
    1: ("key", "str", None),
    2: ("operator", "str", None),
    3: ("value", "str", None),
    4: ("effect", "str", None),
    5: ("tolerationSeconds", "int!", None),
}
POD_SPEC: Table = {
    1: ("volumes", "[]msg", VOLUME),
    2: ("containers", "[]msg", CONTAINER),
    3: ("restartPolicy", "str", None),
    4: ("terminationGracePeriodSeconds", "int!", None),
    5: ("activeDeadlineSeconds", "int!", None),
    6: ("dnsPolicy", "str", None),
    7: ("nodeSelector", "map", None),
    8: ("serviceAccountName", "str", None),
    9: ("serviceAccount", "str", None),
    10: ("nodeName", "str", None),
    11: ("hostNetwork", "bool", None),
    12: ("hostPID", "bool", None),
    13: ("hostIPC", "bool", None),
    14: ("securityContext", "msg", POD_SECURITY_CONTEXT),
    15: ("imagePullSecrets", "[]msg", LOCAL_OBJECT_REFERENCE),
    16: ("hostname", "str", None),
    17: ("subdomain", "str", None),
    19: ("schedulerName", "str", None),
    20: ("initContainers", "[]msg", CONTAINER),
    21: ("automountServiceAccountToken", "bool!", None),
    22: ("tolerations", "[]msg", TOLERATION),
    24: ("priorityClassName", "str", None),
    25: ("priority", "int!", None),
    27: ("shareProcessNamespace", "bool!", None),
    29: ("runtimeClassName", "str!", None),
    30: ("enableServiceLinks", "bool!", None),
    31: ("preemptionPolicy", "str!", None),
    35: ("setHostnameAsFQDN", "bool!", None),
    37: ("hostUsers", "bool!", None),
}
POD_TEMPLATE_SPEC: Table = {1: ("metadata", "msg", OBJECT_META), 2: ("spec", "msg", POD_SPEC)}

CONFIG_MAP: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("data", "map", None),
    3: ("binaryData", "mapbytes", None),
    4: ("immutable", "bool!", None),
}
SECRET: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("data", "mapbytes", None),
    3: ("type", "str", None),
    4: ("stringData", "map", None),
    5: ("immutable", "bool!", None),
}
NAMESPACE: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", {1: ("finalizers", "[]str", None)}),
    3: ("status", "msg", {1: ("phase", "str", None), 2: ("conditions", "[]msg", CONDITION)}),
}
SERVICE_ACCOUNT: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("secrets", "[]msg", OBJECT_REFERENCE),
    3: ("imagePullSecrets", "[]msg", LOCAL_OBJECT_REFERENCE),
    4: ("automountServiceAccountToken", "bool!", None),
}
SERVICE_PORT: Table = {
    1: ("name", "str", None),
    2: ("protocol", "str", None),
    3: ("port", "int!", None),
    4: ("targetPort", "ios", None),
    5: ("nodePort", "int", None),
    6: ("appProtocol", "str!", None),
}
SERVICE_SPEC: Table = {
    1: ("ports", "[]msg", SERVICE_PORT),
    2: ("selector", "map", None),
    3: ("clusterIP", "str", None),
    4: ("type", "str", None),
    5: ("externalIPs", "[]str", None),
    7: ("sessionAffinity", "str", None),
    8: ("loadBalancerIP", "str", None),
    9: ("loadBalancerSourceRanges", "[]str", None),
    10: ("externalName", "str", None),
    11: ("externalTrafficPolicy", "str", None),
    12: ("healthCheckNodePort", "int", None),
    13: ("publishNotReadyAddresses", "bool", None),
    17: ("ipFamilyPolicy", "str!", None),
    18: ("clusterIPs", "[]str", None),
    19: ("ipFamilies", "[]str", None),
    20: ("allocateLoadBalancerNodePorts", "bool!", None),
    21: ("loadBalancerClass", "str!", None),
    22: ("internalTrafficPolicy", "str!", None),
    23: ("trafficDistribution", "str!", None),
}
SERVICE: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", SERVICE_SPEC),
    3: (
        "status",
        "msg",
        {1: ("loadBalancer", "msg", {}), 2: ("conditions", "[]msg", CONDITION)},
    ),
}
SCOPED_RESOURCE_SELECTOR_REQUIREMENT: Table = {
    1: ("scopeName", "str", None),
    2: ("operator", "str", None),
    3: ("values", "[]str", None),
}
RESOURCE_QUOTA: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: (
        "spec",
        "msg",
        {
            1: ("hard", "mapqty", None),
            2: ("scopes", "[]str", None),
            3: (
                "scopeSelector",
                "msg",
                {1: ("matchExpressions", "[]msg", SCOPED_RESOURCE_SELECTOR_REQUIREMENT)},
            ),
        },
    ),
    3: ("status", "msg", {1: ("hard", "mapqty", None), 2: ("used", "mapqty", None)}),
}

# apps/v1

DEPLOYMENT_STRATEGY: Table = {
    1: ("type", "str", None),
    2: (
        "rollingUpdate",
        "msg",
        {1: ("maxUnavailable", "ios", None), 2: ("maxSurge", "ios", None)},
    ),
}
DEPLOYMENT_SPEC: Table = {
    1: ("replicas", "int!", None),
    2: ("selector", "msg", LABEL_SELECTOR),
    3: ("template", "msg", POD_TEMPLATE_SPEC),
    4: ("strategy", "msg", DEPLOYMENT_STRATEGY),
    5: ("minReadySeconds", "int", None),
    6: ("revisionHistoryLimit", "int!", None),
    7: ("paused", "bool", None),
    9: ("progressDeadlineSeconds", "int!", None),
}
DEPLOYMENT: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", DEPLOYMENT_SPEC),
    3: ("status", "msg", {1: ("observedGeneration", "int", None), 2: ("replicas", "int", None)}),
}

# batch/v1

JOB_SPEC: Table = {
    1: ("parallelism", "int!", None),
    2: ("completions", "int!", None),
    3: ("activeDeadlineSeconds", "int!", None),
    4: ("selector", "msg", LABEL_SELECTOR),
    5: ("manualSelector", "bool!", None),
    6: ("template", "msg", POD_TEMPLATE_SPEC),
    7: ("backoffLimit", "int!", None),
    8: ("ttlSecondsAfterFinished", "int!", None),
    9: ("completionMode", "str!", None),
    10: ("suspend", "bool!", None),
    12: ("backoffLimitPerIndex", "int!", None),
    13: ("maxFailedIndexes", "int!", None),
    14: ("podReplacementPolicy", "str!", None),
    15: ("managedBy", "str!", None),
}
JOB: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", JOB_SPEC),
    3: ("status", "msg", {}),
}
CRON_JOB_SPEC: Table = {
    1: ("schedule", "str!", None),
    2: ("startingDeadlineSeconds", "int!", None),
    3: ("concurrencyPolicy", "str", None),
    4: ("suspend", "bool!", None),
    5: (
        "jobTemplate",
        "msg",
        {1: ("metadata", "msg", OBJECT_META), 2: ("spec", "msg", JOB_SPEC)},
    ),
    6: ("successfulJobsHistoryLimit", "int!", None),
    7: ("failedJobsHistoryLimit", "int!", None),
    8: ("timeZone", "str!", None),
}
CRON_JOB: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", CRON_JOB_SPEC),
    3: ("status", "msg", {}),
}

# scheduling/v1, rbac/v1, policy/v1, networking/v1

PRIORITY_CLASS: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("value", "int!", None),
    3: ("globalDefault", "bool", None),
    4: ("description", "str", None),
    5: ("preemptionPolicy", "str!", None),
}
POLICY_RULE: Table = {
    1: ("verbs", "[]str", None),
    2: ("apiGroups", "[]str", None),
    3: ("resources", "[]str", None),
    4: ("resourceNames", "[]str", None),
    5: ("nonResourceURLs", "[]str", None),
}
ROLE: Table = {1: ("metadata", "msg", OBJECT_META), 2: ("rules", "[]msg", POLICY_RULE)}
CLUSTER_ROLE: Table = {
    **ROLE,
    3: ("aggregationRule", "msg", {1: ("clusterRoleSelectors", "[]msg", LABEL_SELECTOR)}),
}
SUBJECT: Table = {
    1: ("kind", "str!", None),
    2: ("apiGroup", "str", None),
    3: ("name", "str!", None),
    4: ("namespace", "str", None),
}
ROLE_REF: Table = {
    1: ("apiGroup", "str!", None),
    2: ("kind", "str!", None),
    3: ("name", "str!", None),
}
ROLE_BINDING: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("subjects", "[]msg", SUBJECT),
    3: ("roleRef", "msg", ROLE_REF),
}
POD_DISRUPTION_BUDGET: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: (
        "spec",
        "msg",
        {
            1: ("minAvailable", "ios", None),
            2: ("selector", "msg", LABEL_SELECTOR),
            3: ("maxUnavailable", "ios", None),
            4: ("unhealthyPodEvictionPolicy", "str!", None),
        },
    ),
    3: (
        "status",
        "msg",
        {
            1: ("observedGeneration", "int", None),
            3: ("disruptionsAllowed", "int!", None),
            4: ("currentHealthy", "int!", None),
            5: ("desiredHealthy", "int!", None),
            6: ("expectedPods", "int!", None),
            7: ("conditions", "[]msg", CONDITION),
        },
    ),
}
INGRESS_BACKEND: Table = {
    3: (
        "resource",
        "msg",
        {1: ("apiGroup", "str!", None), 2: ("kind", "str!", None), 3: ("name", "str!", None)},
    ),
    4: (
        "service",
        "msg",
        {
            1: ("name", "str!", None),
            2: ("port", "msg", {1: ("name", "str", None), 2: ("number", "int", None)}),
        },
    ),
}
INGRESS_SPEC: Table = {
    1: ("defaultBackend", "msg", INGRESS_BACKEND),
    2: ("tls", "[]msg", {1: ("hosts", "[]str", None), 2: ("secretName", "str", None)}),
    3: (
        "rules",
        "[]msg",
        {
            1: ("host", "str", None),
            2: (
                "ingressRuleValue",
                "inline",
                {
                    1: (
                        "http",
                        "msg",
                        {
                            1: (
                                "paths",
                                "[]msg",
                                {
                                    1: ("path", "str", None),
                                    2: ("backend", "msg", INGRESS_BACKEND),
                                    3: ("pathType", "str!", None),
                                },
                            )
                        },
                    )
                },
            ),
        },
    ),
    4: ("ingressClassName", "str!", None),
}
INGRESS: Table = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", INGRESS_SPEC),
    3: ("status", "msg", {1: ("loadBalancer", "msg", {})}),
}

# (group, kind) -> table; the version is v1 for every kind listed.
MESSAGES: dict[tuple[str, str], Table] = {
    ("", "ConfigMap"): CONFIG_MAP,
    ("", "Secret"): SECRET,
    ("", "Namespace"): NAMESPACE,
    ("", "ServiceAccount"): SERVICE_ACCOUNT,
    ("", "Service"): SERVICE,
    ("", "ResourceQuota"): RESOURCE_QUOTA,
    ("apps", "Deployment"): DEPLOYMENT,
    ("batch", "Job"): JOB,
    ("batch", "CronJob"): CRON_JOB,
    ("scheduling.k8s.io", "PriorityClass"): PRIORITY_CLASS,
    ("rbac.authorization.k8s.io", "Role"): ROLE,
    ("rbac.authorization.k8s.io", "ClusterRole"): CLUSTER_ROLE,
    ("rbac.authorization.k8s.io", "RoleBinding"): ROLE_BINDING,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): ROLE_BINDING,
    ("policy", "PodDisruptionBudget"): POD_DISRUPTION_BUDGET,
    ("networking.k8s.io", "Ingress"): INGRESS,
}
