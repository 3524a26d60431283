"""Strategies for core/v1 resources that differ from the default: pods, services,
namespaces, nodes, persistent volumes and claims.

Invariants:
- Pods start Pending with their QoS class; bound, running pods are deleted gracefully
  (deletionTimestamp + grace; the kubelet finishes the deletion), others at once.
- Services hold their ClusterIP and NodePorts from create (or update) until delete; an
  allocation for a write that fails is released.
- Namespaces carry the `kubernetes.io/metadata.name` label; deleting one turns it Terminating
  until its spec.finalizers are emptied through /finalize.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.conversion.events import core_to_events_v1
from steersman.apiserver.allocators import AllocationError
from steersman.apiserver.shared_allocation import IndexedAllocationError
from steersman.apiserver.strategies import register
from steersman.apiserver.strategies.base import Strategy


def _qos_class(pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    requests_seen = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req = res.get("requests") or {}
        lim = res.get("limits") or {}
        if req or lim:
            requests_seen = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and str(req[r]) != str(lim[r])):
                guaranteed = False
    if not requests_seen:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


# DefaultTolerationSeconds admission: pods tolerate a not-ready/unreachable node for 5 minutes.
_DEFAULT_NOEXECUTE_TOLERATIONS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
DEFAULT_TOLERATION_SECONDS = 300


def _add_default_tolerations(spec: dict[str, Any]) -> None:
    tolerations = spec.get("tolerations") or []
    for key in _DEFAULT_NOEXECUTE_TOLERATIONS:
        covered = any(
            (t.get("key") == key or (not t.get("key") and t.get("operator") == "Exists"))
            and t.get("effect") in (None, "", "NoExecute")
            for t in tolerations
        )
        if not covered:
            tolerations.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
                }
            )
    spec["tolerations"] = tolerations


class PodStrategy(Strategy):
    return_deleted_object = True

    def initial_status(self, obj: dict[str, Any]) -> Any:
        return {"phase": "Pending", "qosClass": _qos_class(obj)}

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        super().prepare_for_create(obj)
        spec = obj.setdefault("spec", {})
        # ServiceAccount admission: every pod runs as a service account.
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = spec.get("serviceAccount") or "default"
        spec["serviceAccount"] = spec["serviceAccountName"]
        _add_default_tolerations(spec)

    async def before_create(self, obj: dict[str, Any], *, dry_run: bool) -> None:
        await self._admit_priority(obj)

    async def _admit_priority(self, pod: dict[str, Any]) -> None:
        """Priority admission: spec.priority (and preemptionPolicy) from the PriorityClass
        named, else from the globalDefault class, else 0."""
        from steersman.api.resources import require
        from steersman.apiserver.selection import Selection

        spec = pod.setdefault("spec", {})
        name = spec.get("priorityClassName") or ""
        classes = require("scheduling.k8s.io", "v1", "priorityclasses")
        registry = self.ctx.registry(classes)
        chosen: dict[str, Any] | None = None
        if name:
            try:
                chosen = await registry.get("", name)
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
                raise errors.forbidden_error(
                    "pods",
                    pod["metadata"].get("name", ""),
                    f"no PriorityClass with name {name} was found",
                ) from None
        else:
            listed = await registry.list("", Selection(classes))
            defaults = [c for c in listed.items if c.get("globalDefault")]
            if defaults:
                chosen = min(defaults, key=lambda c: c.get("value", 0))
                spec["priorityClassName"] = chosen["metadata"]["name"]
        value = int(chosen.get("value", 0)) if chosen else 0
        if spec.get("priority") is not None and spec["priority"] != value:
            raise errors.forbidden_error(
                "pods",
                pod["metadata"].get("name", ""),
                "the integer value of priority ({}) must not be provided in pod spec; priority "
                "admission controller computed {} from the given PriorityClass name".format(
                    spec["priority"], value
                ),
            )
        spec["priority"] = value
        if chosen is not None and "preemptionPolicy" not in spec:
            spec["preemptionPolicy"] = chosen.get("preemptionPolicy") or "PreemptLowerPriority"

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        super().prepare_for_update(new, old)
        spec = new.get("spec")
        old_spec = old.get("spec") or {}
        if isinstance(spec, dict):
            for field in ("serviceAccountName", "serviceAccount", "priority"):
                if field not in spec and field in old_spec:
                    spec[field] = old_spec[field]

    def graceful_delete_seconds(self, obj: dict[str, Any], requested: int | None) -> int:
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(0, requested)
        grace = spec.get("terminationGracePeriodSeconds")
        return 30 if grace is None else max(0, int(grace))


class ServiceStrategy(Strategy):
    return_deleted_object = True

    def initial_status(self, obj: dict[str, Any]) -> Any:
        return {"loadBalancer": {}}

    def _needs_cluster_ip(self, spec: dict[str, Any]) -> bool:
        return spec.get("type", "ClusterIP") != "ExternalName" and spec.get("clusterIP") != "None"

    def _needs_node_ports(self, spec: dict[str, Any]) -> bool:
        return spec.get("type") in ("NodePort", "LoadBalancer")

    async def before_create(self, obj: dict[str, Any], *, dry_run: bool) -> None:
        spec = obj.setdefault("spec", {})
        taken_ip = ""
        try:
            if self._needs_cluster_ip(spec):
                requested = spec.get("clusterIP") or ((spec.get("clusterIPs") or [None])[0])
                try:
                    ip = await self.ctx.service_ips.allocate(requested or None, dry_run=dry_run)
                except AllocationError as exc:
                    raise errors.invalid_error(
                        "Service",
                        obj["metadata"]["name"],
                        [errors.invalid("spec.clusterIPs", [requested], str(exc))],
                    ) from None
                taken_ip = "" if dry_run else ip
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            elif spec.get("clusterIP") == "None":
                spec["clusterIPs"] = ["None"]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            if self._needs_node_ports(spec):
                await self._allocate_node_ports(obj, spec, set(), dry_run=dry_run)
        except BaseException:
            if taken_ip:
                await self.ctx.service_ips.release([taken_ip])
            raise

    async def _allocate_node_ports(
        self, obj: dict[str, Any], spec: dict[str, Any], keep: set[int], *, dry_run: bool
    ) -> list[int]:
        """Allocate (all or none) the node ports the Service's ports need; returns those
        newly taken (ports in `keep` are the Service's already)."""
        wanted: list[tuple[int, dict[str, Any]]] = []
        for i, port in enumerate(spec.get("ports") or []):
            requested = port.get("nodePort")
            if requested and requested in keep:
                continue
            wanted.append((i, port))
        requests = [port.get("nodePort") or None for _, port in wanted]
        try:
            got = await self.ctx.node_ports.allocate_many(requests, dry_run=dry_run)
        except IndexedAllocationError as exc:
            i, port = wanted[exc.index]
            raise errors.invalid_error(
                "Service",
                obj["metadata"]["name"],
                [errors.invalid(f"spec.ports[{i}].nodePort", port.get("nodePort"), str(exc))],
            ) from None
        for (_, port), value in zip(wanted, got, strict=True):
            port["nodePort"] = value
        return [] if dry_run else got

    async def after_create_failed(self, obj: dict[str, Any]) -> None:
        await self._release(obj)

    async def _release(self, obj: dict[str, Any]) -> None:
        await self.ctx.service_ips.release(_cluster_ips(obj))
        await self.ctx.node_ports.release(_node_ports(obj))

    async def before_update(
        self, new: dict[str, Any], old: dict[str, Any], *, dry_run: bool
    ) -> None:
        spec = new.setdefault("spec", {})
        old_spec = old.get("spec") or {}
        # Keep the allocated IP when the client leaves it out (kubectl apply does).
        if self._needs_cluster_ip(spec) and not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
            spec["clusterIPs"] = old_spec.get("clusterIPs") or [old_spec["clusterIP"]]
        if self._needs_node_ports(spec):
            await self._allocate_node_ports(new, spec, _node_ports(old), dry_run=dry_run)
        elif not dry_run:
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)

    async def after_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        # Only once the Service no longer holds them: a failed write keeps the old ones.
        await self.ctx.node_ports.release(_node_ports(old) - _node_ports(new))
        await self.ctx.service_ips.release(_cluster_ips(old) - _cluster_ips(new))

    async def after_update_failed(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        # What `before_update` took for this request: the new ports the old Service lacks
        # (worked out from the two objects, as concurrent updates share this strategy).
        await self.ctx.node_ports.release(_node_ports(new) - _node_ports(old))

    async def after_delete(self, obj: dict[str, Any]) -> None:
        await self._release(obj)


def _node_ports(service: dict[str, Any]) -> set[int]:
    ports = (service.get("spec") or {}).get("ports") or []
    return {int(p["nodePort"]) for p in ports if p.get("nodePort")}


def _cluster_ips(service: dict[str, Any]) -> set[str]:
    spec = service.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return {ip for ip in ips if ip and ip != "None"}


class NamespaceStrategy(Strategy):
    def initial_status(self, obj: dict[str, Any]) -> Any:
        return {"phase": "Active"}

    def _label(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        if meta.get("name"):
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        super().prepare_for_create(obj)
        spec = obj.setdefault("spec", {})
        spec.setdefault("finalizers", ["kubernetes"])
        self._label(obj)

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        super().prepare_for_update(new, old)
        # spec.finalizers changes only through /finalize.
        new["spec"] = dict(old.get("spec") or {})
        self._label(new)

    def prepare_for_status_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        super().prepare_for_status_update(new, old)
        self._label(new)

    def has_pending_finalizers(self, obj: dict[str, Any]) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))

    def on_deletion_started(self, obj: dict[str, Any]) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"

    def should_delete_on_update(self, obj: dict[str, Any]) -> bool:
        return super().should_delete_on_update(obj) and not self.has_pending_finalizers(obj)


