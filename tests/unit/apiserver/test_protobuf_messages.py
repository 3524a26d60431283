"""Decoding objects encoded by Google's protobuf runtime with upstream's field numbers.

Objects are built from the generated.proto transcription (see test_protobuf_tables.py), so
each expected dict below is what Go's encoding/json prints for the same object: zero
scalars are left out unless the Go field is a pointer or has no omitempty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from steersman.apiserver.protobuf import (
    ProtobufError,
    UnsupportedFieldError,
    decode_protobuf_object,
)
from tests.unit.apiserver.proto_schema import build, envelope

S = build((Path(__file__).parent / "data" / "k8s_v1_36_subset.proto").read_text())


def decode(api_version: str, obj: Any) -> dict[str, Any]:
    kind = type(obj).DESCRIPTOR.name
    got = decode_protobuf_object(envelope(api_version, kind, obj))
    assert (got.pop("apiVersion"), got.pop("kind")) == (api_version, kind)
    return got


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def f_int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def f_len(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def raw_envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = f_len(1, api_version.encode()) + f_len(2, kind.encode())
    return b"k8s\x00" + f_len(1, type_meta) + f_len(2, raw)


# --- pod templates ------------------------------------------------------------------------


def _container() -> Any:
    c = S["Container"](name="app", image="img:1", args=["--x"], stdin=True, tty=False)
    c.ports.add(name="http", containerPort=8080, protocol="TCP", hostPort=0)
    c.env.add(name="PLAIN", value="v")
    c.env.add(name="EMPTY", value="")
    field_ref = c.env.add(name="NODE").valueFrom.fieldRef
    field_ref.fieldPath = "spec.nodeName"
    res = c.env.add(name="MEM").valueFrom.resourceFieldRef
    res.resource = "limits.memory"
    res.divisor.string = "1Mi"
    cm = c.env.add(name="CM").valueFrom.configMapKeyRef
    cm.localObjectReference.name = "cfg"
    cm.key = "k"
    cm.optional = False
    fk = c.env.add(name="FILE").valueFrom.fileKeyRef
    fk.volumeName, fk.path, fk.key = "envs", "a.env", "K"
    src = c.envFrom.add(prefix="P_")
    src.configMapRef.localObjectReference.name = "cfg"
    c.resources.limits["cpu"].string = "500m"
    c.resources.requests["memory"].string = "64Mi"
    c.resources.claims.add(name="gpu", request="")
    c.resizePolicy.add(resourceName="cpu", restartPolicy="NotRequired")
    c.volumeMounts.add(name="data", mountPath="/d", readOnly=True, recursiveReadOnly="Enabled")
    c.volumeDevices.add(name="blk", devicePath="/dev/xvda")
    c.livenessProbe.handler.grpc.port = 9000
    c.livenessProbe.handler.grpc.service = ""
    c.livenessProbe.periodSeconds = 0
    c.readinessProbe.handler.tcpSocket.port.type = 1
    c.readinessProbe.handler.tcpSocket.port.strVal = "http"
    c.readinessProbe.terminationGracePeriodSeconds = 0
    c.lifecycle.preStop.sleep.seconds = 0
    c.lifecycle.stopSignal = "SIGTERM"
    sc = c.securityContext
    sc.capabilities.drop.append("ALL")
    sc.runAsUser = 0
    sc.allowPrivilegeEscalation = False
    sc.seccompProfile.type = "RuntimeDefault"
    sc.appArmorProfile.type = "Localhost"
    sc.appArmorProfile.localhostProfile = "p"
    sc.windowsOptions.hostProcess = False
    sc.ulimits.add(name="nofile", hard=1024, soft=0)
    return c


_CONTAINER_JSON = {
    "name": "app",
    "image": "img:1",
    "args": ["--x"],
    "stdin": True,
    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
    "env": [
        {"name": "PLAIN", "value": "v"},
        {"name": "EMPTY"},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {
            "name": "MEM",
            "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
        },
        {
            "name": "CM",
            "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k", "optional": False}},
        },
        {
            "name": "FILE",
            "valueFrom": {"fileKeyRef": {"volumeName": "envs", "path": "a.env", "key": "K"}},
        },
    ],
    "envFrom": [{"prefix": "P_", "configMapRef": {"name": "cfg"}}],
    "resources": {
        "limits": {"cpu": "500m"},
        "requests": {"memory": "64Mi"},
        "claims": [{"name": "gpu"}],
    },
    "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
    "volumeMounts": [
        {"name": "data", "readOnly": True, "recursiveReadOnly": "Enabled", "mountPath": "/d"}
    ],
    "volumeDevices": [{"name": "blk", "devicePath": "/dev/xvda"}],
    "livenessProbe": {"grpc": {"port": 9000, "service": ""}},
    "readinessProbe": {"tcpSocket": {"port": "http"}, "terminationGracePeriodSeconds": 0},
    "lifecycle": {"preStop": {"sleep": {"seconds": 0}}, "stopSignal": "SIGTERM"},
    "securityContext": {
        "capabilities": {"drop": ["ALL"]},
        "runAsUser": 0,
        "allowPrivilegeEscalation": False,
        "seccompProfile": {"type": "RuntimeDefault"},
        "appArmorProfile": {"type": "Localhost", "localhostProfile": "p"},
        "windowsOptions": {"hostProcess": False},
        "ulimits": [{"name": "nofile", "hard": 1024, "soft": 0}],
    },
}


def _volumes(spec: Any) -> None:
    v = spec.volumes.add(name="cm")
    v.volumeSource.configMap.localObjectReference.name = "cfg"
    v.volumeSource.configMap.items.add(key="a", path="a.txt")
    v.volumeSource.configMap.defaultMode = 420
    v = spec.volumes.add(name="sec")
    v.volumeSource.secret.secretName = "s"
    v.volumeSource.secret.optional = True
    v = spec.volumes.add(name="tmp")
    v.volumeSource.emptyDir.medium = "Memory"
    v.volumeSource.emptyDir.sizeLimit.string = "1Gi"
    v = spec.volumes.add(name="host")
    v.volumeSource.hostPath.path = "/var/log"
    v.volumeSource.hostPath.type = ""
    v = spec.volumes.add(name="proj")
    token = v.volumeSource.projected.sources.add().serviceAccountToken
    token.expirationSeconds = 3600
    token.path = "token"
    down = v.volumeSource.projected.sources.add().downwardAPI.items.add(path="labels")
    down.fieldRef.fieldPath = "metadata.labels"
    v = spec.volumes.add(name="csi")
    v.volumeSource.csi.driver = "csi.example.com"
    v.volumeSource.csi.volumeAttributes["size"] = "1"
    v = spec.volumes.add(name="eph")
    tmpl = v.volumeSource.ephemeral.volumeClaimTemplate
    tmpl.metadata.labels["a"] = "b"
    tmpl.spec.accessModes.append("ReadWriteOnce")
    tmpl.spec.resources.requests["storage"].string = "1Gi"
    tmpl.spec.storageClassName = ""
    v = spec.volumes.add(name="img")
    v.volumeSource.image.reference = "img:2"
    v = spec.volumes.add(name="nfs")
    v.volumeSource.nfs.server = "10.0.0.1"
    v.volumeSource.nfs.path = "/export"
    v = spec.volumes.add(name="pvc")
    v.volumeSource.persistentVolumeClaim.claimName = "claim"
    v = spec.volumes.add(name="dapi")
    v.volumeSource.downwardAPI.items.add(path="name").fieldRef.fieldPath = "metadata.name"


_VOLUMES_JSON = [
    {
        "name": "cm",
        "configMap": {"name": "cfg", "items": [{"key": "a", "path": "a.txt"}], "defaultMode": 420},
    },
    {"name": "sec", "secret": {"secretName": "s", "optional": True}},
    {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
    {"name": "host", "hostPath": {"path": "/var/log", "type": ""}},
    {
        "name": "proj",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3600, "path": "token"}},
                {
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    }
                },
            ]
        },
    },
    {"name": "csi", "csi": {"driver": "csi.example.com", "volumeAttributes": {"size": "1"}}},
    {
        "name": "eph",
        "ephemeral": {
            "volumeClaimTemplate": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                    "storageClassName": "",
                },
            }
        },
    },
    {"name": "img", "image": {"reference": "img:2"}},
    {"name": "nfs", "nfs": {"server": "10.0.0.1", "path": "/export"}},
    {"name": "pvc", "persistentVolumeClaim": {"claimName": "claim"}},
    {
        "name": "dapi",
        "downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]},
    },
]


def _scheduling(spec: Any) -> None:
    node = spec.affinity.nodeAffinity
    term = node.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.add()
    term.matchExpressions.add(key="zone", operator="In", values=["a", "b"])
    pref = node.preferredDuringSchedulingIgnoredDuringExecution.add(weight=10)
    pref.preference.matchFields.add(key="metadata.name", operator="NotIn", values=["n1"])
    anti = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.add(
        weight=100
    )
    anti.podAffinityTerm.labelSelector.matchLabels["app"] = "web"
    anti.podAffinityTerm.topologyKey = "kubernetes.io/hostname"
    spec.tolerations.add(key="k", operator="Exists", effect="NoExecute", tolerationSeconds=0)
    tsc = spec.topologySpreadConstraints.add(maxSkew=1, topologyKey="zone")
    tsc.whenUnsatisfiable = "DoNotSchedule"
    tsc.minDomains = 2
    tsc.labelSelector.matchExpressions.add(key="app", operator="Exists")


_SCHEDULING_JSON = {
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}
                ]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "preference": {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}
                        ]
                    },
                }
            ],
        },
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": "web"}},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        },
    },
    "tolerations": [
        {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 0}
    ],
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "minDomains": 2,
            "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
        }
    ],
}


def test_pod_template_with_every_modelled_part() -> None:
    dep = S["Deployment"]()
    dep.metadata.name = "web"
    dep.spec.replicas = 0
    tmpl = dep.spec.template
    tmpl.metadata.labels["app"] = "web"
    spec = tmpl.spec
    spec.initContainers.add(name="side", image="s", restartPolicy="Always")
    spec.containers.append(_container())
    eph = spec.ephemeralContainers.add(targetContainerName="app")
    eph.ephemeralContainerCommon.name = "debug"
    eph.ephemeralContainerCommon.image = "busybox"
    _volumes(spec)
    _scheduling(spec)
    spec.terminationGracePeriodSeconds = -1
    spec.hostNetwork = False  # omitempty: dropped
    spec.priority = 0  # pointer: kept
    spec.enableServiceLinks = False
    spec.hostUsers = False
    spec.securityContext.supplementalGroups.extend([1000, 2000])
    spec.securityContext.sysctls.add(name="net.core.somaxconn", value="1024")
    spec.securityContext.fsGroup = 0
    spec.hostAliases.add(ip="10.0.0.9", hostnames=["db"])
    spec.dnsConfig.options.add(name="ndots", value="")
    spec.readinessGates.add(conditionType="example.com/ready")
    spec.overhead["cpu"].string = "10m"
    spec.os.name = "linux"
    spec.schedulingGates.add(name="wait")
    spec.resourceClaims.add(name="gpu", resourceClaimTemplateName="gpu-tmpl")
    spec.resources.limits["memory"].string = "1Gi"
    spec.hostnameOverride = "h"

    got = decode("apps/v1", dep)

    assert got["metadata"] == {"name": "web"}
    assert got["spec"]["replicas"] == 0
    pod_spec = got["spec"]["template"]["spec"]
    assert pod_spec.pop("containers") == [_CONTAINER_JSON]
    assert pod_spec.pop("volumes") == _VOLUMES_JSON
    for key, value in _SCHEDULING_JSON.items():
        assert pod_spec.pop(key) == value
    assert pod_spec == {
        "initContainers": [{"name": "side", "image": "s", "restartPolicy": "Always"}],
        "ephemeralContainers": [
            {"name": "debug", "image": "busybox", "targetContainerName": "app"}
        ],
        "terminationGracePeriodSeconds": -1,
        "priority": 0,
        "enableServiceLinks": False,
        "hostUsers": False,
        "securityContext": {
            "supplementalGroups": [1000, 2000],
            "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}],
            "fsGroup": 0,
        },
        "hostAliases": [{"ip": "10.0.0.9", "hostnames": ["db"]}],
        "dnsConfig": {"options": [{"name": "ndots", "value": ""}]},
        "readinessGates": [{"conditionType": "example.com/ready"}],
        "overhead": {"cpu": "10m"},
        "os": {"name": "linux"},
        "schedulingGates": [{"name": "wait"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "gpu-tmpl"}],
        "resources": {"limits": {"memory": "1Gi"}},
        "hostnameOverride": "h",
    }


def test_deprecated_volume_plugin_is_refused_not_dropped() -> None:
    dep = S["Deployment"]()
    dep.spec.template.spec.volumes.add(name="ok").volumeSource.emptyDir.medium = ""
    dep.spec.template.spec.volumes.add(name="gce").volumeSource.gcePersistentDisk.SetInParent()
    with pytest.raises(UnsupportedFieldError) as info:
        decode("apps/v1", dep)
    message = str(info.value)
    assert "'spec.template.spec.volumes[1].gcePersistentDisk'" in message
    assert "VolumeSource field 3" in message
    assert "send the object as JSON" in message


# --- workloads ------------------------------------------------------------------------------


def test_deployment_strategy_and_status() -> None:
    dep = S["Deployment"]()
    dep.spec.strategy.type = "RollingUpdate"
    dep.spec.strategy.rollingUpdate.maxUnavailable.intVal = 0
    dep.spec.strategy.rollingUpdate.maxSurge.type = 1
    dep.spec.strategy.rollingUpdate.maxSurge.strVal = "50%"
    dep.spec.revisionHistoryLimit = 0
    dep.spec.progressDeadlineSeconds = 60
    dep.spec.podReplacementPolicy = "TerminationComplete"
    st = dep.status
    st.observedGeneration = 3
    st.replicas = 2
    st.unavailableReplicas = 0
    st.terminatingReplicas = 0
    st.collisionCount = 1
    cond = st.conditions.add(type="Available", status="True", reason="MinimumReplicasAvailable")
    cond.lastUpdateTime.seconds = 1_700_000_000
    cond.lastTransitionTime.seconds = 1_700_000_060
    got = decode("apps/v1", dep)
    assert got["spec"] == {
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "50%"},
        },
        "revisionHistoryLimit": 0,
        "progressDeadlineSeconds": 60,
        "podReplacementPolicy": "TerminationComplete",
    }
    assert got["status"] == {
        "observedGeneration": 3,
        "replicas": 2,
        "terminatingReplicas": 0,
        "collisionCount": 1,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "lastUpdateTime": "2023-11-14T22:13:20Z",
                "lastTransitionTime": "2023-11-14T22:14:20Z",
            }
        ],
    }


def test_job_policies_and_status() -> None:
    job = S["Job"]()
    rule = job.spec.podFailurePolicy.rules.add(action="FailJob")
    rule.onExitCodes.operator = "In"
    rule.onExitCodes.values.extend([1, 42])
    job.spec.podFailurePolicy.rules.add(action="Ignore").onPodConditions.add(
        type="DisruptionTarget"
    )
    job.spec.successPolicy.rules.add(succeededIndexes="0-2", succeededCount=2)
    job.spec.completionMode = "Indexed"
    job.spec.suspend = False
    job.spec.managedBy = "kubernetes.io/job-controller"
    st = job.status
    st.startTime.seconds = 1_700_000_000
    st.active = 1
    st.failed = 0
    st.ready = 0
    st.failedIndexes = ""
    st.uncountedTerminatedPods.succeeded.append("uid-1")
    st.conditions.add(type="Suspended", status="False")
    got = decode("batch/v1", job)
    assert got["spec"] == {
        "podFailurePolicy": {
            "rules": [
                {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1, 42]}},
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
            ]
        },
        "successPolicy": {"rules": [{"succeededIndexes": "0-2", "succeededCount": 2}]},
        "completionMode": "Indexed",
        "suspend": False,
        "managedBy": "kubernetes.io/job-controller",
    }
    assert got["status"] == {
        "startTime": "2023-11-14T22:13:20Z",
        "active": 1,
        "ready": 0,
        "failedIndexes": "",
        "uncountedTerminatedPods": {"succeeded": ["uid-1"]},
        "conditions": [{"type": "Suspended", "status": "False"}],
    }


def test_cronjob_status() -> None:
    cj = S["CronJob"]()
    cj.spec.schedule = ""
    cj.spec.timeZone = "Etc/UTC"
    cj.spec.jobTemplate.spec.backoffLimit = 0
    cj.status.active.add(kind="Job", name="j-1", namespace="ns")
    cj.status.lastScheduleTime.seconds = 0  # the epoch: a real time, not Go's zero time
    got = decode("batch/v1", cj)
    assert got["spec"] == {
        "schedule": "",
        "timeZone": "Etc/UTC",
        "jobTemplate": {"spec": {"backoffLimit": 0}},
    }
    assert got["status"] == {
        "active": [{"kind": "Job", "name": "j-1", "namespace": "ns"}],
        "lastScheduleTime": "1970-01-01T00:00:00Z",
    }


# --- core and other groups ------------------------------------------------------------------


def test_service_affinity_config_and_status() -> None:
    svc = S["Service"]()
    svc.spec.sessionAffinity = "ClientIP"
    svc.spec.sessionAffinityConfig.clientIP.timeoutSeconds = 10800
    svc.spec.ipFamilyPolicy = "SingleStack"
    svc.spec.ports.add(port=80, appProtocol="").targetPort.intVal = 0
    ing = svc.status.loadBalancer.ingress.add(ip="192.0.2.1", ipMode="VIP")
    ing.ports.add(port=80, protocol="TCP", error="")
    cond = svc.status.conditions.add(type="Ready", status="True", reason="R", message="")
    cond.observedGeneration = 0
    got = decode("v1", svc)
    assert got["spec"] == {
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
        "ipFamilyPolicy": "SingleStack",
        "ports": [{"port": 80, "appProtocol": "", "targetPort": 0}],
    }
    assert got["status"] == {
        "loadBalancer": {
            "ingress": [
                {
                    "ip": "192.0.2.1",
                    "ipMode": "VIP",
                    "ports": [{"port": 80, "protocol": "TCP", "error": ""}],
                }
            ]
        },
        "conditions": [{"type": "Ready", "status": "True", "reason": "R", "message": ""}],
    }


def test_namespace_status_conditions() -> None:
    ns = S["Namespace"]()
    ns.spec.finalizers.append("kubernetes")
    ns.status.phase = "Terminating"
    cond = ns.status.conditions.add(type="NamespaceDeletionContentFailure", status="False")
    cond.lastTransitionTime.seconds = 1_700_000_000
    cond.message = ""
    assert decode("v1", ns) == {
        "spec": {"finalizers": ["kubernetes"]},
        "status": {
            "phase": "Terminating",
            "conditions": [
                {
                    "type": "NamespaceDeletionContentFailure",
                    "status": "False",
                    "lastTransitionTime": "2023-11-14T22:13:20Z",
                }
            ],
        },
    }


def test_pdb_disrupted_pods_and_conditions() -> None:
    pdb = S["PodDisruptionBudget"]()
    pdb.spec.maxUnavailable.intVal = 0
    pdb.spec.unhealthyPodEvictionPolicy = "AlwaysAllow"
    pdb.status.disruptedPods["p1"].seconds = 1_700_000_000
    pdb.status.disruptionsAllowed = 0
    pdb.status.conditions.add(type="DisruptionAllowed", status="False", reason="Insufficient")
    got = decode("policy/v1", pdb)
    assert got["spec"] == {"maxUnavailable": 0, "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    assert got["status"] == {
        "disruptedPods": {"p1": "2023-11-14T22:13:20Z"},
        "disruptionsAllowed": 0,
        "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "Insufficient"}],
    }


def test_ingress_resource_backend_and_status() -> None:
    ing = S["Ingress"]()
    ing.spec.defaultBackend.resource.apiGroup = ""
    ing.spec.defaultBackend.resource.kind = "StorageBucket"
    ing.spec.defaultBackend.resource.name = "static"
    path = ing.spec.rules.add(host="").ingressRuleValue.http.paths.add(path="/", pathType="Prefix")
    path.backend.service.name = "web"
    path.backend.service.port.name = "http"
    ing.spec.tls.add(hosts=["a.example.com"])
    lb = ing.status.loadBalancer.ingress.add(hostname="lb.example.com")
    lb.ports.add(port=443, protocol="TCP")
    assert decode("networking.k8s.io/v1", ing) == {
        "spec": {
            "defaultBackend": {
                "resource": {"apiGroup": "", "kind": "StorageBucket", "name": "static"}
            },
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"name": "http"}}},
                            }
                        ]
                    }
                }
            ],
            "tls": [{"hosts": ["a.example.com"]}],
        },
        "status": {
            "loadBalancer": {
                "ingress": [
                    {"hostname": "lb.example.com", "ports": [{"port": 443, "protocol": "TCP"}]}
                ]
            }
        },
    }


def test_rbac_and_quota_keep_required_empty_strings() -> None:
    rb = S["ClusterRoleBinding"]()
    rb.roleRef.apiGroup = ""
    rb.roleRef.kind = "ClusterRole"
    rb.roleRef.name = "view"
    rb.subjects.add(kind="Group", name="devs", apiGroup="", namespace="")
    assert decode("rbac.authorization.k8s.io/v1", rb) == {
        "roleRef": {"apiGroup": "", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "devs"}],
    }
    quota = S["ResourceQuota"]()
    quota.spec.scopeSelector.matchExpressions.add(scopeName="PriorityClass", operator="Exists")
    quota.spec.hard["pods"].SetInParent()  # a Quantity with no text is Go's zero, "0"
    assert decode("v1", quota) == {
        "spec": {
            "scopeSelector": {
                "matchExpressions": [{"scopeName": "PriorityClass", "operator": "Exists"}]
            },
            "hard": {"pods": "0"},
        }
    }


# --- wire-level behaviour -------------------------------------------------------------------


def test_packed_repeated_ints_are_accepted() -> None:
    packed = _varint(1000) + _varint(2000)
    pod_security = f_len(4, packed)
    raw = f_len(2, f_len(3, f_len(2, f_len(14, pod_security))))
    got = decode_protobuf_object(raw_envelope("apps/v1", "Deployment", raw))
    assert got["spec"]["template"]["spec"]["securityContext"] == {
        "supplementalGroups": [1000, 2000]
    }


def test_integers_wrap_like_go() -> None:
    # int32 keeps the low 32 bits; int64 negatives are ten-byte varints; bools are v != 0.
    spec = f_int(1, (1 << 32) + 5) + f_int(5, (1 << 32) | 7) + f_int(7, 2)
    raw = f_len(2, spec)
    got = decode_protobuf_object(raw_envelope("apps/v1", "Deployment", raw))
    assert got["spec"] == {"replicas": 5, "minReadySeconds": 7, "paused": True}
    meta = f_int(10, -30)
    got = decode_protobuf_object(raw_envelope("v1", "ConfigMap", f_len(1, meta)))
    assert got["metadata"] == {"deletionGracePeriodSeconds": -30}


def test_unknown_field_numbers_are_skipped() -> None:
    pod_spec = S["PodSpec"](nodeName="n1").SerializeToString() + f_len(99, b"future")
    raw = f_len(2, f_len(3, f_len(2, pod_spec)))
    got = decode_protobuf_object(raw_envelope("apps/v1", "Deployment", raw))
    assert got["spec"]["template"]["spec"] == {"nodeName": "n1"}


def test_repeated_singular_fields_follow_proto_merging() -> None:
    # A later scalar wins; a repeated embedded message merges into the earlier one.
    spec_a = f_int(1, 3)
    spec_b = f_int(7, 1)
    raw = f_len(1, f_len(1, b"first") + f_len(1, b"second")) + f_len(2, spec_a) + f_len(2, spec_b)
    got = decode_protobuf_object(raw_envelope("apps/v1", "Deployment", raw))
    assert got["metadata"] == {"name": "second"}
    assert got["spec"] == {"replicas": 3, "paused": True}


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        (b"", None),  # Go's zero Time marshals to nothing
        (f_int(1, -62135596800), None),  # 0001-01-01T00:00:00Z is Go's zero too
        (f_int(1, 0), "1970-01-01T00:00:00Z"),
        (f_int(1, 1_700_000_000) + f_int(2, 1_500_000_000), "2023-11-14T22:13:21Z"),
        (f_int(1, 1_700_000_000) + f_int(2, -1), "2023-11-14T22:13:19Z"),
    ],
)
def test_times(time: bytes, expected: str | None) -> None:
    meta = f_len(1, b"x") + f_len(8, time)
    got = decode_protobuf_object(raw_envelope("v1", "ConfigMap", f_len(1, meta)))
    assert got["metadata"].get("creationTimestamp") == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (f_len(1, f_len(8, f_int(1, 253402300800))), "outside years 1-9999"),
        (f_len(1, f_len(8, f_int(1, -(1 << 62)))), "outside years 1-9999"),
        (f_len(1, f_len(7, b"3")), "must be a varint"),
        (f_len(1, f_int(1, 5)), "must be length-delimited"),
        (f_len(3, f_len(1, f_len(1, b"k") + f_len(2, b"\xff"))), "not valid UTF-8"),
        (f_len(1, f_len(17, f_len(7, f_len(1, b"{nope")))), "not valid JSON"),
        (f_len(1, f_len(1, b"a") + b"\x0b"), "wire type"),
    ],
)
def test_malformed_fields(raw: bytes, message: str) -> None:
    with pytest.raises(ProtobufError, match=message):
        decode_protobuf_object(raw_envelope("v1", "Secret", raw))


def test_int_or_string_with_an_impossible_type() -> None:
    spec = f_len(1, f_int(1, 2) + f_int(2, 1))
    with pytest.raises(ProtobufError, match="impossible IntOrString type 2"):
        decode_protobuf_object(raw_envelope("policy/v1", "PodDisruptionBudget", f_len(2, spec)))


@pytest.mark.parametrize("api_version", ["apps/v1beta1", "apps", "v2"])
def test_only_v1_kinds_are_decoded(api_version: str) -> None:
    with pytest.raises(ProtobufError, match="is not supported"):
        decode_protobuf_object(raw_envelope(api_version, "Deployment", b""))
