"""API discovery documents: /api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>.

Serves the shapes a v1.36 kube-apiserver serves, built from the resource table
(`steersman.api.resources`), in both formats clients ask for:

- the unaggregated format (APIVersions, APIGroupList, APIGroup, APIResourceList), and
- aggregated discovery (apidiscovery.k8s.io APIGroupDiscoveryList, v2 and v2beta1), which
  kubectl >= 1.30 and client-go ask for first on /api and /apis.

Invariants:
- Pure data: no I/O. Everything is derived from `RESOURCES`/`GROUP_ORDER`, so every resource
  in the table is discoverable and nothing else is.
- Groups come in `GROUP_ORDER`; resources in an APIResourceList are sorted by name, so a
  subresource (`pods/status`) follows its parent, as kube-apiserver lists them.
- Verbs are listed as the table gives them (already sorted like Kubernetes sorts them).
- Documents are rebuilt on every call (they are small); the serialized aggregated documents
  and their ETags are computed once (`aggregated_discovery_bytes`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

import orjson

from steersman.api.resources import GROUP_ORDER, RESOURCES, ResourceInfo, by_group_version

DISCOVERY_GROUP = "apidiscovery.k8s.io"
DISCOVERY_VERSIONS = ("v2", "v2beta1")
DISCOVERY_KIND = "APIGroupDiscoveryList"
JSON = "application/json"

# Resources with no storage of their own (no storageVersionHash in discovery).
_NO_STORAGE: frozenset[tuple[str, str]] = frozenset({("", "bindings")})


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """The opaque hash kube-apiserver publishes: base64(sha256("<group>/<version>/<kind>")[:8])."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _group_versions(group: str) -> list[str]:
    """Versions served for a group, preferred version first."""
    versions: list[str] = []
    for info in RESOURCES:
        if info.group == group and info.version not in versions:
            versions.append(info.version)
    return versions


def _served_groups() -> list[str]:
    served = {info.group for info in RESOURCES}
    ordered = [g for g in GROUP_ORDER if g in served]
    # A group missing from GROUP_ORDER is still served, after the ordered ones.
    ordered += sorted(served - set(ordered))
    return ordered