class NodeStrategy(Strategy):
    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        status = obj.get("status")
        super().prepare_for_create(obj)
        # Nodes may set their status on create (the kubelet registers with it).
        if status is not None:
            obj["status"] = status


class PersistentVolumeStrategy(Strategy):
    return_deleted_object = True

    def initial_status(self, obj: dict[str, Any]) -> Any:
        return {"phase": "Pending"}


class PersistentVolumeClaimStrategy(Strategy):
    return_deleted_object = True

    def initial_status(self, obj: dict[str, Any]) -> Any:
        return {"phase": "Pending"}


class ServiceAccountStrategy(Strategy):
    return_deleted_object = True


class EventsV1Strategy(Strategy):
    """events.k8s.io/v1 Events, which are core Events (same keys, stored in the core shape):
    a write through events.k8s.io/v1 is validated as Kubernetes' ValidateEventCreate/Update
    does for that request version, on the object as that API spells it."""

    def validate(self, obj: dict[str, Any]) -> list[errors.FieldError]:
        return super().validate(core_to_events_v1(obj))

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[errors.FieldError]:
        return super().validate_update(core_to_events_v1(new), core_to_events_v1(old))


register("", "pods", PodStrategy)
register("", "serviceaccounts", ServiceAccountStrategy)
register("", "services", ServiceStrategy)
register("", "namespaces", NamespaceStrategy)
register("", "nodes", NodeStrategy)
register("", "persistentvolumes", PersistentVolumeStrategy)
register("", "persistentvolumeclaims", PersistentVolumeClaimStrategy)
register("events.k8s.io", "events", EventsV1Strategy)
