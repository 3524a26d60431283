"""Field selectors and the per-kind field sets the API server filters on.

Invariants:
- `parse_field_selector` is apimachinery's `fields.ParseSelector`: terms split on unescaped
  commas and sorted, each `a=b`, `a==b` or `a!=b`; values unescape `\\,` `\\=` `\\\\`; errors read
  as Go's. The empty selector matches everything.
- Two independent layers, as in kube-apiserver:
  1. `check_supported` / `convert_field_selector` = the scheme's field-label conversion funcs
     (pkg/apis/<group>/<version>/conversion.go): which labels a kind accepts, with Kubernetes'
     per-kind error wording; kinds without a func accept only metadata.name/metadata.namespace.
  2. `field_set` = the registry's ToSelectableFields: the values matched against. A label
     accepted by (1) but missing from (2) reads as "" (Go's fields.Set.Get).
- `field_set` also carries the aliases a conversion func rewrites (pods' `spec.host`, the
  events.k8s.io `regarding.*` names), so an unconverted selector matches the same objects.
Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from steersman.api.errors import go_value
from steersman.api.resources import lookup_kind

EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
# Checked in this order at every position, so "==" wins over "=" and "!=" is found first.
_TERM_OPERATORS = (NOT_EQUALS, DOUBLE_EQUALS, EQUALS)


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    operator: str  # "=", "==" or "!="
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        have = fields.get(self.field, "")
        return have != self.value if self.operator == NOT_EQUALS else have == self.value

    def __str__(self) -> str:
        op = "!=" if self.operator == NOT_EQUALS else "="
        return f"{self.field}{op}{escape_value(self.value)}"


class FieldSelector:
    """An AND of field requirements (fields.Selector)."""

    __slots__ = ("requirements",)

    def __init__(self, requirements: Iterable[FieldRequirement] = ()) -> None:
        self.requirements: tuple[FieldRequirement, ...] = tuple(requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def requires_exact_match(self, field: str) -> str | None:
        for r in self.requirements:
            if r.field == field and r.operator != NOT_EQUALS:
                return r.value
        return None

    def transform(self, fn: Callable[[str, str], tuple[str, str]]) -> FieldSelector:
        """fields.Selector.Transform: rewrite each (field, value); ("", "") drops the term."""
        out: list[FieldRequirement] = []
        for r in self.requirements:
            field, value = fn(r.field, r.value)
            if field or value:
                out.append(FieldRequirement(field, r.operator, value))
        return FieldSelector(out)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldSelector) and other.requirements == self.requirements

    def __hash__(self) -> int:
        return hash(self.requirements)


EVERYTHING = FieldSelector()


def escape_value(value: str) -> str:
    """fields.EscapeValue."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(value: str) -> str:
    """fields.UnescapeValue; ValueError with Go's wording on a bad escape or bare `,`/`=`."""
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    in_slash = False
    for c in value:
        if in_slash:
            if c not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":
            # Go prints the rune with %v, i.e. as its code point number.
            raise ValueError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise ValueError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(selector: str) -> list[str]:
    if not selector:
        return []
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, c in enumerate(selector):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in _TERM_OPERATORS:
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


def parse_field_selector(selector: str) -> FieldSelector:
    """fields.ParseSelector. Raises ValueError with apimachinery's message."""
    reqs: list[FieldRequirement] = []
    # Go sorts the raw terms (byte order) before parsing; so do we, for identical String().
    for part in sorted(_split_terms(selector)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise ValueError(f"invalid selector: '{selector}'; can't understand '{part}'")
        lhs, op, rhs = split
        reqs.append(FieldRequirement(lhs, op, unescape_value(rhs)))
    return FieldSelector(reqs)


def selector_from_set(fields: Mapping[str, str] | None) -> FieldSelector:
    return FieldSelector(FieldRequirement(k, EQUALS, v) for k, v in (fields or {}).items())


# ---------------------------------------------------------------------------
# Layer 1: field label conversion (which labels a kind accepts, and their canonical names)


@dataclass(frozen=True, slots=True)
class _Conversion:
    accepted: Mapping[str, str]  # label the client sends -> canonical label
    reject: Callable[[str], str]  # error message for an unsupported label


def _not_supported(label: str) -> str:
    return f"field label not supported: {label}"


def _default_reject(label: str) -> str:
    # runtime.DefaultMetaV1FieldSelectorConversion
    return (
        f"{go_value(label)} is not a known field selector: only "
        f"{go_value('metadata.name')}, {go_value('metadata.namespace')}"
    )


def _same(*labels: str) -> dict[str, str]:
    return {label: label for label in labels}


_META = ("metadata.name", "metadata.namespace")
_EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)
# events.k8s.io/v1 spells the core names differently; its conversion maps them back.
_EVENTS_V1_ALIASES = {
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
}

