"""ControllerRefManager: adopt matching orphans and release owned objects that stopped matching
(Kubernetes' controller_ref_manager.go), for any namespaced child resource.

Invariants:
- An object controlled by someone else is never touched; one we control is kept while it
  matches, else released (not while the owner is being deleted).
- An orphan is adopted only if it matches, is not being deleted, lives in the owner's
  namespace, and `can_adopt` (a fresh read of the owner, asked at most once per claim) says the
  owner still exists with the same uid and is not being deleted.
- Every ownership patch names the child's uid, so a replaced child is never touched; a child
  that vanished or changed meanwhile is simply not claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from steersman.api.labels import Selector
from steersman.api.resources import ResourceInfo
from steersman.client.paths import object_path
from steersman.client.rest import ApiStatusError, RestClient
from steersman.controllers.pods import controller_ref, new_controller_ref

Obj = dict[str, Any]
_SMP = "application/strategic-merge-patch+json"


async def owner_can_adopt(client: RestClient, info: ResourceInfo, owner: Obj) -> bool:
    """RecheckDeletionTimestamp: the live owner has the same uid and no deletionTimestamp."""
    meta = owner["metadata"]
    try:
        live: Obj = await client.get(object_path(info, meta.get("namespace", ""), meta["name"]))
    except ApiStatusError as exc:
        if exc.code == 404:
            return False
        raise
    live_meta = live.get("metadata") or {}
    return live_meta.get("uid") == meta.get("uid") and not live_meta.get("deletionTimestamp")


class ControllerRefManager:
    def __init__(
        self,
        client: RestClient,
        *,
        owner: Obj,
        owner_info: ResourceInfo,
        child_info: ResourceInfo,
        selector: Selector,
    ) -> None:
        self.client = client
        self.owner = owner
        self.owner_info = owner_info
        self.child_info = child_info
        self.selector = selector
        self._can_adopt: bool | None = None

    async def can_adopt(self) -> bool:
        if self._can_adopt is None:
            self._can_adopt = await owner_can_adopt(self.client, self.owner_info, self.owner)
        return self._can_adopt

    async def claim(
        self, objects: Iterable[Obj], match: Callable[[Obj], bool] | None = None
    ) -> list[Obj]:
        owner_meta = self.owner["metadata"]
        uid = owner_meta.get("uid")
        deleting = bool(owner_meta.get("deletionTimestamp"))
        claimed: list[Obj] = []
        for obj in objects:
            meta = obj.get("metadata") or {}
            matches = self.selector.matches(meta.get("labels") or {}) and (
                match is None or match(obj)
            )
            ref = controller_ref(obj)
            if ref is not None:
                if ref.get("uid") != uid:
                    continue
                if matches:
                    claimed.append(obj)
                elif not deleting:
                    await self._release(obj)
                continue
            if deleting or not matches or meta.get("deletionTimestamp"):
                continue
            if meta.get("namespace", "") != owner_meta.get("namespace", ""):
                continue
            if await self._adopt(obj):
                claimed.append(obj)
        return claimed

    async def _adopt(self, obj: Obj) -> bool:
        if not await self.can_adopt():
            return False
        ref = new_controller_ref(self.owner, self.owner_info.api_version, self.owner_info.kind)
        return await self._patch(obj, {"ownerReferences": [ref]})

    async def _release(self, obj: Obj) -> None:
        uid = self.owner["metadata"].get("uid")
        await self._patch(obj, {"ownerReferences": [{"$patch": "delete", "uid": uid}]})

    async def _patch(self, obj: Obj, meta_patch: Obj) -> bool:
        meta = obj["metadata"]
        body = {"metadata": dict(meta_patch, uid=meta["uid"])}
        try:
            await self.client.patch(
                object_path(self.child_info, meta.get("namespace", ""), meta["name"]),
                body,
                patch_type=_SMP,
            )
        except ApiStatusError as exc:
            # Gone, replaced (uid precondition) or no longer ours to change: not claimed.
            if exc.code in (404, 409, 422):
                return False
            raise
        return True
