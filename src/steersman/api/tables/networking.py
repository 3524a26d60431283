"""Networking rows: Ingress, IngressClass, NetworkPolicy and EndpointSlice.

Invariants: columns and cells are those of Kubernetes' printers (load-balancer addresses in
their wide, unclipped form).
"""

from __future__ import annotations

import datetime

from steersman.api import labels
from steersman.api.tables.columns import (
    AGE,
    NAME,
    Cells,
    Obj,
    Printers,
)
from steersman.api.tables.columns import Printer as _Printer
from steersman.api.tables.columns import s as _s
from steersman.api.tables.format import age as _age
from steersman.api.tables.format import get as _get
from steersman.api.tables.format import integer as _int
from steersman.api.tables.format import items as _list
from steersman.api.tables.format import lb_status as _lb_status
from steersman.api.tables.format import list_with_more as _list_with_more
from steersman.api.tables.format import mapping as _map
from steersman.api.tables.format import name as _name
from steersman.api.tables.format import string as _str


def _endpoint_slice_cells(o: Obj, now: datetime.datetime) -> Cells:
    ports = _list(o.get("ports"))
    port_texts = []
    for p in ports:
        if _get(p, "port") is not None:
            port_texts.append(str(_int(_get(p, "port"))))
        elif _get(p, "name") is not None:
            port_texts.append(_str(_get(p, "name")))
        else:
            port_texts.append("*")
    addresses = [_str(a) for ep in _list(o.get("endpoints")) for a in _list(_get(ep, "addresses"))]
    return [
        _name(o),
        _str(o.get("addressType")),
        _list_with_more(port_texts, len(port_texts), 3),
        _list_with_more(addresses, len(addresses), 3),
        _age(o, now),
    ]


def _ingress_cells(o: Obj, now: datetime.datetime) -> Cells:
    spec = _map(o.get("spec"))
    rules = _list(spec.get("rules"))
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and _str(_get(rule, "host")):
            hosts.append(_str(_get(rule, "host")))
    hosts_text = ",".join(hosts) if hosts else "*"
    if hosts and more:
        hosts_text = f"{hosts_text} + {len(rules) - 3} more..."
    class_name = spec.get("ingressClassName")
    return [
        _name(o),
        "<none>" if class_name is None else _str(class_name),
        hosts_text,
        _lb_status(_get(o, "status", "loadBalancer")),
        "80, 443" if _list(spec.get("tls")) else "80",
        _age(o, now),
    ]


def _ingress_class_cells(o: Obj, now: datetime.datetime) -> Cells:
    params = _get(o, "spec", "parameters")
    text = "<none>"
    if params is not None:
        text = _str(_get(params, "kind"))
        if _get(params, "apiGroup") is not None:
            text += "." + _str(_get(params, "apiGroup"))
        text += "/" + _str(_get(params, "name"))
    return [_name(o), _str(_get(o, "spec", "controller")), text, _age(o, now)]


PRINTERS: Printers = {
    ("networking.k8s.io", "Ingress"): _Printer(
        (
            NAME,
            _s(
                "Class",
                "The name of the IngressClass resource that should be used for additional "
                "configuration",
            ),
            _s("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
            _s("Address", "Address is a list containing ingress points for the load-balancer"),
            _s("Ports", "Ports of TLS configurations that open"),
            AGE,
        ),
        _ingress_cells,
    ),
    ("networking.k8s.io", "IngressClass"): _Printer(
        (
            NAME,
            _s("Controller", "Controller that is responsible for handling this class"),
            _s("Parameters", "A reference to a resource with additional parameters"),
            AGE,
        ),
        _ingress_class_cells,
    ),
    ("networking.k8s.io", "NetworkPolicy"): _Printer(
        (NAME, _s("Pod-Selector", ("networking.v1.NetworkPolicySpec", "podSelector")), AGE),
        lambda o, now: [
            _name(o),
            labels.format_label_selector(_map(_get(o, "spec", "podSelector"))),
            _age(o, now),
        ],
    ),
    ("discovery.k8s.io", "EndpointSlice"): _Printer(
        (
            NAME,
            _s("AddressType", ("discovery.v1.EndpointSlice", "addressType")),
            _s("Ports", ("discovery.v1.EndpointSlice", "ports")),
            _s("Endpoints", ("discovery.v1.EndpointSlice", "endpoints")),
            AGE,
        ),
        _endpoint_slice_cells,
    ),
}
