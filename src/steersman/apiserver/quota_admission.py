"""ResourceQuota admission: what the registry runs before writing a namespaced object.

Invariants:
- A create, or an update of a resource whose usage an update can grow (services,
  persistentvolumeclaims), that would exceed a quota of its namespace is refused with 403 in
  Kubernetes' wording and writes nothing.
- Otherwise every quota it counts against is charged (status.used raised) before the object
  is written, each with a compare-and-swap on the quota; a conflict re-reads the quotas and
  decides again (three tries, then 409). An update is charged only its growth.
- ResourceQuotas themselves and the server's internal writes are not admitted here (the
  registry does not call in for them).
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors, quota
from steersman.api.resources import ResourceInfo
from steersman.apiserver import codec
from steersman.storage.interface import ConflictError, Store

_TRIES = 3


def charges_updates(info: ResourceInfo) -> bool:
    """Whether an update of this resource can change its quota usage."""
    return quota.evaluator_for(info.group_resource).handles(quota.UPDATE)


async def admit(
    store: Store,
    info: ResourceInfo,
    namespace: str,
    obj: dict[str, Any],
    *,
    dry_run: bool,
    old: dict[str, Any] | None = None,
) -> None:
    """Admit `obj` (a create, or with `old` an update) against the namespace's quotas."""
    prefix = f"/registry/resourcequotas/{namespace}/"
    for _ in range(_TRIES):
        # From the cache, as Kubernetes' quota admission reads its informer; the charge below
        # is a compare-and-swap on the quota, so a stale read only costs a retry.
        listed = await store.list(prefix, consistent=False)
        if not listed.items:
            return
        quotas = [codec.decode(kv) for kv in listed.items]
        decision = quota.admit(quotas, obj, old, group_resource=info.group_resource)
        if decision.error is not None:
            raise errors.forbidden_error(
                info.resource, obj["metadata"].get("name", ""), decision.error, info.group
            )
        if dry_run or not decision.updated:
            return
        read = {q["metadata"]["name"]: kv for q, kv in zip(quotas, listed.items, strict=True)}
        try:
            for updated in decision.updated:
                kv = read[updated["metadata"]["name"]]
                await store.update(
                    kv.key, codec.encode_for_storage(updated), expected_revision=kv.mod_revision
                )
        except ConflictError:
            continue
        return
    raise errors.conflict_error(
        "resourcequotas", "", "Operation cannot be fulfilled: quota changed under the request"
    )
