"""Column definitions of every served kind against upstream's printers.

The expectations transcribe AddHandlers in kubernetes/kubernetes
pkg/printers/internalversion/printers.go (v1.36 development branch): each column as
`Name:type:priority`, with literal descriptions where the printer spells one out.
Kinds the printers do not handle get rest.NewDefaultTableConvertor's two columns.
"""

from __future__ import annotations

import pytest

from steersman.api import resources, tables

_CONTAINERS = ["Containers:string:1", "Images:string:1"]
_WORKLOAD = ["Desired:integer:0", "Current:integer:0", "Ready:integer:0", "Age:string:0"]

UPSTREAM: dict[tuple[str, str], list[str]] = {
    ("", "Pod"): [
        "Ready:string:0",
        "Status:string:0",
        "Restarts:string:0",
        "Age:string:0",
        "IP:string:1",
        "Node:string:1",
        "Nominated Node:string:1",
        "Readiness Gates:string:1",
    ],
    ("", "PodTemplate"): ["Containers:string:0", "Images:string:0", "Pod Labels:string:0"],
    ("autoscaling", "HorizontalPodAutoscaler"): [
        "Reference:string:0",
        "Targets:string:0",
        "MinPods:string:0",
        "MaxPods:integer:0",
        "Replicas:integer:0",
        "Age:string:0",
    ],
    ("policy", "PodDisruptionBudget"): [
        "Min Available:string:0",
        "Max Unavailable:string:0",
        "Allowed Disruptions:integer:0",
        "Age:string:0",
    ],
    ("", "ReplicationController"): [*_WORKLOAD, *_CONTAINERS, "Selector:string:1"],
    ("apps", "ReplicaSet"): [*_WORKLOAD, *_CONTAINERS, "Selector:string:1"],
    ("apps", "DaemonSet"): [
        "Desired:integer:0",
        "Current:integer:0",
        "Ready:integer:0",
        "Up-to-date:integer:0",
        "Available:integer:0",
        "Node Selector:string:0",
        "Age:string:0",
        *_CONTAINERS,
        "Selector:string:1",
    ],
    ("batch", "Job"): [
        "Status:string:0",
        "Completions:string:0",
        "Duration:string:0",
        "Age:string:0",
        *_CONTAINERS,
        "Selector:string:1",
    ],
    ("batch", "CronJob"): [
        "Schedule:string:0",
        "Timezone:string:0",
        "Suspend:boolean:0",
        "Active:integer:0",
        "Last Schedule:string:0",
        "Age:string:0",
        *_CONTAINERS,
        "Selector:string:1",
    ],
    ("", "Service"): [
        "Type:string:0",
        "Cluster-IP:string:0",
        "External-IP:string:0",
        "Port(s):string:0",
        "Age:string:0",
        "Selector:string:1",
    ],
    ("networking.k8s.io", "Ingress"): [
        "Class:string:0",
        "Hosts:string:0",
        "Address:string:0",
        "Ports:string:0",
        "Age:string:0",
    ],
    ("networking.k8s.io", "IngressClass"): [
        "Controller:string:0",
        "Parameters:string:0",
        "Age:string:0",
    ],
    ("apps", "StatefulSet"): ["Ready:string:0", "Age:string:0", *_CONTAINERS],
    ("", "Endpoints"): ["Endpoints:string:0", "Age:string:0"],
    ("", "Node"): [
        "Status:string:0",
        "Roles:string:0",
        "Age:string:0",
        "Version:string:0",
        "Internal-IP:string:1",
        "External-IP:string:1",
        "OS-Image:string:1",
        "Kernel-Version:string:1",
        "Container-Runtime:string:1",
    ],
    ("", "Namespace"): ["Status:string:0", "Age:string:0"],
    ("", "Secret"): ["Type:string:0", "Data:string:0", "Age:string:0"],
    ("", "ServiceAccount"): ["Secrets:string:0", "Age:string:0"],
    ("", "PersistentVolume"): [
        "Capacity:string:0",
        "Access Modes:string:0",
        "Reclaim Policy:string:0",
        "Status:string:0",
        "Claim:string:0",
        "StorageClass:string:0",
        "VolumeAttributesClass:string:0",
        "Reason:string:0",
        "Age:string:0",
        "VolumeMode:string:1",
    ],
    ("", "PersistentVolumeClaim"): [
        "Status:string:0",
        "Volume:string:0",
        "Capacity:string:0",
        "Access Modes:string:0",
        "StorageClass:string:0",
        "VolumeAttributesClass:string:0",
        "Age:string:0",
        "VolumeMode:string:1",
    ],
    ("apps", "Deployment"): [
        "Ready:string:0",
        "Up-to-date:string:0",
        "Available:string:0",
        "Age:string:0",
        *_CONTAINERS,
        "Selector:string:1",
    ],
    ("", "ConfigMap"): ["Data:string:0", "Age:string:0"],
    ("networking.k8s.io", "NetworkPolicy"): ["Pod-Selector:string:0", "Age:string:0"],
    ("rbac.authorization.k8s.io", "RoleBinding"): [
        "Role:string:0",
        "Age:string:0",
        "Users:string:1",
        "Groups:string:1",
        "ServiceAccounts:string:1",
    ],
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): [
        "Role:string:0",
        "Age:string:0",
        "Users:string:1",
        "Groups:string:1",
        "ServiceAccounts:string:1",
    ],
    ("coordination.k8s.io", "Lease"): ["Holder:string:0", "Age:string:0"],
    ("storage.k8s.io", "StorageClass"): [
        "Provisioner:string:0",
        "ReclaimPolicy:string:0",
        "VolumeBindingMode:string:0",
        "AllowVolumeExpansion:string:0",
        "Age:string:0",
    ],
    ("apps", "ControllerRevision"): [
        "Controller:string:0",
        "Revision:string:0",
        "Age:string:0",
    ],
    ("", "ResourceQuota"): ["Request:string:0", "Limit:string:0", "Age:string:0"],
    ("scheduling.k8s.io", "PriorityClass"): [
        "Value:integer:0",
        "Global-Default:boolean:0",
        "Age:string:0",
        "PreemptionPolicy:string:0",
    ],
    ("discovery.k8s.io", "EndpointSlice"): [
        "AddressType:string:0",
        "Ports:string:0",
        "Endpoints:string:0",
        "Age:string:0",
    ],
}
_EVENT = [
    "Last Seen:string:0",
    "Type:string:0",
    "Reason:string:0",
    "Object:string:0",
    "Subobject:string:1",
    "Source:string:1",
    "Message:string:0",
    "First Seen:string:1",
    "Count:string:1",
    "Name:string:1",
]

