"""Validation of Lease, EndpointSlice, events.k8s.io Event, Ingress, IngressClass,
NetworkPolicy, PodDisruptionBudget, RBAC, PriorityClass and StorageClass, with the exact
messages Kubernetes gives (objects are defaulted first, as the API server does)."""

from __future__ import annotations

import copy
from typing import Any

from steersman.api.defaults import apply_defaults
from steersman.api.validation import validator_for

NET = "networking.k8s.io"
RBAC = "rbac.authorization.k8s.io"
NS_META = {"name": "x", "namespace": "default"}


def create(group: str, kind: str, obj: dict[str, Any]) -> list[str]:
    apply_defaults(group, kind, obj)
    v = validator_for(group, kind)
    assert v is not None
    return [e.message() for e in v.validate(obj)]


def update(group: str, kind: str, new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    apply_defaults(group, kind, new)
    v = validator_for(group, kind)
    assert v is not None
    return [e.message() for e in v.validate_update(new, old)]


# ---------------------------------------------------------------------------
# Lease


def test_lease() -> None:
    lease: dict[str, Any] = {
        "metadata": dict(NS_META),
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
    }
    assert create("coordination.k8s.io", "Lease", lease) == []
    lease["spec"].update(leaseDurationSeconds=0, leaseTransitions=-1, preferredHolder="b")
    assert create("coordination.k8s.io", "Lease", lease) == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
        "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined",
    ]
    lease["spec"] = {"strategy": "Newest"}
    assert create("coordination.k8s.io", "Lease", lease) == [
        'spec.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion"'
    ]


# ---------------------------------------------------------------------------
# EndpointSlice


def slice_(**body: Any) -> dict[str, Any]:
    return {"metadata": dict(NS_META), "addressType": "IPv4", **body}


def test_endpoint_slice_valid_and_address_type() -> None:
    ok = slice_(
        endpoints=[{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}], ports=[{"port": 80}]
    )
    assert create("discovery.k8s.io", "EndpointSlice", ok) == []
    assert create("discovery.k8s.io", "EndpointSlice", slice_(addressType="IPv5")) == [
        'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'
    ]
    del ok["addressType"]
    assert create("discovery.k8s.io", "EndpointSlice", ok) == ["addressType: Required value"]


def test_endpoint_slice_addresses() -> None:
    obj = slice_(endpoints=[{"addresses": ["127.0.0.1", "fd00::1", "nope"]}, {"addresses": []}])
    assert create("discovery.k8s.io", "EndpointSlice", obj) == [
        'endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range '
        "(127.0.0.0/8, ::1/128)",
        'endpoints[0].addresses[1]: Invalid value: "fd00::1": must be an IPv4 address',
        'endpoints[0].addresses[2]: Invalid value: "nope": must be a valid IP address, '
        "(e.g. 10.9.8.7 or 2001:db8::ffff)",
        "endpoints[1].addresses: Required value: must contain at least 1 address",
    ]
    fqdn = slice_(addressType="FQDN", endpoints=[{"addresses": ["localhost", "Bad.example.com"]}])
    errs = create("discovery.k8s.io", "EndpointSlice", fqdn)
    assert errs[0] == (
        'endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two '
        "segments separated by dots"
    )
    assert errs[1].startswith(
        'endpoints[0].addresses[1]: Invalid value: "Bad.example.com": a lowercase RFC 1123'
    )


def test_endpoint_slice_ports_defaults_and_duplicates() -> None:
    obj = slice_(ports=[{"port": 80}, {"port": 81}, {"name": "Http", "protocol": "ICMP"}])
    errs = create("discovery.k8s.io", "EndpointSlice", obj)
    assert obj["ports"][0] == {"port": 80, "name": "", "protocol": "TCP"}
    assert errs[0] == 'ports[1].name: Duplicate value: ""'
    assert errs[1].startswith('ports[2].name: Invalid value: "Http": a lowercase RFC 1123 label')
    assert (
        errs[2]
        == 'ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'
    )


def test_endpoint_slice_address_type_immutable() -> None:
    old = slice_()
    apply_defaults("discovery.k8s.io", "EndpointSlice", old)
    new = copy.deepcopy(old)
    new["addressType"] = "IPv6"
    assert update("discovery.k8s.io", "EndpointSlice", new, old) == [
        'addressType: Invalid value: "IPv6": field is immutable'
    ]


# ---------------------------------------------------------------------------
# events.k8s.io Event


