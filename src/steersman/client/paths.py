"""REST paths for built-in resources (`/api/v1/...`, `/apis/<group>/<version>/...`).

Invariant: pure string building from `ResourceInfo`; a cluster-scoped resource never gets a
`namespaces/<ns>` segment, whatever namespace the caller passes.
"""

from __future__ import annotations

from steersman.api.resources import ResourceInfo


def group_version_prefix(info: ResourceInfo) -> str:
    return "/api/v1" if not info.group else f"/apis/{info.group}/{info.version}"


def collection_path(info: ResourceInfo, namespace: str = "") -> str:
    """Collection path: all namespaces when `namespace` is empty."""
    prefix = group_version_prefix(info)
    if info.namespaced and namespace:
        return f"{prefix}/namespaces/{namespace}/{info.resource}"
    return f"{prefix}/{info.resource}"


def object_path(info: ResourceInfo, namespace: str, name: str, subresource: str = "") -> str:
    path = f"{collection_path(info, namespace)}/{name}"
    return f"{path}/{subresource}" if subresource else path