_CONVERSIONS: dict[tuple[str, str], _Conversion] = {
    ("", "Pod"): _Conversion(
        {
            **_same(
                *_META,
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "spec.hostNetwork",
                "status.phase",
                "status.podIP",
                "status.podIPs",
                "status.nominatedNodeName",
            ),
            # Old v1 clients send spec.host.
            "spec.host": "spec.nodeName",
        },
        _not_supported,
    ),
    ("", "Node"): _Conversion(_same("metadata.name", "spec.unschedulable"), _not_supported),
    ("", "ReplicationController"): _Conversion(_same(*_META, "status.replicas"), _not_supported),
    ("", "Event"): _Conversion(_same(*_EVENT_FIELDS, *_META), _not_supported),
    ("", "Namespace"): _Conversion(_same("status.phase", "metadata.name"), _not_supported),
    ("", "Secret"): _Conversion(_same("type", *_META), _not_supported),
    ("", "Service"): _Conversion(_same(*_META, "spec.clusterIP", "spec.type"), _not_supported),
    ("batch", "Job"): _Conversion(
        _same(*_META, "status.successful"),
        lambda label: f"field label {go_value(label)} not supported for Job",
    ),
    ("events.k8s.io", "Event"): _Conversion(
        {**_same("reason", "source", "type", *_META), **_EVENTS_V1_ALIASES}, _not_supported
    ),
}
_DEFAULT_CONVERSION = _Conversion(_same(*_META), _default_reject)


def convert_field_label(group: str, kind: str, label: str, value: str) -> tuple[str, str]:
    """runtime.Scheme.ConvertFieldLabel: the canonical (label, value), or ValueError."""
    conv = _CONVERSIONS.get((group, kind), _DEFAULT_CONVERSION)
    canonical = conv.accepted.get(label)
    if canonical is None:
        raise ValueError(conv.reject(label))
    return canonical, value


def convert_field_selector(group: str, kind: str, selector: FieldSelector) -> FieldSelector:
    """The selector with every label converted, as the list/watch handlers do before filtering."""
    return selector.transform(lambda label, value: convert_field_label(group, kind, label, value))


def check_supported(group: str, kind: str, selector: FieldSelector) -> None:
    """Raise ValueError (Kubernetes' wording) for the first label the kind does not accept."""
    convert_field_selector(group, kind, selector)


# ---------------------------------------------------------------------------
# Layer 2: the selectable fields of an object (registry ToSelectableFields)


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(p)
    return cur


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _go_bool(value: Any) -> str:
    return "true" if value is True else "false"


