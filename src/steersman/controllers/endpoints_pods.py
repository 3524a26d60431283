"""Pods as the endpoints of Services, shared by the Endpoints and EndpointSlice controllers
(k8s.io/endpointslice/util): which Services select a pod and which a pod update concerns,
whether a pod is an endpoint at all, its named-port lookup and targetRef, and the tracker of
the last-change trigger time.

Invariants:
- No I/O: Services are read from the informer's cache only; nothing is written.
- spec.selector None or empty selects nothing: such a Service's endpoints are someone else's.
- Terminal pods (Succeeded, Failed) and pods without an IP are never endpoints; terminating
  pods only when asked to include them.
- A named targetPort resolves only to a container (or restartable init container) port of
  the same protocol; a numeric one is taken as is.
- A pod update without a new resourceVersion, or changing neither its endpoint nor its
  labels, hostname or subdomain, concerns no Service.
- `TriggerTimeTracker.compute` is the earliest pod Ready transition or Service creation not
  yet seen by the previous call for that Service (the creation time on the first call).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable
from typing import Any

from steersman.api.labels import selector_from_set
from steersman.client.indexer import object_key
from steersman.client.informer import Informer
from steersman.controllers.pods import is_pod_ready, parse_time, pod_condition

Obj = dict[str, Any]


def service_selector(service: Obj) -> dict[str, str] | None:
    """spec.selector; None (and an empty map, which the API cannot tell from nil) selects
    nothing, leaving the Service's endpoints to whoever writes them."""
    selector = (service.get("spec") or {}).get("selector")
    return dict(selector) if selector else None


def is_service_ip_set(service: Obj) -> bool:
    cluster_ip = (service.get("spec") or {}).get("clusterIP") or ""
    return cluster_ip not in ("", "None")


def services_for_labels(services: Informer, namespace: str, labels: dict[str, str]) -> set[str]:
    """Keys of the Services in `namespace` whose selector matches `labels`."""
    out: set[str] = set()
    for service in services.store.by_index("namespace", namespace):
        selector = service_selector(service)
        if selector is not None and selector_from_set(selector).matches(labels):
            out.add(object_key(service))
    return out


def _pod_labels(pod: Obj) -> dict[str, str]:
    return dict((pod.get("metadata") or {}).get("labels") or {})


def _pod_ips(pod: Obj) -> list[str]:
    status = pod.get("status") or {}
    ips = [str(p.get("ip")) for p in status.get("podIPs") or [] if p.get("ip")]
    if not ips and status.get("podIP"):
        ips = [str(status["podIP"])]
    return ips


def pod_endpoints_changed(old: Obj, new: Obj) -> tuple[bool, bool]:
    """(the pod's endpoint may differ, the pod's service membership may differ)."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    labels_changed = (
        _pod_labels(old) != _pod_labels(new)
        or old_spec.get("hostname") != new_spec.get("hostname")
        or old_spec.get("subdomain") != new_spec.get("subdomain")
    )
    changed = (
        (old.get("metadata") or {}).get("deletionTimestamp")
        != (new.get("metadata") or {}).get("deletionTimestamp")
        or is_pod_ready(old) != is_pod_ready(new)
        or _pod_ips(old) != _pod_ips(new)
    )
    return changed, labels_changed


def services_to_update_on_pod_change(services: Informer, old: Obj, new: Obj) -> set[str]:
    """GetServicesToUpdateOnPodChange: the Services whose endpoints a pod update can change."""
    if (old.get("metadata") or {}).get("resourceVersion") == (new.get("metadata") or {}).get(
        "resourceVersion"
    ):
        return set()
    changed, labels_changed = pod_endpoints_changed(old, new)
    if not changed and not labels_changed:
        return set()
    namespace = (new.get("metadata") or {}).get("namespace", "")
    now = services_for_labels(services, namespace, _pod_labels(new))
    if not labels_changed:
        return now
    before = services_for_labels(services, namespace, _pod_labels(old))
    # Only the Services the pod joined or left, unless the pod itself changed too.
    return now | before if changed else now ^ before


def should_pod_be_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """Terminal pods and pods without an IP never are; terminating ones only on request."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not _pod_ips(pod):
        return False
    return include_terminating or not (pod.get("metadata") or {}).get("deletionTimestamp")


def should_set_hostname(pod: Obj, service: Obj) -> bool:
    spec = pod.get("spec") or {}
    return (
        bool(spec.get("hostname"))
        and spec.get("subdomain") == service["metadata"]["name"]
        and (pod.get("metadata") or {}).get("namespace") == service["metadata"].get("namespace")
    )


def find_port(pod: Obj, service_port: Obj) -> int | None:
    """FindPort: a numeric targetPort as is; a named one looked up among the pod's container
    (and sidecar) ports of the same protocol; None when the pod has no such port."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + [
        c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
    ]
    for container in containers:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port["containerPort"])
    return None


def is_ipv6(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).version == 6
    except ValueError:
        return ":" in address


def target_ref(pod: Obj) -> Obj:
    meta = pod.get("metadata") or {}
    ref = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
    }
    return {k: v for k, v in ref.items() if v}


def format_trigger_time(when: datetime.datetime) -> str:
    """time.RFC3339Nano in UTC: fractional seconds without trailing zeros."""
    when = when.astimezone(datetime.UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += "." + f"{when.microsecond:06d}".rstrip("0")
    return text + "Z"


class TriggerTimeTracker:
    """The time of the earliest change (pod readiness transition, service creation) not yet
    exported; `compute` must run once per sync of a service, before deciding to write."""

    def __init__(self) -> None:
        self._states: dict[tuple[str, str], tuple[datetime.datetime | None, dict[str, Any]]] = {}

    def compute(
        self, namespace: str, service: Obj, pods: Iterable[Obj]
    ) -> datetime.datetime | None:
        key = (namespace, service["metadata"]["name"])
        known = key in self._states
        last_service, last_pods = self._states.get(key, (None, {}))
        earliest: datetime.datetime | None = None
        pod_times: dict[str, datetime.datetime] = {}
        for pod in pods:
            ready = pod_condition(pod, "Ready")
            when = parse_time((ready or {}).get("lastTransitionTime"))
            if when is None:
                continue
            name = pod["metadata"]["name"]
            pod_times[name] = when
            previous = last_pods.get(name)
            if previous is None or when > previous:
                earliest = when if earliest is None else min(earliest, when)
        created = parse_time(service["metadata"].get("creationTimestamp"))
        if created is not None and (last_service is None or created > last_service):
            earliest = created if earliest is None else min(earliest, created)
        self._states[key] = (created, pod_times)
        return created if not known else earliest

    def delete_service(self, namespace: str, name: str) -> None:
        self._states.pop((namespace, name), None)
