"""downwardAPI volumes (pkg/volume/downwardapi): pod metadata and container resources as files.

Invariants:
- Each item is one file at its cleaned `path` with its `mode` or defaultMode: a fieldRef reads
  metadata (name, namespace, uid, labels, annotations, one label or annotation by key; labels
  and annotations as sorted `k="v"` lines); a resourceFieldRef reads the named container's
  request or limit, unset limits defaulting to the node's allocatable, divided by the divisor
  rounding up.
- Every failing item is reported, aggregated as Kubernetes does; nothing is written then.
- Re-running setup rewrites the files when labels or annotations changed (atomic writer).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from steersman.kubelet.envvars import (
    Lookup,
    extract_container_resource_value,
    extract_field_path_as_string,
    find_container_in_pod,
    merge_container_resource_limits,
)
from steersman.kubelet.volumes.atomic_writer import FileProjection
from steersman.kubelet.volumes.interface import VolumeError, aggregate_message
from steersman.kubelet.volumes.projection import Payload, ProjectionPlugin, default_mode

Obj = dict[str, Any]


def resource_value_with_allocatable(
    field_ref: Obj, pod: Obj, allocatable: Mapping[str, Any]
) -> str:
    """ExtractResourceValueByContainerNameAndNodeAllocatable."""
    container = find_container_in_pod(pod, field_ref.get("containerName", ""))
    return extract_container_resource_value(
        field_ref, merge_container_resource_limits(container, allocatable)
    )


async def collect_data(items: Sequence[Obj], pod: Obj, mode: int, lookup: Lookup) -> Payload:
    """downwardapi.CollectData, raising VolumeError with the aggregated messages."""
    errors: list[str] = []
    payload: Payload = {}
    for item in items:
        path = posixpath.normpath(item.get("path", ""))
        item_mode = item.get("mode")
        content = b""
        try:
            if (ref := item.get("fieldRef")) is not None:
                content = extract_field_path_as_string(pod, ref.get("fieldPath", "")).encode()
            elif (ref := item.get("resourceFieldRef")) is not None:
                allocatable = await lookup.node_allocatable()
                content = resource_value_with_allocatable(ref, pod, allocatable).encode()
        except ValueError as e:
            errors.append(str(e))
        payload[path] = FileProjection(content, int(item_mode) if item_mode is not None else mode)
    if errors:
        raise VolumeError(aggregate_message(errors))
    return payload


class DownwardAPIPlugin(ProjectionPlugin):
    name: ClassVar[str] = "kubernetes.io/downward-api"
    source_key: ClassVar[str] = "downwardAPI"

    async def collect(self, pod: Obj, volume: Obj, lookup: Lookup) -> Payload:
        source = volume.get("downwardAPI") or {}
        return await collect_data(source.get("items") or [], pod, default_mode(source), lookup)
