"""The default strategy: how Kubernetes' generic registry treats a resource unless told otherwise.

Invariants:
- Storage keys follow Kubernetes' etcd layout: `/registry/<resource>/<namespace>/<name>` (or
  without namespace for cluster-scoped kinds), with Kubernetes' historical prefixes for a few
  resources (services/specs, services/endpoints, minions, controllers, ingress).
- A create clears `status` for resources with a status subresource; an update of the main
  resource keeps the stored status, an update of `status` keeps the stored spec.
- `metadata.generation` starts at 1 and is bumped when anything but metadata/status changes,
  for resources that track generation.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.resources import ResourceInfo
from steersman.apiserver.objects import deep_copy

_KEY_PREFIXES = {
    ("", "services"): "services/specs",
    ("", "endpoints"): "services/endpoints",
    ("", "nodes"): "minions",
    ("", "replicationcontrollers"): "controllers",
    ("networking.k8s.io", "ingresses"): "ingress",
    ("events.k8s.io", "events"): "events",  # core Events, served through a second group
}

# Resources whose objects carry metadata.generation (spec changes bump it).
_GENERATION = {
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("policy", "poddisruptionbudgets"),
    ("networking.k8s.io", "networkpolicies"),
    ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "ingressclasses"),
}

# AllowCreateOnUpdate: a PUT to a missing object creates it.
_CREATE_ON_UPDATE = {
    ("", "endpoints"),
    ("", "events"),
    ("events.k8s.io", "events"),
    ("coordination.k8s.io", "leases"),
    ("discovery.k8s.io", "endpointslices"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
}

_STATUS_META_KEPT = ("labels", "annotations")


class Strategy:
    """Default behaviour; subclasses override the hooks that differ."""

    # DELETE answers with the deleted object instead of a Success Status (pods, as Kubernetes).
    return_deleted_object = False

    def __init__(self, info: ResourceInfo) -> None:
        self.info = info
        self.has_status = info.subresource("status") is not None
        self.tracks_generation = (info.group, info.resource) in _GENERATION
        self.allow_create_on_update = (info.group, info.resource) in _CREATE_ON_UPDATE
        segment = _KEY_PREFIXES.get((info.group, info.resource), info.resource)
        self.key_root = f"/registry/{segment}/"

    def bind(self, ctx: Any) -> None:
        """Give the strategy the shared server context (allocators, other registries)."""
        self.ctx = ctx

    # -- keys ---------------------------------------------------------------
    def key(self, namespace: str, name: str) -> str:
        if self.info.namespaced:
            return f"{self.key_root}{namespace}/{name}"
        return f"{self.key_root}{name}"

    def list_prefix(self, namespace: str) -> str:
        if self.info.namespaced and namespace:
            return f"{self.key_root}{namespace}/"
        return self.key_root

    # -- create / update ----------------------------------------------------
    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        if self.has_status:
            status = self.initial_status(obj)
            if status is None:
                obj.pop("status", None)
            else:
                obj["status"] = status
        meta = obj["metadata"]
        if self.tracks_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)

    def initial_status(self, obj: dict[str, Any]) -> Any:
        """What status a new object starts with (the client's status is ignored)."""
        return {}

    def has_pending_finalizers(self, obj: dict[str, Any]) -> bool:
        """Finalizers outside metadata.finalizers (namespaces' spec.finalizers) hold deletion."""
        return False

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        if self.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        self._update_generation(new, old)

    def prepare_for_status_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """Writes through /status change only status (plus labels and annotations)."""
        for field, value in old.items():
            if field not in ("status", "metadata"):
                new[field] = value
        for field in list(new):
            if field not in old and field not in ("status", "metadata", "apiVersion", "kind"):
                del new[field]
        new_meta = new["metadata"]
        old_meta = old["metadata"]
        kept = {k: new_meta[k] for k in _STATUS_META_KEPT if k in new_meta}
        new["metadata"] = dict(old_meta)
        for k in _STATUS_META_KEPT:
            new["metadata"].pop(k, None)
        new["metadata"].update(kept)

    def prepare_for_finalize(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """Only namespaces have `finalize`; the default keeps everything but spec.finalizers."""
        finalizers = (new.get("spec") or {}).get("finalizers")
        new.clear()
        new.update(deep_copy(old))
        new.setdefault("spec", {})
        if finalizers:
            new["spec"]["finalizers"] = finalizers
        else:
            new["spec"].pop("finalizers", None)

    def should_delete_on_update(self, obj: dict[str, Any]) -> bool:
        """An update left a deleting object with nothing to wait for: remove it."""
        meta = obj["metadata"]
        return (
            bool(meta.get("deletionTimestamp"))
            and not meta.get("finalizers")
            and not meta.get("deletionGracePeriodSeconds")
        )

    def _update_generation(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        meta = new["metadata"]
        old_gen = old.get("metadata", {}).get("generation")
        if not self.tracks_generation:
            meta.pop("generation", None)
            return
        gen = old_gen or 1
        if self.spec_changed(new, old):
            gen += 1
        meta["generation"] = gen

    def spec_changed(self, new: dict[str, Any], old: dict[str, Any]) -> bool:
        for field in set(new) | set(old):
            if field in ("metadata", "status", "apiVersion", "kind"):
                continue
            if new.get(field) != old.get(field):
                return True
        # Starting deletion counts as a generation change (as Kubernetes does).
        return bool(new["metadata"].get("deletionTimestamp")) and not old["metadata"].get(
            "deletionTimestamp"
        )

    # -- validation ---------------------------------------------------------
    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        from steersman.api.validation import validator_for

        v = validator_for(self.info.group, self.info.kind)
        if v is not None:
            return v.validate(obj)
        return self._validate_meta(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        from steersman.api.validation import validator_for

        v = validator_for(self.info.group, self.info.kind)
        if v is not None:
            return v.validate_update(new, old)
        errs = self._validate_meta(new)
        try:
            from steersman.api.validation.common import validate_object_meta_update
        except ImportError:
            return errs
        return errs + validate_object_meta_update(new.get("metadata", {}), old.get("metadata", {}))

    def _validate_meta(self, obj: dict[str, Any]) -> list[FieldError]:
        try:
            from steersman.api.validation.common import validate_object_meta
        except ImportError:
            meta = obj.get("metadata", {})
            return (
                []
                if meta.get("name")
                else [errors.required("metadata.name", "name or generateName is required")]
            )
        return validate_object_meta(obj.get("metadata", {}), namespaced=self.info.namespaced)

    # -- hooks --------------------------------------------------------------
    async def before_create(self, obj: dict[str, Any], *, dry_run: bool) -> None:
        """Admission-time work that may fail the request (allocations, defaults from state)."""

    async def after_create_failed(self, obj: dict[str, Any]) -> None:
        """Undo `before_create` when the write did not happen."""

    async def before_update(
        self, new: dict[str, Any], old: dict[str, Any], *, dry_run: bool
    ) -> None:
        pass

    async def after_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """The update was written: release what `old` held and `new` no longer does."""

    async def after_update_failed(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """Undo `before_update` when the write did not happen."""

    async def after_delete(self, obj: dict[str, Any]) -> None:
        """Release what the object held (service IPs, node ports)."""

    def on_deletion_started(self, obj: dict[str, Any]) -> None:
        """Called on the copy that gets deletionTimestamp (namespaces turn Terminating)."""

    def graceful_delete_seconds(self, obj: dict[str, Any], requested: int | None) -> int:
        """Seconds of grace before the object goes away; 0 deletes at once."""
        return 0
