"""core/v1 defaulting: Kubernetes' SetDefaults_* results, and idempotence."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from steersman.api.defaults import apply_defaults
from steersman.api.defaults.core import (
    default_pod_spec,
    default_pod_template,
    image_pull_policy_for,
)
from steersman.api.defaults.service_update import prepare_service_for_update


def defaulted(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    apply_defaults("", kind, obj)
    again = copy.deepcopy(obj)
    apply_defaults("", kind, again)
    assert again == obj, "defaulting must be idempotent"
    return obj


def test_pod_defaults() -> None:
    pod = {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "nginx:1.25",
                    "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "0.5", "memory": 134217728}},
                    "livenessProbe": {"httpGet": {"port": 80}},
                    "env": [
                        {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
                    ],
                }
            ]
        },
    }
    spec = defaulted("Pod", pod)["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["securityContext"] == {}
    assert spec["enableServiceLinks"] is True
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"
    c = spec["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["resources"] == {
        "limits": {"cpu": "500m", "memory": "134217728"},
        "requests": {"cpu": "500m", "memory": "134217728"},
    }
    assert c["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"


def test_explicit_values_are_kept() -> None:
    pod = {
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "enableServiceLinks": False,
            "containers": [{"name": "c", "image": "x", "imagePullPolicy": "Never"}],
        }
    }
    spec = defaulted("Pod", pod)["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["enableServiceLinks"] is False
    assert spec["containers"][0]["imagePullPolicy"] == "Never"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("busybox", "Always"),
        ("busybox:latest", "Always"),
        ("busybox:1.36", "IfNotPresent"),
        ("localhost:5000/team/app", "Always"),
        ("localhost:5000/team/app:v1", "IfNotPresent"),
        ("busybox@sha256:" + "a" * 64, "IfNotPresent"),
        ("Busybox", "IfNotPresent"),  # does not parse: no tag
    ],
)
def test_image_pull_policy(image: str, policy: str) -> None:
    assert image_pull_policy_for(image) == policy


def test_volume_defaults() -> None:
    spec: dict[str, Any] = {
        "containers": [{"name": "c", "image": "x"}],
        "volumes": [
            {"name": "a"},
            {"name": "s", "secret": {"secretName": "s"}},
            {"name": "cm", "configMap": {"name": "cm"}},
            {"name": "h", "hostPath": {"path": "/x"}},
            {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
        ],
    }
    default_pod_spec(spec)
    vols = {v["name"]: v for v in spec["volumes"]}
    assert vols["a"]["emptyDir"] == {}
    assert vols["s"]["secret"]["defaultMode"] == 420
    assert vols["cm"]["configMap"]["defaultMode"] == 420
    assert vols["h"]["hostPath"]["type"] == ""
    assert vols["p"]["projected"]["defaultMode"] == 420
    assert vols["p"]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 3600


def test_template_gets_pod_spec_defaults_only() -> None:
    template: dict[str, Any] = {
        "spec": {"containers": [{"name": "c", "image": "x", "resources": {"limits": {"cpu": "1"}}}]}
    }
    default_pod_template(template)
    assert template["spec"]["restartPolicy"] == "Always"
    assert "enableServiceLinks" not in template["spec"]
    assert "requests" not in template["spec"]["containers"][0]["resources"]


def test_host_network_ports() -> None:
    pod = {
        "spec": {
            "hostNetwork": True,
            "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}],
        }
    }
    assert defaulted("Pod", pod)["spec"]["containers"][0]["ports"][0]["hostPort"] == 8080


def test_replication_controller_defaults() -> None:
    rc = {
        "metadata": {"name": "rc"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "a"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            }
        },
    }
    out = defaulted("ReplicationController", rc)
    assert out["spec"]["replicas"] == 1
    assert out["spec"]["selector"] == {"app": "a"}
    assert out["metadata"]["labels"] == {"app": "a"}
    assert out["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_pod_template_defaults() -> None:
    pt = {
        "metadata": {"name": "t"},
        "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}},
    }
    assert defaulted("PodTemplate", pt)["template"]["spec"]["schedulerName"] == "default-scheduler"


def test_service_defaults() -> None:
    svc = {
        "spec": {"ports": [{"port": 80}, {"port": 443, "targetPort": "https", "protocol": "UDP"}]}
    }
    spec = defaulted("Service", svc)["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert "externalTrafficPolicy" not in spec
    assert "ipFamilies" not in spec and "ipFamilyPolicy" not in spec
    assert spec["ports"] == [
        {"port": 80, "protocol": "TCP", "targetPort": 80},
        {"port": 443, "targetPort": "https", "protocol": "UDP"},
    ]
    lb = defaulted(
        "Service",
        {"spec": {"type": "LoadBalancer", "sessionAffinity": "ClientIP", "ports": [{"port": 1}]}},
    )
    assert lb["spec"]["externalTrafficPolicy"] == "Cluster"
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is True
    assert lb["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_service_update_preparation() -> None:
    old: dict[str, Any] = {
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.0.0.1",
            "clusterIPs": ["10.0.0.1"],
            "externalTrafficPolicy": "Cluster",
            "ports": [{"port": 80, "nodePort": 30001}],
        }
    }
    new: dict[str, Any] = {
        "spec": {"type": "NodePort", "externalTrafficPolicy": "Cluster", "ports": [{"port": 80}]}
    }
    prepare_service_for_update(new, old)
    assert new["spec"]["clusterIP"] == "10.0.0.1"
    assert new["spec"]["ports"][0]["nodePort"] == 30001
    to_cluster_ip = copy.deepcopy(old)
    to_cluster_ip["spec"]["type"] = "ClusterIP"
    prepare_service_for_update(to_cluster_ip, old)
    assert "nodePort" not in to_cluster_ip["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in to_cluster_ip["spec"]
    assert to_cluster_ip["spec"]["clusterIP"] == "10.0.0.1"


def test_secret_defaults_and_string_data() -> None:
    secret = {
        "data": {"a": base64.b64encode(b"1").decode()},
        "stringData": {"b": "two", "a": "one"},
    }
    out = defaulted("Secret", secret)
    assert out["type"] == "Opaque"
    assert "stringData" not in out
    assert base64.b64decode(out["data"]["a"]) == b"one"
    assert base64.b64decode(out["data"]["b"]) == b"two"


def test_namespace_defaults_do_not_touch_finalizers() -> None:
    ns = {"metadata": {"name": "team"}, "spec": {}, "status": {}}
    out = defaulted("Namespace", ns)
    assert out["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    assert out["status"]["phase"] == "Active"
    assert out["spec"] == {}  # spec.finalizers is the strategy's, set once on create


def test_node_allocatable_from_capacity() -> None:
    node = {"status": {"capacity": {"cpu": "2", "memory": "2048Mi"}}}
    out = defaulted("Node", node)
    assert out["status"]["allocatable"] == {"cpu": "2", "memory": "2Gi"}


def test_persistent_volume_and_claim_defaults() -> None:
    pv = defaulted(
        "PersistentVolume", {"spec": {"capacity": {"storage": "1Gi"}, "hostPath": {"path": "/x"}}}
    )
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["status"] == {"phase": "Pending"}
    pvc = defaulted(
        "PersistentVolumeClaim", {"spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    )
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    assert pvc["status"] == {"phase": "Pending"}


def test_limit_range_defaults() -> None:
    lr = {
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}
    }
    item = defaulted("LimitRange", lr)["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"}
    assert item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}


def test_endpoints_protocol() -> None:
    ep = {"subsets": [{"ports": [{"port": 80}]}]}
    assert defaulted("Endpoints", ep)["subsets"][0]["ports"][0]["protocol"] == "TCP"


def test_bad_quantity_left_for_validation() -> None:
    pod = {
        "spec": {
            "containers": [{"name": "c", "image": "x", "resources": {"limits": {"cpu": "lots"}}}]
        }
    }
    assert defaulted("Pod", pod)["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "lots"
