"""secret volumes (pkg/volume/secret): a Secret's keys as files, on tmpfs.

Invariants:
- Like configMap volumes, with Secret wording: `secret "x" not found`,
  `references non-existent secret key: k`; data values are the decoded bytes.
- The wrapper is a memory-backed emptyDir (tmpfs), so secret bytes never reach the node's
  disk; mounted read-only.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

from steersman.kubelet.envvars import Lookup, secret_not_found
from steersman.kubelet.volumes.atomic_writer import FileProjection
from steersman.kubelet.volumes.empty_dir import MEDIUM_MEMORY
from steersman.kubelet.volumes.interface import VolumeError
from steersman.kubelet.volumes.projection import Payload, ProjectionPlugin, default_mode

Obj = dict[str, Any]


def make_payload(items: Sequence[Obj] | None, secret: Obj, mode: int, optional: bool) -> Payload:
    """secret.MakePayload."""
    data: dict[str, str] = secret.get("data") or {}
    payload: Payload = {}
    if not items:
        for k, v in data.items():
            payload[k] = FileProjection(base64.b64decode(v or ""), mode)
        return payload
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise VolumeError(f"references non-existent secret key: {key}")
        item_mode = item.get("mode")
        payload[item.get("path", "")] = FileProjection(
            base64.b64decode(data[key] or ""), int(item_mode) if item_mode is not None else mode
        )
    return payload


async def secret_payload(
    name: str, source: Obj, namespace: str, mode: int, lookup: Lookup
) -> Payload:
    """Fetch the Secret a (volume or projection) source names and build its payload."""
    optional = bool(source.get("optional"))
    secret = await lookup.get_secret(namespace, name)
    if secret is None:
        if not optional:
            raise VolumeError(secret_not_found(name))
        secret = {}
    return make_payload(source.get("items"), secret, mode, optional)


class SecretPlugin(ProjectionPlugin):
    name: ClassVar[str] = "kubernetes.io/secret"
    source_key: ClassVar[str] = "secret"
    wrapper_medium: ClassVar[str] = MEDIUM_MEMORY

    async def collect(self, pod: Obj, volume: Obj, lookup: Lookup) -> Payload:
        source = volume.get("secret") or {}
        namespace = (pod.get("metadata") or {}).get("namespace") or "default"
        return await secret_payload(
            source.get("secretName", ""), source, namespace, default_mode(source), lookup
        )
