"""projected volumes (pkg/volume/projected): several sources merged into one directory, on tmpfs.

Invariants:
- Sources are applied in order (a later file at the same path wins): configMap and secret as
  their own plugins (missing optional ones contribute nothing), downwardAPI items, and
  serviceAccountToken, whose token comes from `Lookup.service_account_token` (audience, if set,
  as the only audience; expirationSeconds; bound to the pod). When that returns None the token
  file is left out and setup goes on: the caller, who answered None, knows.
- A token file gets defaultMode, or 0600 when the pod has an fsGroup (ownership then adds
  g+r, giving 0640), as Kubernetes does.
- Errors of all sources are collected and reported together, as Kubernetes aggregates them.
- clusterTrustBundle and podCertificate sources are not supported and contribute nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from steersman.kubelet.envvars import Lookup
from steersman.kubelet.volumes.atomic_writer import FileProjection
from steersman.kubelet.volumes.configmap import configmap_payload
from steersman.kubelet.volumes.downward_api import collect_data
from steersman.kubelet.volumes.empty_dir import MEDIUM_MEMORY
from steersman.kubelet.volumes.interface import VolumeError, aggregate_message, fs_group
from steersman.kubelet.volumes.projection import Payload, ProjectionPlugin, default_mode
from steersman.kubelet.volumes.secret import secret_payload

Obj = dict[str, Any]


async def collect_projected(pod: Obj, source: Obj, lookup: Lookup) -> Payload:
    """projectedVolumeMounter.collectData."""
    mode = default_mode(source)
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    errors: list[str] = []
    payload: Payload = {}
    for src in source.get("sources") or []:
        try:
            if (s := src.get("secret")) is not None:
                payload.update(await secret_payload(s.get("name", ""), s, namespace, mode, lookup))
            elif (c := src.get("configMap")) is not None:
                payload.update(await configmap_payload(c, namespace, mode, lookup))
            elif (d := src.get("downwardAPI")) is not None:
                payload.update(await collect_data(d.get("items") or [], pod, mode, lookup))
            elif (t := src.get("serviceAccountToken")) is not None:
                token = await _token(pod, t, lookup)
                if token is not None:
                    file_mode = 0o600 if fs_group(pod) is not None else mode
                    payload[t.get("path", "")] = FileProjection(token.encode(), file_mode)
        except VolumeError as e:
            errors.append(str(e))
    if errors:
        raise VolumeError(aggregate_message(errors))
    return payload


async def _token(pod: Obj, projection: Obj, lookup: Lookup) -> str | None:
    audience = projection.get("audience") or ""
    expiration = projection.get("expirationSeconds")
    return await lookup.service_account_token(
        pod,
        audiences=[audience] if audience else [],
        expiration_seconds=int(expiration) if expiration is not None else None,
    )


class ProjectedPlugin(ProjectionPlugin):
    name: ClassVar[str] = "kubernetes.io/projected"
    source_key: ClassVar[str] = "projected"
    wrapper_medium: ClassVar[str] = MEDIUM_MEMORY

    async def collect(self, pod: Obj, volume: Obj, lookup: Lookup) -> Payload:
        return await collect_projected(pod, volume.get("projected") or {}, lookup)
