"""configMap volumes (pkg/volume/configmap): a ConfigMap's keys as files.

Invariants:
- Without `items`, every key of data and binaryData becomes a file named after it with
  defaultMode (0644 unless set); with `items`, only those keys, at their `path`, with their
  `mode` or defaultMode. A listed key the ConfigMap lacks fails setup
  (`configmap references non-existent config key: k`) unless the volume is optional.
- A missing ConfigMap fails setup with `configmap "x" not found` unless optional, in which case
  the volume is projected empty.
- Files are projected with the atomic writer into a plain 0777 directory; mounted read-only.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

from steersman.kubelet.envvars import Lookup, configmap_not_found
from steersman.kubelet.volumes.atomic_writer import FileProjection
from steersman.kubelet.volumes.interface import VolumeError
from steersman.kubelet.volumes.projection import Payload, ProjectionPlugin, default_mode

Obj = dict[str, Any]


def make_payload(items: Sequence[Obj] | None, configmap: Obj, mode: int, optional: bool) -> Payload:
    """configmap.MakePayload."""
    data: dict[str, str] = configmap.get("data") or {}
    binary: dict[str, str] = configmap.get("binaryData") or {}
    payload: Payload = {}
    if not items:
        for k, v in data.items():
            payload[k] = FileProjection(v.encode(), mode)
        for k, v in binary.items():
            payload[k] = FileProjection(base64.b64decode(v), mode)
        return payload
    for item in items:
        key = item.get("key", "")
        if key in data:
            content = data[key].encode()
        elif key in binary:
            content = base64.b64decode(binary[key])
        elif optional:
            continue
        else:
            raise VolumeError(f"configmap references non-existent config key: {key}")
        item_mode = item.get("mode")
        payload[item.get("path", "")] = FileProjection(
            content, int(item_mode) if item_mode is not None else mode
        )
    return payload


async def configmap_payload(source: Obj, namespace: str, mode: int, lookup: Lookup) -> Payload:
    """Fetch the ConfigMap a (volume or projection) source names and build its payload."""
    name = source.get("name", "")
    optional = bool(source.get("optional"))
    configmap = await lookup.get_configmap(namespace, name)
    if configmap is None:
        if not optional:
            raise VolumeError(configmap_not_found(name))
        configmap = {}
    return make_payload(source.get("items"), configmap, mode, optional)


class ConfigMapPlugin(ProjectionPlugin):
    name: ClassVar[str] = "kubernetes.io/configmap"
    source_key: ClassVar[str] = "configMap"

    async def collect(self, pod: Obj, volume: Obj, lookup: Lookup) -> Payload:
        source = volume.get("configMap") or {}
        namespace = (pod.get("metadata") or {}).get("namespace") or "default"
        return await configmap_payload(source, namespace, default_mode(source), lookup)
