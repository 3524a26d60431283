"""The generic registry: create/get/list/update/patch/delete for every resource.

One `Registry` per resource; per-resource differences come from its `Strategy`. This is
Kubernetes' generic `Store` (k8s.io/apiserver/pkg/registry/generic/registry) in Python.

Invariants:
- Only this module (and watch.py) touch storage for resources; each write is a single
  compare-and-swap against the revision that was read, so concurrent writers never lose
  updates: a client-supplied resourceVersion that is stale is 409 Conflict; without one the
  write is retried on a fresh read.
- Validation and admission run before any write; a failed request writes nothing.
  ResourceQuota admission charges creates, and updates of the resources whose usage an
  update can grow (services, persistentvolumeclaims), before the object is written.
- Updates that change nothing do not write (the resourceVersion stays).
- An object with deletionTimestamp, no finalizers and no grace left is removed.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from steersman.api import errors
from steersman.api.defaults import apply_defaults
from steersman.api.resources import ResourceInfo
from steersman.apiserver import codec, quota_admission
from steersman.apiserver.objects import deep_copy, now_rfc3339, without_volatile_meta
from steersman.apiserver.strategies.base import Strategy
from steersman.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
)

if TYPE_CHECKING:
    from steersman.apiserver.selection import Selection

_MAX_RETRIES = 16
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(slots=True)
class ListResult:
    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str = ""
    remaining: int | None = None


@dataclass(slots=True)
class WriteOptions:
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    # The server's own bootstrap writes (e.g. loopback endpoints of `kubernetes`) skip validation.
    internal: bool = False


class Registry:
    def __init__(
        self, info: ResourceInfo, strategy: Strategy, store: Store, namespaces: NamespaceLifecycle
    ) -> None:
        self.info = info
        self.strategy = strategy
        self.store = store
        self.namespaces = namespaces
        # Whether updates can change quota usage (services, persistentvolumeclaims).
        self._quota_on_update = info.namespaced and quota_admission.charges_updates(info)

    # -- reads --------------------------------------------------------------
    async def get_kv(self, namespace: str, name: str, *, revision: int = 0) -> KeyValue:
        try:
            kv = await self.store.get(self.strategy.key(namespace, name), revision=revision)
        except CompactedError as exc:
            raise errors.gone_error(
                f"too old resource version: {exc.requested} ({exc.compacted})"
            ) from None
        except FutureRevisionError as exc:
            raise _too_large_rv(exc.requested, exc.current) from None
        if kv is None:
            raise self.not_found(name)
        return kv

    async def get(self, namespace: str, name: str, *, resource_version: str = "") -> dict[str, Any]:
        revision = 0
        if resource_version not in ("", "0"):
            # A get at resourceVersion N means "not older than N": serve the latest.
            rv = codec.parse_resource_version(resource_version)
            if rv > self.store.current_revision():
                raise _too_large_rv(rv, self.store.current_revision())
        return codec.decode(await self.get_kv(namespace, name, revision=revision))

    async def list(
        self,
        namespace: str,
        selection: Selection,
        *,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> ListResult:
        prefix = self.strategy.list_prefix(namespace)
        revision = 0
        start: str | None = None
        if continue_token:
            if resource_version not in ("", "0"):
                raise errors.bad_request_error(
                    "specifying resource version is not allowed when using continue"
                )
            revision, start = codec.decode_continue(continue_token, prefix)
        elif resource_version_match == "Exact":
            if resource_version in ("", "0"):
                raise errors.bad_request_error(
                    'resourceVersionMatch "Exact" is forbidden for resourceVersion "" or "0"'
                )
            revision = codec.parse_resource_version(resource_version)
        elif resource_version_match not in ("", "NotOlderThan"):
            raise errors.bad_request_error(
                f'resourceVersionMatch: Unsupported value: "{resource_version_match}": supported values: "Exact", "NotOlderThan"'
            )
        elif resource_version not in ("", "0"):
            rv = codec.parse_resource_version(resource_version)
            if rv > self.store.current_revision():
                raise _too_large_rv(rv, self.store.current_revision())
        try:
            return await self._list_pages(
                prefix, selection, revision=revision, start=start, limit=limit
            )
        except CompactedError as exc:
            if continue_token:
                raise errors.gone_error(
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter."
                ) from None
            raise errors.gone_error(
                f"too old resource version: {exc.requested} ({exc.compacted})"
            ) from None
        except FutureRevisionError as exc:
            raise _too_large_rv(exc.requested, exc.current) from None

    async def _list_pages(
        self, prefix: str, selection: Selection, *, revision: int, start: str | None, limit: int
    ) -> ListResult:
        filtering = not selection.everything
        items: list[dict[str, Any]] = []
        if limit <= 0:
            res = await self.store.list(prefix, revision=revision, start_key=start)
            for kv in res.items:
                obj = codec.decode(kv)
                if not filtering or selection.matches(obj):
                    items.append(obj)
            return ListResult(items, str(res.revision))
        batch = limit if not filtering else max(limit, 256)
        while True:
            res = await self.store.list(prefix, revision=revision, limit=batch, start_key=start)
            revision = res.revision
            for i, kv in enumerate(res.items):
                obj = codec.decode(kv)
                if filtering and not selection.matches(obj):
                    continue
                items.append(obj)
                if len(items) == limit:
                    more = i + 1 < len(res.items) or res.continue_key is not None
                    if not more:
                        return ListResult(items, str(revision))
                    token = codec.encode_continue(revision, kv.key + "\x00", prefix)
                    remaining = None
                    if not filtering:
                        remaining = (len(res.items) - i - 1) + res.remaining
                    return ListResult(items, str(revision), token, remaining)
            if res.continue_key is None:
                return ListResult(items, str(revision))
            start = res.continue_key

    # -- create -------------------------------------------------------------
    async def create(
        self, namespace: str, obj: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request_error("metadata must be an object")
        self._check_namespace_of_body(namespace, meta)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice(_NAME_CHARS) for _ in range(5)
            )
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        for volatile in (
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ):
            meta.pop(volatile, None)
        self.strategy.prepare_for_create(obj)
        apply_defaults(self.info.group, self.info.kind, obj)
        _drop_empty_meta(meta)
        errs = [] if opts.internal else self.strategy.validate(obj)
        if errs:
            raise errors.invalid_error(self.info.kind, meta.get("name", ""), errs, self.info.group)
        if self.info.namespaced:
            await self.namespaces.check_can_create(namespace)
            if self.info.resource != "resourcequotas" and not opts.internal:
                await quota_admission.admit(
                    self.store, self.info, namespace, obj, dry_run=opts.dry_run
                )
        await self.strategy.before_create(obj, dry_run=opts.dry_run)
        if opts.dry_run:
            return obj
        try:
            kv = await self.store.create(
                self.strategy.key(namespace, meta["name"]), codec.encode_for_storage(obj)
            )
        except KeyExistsError:
            await self.strategy.after_create_failed(obj)
            raise errors.already_exists_error(
                self.info.resource, meta["name"], self.info.group
            ) from None
        except BaseException:
            await self.strategy.after_create_failed(obj)
            raise
        return codec.decode(kv)

    def _check_namespace_of_body(self, namespace: str, meta: dict[str, Any]) -> None:
        if self.info.namespaced:
            body_ns = meta.get("namespace") or ""
            if body_ns and body_ns != namespace:
                raise errors.bad_request_error(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)

    # -- update -------------------------------------------------------------
    async def update(
        self,
        namespace: str,
        name: str,
        body: dict[str, Any],
        opts: WriteOptions,
        *,
        subresource: str = "",
    ) -> tuple[dict[str, Any], bool]:
        """PUT. Returns (object, created)."""
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request_error("metadata must be an object")
        body_name = meta.get("name") or ""
        if body_name != name:
            raise errors.bad_request_error(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        self._check_namespace_of_body(namespace, meta)
        rv_text = meta.get("resourceVersion") or ""
        expected = codec.parse_resource_version(rv_text) if rv_text else 0
        for _ in range(_MAX_RETRIES):
            kv = await self.store.get(self.strategy.key(namespace, name))
            if kv is None:
                if self.strategy.allow_create_on_update and not subresource:
                    if expected:
                        raise self.not_found(name)
                    created = await self.create(namespace, deep_copy(body), opts)
                    return created, True
                raise self.not_found(name)
            if expected and expected != kv.mod_revision:
                raise self.conflict(name)
            try:
                return await self.update_from(
                    kv, deep_copy(body), opts, subresource=subresource
                ), False
            except ConflictError:
                if expected:
                    raise self.conflict(name) from None
        raise self.conflict(name)

    async def update_from(
        self, kv: KeyValue, new: dict[str, Any], opts: WriteOptions, *, subresource: str = ""
    ) -> dict[str, Any]:
        """Write `new` over the stored `kv` (CAS on kv's revision). Raises storage
        ConflictError if the object changed since `kv` was read."""
        old = codec.decode(kv)
        old_meta = old["metadata"]
        meta = new.setdefault("metadata", {})
        uid = meta.get("uid")
        if uid and uid != old_meta.get("uid"):
            raise errors.ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {self.info.group_resource} "{old_meta["name"]}": Precondition failed: UID in precondition: {uid}, UID in object meta: {old_meta.get("uid")}',
                {"name": old_meta["name"], "group": self.info.group, "kind": self.info.resource}
                if self.info.group
                else {"name": old_meta["name"], "kind": self.info.resource},
            )
        # System-owned metadata survives every update.
        for k in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
            "name",
        ):
            if k in old_meta:
                meta[k] = old_meta[k]
            else:
                meta.pop(k, None)
        meta.pop("selfLink", None)
        if "generation" in old_meta:
            meta["generation"] = old_meta["generation"]
        if subresource == "status":
            self.strategy.prepare_for_status_update(new, old)
            if "generation" in old_meta:
                new["metadata"]["generation"] = old_meta["generation"]
        elif subresource == "binding":
            pass  # binding writes spec.nodeName and a condition directly, as Kubernetes does
        elif subresource == "finalize":
            self.strategy.prepare_for_finalize(new, old)
        else:
            self.strategy.prepare_for_update(new, old)
        apply_defaults(self.info.group, self.info.kind, new)
        _drop_empty_meta(new["metadata"])
        errs = (
            []
            if subresource == "binding" or opts.internal
            else self.strategy.validate_update(new, old)
        )
        if errs:
            raise errors.invalid_error(self.info.kind, old_meta["name"], errs, self.info.group)
        if self.strategy.should_delete_on_update(new):
            # The last finalizer is gone: the object goes away now.
            if opts.dry_run:
                return new
            deleted = await self.store.delete(kv.key, expected_revision=kv.mod_revision)
            await self.strategy.after_delete(old)
            return codec.decode(deleted)
        if without_volatile_meta(new) == without_volatile_meta(old):
            return old
        if not subresource and not opts.internal and self._quota_on_update:
            await quota_admission.admit(
                self.store,
                self.info,
                old_meta.get("namespace", ""),
                new,
                dry_run=opts.dry_run,
                old=old,
            )
        await self.strategy.before_update(new, old, dry_run=opts.dry_run)
        if opts.dry_run:
            new["metadata"]["resourceVersion"] = str(kv.mod_revision)
            return new
        try:
            written = await self.store.update(
                kv.key, codec.encode_for_storage(new), expected_revision=kv.mod_revision
            )
        except KeyNotFoundError:
            await self.strategy.after_update_failed(new, old)
            raise self.not_found(old_meta["name"]) from None
        except BaseException:
            await self.strategy.after_update_failed(new, old)
            raise
        await self.strategy.after_update(new, old)
        return codec.decode(written)

    # -- delete -------------------------------------------------------------
    async def delete(
        self, namespace: str, name: str, options: dict[str, Any], opts: WriteOptions
    ) -> tuple[dict[str, Any], int]:
        """DELETE. Returns (body, http status): 200 when gone, 202 when deletion is pending."""
        key = self.strategy.key(namespace, name)
        preconditions = options.get("preconditions") or {}
        policy = options.get("propagationPolicy")
        if policy is None and options.get("orphanDependents") is not None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise errors.invalid_error(
                "DeleteOptions",
                "",
                [
                    errors.not_supported(
                        "propagationPolicy", policy, ["Foreground", "Background", "Orphan", "nil"]
                    )
                ],
            )
        grace_requested = options.get("gracePeriodSeconds")
        for _ in range(_MAX_RETRIES):
            kv = await self.store.get(key)
            if kv is None:
                raise self.not_found(name)
            old = codec.decode(kv)
            old_meta = old["metadata"]
            self._check_delete_preconditions(name, old_meta, preconditions)
            finalizers = list(old_meta.get("finalizers") or [])
            wanted = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(policy or "")
            if policy is not None:
                finalizers = [f for f in finalizers if f not in ("orphan", "foregroundDeletion")]
                if wanted:
                    finalizers.append(wanted)
            grace = self.strategy.graceful_delete_seconds(old, grace_requested)
            pending = bool(finalizers) or grace > 0 or self.strategy.has_pending_finalizers(old)
            if old_meta.get("deletionTimestamp"):
                current_grace = old_meta.get("deletionGracePeriodSeconds") or 0
                if not pending or (grace == 0 and current_grace > 0 and not finalizers):
                    pass  # fall through to removal
                elif grace < current_grace or finalizers != list(old_meta.get("finalizers") or []):
                    pass  # shorten the grace period / update finalizers below
                else:
                    return old, 202
            if pending:
                new = deep_copy(old)
                meta = new["metadata"]
                if not meta.get("deletionTimestamp") or grace < (
                    meta.get("deletionGracePeriodSeconds") or 0
                ):
                    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=grace)
                    meta["deletionTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
                    meta["deletionGracePeriodSeconds"] = grace
                if finalizers:
                    meta["finalizers"] = finalizers
                else:
                    meta.pop("finalizers", None)
                if self.strategy.tracks_generation and not old_meta.get("deletionTimestamp"):
                    meta["generation"] = (meta.get("generation") or 1) + 1
                self.strategy.on_deletion_started(new)
                if opts.dry_run:
                    return new, 202
                try:
                    written = await self.store.update(
                        key, codec.encode_for_storage(new), expected_revision=kv.mod_revision
                    )
                except ConflictError:
                    continue
                return codec.decode(written), 202
            if opts.dry_run:
                return self._deleted_body(old), 200
            try:
                deleted = await self.store.delete(key, expected_revision=kv.mod_revision)
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise self.not_found(name) from None
            await self.strategy.after_delete(old)
            return self._deleted_body(codec.decode(deleted)), 200
        raise self.conflict(name)

    def _deleted_body(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.strategy.return_deleted_object:
            return obj
        details: dict[str, Any] = {"name": obj["metadata"]["name"]}
        if self.info.group:
            details["group"] = self.info.group
        details["kind"] = self.info.resource
        details["uid"] = obj["metadata"].get("uid", "")
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }

    def _check_delete_preconditions(
        self, name: str, meta: dict[str, Any], pre: dict[str, Any]
    ) -> None:
        uid = pre.get("uid")
        if uid and uid != meta.get("uid"):
            raise errors.conflict_error(
                self.info.resource,
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.get('uid')}",
                self.info.group,
            )
        rv = pre.get("resourceVersion")
        if rv and rv != meta.get("resourceVersion"):
            raise errors.conflict_error(
                self.info.resource,
                name,
                f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {meta.get('resourceVersion')}",
                self.info.group,
            )

    async def delete_collection(
        self, namespace: str, selection: Selection, options: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        listed = await self.list(namespace, selection)
        deleted: list[dict[str, Any]] = []
        for obj in listed.items:
            meta = obj["metadata"]
            try:
                body, _ = await self.delete(meta.get("namespace", ""), meta["name"], options, opts)
            except errors.ApiError as exc:
                if exc.code == 404:
                    continue
                raise
            if body.get("kind") != "Status":
                deleted.append(body)
            else:
                deleted.append(obj)
        return {
            "kind": self.info.list_kind,
            "apiVersion": self.info.group_version,
            "metadata": {"resourceVersion": str(self.store.current_revision())},
            "items": deleted,
        }

    # -- errors -------------------------------------------------------------
    def not_found(self, name: str) -> errors.ApiError:
        return errors.not_found_error(self.info.resource, name, self.info.group)

    def conflict(self, name: str) -> errors.ApiError:
        return errors.conflict_error(
            self.info.resource, name, errors.OPTIMISTIC_LOCK_MESSAGE, self.info.group
        )


_OMIT_EMPTY_META = (
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "generateName",
)


def _drop_empty_meta(meta: dict[str, Any]) -> None:
    """Go's omitempty: empty metadata maps and lists are not stored."""
    for k in _OMIT_EMPTY_META:
        if k in meta and not meta[k]:
            del meta[k]


def _too_large_rv(requested: int, current: int) -> errors.ApiError:
    return errors.ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
    )


class NamespaceLifecycle:
    """Admission: objects only go into namespaces that exist and are not terminating."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def check_can_create(self, namespace: str) -> None:
        key = f"/registry/namespaces/{namespace}"
        # As Kubernetes' admission plugin: the cache first, a live lookup only if it misses
        # (a namespace just created through another API server).
        kv = await self.store.get(key, consistent=False) or await self.store.get(key)
        if kv is None:
            raise errors.not_found_error("namespaces", namespace)
        ns = codec.decode(kv)
        if (
            ns["metadata"].get("deletionTimestamp")
            or (ns.get("status") or {}).get("phase") == "Terminating"
        ):
            raise errors.ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being terminated",
                {
                    "name": namespace,
                    "kind": "namespaces",
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )
