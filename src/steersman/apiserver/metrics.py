"""Prometheus metrics of the API server, named and labelled as kube-apiserver's.

Invariants: one private CollectorRegistry per server (tests can run several servers in one
process); label values are bounded (verbs, resources, codes), never names or paths.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# Kubernetes' metrics have no `_created` series.
disable_created_metrics()

_BUCKETS = (
    0.005,
    0.025,
    0.05,
    0.1,
    0.2,
    0.4,
    0.6,
    0.8,
    1.0,
    1.25,
    1.5,
    2,
    3,
    4,
    5,
    6,
    8,
    10,
    15,
    20,
    30,
    45,
    60,
)


_VERB_LABELS = {
    "get": "GET",
    "list": "LIST",
    "watch": "WATCH",
    "create": "POST",
    "update": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
    "deletecollection": "DELETECOLLECTION",
}


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = [
            "verb",
            "dry_run",
            "group",
            "version",
            "resource",
            "subresource",
            "scope",
            "component",
        ]
        self.requests = Counter(
            "apiserver_request",
            "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
            [*labels, "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
            labels,
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.inflight = Gauge(
            "apiserver_current_inflight_requests",
            "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
            ["request_kind"],
            registry=self.registry,
        )
        self.storage_objects = Gauge(
            "apiserver_storage_objects",
            "Number of stored objects at the time of last check split by kind.",
            ["resource"],
            registry=self.registry,
        )

    def observe(
        self,
        *,
        verb: str,
        dry_run: bool,
        group: str,
        version: str,
        resource: str,
        subresource: str,
        scope: str,
        code: int,
        seconds: float,
    ) -> None:
        values = (
            _VERB_LABELS.get(verb, verb.upper()),
            "All" if dry_run else "",
            group,
            version,
            resource,
            subresource,
            scope,
            "apiserver",
        )
        self.requests.labels(*values, str(code)).inc()
        if verb != "watch":
            self.latency.labels(*values).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