def event(**body: Any) -> dict[str, Any]:
    base = {
        "metadata": dict(NS_META),
        "eventTime": "2024-05-01T10:00:00.000000Z",
        "regarding": {"kind": "Pod", "name": "p", "namespace": "default"},
        "reason": "Started",
        "note": "hello",
        "type": "Normal",
        "action": "Start",
        "reportingController": "example.com/ctl",
        "reportingInstance": "ctl-1",
    }
    base.update(body)
    return base


def test_event_valid_and_internal_field_names() -> None:
    assert create("events.k8s.io", "Event", event()) == []
    bad = event(
        regarding={"kind": "Pod", "name": "p", "namespace": "other"},
        type="Info",
        deprecatedCount=2,
        deprecatedSource={"component": "kubelet"},
        note="n" * 1025,
        series={"count": 1},
    )
    assert create("events.k8s.io", "Event", bad) == [
        'message: Invalid value: "": can have at most 1024 characters',
        'series.count: Invalid value: "": should be at least 2',
        "series.lastObservedTime: Required value",
        'type: Invalid value: "": has invalid value: Info',
        'count: Invalid value: "": needs to be unset',
        'source: Invalid value: "": needs to be unset',
    ]


def test_event_requires_reporting_fields() -> None:
    obj = event(reportingController="", action="", eventTime=None)
    obj["regarding"]["namespace"] = ""
    obj["metadata"]["namespace"] = "team"
    assert create("events.k8s.io", "Event", obj) == [
        'involvedObject.namespace: Invalid value: "": does not match event.namespace',
        "eventTime: Required value",
    ]
    obj = event(reportingController="", action="")
    errs = create("events.k8s.io", "Event", obj)
    # An empty controller is also not a qualified name (upstream reports both).
    assert errs[0] == "reportingController: Required value"
    assert errs[1] == 'reportingController: Invalid value: "": name part must be non-empty'
    assert errs[-1] == "action: Required value"


def test_event_update_immutables() -> None:
    old = event()
    new = event(note="changed", regarding={"kind": "Pod", "name": "q", "namespace": "default"})
    assert update("events.k8s.io", "Event", new, old) == [
        'involvedObject: Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"default", Name:"q", '
        'UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable',
        'message: Invalid value: "changed": field is immutable',
    ]


# ---------------------------------------------------------------------------
# Ingress and IngressClass


def backend(**service: Any) -> dict[str, Any]:
    return {"service": {"name": "svc", "port": {"number": 80}, **service}}


def ingress(**spec: Any) -> dict[str, Any]:
    return {"metadata": dict(NS_META), "spec": spec}


def test_ingress_valid_and_required() -> None:
    paths = [{"path": "/", "pathType": "Prefix", "backend": backend()}]
    assert (
        create(NET, "Ingress", ingress(rules=[{"host": "a.example.com", "http": {"paths": paths}}]))
        == []
    )
    assert create(NET, "Ingress", ingress()) == [
        "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"
    ]


def test_ingress_paths_and_backends() -> None:
    paths = [
        {"path": "/a", "backend": backend()},
        {"path": "a//b", "pathType": "Exact", "backend": backend()},
        {"path": "/x", "pathType": "Regex", "backend": backend()},
        {
            "path": "/y",
            "pathType": "Prefix",
            "backend": backend(port={"name": "http", "number": 80}),
        },
        {"path": "/z", "pathType": "Prefix", "backend": {"service": {"name": "9svc", "port": {}}}},
        {"path": "/w", "pathType": "Prefix", "backend": {}},
    ]
    obj = ingress(rules=[{"host": "10.0.0.1", "http": {"paths": paths}}])
    assert create(NET, "Ingress", obj) == [
        'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
        'spec.rules[0].http.paths[1].path: Invalid value: "a//b": must be an absolute path',
        "spec.rules[0].http.paths[1].path: Invalid value: \"a//b\": must not contain '//'",
        'spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: '
        '"Exact", "ImplementationSpecific", "Prefix"',
        'spec.rules[0].http.paths[3].backend: Invalid value: "": cannot set both port name & port number',
        'spec.rules[0].http.paths[4].backend.service.name: Invalid value: "9svc": a DNS-1035 label must '
        "consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end "
        "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
        "'[a-z]([-a-z0-9]*[a-z0-9])?')",
        "spec.rules[0].http.paths[4].backend: Required value: port name or number is required",
        'spec.rules[0].http.paths[5].backend: Invalid value: "": resource or service backend is required',
    ]