# Descriptions the printers spell out rather than take from SwaggerDoc.
LITERAL: dict[tuple[str, str, str], str] = {
    ("", "Pod", "Ready"): "The aggregate readiness state of this pod for accepting traffic.",
    ("", "Pod", "Status"): "The aggregate status of the containers in this pod.",
    ("", "Pod", "Restarts"): "The number of times the containers in this pod have been "
    "restarted and when the last container in this pod has restarted.",
    ("", "PodTemplate", "Pod Labels"): "The labels for the pod template.",
    ("policy", "PodDisruptionBudget", "Min Available"): "The minimum number of pods that must "
    "be available.",
    ("policy", "PodDisruptionBudget", "Max Unavailable"): "The maximum number of pods that may "
    "be unavailable.",
    ("policy", "PodDisruptionBudget", "Allowed Disruptions"): "Calculated number of pods that "
    "may be disrupted at this time.",
    ("apps", "Deployment", "Containers"): "Names of each container in the template.",
    ("apps", "Deployment", "Images"): "Images referenced by each container in the template.",
    ("apps", "Deployment", "Ready"): "Number of the pod with ready state",
    ("apps", "StatefulSet", "Ready"): "Number of the pod with ready state",
    ("batch", "Job", "Status"): "Status of the job.",
    ("batch", "Job", "Duration"): "Time required to complete the job.",
    ("networking.k8s.io", "Ingress", "Class"): "The name of the IngressClass resource that "
    "should be used for additional configuration",
    ("networking.k8s.io", "Ingress", "Hosts"): "Hosts that incoming requests are matched "
    "against before the ingress rule",
    ("networking.k8s.io", "Ingress", "Address"): "Address is a list containing ingress points "
    "for the load-balancer",
    ("networking.k8s.io", "Ingress", "Ports"): "Ports of TLS configurations that open",
    ("networking.k8s.io", "IngressClass", "Controller"): "Controller that is responsible for "
    "handling this class",
    ("networking.k8s.io", "IngressClass", "Parameters"): "A reference to a resource with "
    "additional parameters",
    ("", "Node", "Status"): "The status of the node",
    ("", "Node", "Roles"): "The roles of the node",
    ("", "Namespace", "Status"): "The status of the namespace",
    ("", "PersistentVolume", "StorageClass"): "StorageClass of the pv",
    ("", "PersistentVolume", "VolumeAttributesClass"): "VolumeAttributesClass of the pv",
    ("", "PersistentVolumeClaim", "StorageClass"): "StorageClass of the pvc",
    ("", "PersistentVolumeClaim", "VolumeAttributesClass"): "VolumeAttributesClass of the pvc",
    ("rbac.authorization.k8s.io", "RoleBinding", "Users"): "Users in the roleBinding",
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", "ServiceAccounts"): "ServiceAccounts "
    "in the clusterRoleBinding",
    ("apps", "ControllerRevision", "Controller"): "Controller of the object",
    ("", "ResourceQuota", "Request"): "Request represents a minimum amount of cpu/memory that "
    "a container may consume.",
    ("", "ResourceQuota", "Limit"): "Limits control the maximum amount of cpu/memory that a "
    "container may use independent of contention on the node.",
}


def _expected(group: str, kind: str) -> list[str]:
    if kind == "Event":
        return _EVENT
    if (group, kind) in UPSTREAM:
        return ["Name:string:0", *UPSTREAM[(group, kind)]]
    return ["Name:string:0", "Created At:date:0"]


def _served() -> list[resources.ResourceInfo]:
    return [r for r in resources.RESOURCES if "list" in r.verbs or "get" in r.verbs]


@pytest.mark.parametrize("info", _served(), ids=lambda r: f"{r.group or 'core'}/{r.kind}")
def test_columns_match_upstream(info: resources.ResourceInfo) -> None:
    got = [f"{c['name']}:{c['type']}:{c['priority']}" for c in tables.column_definitions(info)]
    assert got == _expected(info.group, info.kind)


@pytest.mark.parametrize("info", _served(), ids=lambda r: f"{r.group or 'core'}/{r.kind}")
def test_name_column_format_and_descriptions(info: resources.ResourceInfo) -> None:
    columns = tables.column_definitions(info)
    formats = {c["name"]: c["format"] for c in columns}
    assert formats["Name"] == "name"
    assert all(f == "" for n, f in formats.items() if n != "Name")
    for column in columns:
        literal = LITERAL.get((info.group, info.kind, column["name"]))
        if literal is not None:
            assert column["description"] == literal
        else:
            # SwaggerDoc text from the bundled schemas: never left empty.
            assert column["description"], column["name"]


def test_every_upstream_printer_is_served() -> None:
    served = {(r.group, r.kind) for r in _served()}
    assert set(UPSTREAM) <= served
