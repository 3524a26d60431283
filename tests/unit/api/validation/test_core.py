"""core/v1 validation, through the registries as the API server calls it (defaults first)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from steersman.api.defaults import apply_defaults
from steersman.api.validation import validator_for
from steersman.api.validation.core import validate_pod_spec, validate_pod_template_spec


def create(kind: str, obj: dict[str, Any]) -> list[str]:
    obj = copy.deepcopy(obj)
    apply_defaults("", kind, obj)
    v = validator_for("", kind)
    assert v is not None
    return [e.message() for e in v.validate(obj)]


def update(kind: str, new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    new, old = copy.deepcopy(new), copy.deepcopy(old)
    apply_defaults("", kind, old)
    apply_defaults("", kind, new)
    v = validator_for("", kind)
    assert v is not None
    return [e.message() for e in v.validate_update(new, old)]


def meta(name: str = "x", ns: str | None = "default", **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, **extra}
    if ns is not None:
        m["namespace"] = ns
    return m


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(), "spec": base}


def ctr(**fields: Any) -> dict[str, Any]:
    return {"name": "c", "image": "busybox", **fields}


# -- Pod create ---------------------------------------------------------------------------------


def test_minimal_pod_is_valid() -> None:
    assert create("Pod", pod()) == []


def test_containers_required() -> None:
    assert create("Pod", pod(containers=[])) == ["spec.containers: Required value"]


def test_container_name_image_and_duplicates() -> None:
    out = create("Pod", pod(containers=[{"name": "c"}, {"name": "c", "image": "x"}]))
    assert out == [
        "spec.containers[0].image: Required value",
        'spec.containers[1].name: Duplicate value: "c"',
    ]


def test_container_ports() -> None:
    ports = [
        {"containerPort": 0, "name": "http"},
        {"containerPort": 70000, "protocol": "ICMP", "name": "http"},
        {"containerPort": 80, "hostPort": 99999},
    ]
    assert create("Pod", pod(containers=[ctr(ports=ports)])) == [
        "spec.containers[0].ports[0].containerPort: Required value",
        'spec.containers[0].ports[1].name: Duplicate value: "http"',
        "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and "
        "65535, inclusive",
        'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: '
        '"SCTP", "TCP", "UDP"',
        "spec.containers[0].ports[2].hostPort: Invalid value: 99999: must be between 1 and "
        "65535, inclusive",
    ]


def test_host_port_conflict() -> None:
    c1 = ctr(ports=[{"containerPort": 80, "hostPort": 8080}])
    c2 = {**ctr(ports=[{"containerPort": 81, "hostPort": 8080}]), "name": "d"}
    assert create("Pod", pod(containers=[c1, c2])) == [
        'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'
    ]


def test_env_value_from_exactly_one_source() -> None:
    env = [
        {"name": "A", "valueFrom": {}},
        {"name": "B", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {
            "name": "C",
            "valueFrom": {
                "fieldRef": {"fieldPath": "metadata.name"},
                "secretKeyRef": {"name": "s", "key": "k"},
            },
        },
        {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "spec.bogus"}}},
        {"name": "", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "a/b"}}},
    ]
    out = create("Pod", pod(containers=[ctr(env=env)]))
    assert out[:3] == [
        'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, '
        "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when '
        "`value` is not empty",
        'spec.containers[0].env[2].valueFrom: Invalid value: "": may not have more than one '
        "field specified at a time",
    ]
    assert out[3] == (
        'spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Invalid value: "spec.bogus": '
        "error converting fieldPath: field label not supported: spec.bogus"
    )
    assert out[4] == "spec.containers[0].env[4].name: Required value"
    assert out[5].startswith(
        'spec.containers[0].env[4].valueFrom.configMapKeyRef.key: Invalid value: "a/b": a valid '
        "config key"
    )


def test_env_field_ref_not_supported_for_env() -> None:
    env = [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels"}}}]
    assert create("Pod", pod(containers=[ctr(env=env)])) == [
        "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "
        '"metadata.labels": supported values: "metadata.name", "metadata.namespace", '
        '"metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", '
        '"status.hostIPs", "status.podIP", "status.podIPs"'
    ]


def test_volumes_and_mounts() -> None:
    volumes = [
        {"name": "a", "emptyDir": {}},
        {"name": "a", "emptyDir": {}},
        {"name": "Bad", "configMap": {"name": "x"}},
        {"name": "two", "emptyDir": {}, "hostPath": {"path": "/x"}},
        {"name": "s", "secret": {"defaultMode": 1000}},
    ]
    mounts = [
        {"name": "a", "mountPath": "/a"},
        {"name": "missing", "mountPath": "/a"},
    ]
    out = create("Pod", pod(volumes=volumes, containers=[ctr(volumeMounts=mounts)]))
    assert out == [
        'spec.volumes[1].name: Duplicate value: "a"',
        'spec.volumes[2].name: Invalid value: "Bad": a lowercase RFC 1123 label must consist of '
        "lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
        "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type",
        "spec.volumes[4].secret.secretName: Required value",
        "spec.volumes[4].secret.defaultMode: Invalid value: 1000: must be a number between 0 "
        "and 0777 (octal), both inclusive",
        'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique',
    ]


def test_resources_requests_over_limits() -> None:
    res = {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "-1"}}
    out = create("Pod", pod(containers=[ctr(resources=res)]))
    assert out == [
        'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal '
        "to cpu limit of 500m",
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater '
        "than or equal to 0",
    ]


def test_resource_names() -> None:
    # Requests default to limits on Pods, so the bad name is reported for both.
    res = {"limits": {"foo": "1", "example.com/gpu": "1"}, "requests": {"example.com/gpu": "2"}}
    out = create("Pod", pod(containers=[ctr(resources=res)]))
    std = 'Invalid value: "foo": must be a standard resource'
    assert out == [
        f"spec.containers[0].resources.limits[foo]: {std} type or fully qualified",
        f"spec.containers[0].resources.limits[foo]: {std} for containers",
        'spec.containers[0].resources.requests: Invalid value: "2": must be equal to '
        "example.com/gpu limit of 1",
        f"spec.containers[0].resources.requests[foo]: {std} type or fully qualified",
        f"spec.containers[0].resources.requests[foo]: {std} for containers",
    ]


def test_probes() -> None:
    probes = {
        "livenessProbe": {"successThreshold": 2, "exec": {"command": ["true"]}},
        "readinessProbe": {"httpGet": {"port": 0}, "tcpSocket": {"port": "http"}},
        "startupProbe": {},
    }
    out = create("Pod", pod(containers=[ctr(**probes)]))
    assert out == [
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
        "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 "
        "and 65535, inclusive",
        "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 "
        "handler type",
        "spec.containers[0].startupProbe: Required value: must specify a handler type",
    ]


def test_image_pull_policy_and_termination_message_policy() -> None:
    c = ctr(imagePullPolicy="Sometimes", terminationMessagePolicy="Nope")
    assert create("Pod", pod(containers=[c])) == [
        'spec.containers[0].terminationMessagePolicy: Unsupported value: "Nope": supported '
        'values: "File", "FallbackToLogsOnError"',
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: '
        '"Always", "IfNotPresent", "Never"',
    ]


def test_init_containers_and_sidecars() -> None:
    init = [
        {"name": "i1", "image": "x", "readinessProbe": {"exec": {"command": ["x"]}}},
        {"name": "i2", "image": "x", "restartPolicy": "OnFailure"},
        {
            "name": "side",
            "image": "x",
            "restartPolicy": "Always",
            "readinessProbe": {"exec": {"command": ["x"]}},
        },
        {"name": "c", "image": "x"},
    ]
    out = create("Pod", pod(initContainers=init, containers=[ctr(restartPolicy="Always")]))
    assert out == [
        "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
        'spec.initContainers[1].restartPolicy: Unsupported value: "OnFailure": supported '
        'values: "Always"',
        'spec.initContainers[3].name: Duplicate value: "c"',
    ]


def test_pod_level_fields() -> None:
    spec = {
        "restartPolicy": "Sometimes",
        "dnsPolicy": "Weird",
        "activeDeadlineSeconds": 0,
        "hostname": "Bad_Host",
        "nodeSelector": {"k": "-bad"},
        "terminationGracePeriodSeconds": 30,
    }
    out = create("Pod", pod(**spec))
    assert out[0] == (
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"'
    )
    assert out[1] == (
        'spec.dnsPolicy: Unsupported value: "Weird": supported values: '
        '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'
    )
    assert out[2].startswith('spec.nodeSelector: Invalid value: "-bad"')
    assert out[3] == (
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
    )
    assert out[4].startswith('spec.hostname: Invalid value: "Bad_Host": a lowercase RFC 1123 label')


def test_tolerations() -> None:
    tols = [
        {"operator": "Equal", "value": "x"},
        {"key": "k", "operator": "Exists", "value": "v"},
        {"key": "k", "operator": "Equal", "effect": "NoSchedule", "tolerationSeconds": 5},
        {"key": "k", "operator": "Maybe", "effect": "Sometimes"},
    ]
    assert create("Pod", pod(tolerations=tols)) == [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when '
        '`key` is empty, which means "match all values and all keys"',
        'spec.tolerations[1].operator: Invalid value: "v": value must be empty when '
        "`operator` is 'Exists'",
        "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' "
        "when `tolerationSeconds` is set",
        'spec.tolerations[3].operator: Unsupported value: "Maybe": supported values: "Equal", '
        '"Exists"',
        'spec.tolerations[3].effect: Unsupported value: "Sometimes": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]


def test_affinity_basics() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []},
        },
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 0, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}
            ]
        },
    }
    assert create("Pod", pod(affinity=affinity)) == [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
        "nodeSelectorTerms: Required value: must have at least one node selector term",
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
        "weight: Invalid value: 0: must be in the range 1-100",
    ]


def test_security_context() -> None:
    sc = {"runAsUser": -1, "sysctls": [{"name": "net.core.somaxconn"}]}
    csc = {"allowPrivilegeEscalation": False, "privileged": True, "procMount": "Bogus"}
    out = create(
        "Pod", pod(securityContext=sc, hostNetwork=True, containers=[ctr(securityContext=csc)])
    )
    assert (
        'spec.containers[0].securityContext.procMount: Unsupported value: "Bogus": supported values: "Default", "Unmasked"'
        in out
    )
    assert any(
        "cannot set `allowPrivilegeEscalation` to false and `privileged` to true" in m for m in out
    )
    assert (
        "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive"
        in out
    )
    assert (
        'spec.securityContext.sysctls[0].name: Invalid value: "net.core.somaxconn": may not be '
        "specified when 'hostNetwork' is true"
    ) in out


def test_dns_none_requires_config() -> None:
    assert create("Pod", pod(dnsPolicy="None")) == [
        "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"
    ]
    cfg = {"nameservers": ["1.1.1.1", "x"], "searches": ["_srv.example.com."]}
    assert create("Pod", pod(dnsPolicy="None", dnsConfig=cfg)) == [
        'spec.dnsConfig.nameservers[1]: Invalid value: "x": must be a valid IP address, (e.g. '
        "10.9.8.7 or 2001:db8::ffff)"
    ]


def test_ephemeral_containers_forbidden_on_create() -> None:
    out = create("Pod", pod(ephemeralContainers=[{"name": "dbg", "image": "x"}]))
    assert out == ["spec.ephemeralContainers: Forbidden: cannot be set on create"]


def test_pod_annotations() -> None:
    p = pod()
    p["metadata"]["annotations"] = {
        "controller.kubernetes.io/pod-deletion-cost": "+1",
        "kubernetes.io/config.mirror": "x",
    }
    assert create("Pod", p) == [
        'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "x": must set '
        "spec.nodeName if mirror pod annotation is set",
        'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "+1": '
        "must be a 32bit integer",
    ]


def test_image_whitespace_only_for_pods() -> None:
    out = create("Pod", pod(containers=[ctr(image=" busybox")]))
    assert out == [
        'spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing '
        "whitespace"
    ]
    assert validate_pod_template_spec({"spec": {"containers": [ctr(image=" x")]}}, "t") != []


# -- Pod update -----------------------------------------------------------------------------------


def stored_pod(**spec: Any) -> dict[str, Any]:
    p = pod(**spec)
    p["metadata"].update(uid="u", resourceVersion="5", creationTimestamp="2024-01-01T00:00:00Z")
    p["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    apply_defaults("", "Pod", p)  # stored objects were defaulted on create
    return p


def test_pod_update_image_allowed() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "busybox:1.36"
    assert update("Pod", new, old) == []


def test_pod_update_other_fields_forbidden() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["restartPolicy"] = "Never"
    out = update("Pod", new, old)
    assert len(out) == 1
    assert out[0].startswith(
        "spec: Forbidden: pod updates may not change fields other than "
        "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
        "`spec.tolerations` (only additions to existing tolerations),"
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
        "negative)\n"
    )
    assert '"restartPolicy": "Never"' in out[0]


def test_pod_update_add_container_and_deadline() -> None:
    old = stored_pod(activeDeadlineSeconds=10)
    new = copy.deepcopy(old)
    new["spec"]["containers"].append(ctr(name="d"))
    assert update("Pod", new, old) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]
    new = copy.deepcopy(old)
    new["spec"]["activeDeadlineSeconds"] = 20
    assert update("Pod", new, old) == [
        "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value"
    ]
    new["spec"]["activeDeadlineSeconds"] = 5
    assert update("Pod", new, old) == []


def test_pod_update_tolerations_only_added() -> None:
    tol = {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
    old = stored_pod(tolerations=[tol])
    new = copy.deepcopy(old)
    new["spec"]["tolerations"][0]["tolerationSeconds"] = 1
    new["spec"]["tolerations"].append({"key": "j", "operator": "Exists"})
    assert update("Pod", new, old) == []
    new["spec"]["tolerations"] = []
    assert update("Pod", new, old) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its "
        "tolerationSeconds"
    ]


def test_pod_metadata_immutable() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "other"
    assert update("Pod", new, old) == ['metadata.uid: Invalid value: "other": field is immutable']


def test_pod_status_update() -> None:
    old = stored_pod(restartPolicy="Never")
    old["status"]["containerStatuses"] = [{"name": "c", "state": {"terminated": {"exitCode": 0}}}]
    new = copy.deepcopy(old)
    new["status"]["containerStatuses"] = [{"name": "c", "state": {"running": {}}}]
    new["status"]["qosClass"] = "Guaranteed"
    new["status"]["podIPs"] = [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]
    assert update("Pod", new, old) == [
        'status.qosClass: Invalid value: "Guaranteed": field is immutable',
        "status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated "
        "state",
        'status.podIPs: Invalid value: []string{map[string]string{"ip":"10.0.0.1"}, '
        'map[string]string{"ip":"10.0.0.2"}}: may specify no more than one IP for each IP family',
    ]


# -- PodTemplate / ReplicationController -----------------------------------------------------------


def test_pod_template_paths_omit_metadata() -> None:
    tmpl = {"metadata": {"labels": {"a": "-x"}}, "spec": {"containers": []}}
    out = create("PodTemplate", {"metadata": meta(), "template": tmpl})
    assert out[0].startswith('template.labels: Invalid value: "-x"')
    assert out[1] == "template.spec.containers: Required value"


def test_validate_pod_spec_public() -> None:
    assert [e.message() for e in validate_pod_spec({"containers": []}, "x.spec")][:1] == [
        "x.spec.terminationGracePeriodSeconds: Required value"
    ]


def rc(**spec: Any) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [ctr()]}}
    return {"metadata": meta(), "spec": {"template": template, **spec}}


def test_replication_controller() -> None:
    assert create("ReplicationController", rc()) == []
    bad = rc(selector={"app": "b"}, replicas=-1)
    bad["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert create("ReplicationController", bad) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` '
        "does not match template `labels`",
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]


# -- Service ----------------------------------------------------------------------------------------


def svc(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"ports": [{"port": 80}], "selector": {"app": "a"}}
    base.update(spec)
    return {"metadata": meta("web"), "spec": base}


def test_service_valid_and_name_is_dns1035() -> None:
    assert create("Service", svc()) == []
    s = svc()
    s["metadata"]["name"] = "1web"
    assert create("Service", s)[0].startswith(
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist'
    )


def test_service_ports_and_type() -> None:
    ports = [{"port": 80}, {"port": 80, "name": "b"}, {"port": 0, "name": "b", "nodePort": 30000}]
    assert create("Service", svc(ports=ports, type="Weird")) == [
        "spec.ports[0].name: Required value",
        'spec.ports[2].name: Duplicate value: "b"',
        "spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        # targetPort defaults to port, so it is 0 too (as in Kubernetes).
        "spec.ports[2].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        'spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", '
        '"LoadBalancer", "NodePort"',
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", '
        "AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
        'StrVal:""}, NodePort:0}',
    ]


def test_service_node_port_on_cluster_ip() -> None:
    assert create("Service", svc(ports=[{"port": 80, "nodePort": 30001}])) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


def test_service_session_affinity() -> None:
    assert create("Service", svc(sessionAffinity="Sticky")) == [
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'
    ]
    cfg = {"clientIP": {"timeoutSeconds": 0}}
    assert create("Service", svc(sessionAffinity="ClientIP", sessionAffinityConfig=cfg)) == [
        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater "
        "than 0 and less than 86400"
    ]


def test_service_headless_and_external_name() -> None:
    assert create("Service", svc(clusterIP="None", type="NodePort")) == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort "
        "services"
    ]
    assert create("Service", svc(clusterIP="None", ports=[])) == []
    assert create("Service", svc(type="ExternalName", ports=[])) == [
        "spec.externalName: Required value"
    ]


def test_service_cluster_ip_forms() -> None:
    assert create("Service", svc(clusterIP="10.0.0.300")) == [
        'spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. '
        "10.9.8.7 or 2001:db8::ffff)"
    ]
    assert create("Service", svc(clusterIPs=["10.0.0.1"])) == [
        'spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: must be empty when `clusterIP` '
        "is not specified"
    ]


def stored_service(**spec: Any) -> dict[str, Any]:
    s = svc(
        clusterIP="10.96.0.10",
        clusterIPs=["10.96.0.10"],
        ipFamilies=["IPv4"],
        ipFamilyPolicy="SingleStack",
        **spec,
    )
    s["metadata"].update(uid="u", resourceVersion="3", creationTimestamp="2024-01-01T00:00:00Z")
    s["status"] = {"loadBalancer": {}}
    return s


def test_service_cluster_ip_immutable() -> None:
    old = stored_service()
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    new["spec"]["clusterIPs"] = ["10.96.0.11"]
    assert update("Service", new, old) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set'
    ]


def test_service_update_may_omit_allocated_values() -> None:
    old = stored_service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    new = copy.deepcopy(old)
    for field in ("clusterIP", "clusterIPs"):
        del new["spec"][field]
    del new["spec"]["ports"][0]["nodePort"]
    assert update("Service", new, old) == []


def test_service_type_change_drops_dependent_fields() -> None:
    old = stored_service(type="LoadBalancer", ports=[{"port": 80, "nodePort": 30080}])
    new = copy.deepcopy(old)
    apply_defaults("", "Service", new)
    new["spec"]["type"] = "ClusterIP"
    assert update("Service", new, old) == []


def test_service_lb_status() -> None:
    old = stored_service()
    new = copy.deepcopy(old)
    new["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    assert update("Service", new, old) == [
        "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is "
        "'LoadBalancer'"
    ]


# -- ConfigMap / Secret -----------------------------------------------------------------------------


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_config_map_keys_and_immutable() -> None:
    cm = {"metadata": meta("cm"), "data": {"a/b": "x", "k": "v"}, "binaryData": {"k": b64("x")}}
    out = create("ConfigMap", cm)
    assert out[0].startswith('data[a/b]: Invalid value: "a/b": a valid config key must consist')
    assert out[1] == 'data[k]: Invalid value: "k": duplicate of key present in binaryData'
    old = {"metadata": meta("cm", uid="u"), "data": {"k": "v"}, "immutable": True}
    new = {"metadata": meta("cm", uid="u"), "data": {"k": "w"}}
    assert update("ConfigMap", new, old) == [
        "immutable: Forbidden: field is immutable when `immutable` is set",
        "data: Forbidden: field is immutable when `immutable` is set",
    ]


def test_config_map_too_big() -> None:
    cm = {"metadata": meta("cm"), "data": {"k": "x" * (1024 * 1024 + 1)}}
    assert create("ConfigMap", cm) == ["Too long: may not be more than 1048576 bytes"]


@pytest.mark.parametrize(
    ("secret_type", "data", "annotations", "expected"),
    [
        ("kubernetes.io/tls", {"tls.crt": b64("c")}, {}, ["data[tls.key]: Required value"]),
        ("kubernetes.io/dockerconfigjson", {}, {}, ["data[.dockerconfigjson]: Required value"]),
        (
            "kubernetes.io/dockerconfigjson",
            {".dockerconfigjson": b64("{nope")},
            {},
            [
                'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid '
                "character 'n' looking for beginning of object key string"
            ],
        ),
        (
            "kubernetes.io/service-account-token",
            {},
            {},
            ["metadata.annotations[kubernetes.io/service-account.name]: Required value"],
        ),
        (
            "kubernetes.io/basic-auth",
            {},
            {},
            ["data[username]: Required value", "data[password]: Required value"],
        ),
        ("kubernetes.io/ssh-auth", {}, {}, ["data[ssh-privatekey]: Required value"]),
        ("example.com/custom", {"a": b64("b")}, {}, []),
    ],
)
def test_typed_secrets(
    secret_type: str, data: dict[str, str], annotations: dict[str, str], expected: list[str]
) -> None:
    secret = {"metadata": meta("s", annotations=annotations), "type": secret_type, "data": data}
    assert create("Secret", secret) == expected


def test_secret_type_and_data_immutable() -> None:
    old = {
        "metadata": meta("s", uid="u"),
        "type": "Opaque",
        "data": {"a": b64("1")},
        "immutable": True,
    }
    new = {
        "metadata": meta("s", uid="u"),
        "type": "kubernetes.io/tls",
        "data": {"a": b64("2")},
        "immutable": True,
    }
    assert update("Secret", new, old) == [
        'type: Invalid value: "kubernetes.io/tls": field is immutable',
        "data: Forbidden: field is immutable when `immutable` is set",
        "data[tls.crt]: Required value",
        "data[tls.key]: Required value",
    ]


# -- Namespace / Node / others ----------------------------------------------------------------------


def test_namespace() -> None:
    assert create("Namespace", {"metadata": meta("team-a", None)}) == []
    out = create("Namespace", {"metadata": meta("a.b", None), "spec": {"finalizers": ["custom"]}})
    assert out == [
        'metadata.name: Invalid value: "a.b": must not contain dots',
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor '
        "is it fully qualified",
    ]
    assert create("Namespace", {"metadata": meta("ns", "x")}) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]


def test_namespace_status_phase() -> None:
    old = {"metadata": meta("ns", None, uid="u"), "status": {"phase": "Active"}}
    new = copy.deepcopy(old)
    new["status"]["phase"] = "Terminating"
    assert update("Namespace", new, old) == [
        "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if "
        "`deletionTimestamp` is empty"
    ]


def test_node_taints_and_cidrs() -> None:
    taints = [
        {"key": "k", "effect": "NoSchedule"},
        {"key": "k", "effect": "NoSchedule"},
        {"key": "j"},
    ]
    node = {"metadata": meta("n1", None), "spec": {"taints": taints, "podCIDRs": ["10.0.0.0/33"]}}
    out = create("Node", node)
    assert out == [
        'metadata.taints[1]: Duplicate value: map[string]string{"key":"k", "effect":"NoSchedule"}'
        ": taints must be unique by key and effect pair",
        "metadata.taints[2].effect: Required value",
        'spec.podCIDRs[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. '
        "10.9.8.0/24 or 2001:db8::/64)",
    ]
    old = {
        "metadata": meta("n1", None, uid="u"),
        "spec": {"podCIDRs": ["10.0.0.0/24"], "providerID": "a"},
    }
    new = {
        "metadata": meta("n1", None, uid="u"),
        "spec": {"podCIDRs": ["10.1.0.0/24"], "providerID": "b"},
    }
    assert update("Node", new, old) == [
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
        'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    ]


def test_service_account_endpoints_event() -> None:
    assert create("ServiceAccount", {"metadata": meta("default")}) == []
    ep = {
        "metadata": meta("web"),
        "subsets": [
            {"ports": [{"port": 80}]},
            {
                "addresses": [{"ip": "127.0.0.1"}],
                "ports": [{"port": 80}, {"port": 81, "name": "b"}],
            },
        ],
    }
    assert create("Endpoints", ep) == [
        "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
        'subsets[1].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback '
        "range (127.0.0.0/8, ::1/128)",
        "subsets[1].ports[0].name: Required value",
    ]
    ev = {"metadata": meta("e", "ns1"), "involvedObject": {"namespace": "ns2"}}
    assert create("Event", ev) == [
        'involvedObject.namespace: Invalid value: "ns2": does not match event.namespace'
    ]


def test_limit_range() -> None:
    lr = {
        "metadata": meta("lr"),
        "spec": {
            "limits": [
                {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}},
                {"type": "Pod", "default": {"cpu": "1"}},
                {"type": "PersistentVolumeClaim"},
            ]
        },
    }
    out = create("LimitRange", lr)
    assert (
        "spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1" in out
    )
    assert "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'" in out
    assert (
        "spec.limits[2].limits: Required value: either minimum or maximum storage value is "
        "required, but neither was provided"
    ) in out


def test_resource_quota() -> None:
    rq = {
        "metadata": meta("q"),
        "spec": {"hard": {"pods": "1.5", "foo": "1"}, "scopes": ["BestEffort", "NotBestEffort"]},
    }
    out = create("ResourceQuota", rq)
    assert "spec.hard[pods]: Invalid value: 1500m: must be an integer" in out
    assert 'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota' in out
    assert (
        'spec.scopes: Invalid value: []string{"BestEffort", "NotBestEffort"}: conflicting scopes'
        in out
    )


def test_persistent_volume_and_claim() -> None:
    pv = {
        "metadata": meta("pv", None),
        "spec": {"capacity": {"storage": "1Gi"}, "hostPath": {"path": "/x"}},
    }
    assert create("PersistentVolume", pv) == ["spec.accessModes: Required value"]
    pv["spec"]["accessModes"] = ["ReadWriteOncePod", "ReadWriteOnce"]
    assert create("PersistentVolume", pv) == [
        "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"
    ]
    pvc = {"metadata": meta("c"), "spec": {"accessModes": ["ReadWriteOnce"]}}
    assert create("PersistentVolumeClaim", pvc) == ["spec.resources[storage]: Required value"]
    pvc["spec"]["resources"] = {"requests": {"storage": "1Gi"}}
    assert create("PersistentVolumeClaim", pvc) == []
    old = copy.deepcopy(pvc)
    old["metadata"]["uid"] = "u"
    new = copy.deepcopy(old)
    new["spec"]["accessModes"] = ["ReadWriteMany"]
    out = update("PersistentVolumeClaim", new, old)
    assert len(out) == 1 and out[0].startswith(
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims\n"
    )


def test_binding() -> None:
    assert create("Binding", {"metadata": meta("p"), "target": {"kind": "Pod"}}) == [
        'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
        "target.name: Required value",
    ]