def test_ingress_class_annotation_must_match() -> None:
    obj = ingress(defaultBackend=backend(), ingressClassName="nginx")
    obj["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "traefik"}
    assert create(NET, "Ingress", obj) == [
        'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` '
        "when both are specified"
    ]


def test_ingress_wildcard_host() -> None:
    obj = ingress(rules=[{"host": "*.*.example.com"}])
    assert create(NET, "Ingress", obj) == [
        'spec.rules[0].host: Invalid value: "*.*.example.com": a wildcard DNS-1123 subdomain must start '
        "with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric "
        "characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used "
        "for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]


def test_ingress_class() -> None:
    ic = {"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}
    assert create(NET, "IngressClass", ic) == []
    bad: dict[str, Any] = {
        "metadata": {"name": "nginx"},
        "spec": {"controller": "nginx", "parameters": {"kind": "Cfg"}},
    }
    assert create(NET, "IngressClass", bad) == [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
        "spec.parameters.name: Required value: name is required",
    ]
    assert bad["spec"]["parameters"]["scope"] == "Cluster"
    new = copy.deepcopy(ic)
    new["spec"]["controller"] = "example.com/other"
    assert update(NET, "IngressClass", new, ic) == [
        'spec.controller: Invalid value: "example.com/other": field is immutable'
    ]


# ---------------------------------------------------------------------------
# NetworkPolicy


def test_network_policy() -> None:
    np: dict[str, Any] = {
        "metadata": dict(NS_META),
        "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]},
    }
    assert create(NET, "NetworkPolicy", np) == []
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    bad = {
        "metadata": dict(NS_META),
        "spec": {
            "podSelector": {},
            "ingress": [
                {
                    "ports": [{"port": 100, "endPort": 90}, {"port": "dns", "endPort": 99}],
                    "from": [
                        {},
                        {
                            "ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]},
                            "podSelector": {},
                        },
                    ],
                }
            ],
            "policyTypes": ["Ingress", "Egress", "Ingress"],
        },
    }
    assert create(NET, "NetworkPolicy", bad) == [
        "spec.ingress[0].ports[0].endPort: Invalid value: 100: must be greater than or equal to `port`",
        "spec.ingress[0].ports[1].endPort: Invalid value: 99: may not be specified when `port` is non-numeric",
        "spec.ingress[0].from[0]: Required value: must specify a peer",
        'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "11.0.0.0/16": must be a strict subset '
        "of `cidr`",
        "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
        'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: '
        "may not specify more than two policyTypes",
    ]


# ---------------------------------------------------------------------------
# PodDisruptionBudget


def test_pdb() -> None:
    pdb = {
        "metadata": dict(NS_META),
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"a": "b"}}},
    }
    assert create("policy", "PodDisruptionBudget", pdb) == []
    both = {
        "metadata": dict(NS_META),
        "spec": {"minAvailable": 2, "maxUnavailable": 1, "selector": {}},
    }
    assert create("policy", "PodDisruptionBudget", both) == [
        "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000a0c000), "
        "Selector:(*v1.LabelSelector)(0xc000a0c000), MaxUnavailable:(*intstr.IntOrString)(0xc000a0c000), "
        "UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: "
        "minAvailable and maxUnavailable cannot be both set"
    ]
    bad = {
        "metadata": dict(NS_META),
        "spec": {"maxUnavailable": "120%", "unhealthyPodEvictionPolicy": "Never"},
    }
    assert create("policy", "PodDisruptionBudget", bad) == [
        'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: '
        "must not be greater than 100%",
        'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: '
        '"AlwaysAllow", "IfHealthyBudget"',
    ]


def test_pdb_spec_is_mutable_and_status_validated() -> None:
    old: dict[str, Any] = {"metadata": dict(NS_META), "spec": {"minAvailable": 1}}
    new = copy.deepcopy(old)
    new["spec"]["minAvailable"] = 2
    assert update("policy", "PodDisruptionBudget", new, old) == []
    new["status"] = {
        "disruptionsAllowed": -1,
        "conditions": [{"type": "DisruptionAllowed", "status": "Yes"}],
    }
    assert update("policy", "PodDisruptionBudget", new, old) == [
        'status.conditions[0].status: Unsupported value: "Yes": supported values: "False", "True", "Unknown"',
        "status.conditions[0].lastTransitionTime: Required value: must be set",
        "status.conditions[0].reason: Required value: must be set",
        "status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0",
    ]


# ---------------------------------------------------------------------------
# RBAC