def _go_int(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "0"


def _pod_fields(pod: Mapping[str, Any]) -> dict[str, str]:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    pod_ips = status.get("podIPs") or []
    # The internal type keeps only podIPs; v1's podIP converts into podIPs[0] when podIPs is empty.
    pod_ip = _s(pod_ips[0].get("ip")) if pod_ips else _s(status.get("podIP"))
    node_name = _s(spec.get("nodeName"))
    return {
        "spec.nodeName": node_name,
        "spec.host": node_name,
        "spec.restartPolicy": _s(spec.get("restartPolicy")),
        "spec.schedulerName": _s(spec.get("schedulerName")),
        "spec.serviceAccountName": _s(spec.get("serviceAccountName")),
        "spec.hostNetwork": _go_bool(spec.get("hostNetwork")),
        "status.phase": _s(status.get("phase")),
        "status.podIP": pod_ip,
        "status.nominatedNodeName": _s(status.get("nominatedNodeName")),
    }


def _core_event_fields(ev: Mapping[str, Any]) -> dict[str, str]:
    ref = ev.get("involvedObject") or {}
    reporting = _s(ev.get("reportingComponent"))
    return _event_fields(
        ref, _s(ev.get("reason")), reporting, _get(ev, "source", "component"), _s(ev.get("type"))
    )


def _events_v1_fields(ev: Mapping[str, Any]) -> dict[str, str]:
    ref = ev.get("regarding") or {}
    reporting = _s(ev.get("reportingController"))
    out = _event_fields(
        ref,
        _s(ev.get("reason")),
        reporting,
        _get(ev, "deprecatedSource", "component"),
        _s(ev.get("type")),
    )
    for alias, canonical in _EVENTS_V1_ALIASES.items():
        out[alias] = out[canonical]
    return out


def _event_fields(
    ref: Mapping[str, Any], reason: str, reporting: str, source_component: Any, type_: str
) -> dict[str, str]:
    return {
        "involvedObject.kind": _s(ref.get("kind")),
        "involvedObject.namespace": _s(ref.get("namespace")),
        "involvedObject.name": _s(ref.get("name")),
        "involvedObject.uid": _s(ref.get("uid")),
        "involvedObject.apiVersion": _s(ref.get("apiVersion")),
        "involvedObject.resourceVersion": _s(ref.get("resourceVersion")),
        "involvedObject.fieldPath": _s(ref.get("fieldPath")),
        "reason": reason,
        "reportingComponent": reporting,
        # Source falls back to the reporting controller for events written by the new API.
        "source": _s(source_component) or reporting,
        "type": type_,
    }


_SPECIFIC: dict[tuple[str, str], Callable[[Mapping[str, Any]], dict[str, str]]] = {
    ("", "Pod"): _pod_fields,
    ("", "Node"): lambda o: {"spec.unschedulable": _go_bool(_get(o, "spec", "unschedulable"))},
    # "name" is a historical bug Kubernetes keeps for compatibility.
    ("", "Namespace"): lambda o: {
        "status.phase": _s(_get(o, "status", "phase")),
        "name": _s(_get(o, "metadata", "name")),
    },
    ("", "Secret"): lambda o: {"type": _s(o.get("type"))},
    ("", "Service"): lambda o: {
        "spec.clusterIP": _s(_get(o, "spec", "clusterIP")),
        "spec.type": _s(_get(o, "spec", "type")),
    },
    ("", "ReplicationController"): lambda o: {
        "status.replicas": _go_int(_get(o, "status", "replicas"))
    },
    ("apps", "ReplicaSet"): lambda o: {"status.replicas": _go_int(_get(o, "status", "replicas"))},
    ("batch", "Job"): lambda o: {"status.successful": _go_int(_get(o, "status", "succeeded"))},
    ("", "Event"): _core_event_fields,
    ("events.k8s.io", "Event"): _events_v1_fields,
}
_CLUSTER_SCOPED = frozenset({("", "Node"), ("", "Namespace"), ("", "PersistentVolume")})


# A group serving another group's objects: the extra labels its selectors may use.
_SERVED_ALIASES: dict[tuple[str, str], dict[str, str]] = {
    ("events.k8s.io", "Event"): _EVENTS_V1_ALIASES,
}


def served_field_set(
    group: str, stored_group: str, kind: str, obj: Mapping[str, Any]
) -> dict[str, str]:
    """The fields.Set of `obj`, stored as `stored_group`'s kind, for a selector written in
    `group`'s labels (events.k8s.io's `regarding.name` on a stored core Event)."""
    out = field_set(stored_group, kind, obj)
    if group != stored_group:
        for alias, canonical in _SERVED_ALIASES.get((group, kind), {}).items():
            out[alias] = out[canonical]
    return out


def field_set(
    group: str, kind: str, obj: Mapping[str, Any], *, namespaced: bool | None = None
) -> dict[str, str]:
    """The fields.Set an object is matched against: metadata.* plus the kind's own fields.

    `namespaced` defaults to what the resource table says; cluster-scoped objects carry only
    metadata.name (generic.ObjectMetaFieldsSet).
    """
    if namespaced is None:
        namespaced = _is_namespaced(group, kind)
    meta = obj.get("metadata") or {}
    out = {"metadata.name": _s(meta.get("name"))}
    if namespaced:
        out["metadata.namespace"] = _s(meta.get("namespace"))
    specific = _SPECIFIC.get((group, kind))
    if specific is not None:
        out.update(specific(obj))
    return out


def _is_namespaced(group: str, kind: str) -> bool:
    info = lookup_kind(group, kind)
    if info is None:
        return (group, kind) not in _CLUSTER_SCOPED
    return info.namespaced
