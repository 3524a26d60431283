"""Binding a pod to a node (pods/binding and the bindings resource), as the scheduler does.

Invariants: a pod is bound at most once — binding a pod that already has spec.nodeName is
409 Conflict; binding sets spec.nodeName and the PodScheduled=True condition in one write.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.apiserver import codec
from steersman.apiserver.objects import deep_copy, now_rfc3339
from steersman.apiserver.registry import Registry, WriteOptions
from steersman.storage.interface import ConflictError


async def bind_pod(
    pods: Registry, namespace: str, name: str, binding: dict[str, Any], opts: WriteOptions
) -> dict[str, Any]:
    target = binding.get("target") or {}
    node = target.get("name") or ""
    if not node:
        raise errors.invalid_error("Binding", name, [errors.required("target.name", "")])
    if target.get("kind") not in (None, "", "Node"):
        raise errors.invalid_error(
            "Binding",
            name,
            [errors.not_supported("target.kind", target.get("kind"), ["Node", "<empty>"])],
        )
    uid = ((binding.get("metadata") or {}).get("uid")) or None
    for _ in range(16):
        kv = await pods.get_kv(namespace, name)
        pod = codec.decode(kv)
        meta = pod["metadata"]
        if uid and uid != meta.get("uid"):
            raise errors.conflict_error(
                "pods/binding",
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.get('uid')}",
            )
        if meta.get("deletionTimestamp"):
            raise errors.conflict_error(
                "pods/binding", name, f"pod {name} is being deleted, cannot be assigned to a host"
            )
        current = (pod.get("spec") or {}).get("nodeName")
        if current:
            raise errors.conflict_error(
                "pods/binding", name, f'pod {name} is already assigned to node "{current}"'
            )
        new = deep_copy(pod)
        new["spec"]["nodeName"] = node
        annotations = (binding.get("metadata") or {}).get("annotations")
        if annotations:
            new["metadata"].setdefault("annotations", {}).update(annotations)
        status = new.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": now_rfc3339(),
            }
        )
        status["conditions"] = conditions
        try:
            # A binding writes spec and status together: bypass the main-resource status reset.
            return await pods.update_from(kv, new, opts, subresource="binding")
        except ConflictError:
            continue
    raise errors.conflict_error("pods/binding", name, errors.OPTIMISTIC_LOCK_MESSAGE)