def test_roles() -> None:
    role = {
        "metadata": {"name": "pod-reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    assert create(RBAC, "Role", role) == []
    bad = {
        "metadata": {"name": "a/b", "namespace": "default"},
        "rules": [
            {"verbs": ["get"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"], "resources": ["pods"]},
        ],
    }
    assert create(RBAC, "Role", bad) == [
        "metadata.name: Invalid value: \"a/b\": may not contain '/'",
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[0].resources: Required value: resource rules must supply at least one resource",
        'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to '
        "non-resource URLs",
        'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular '
        "resources and non-resource URLs",
    ]
    cr = {
        "metadata": {"name": "system:thing"},
        "rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}],
    }
    assert create(RBAC, "ClusterRole", cr) == []
    cr["aggregationRule"] = {"clusterRoleSelectors": []}
    assert create(RBAC, "ClusterRole", cr) == [
        "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if "
        "aggregationRule is non-nil"
    ]


def test_bindings() -> None:
    rb: dict[str, Any] = {
        "metadata": {"name": "read", "namespace": "default"},
        "roleRef": {"kind": "Role", "name": "pod-reader"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "ServiceAccount", "name": "default"},
        ],
    }
    assert create(RBAC, "RoleBinding", rb) == []
    assert rb["roleRef"]["apiGroup"] == RBAC
    assert rb["subjects"][0]["apiGroup"] == RBAC and rb["subjects"][1]["apiGroup"] == ""
    crb = {
        "metadata": {"name": "read"},
        "roleRef": {"apiGroup": "example.com", "kind": "Role", "name": ""},
        "subjects": [
            {"kind": "ServiceAccount", "name": "x"},
            {"kind": "Robot", "name": "r"},
            {"kind": "Group"},
        ],
    }
    assert create(RBAC, "ClusterRoleBinding", crb) == [
        'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "roleRef.name: Required value",
        "subjects[0].namespace: Required value",
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
        "subjects[2].name: Required value",
    ]


def test_role_ref_is_immutable() -> None:
    old: dict[str, Any] = {
        "metadata": {"name": "read", "namespace": "d"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
    }
    apply_defaults(RBAC, "RoleBinding", old)
    new = copy.deepcopy(old)
    new["roleRef"]["name"] = "edit"
    new["subjects"] = [{"kind": "User", "name": "bob"}]
    assert update(RBAC, "RoleBinding", new, old) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
        'Name:"edit"}: cannot change roleRef'
    ]


# ---------------------------------------------------------------------------
# PriorityClass


def test_priority_class() -> None:
    pc = {"metadata": {"name": "high"}, "value": 1000}
    assert create("scheduling.k8s.io", "PriorityClass", pc) == []
    assert pc["preemptionPolicy"] == "PreemptLowerPriority"
    too_high = {"metadata": {"name": "high"}, "value": 1_000_000_001}
    assert create("scheduling.k8s.io", "PriorityClass", too_high) == [
        "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
    ]
    system = {
        "metadata": {"name": "system-node-critical"},
        "value": 1,
        "preemptionPolicy": "Sometimes",
    }
    assert create("scheduling.k8s.io", "PriorityClass", system) == [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use "
        "only. error: value of system-node-critical PriorityClass must be 2000001000",
        'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
    ]
    ok_system = {"metadata": {"name": "system-cluster-critical"}, "value": 2_000_000_000}
    assert create("scheduling.k8s.io", "PriorityClass", ok_system) == []
    new = copy.deepcopy(pc)
    new.update(value=5, preemptionPolicy="Never")
    assert update("scheduling.k8s.io", "PriorityClass", new, pc) == [
        "value: Forbidden: may not be changed in an update.",
        'preemptionPolicy: Invalid value: "Never": field is immutable',
    ]


# ---------------------------------------------------------------------------
# StorageClass


def test_storage_class() -> None:
    sc = {
        "metadata": {"name": "fast"},
        "provisioner": "example.com/csi",
        "parameters": {"type": "ssd"},
    }
    assert create("storage.k8s.io", "StorageClass", sc) == []
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    bad = {
        "metadata": {"name": "fast"},
        "provisioner": "",
        "reclaimPolicy": "Recycle",
        "volumeBindingMode": "Later",
    }
    assert create("storage.k8s.io", "StorageClass", bad) == [
        "provisioner: Required value",
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
    ]
    new = copy.deepcopy(sc)
    new.update(parameters={"type": "hdd"}, provisioner="other.io/csi", reclaimPolicy="Retain")
    new["volumeBindingMode"] = "WaitForFirstConsumer"
    assert update("storage.k8s.io", "StorageClass", new, sc) == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]


def test_storage_class_topologies() -> None:
    term = {
        "matchLabelExpressions": [
            {"key": "zone", "values": ["a", "a"]},
            {"key": "zone", "values": []},
        ]
    }
    sc = {"metadata": {"name": "s"}, "provisioner": "p.io/x", "allowedTopologies": [term]}
    assert create("storage.k8s.io", "StorageClass", sc) == [
        'allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a"',
        "allowedTopologies[0].matchLabelExpressions[1].values: Required value",
        'allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"',
    ]
