"""What Kubernetes' service registry does to a core/v1 Service update before validating it.

Invariants:
- The helpers mutate the new object in place, never the old one, and are idempotent:
  applying them twice gives the same object.
- A client that omits allocated values (clusterIP(s), nodePorts, healthCheckNodePort) keeps
  them; `clusterIP` and `clusterIPs` are kept in step; fields the new type cannot use are
  dropped unless the user changed them.
- Nothing here is a registered defaulter: `defaults.core` registers the Service defaulter and
  never imports this module, so loading the core group's defaulters does not load it.
Pure data: no I/O.
"""

from __future__ import annotations

from steersman.api.defaults.core import Obj, _dicts, _externally_accessible

__all__ = [
    "drop_service_type_dependent_fields",
    "normalize_service_cluster_ips",
    "patch_service_allocated_values",
    "prepare_service_for_update",
]


def _needs_cluster_ip(spec: Obj) -> bool:
    return spec.get("type") != "ExternalName"


def _needs_node_ports(spec: Obj) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _needs_hc_node_port(spec: Obj) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def normalize_service_cluster_ips(new: Obj, old: Obj | None) -> None:
    """NormalizeClusterIPs: keep `clusterIP` and `clusterIPs` in step for old clients."""
    spec = new.get("spec")
    if not isinstance(spec, dict):
        return
    ip = spec.get("clusterIP") or ""
    ips = spec.get("clusterIPs") or []
    if old is None:
        if ip and not ips:
            spec["clusterIPs"] = [ip]
        return
    old_spec = old.get("spec") if isinstance(old.get("spec"), dict) else {}
    assert isinstance(old_spec, dict)
    old_ip = old_spec.get("clusterIP") or ""
    same_ips = (old_spec.get("clusterIPs") or []) == ips
    if old_ip and not ip and same_ips:
        spec.pop("clusterIPs", None)
    elif ip and ((ip != old_ip and same_ips) or not ips):
        # A new singular IP with the plural left alone: the plural follows it.
        spec["clusterIPs"] = [ip]


def patch_service_allocated_values(new: Obj, old: Obj) -> None:
    """patchAllocatedValues: a client that omits allocated values keeps them."""
    spec, old_spec = new.get("spec"), old.get("spec")
    if not isinstance(spec, dict) or not isinstance(old_spec, dict):
        return
    if _needs_cluster_ip(old_spec) and _needs_cluster_ip(spec):
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if _needs_node_ports(old_spec) and _needs_node_ports(spec):
        used_old = {p.get("nodePort") for p in _dicts(old_spec, "ports") if p.get("nodePort")}
        used_new = {p.get("nodePort") for p in _dicts(spec, "ports") if p.get("nodePort")}
        used = used_old & used_new
        by_name = {p.get("name") or "": p.get("nodePort") for p in _dicts(old_spec, "ports")}
        for port in _dicts(spec, "ports"):
            if not port.get("nodePort"):
                old_port = by_name.get(port.get("name") or "")
                if old_port and old_port not in used:
                    port["nodePort"] = old_port
    both_hc = _needs_hc_node_port(old_spec) and _needs_hc_node_port(spec)
    if both_hc and not spec.get("healthCheckNodePort") and old_spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def drop_service_type_dependent_fields(new: Obj, old: Obj) -> None:
    """dropTypeDependentFields: forget what the new type cannot use, unless the user changed it."""
    spec, old_spec = new.get("spec"), old.get("spec")
    if not isinstance(spec, dict) or not isinstance(old_spec, dict):
        return

    def same(field: str) -> bool:
        return bool(spec.get(field) == old_spec.get(field))

    if _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        if same("clusterIP") and same("clusterIPs"):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if same("ipFamilies"):
            spec.pop("ipFamilies", None)
        if same("ipFamilyPolicy"):
            spec.pop("ipFamilyPolicy", None)
    if _needs_node_ports(old_spec) and not _needs_node_ports(spec):
        old_ports = {p.get("nodePort") for p in _dicts(old_spec, "ports") if p.get("nodePort")}
        new_ports = {p.get("nodePort") for p in _dicts(spec, "ports") if p.get("nodePort")}
        if old_ports == new_ports:
            for port in _dicts(spec, "ports"):
                port.pop("nodePort", None)
    if (
        _needs_hc_node_port(old_spec)
        and not _needs_hc_node_port(spec)
        and same("healthCheckNodePort")
    ):
        spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == "LoadBalancer" and spec.get("type") != "LoadBalancer":
        if spec.get("allocateLoadBalancerNodePorts") is not None and same(
            "allocateLoadBalancerNodePorts"
        ):
            spec.pop("allocateLoadBalancerNodePorts", None)
        if same("loadBalancerClass"):
            spec.pop("loadBalancerClass", None)
    if (
        _externally_accessible(old_spec)
        and not _externally_accessible(spec)
        and same("externalTrafficPolicy")
    ):
        spec.pop("externalTrafficPolicy", None)
    if spec.get("type") != "LoadBalancer" and isinstance(new.get("status"), dict):
        new["status"]["loadBalancer"] = {}


def prepare_service_for_update(new: Obj, old: Obj) -> None:
    """What Kubernetes' service registry does to an update before validating it.

    Safe to apply more than once; the service strategy should call it from
    prepare_for_update (the validator applies it to a copy).
    """
    patch_service_allocated_values(new, old)
    normalize_service_cluster_ips(new, old)
    drop_service_type_dependent_fields(new, old)