def _gv_for_discovery(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": f"{group}/{version}" if group else version, "version": version}


def api_versions(*, server_address: str = "127.0.0.1:6443") -> dict[str, Any]:
    """GET /api (kind APIVersions; this kind carries no apiVersion, as upstream)."""
    return {
        "kind": "APIVersions",
        "versions": _group_versions(""),
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _api_group_body(group: str) -> dict[str, Any]:
    versions = [_gv_for_discovery(group, v) for v in _group_versions(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    """GET /apis: every named group (the legacy core group lives at /api)."""
    groups = [_api_group_body(g) for g in _served_groups() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    """GET /apis/<group>, or None (404) for an unknown group."""
    if not group or group not in _served_groups():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group_body(group)}


def _resource_entry(info: ResourceInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": info.resource,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    if (info.group, info.resource) not in _NO_STORAGE:
        # From the stored group/version/kind: events.k8s.io Events hash as core v1 Events.
        entry["storageVersionHash"] = storage_version_hash(
            info.stored_group, info.stored_version, info.kind
        )
    return entry


def _subresource_entries(info: ResourceInfo) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sub in info.subresources:
        entry: dict[str, Any] = {
            "name": f"{info.resource}/{sub.name}",
            # Since 1.27 subresources publish an empty singular name.
            "singularName": "",
            "namespaced": info.namespaced,
        }
        if sub.group or sub.version:
            # Only a subresource whose kind lives in another group-version says so (scale).
            entry["group"] = sub.group
            entry["version"] = sub.version
        entry["kind"] = sub.kind or info.kind
        entry["verbs"] = list(sub.verbs)
        out.append(entry)
    return out


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    """GET /api/v1 or /apis/<group>/<version>, or None (404) for an unknown group-version."""
    gv = f"{group}/{version}" if group else version
    infos = by_group_version().get(gv)
    if not infos:
        return None
    entries: list[dict[str, Any]] = []
    for info in infos:
        entries.append(_resource_entry(info))
        entries.extend(_subresource_entries(info))
    entries.sort(key=lambda e: e["name"])
    doc: dict[str, Any] = {"kind": "APIResourceList"}
    if group:
        # The legacy group's list is written without apiVersion; named groups carry "v1".
        doc["apiVersion"] = "v1"
    doc["groupVersion"] = gv
    doc["resources"] = entries
    return doc


# ---- aggregated discovery (apidiscovery.k8s.io) ----


def _response_kind(group: str, version: str, kind: str) -> dict[str, str]:
    # Empty group/version mean "the group-version of the enclosing resource list".
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(info: ResourceInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": info.resource,
        "responseKind": _response_kind("", "", info.kind),
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    subs = sorted(info.subresources, key=lambda s: s.name)
    if subs:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": _response_kind(sub.group, sub.version, sub.kind or info.kind),
                "verbs": list(sub.verbs),
            }
            for sub in subs
        ]
    return entry


def _aggregated_group(group: str) -> dict[str, Any]:
    versions = []
    for version in _group_versions(group):
        infos = sorted(
            by_group_version()[f"{group}/{version}" if group else version], key=lambda i: i.resource
        )
        versions.append(
            {
                "version": version,
                "resources": [_aggregated_resource(i) for i in infos],
                "freshness": "Current",
            }
        )
    metadata: dict[str, Any] = {"creationTimestamp": None}
    if group:
        metadata = {"name": group, "creationTimestamp": None}
    return {"metadata": metadata, "versions": versions}


def aggregated_discovery(legacy: bool, version: str = "v2") -> dict[str, Any]:
    """The APIGroupDiscoveryList for /api (legacy=True: the core group) or /apis."""
    if version not in DISCOVERY_VERSIONS:
        raise ValueError(f"unsupported aggregated discovery version {version!r}")
    groups = [""] if legacy else [g for g in _served_groups() if g]
    return {
        "kind": DISCOVERY_KIND,
        "apiVersion": f"{DISCOVERY_GROUP}/{version}",
        "metadata": {},
        "items": [_aggregated_group(g) for g in groups],
    }


@functools.cache
def aggregated_discovery_bytes(legacy: bool, version: str = "v2") -> tuple[bytes, str]:
    """Serialized `aggregated_discovery` and its ETag value (hex sha512, unquoted), cached."""
    body = orjson.dumps(aggregated_discovery(legacy, version))
    return body, hashlib.sha512(body).hexdigest().upper()


def discovery_content_type(version: str) -> str:
    """The Content-Type kube-apiserver answers aggregated discovery with."""
    return f"{JSON};g={DISCOVERY_GROUP};v={version};as={DISCOVERY_KIND}"


def _parse_alternative(text: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in text.split(";")]
    params: dict[str, str] = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def _quality(params: dict[str, str]) -> float:
    try:
        return float(params.get("q", "1"))
    except ValueError:
        return 0.0


def negotiate_discovery(accept_header: str) -> tuple[str, str] | None:
    """Pick the discovery format for /api or /apis from the Accept header.

    Returns (apidiscovery version, Content-Type to answer with) when the client prefers
    aggregated discovery, or None for the plain format (APIVersions / APIGroupList).
    Alternatives are tried by quality, then by how specific they are (as Kubernetes'
    negotiation does); among equals the header order wins. An unknown `as=`/`g=`/`v=`
    combination is skipped, like any alternative the server cannot produce.
    """
    candidates: list[tuple[float, int, int, str, dict[str, str]]] = []
    for index, alternative in enumerate(accept_header.split(",")):
        if not alternative.strip():
            continue
        media, params = _parse_alternative(alternative)
        q = _quality(params)
        if q <= 0:
            continue
        specificity = 0 if media == "*/*" else (1 if media.endswith("/*") else 2)
        candidates.append((-q, -specificity, index, media, params))
    for _, _, _, media, params in sorted(candidates):
        if media not in (JSON, "application/*", "*/*"):
            continue
        as_kind = params.get("as")
        if as_kind is None:
            return None  # plain JSON wins
        if (
            media == JSON
            and as_kind == DISCOVERY_KIND
            and params.get("g") == DISCOVERY_GROUP
            and params.get("v") in DISCOVERY_VERSIONS
        ):
            version = params["v"]
            return version, discovery_content_type(version)
    return None
