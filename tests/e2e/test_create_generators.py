"""Every `kubectl create <generator>` whose resource steersman serves, end to end.

kubectl 1.32's typed clients send these objects as protobuf (application/vnd.kubernetes.
protobuf), so each test drives the protobuf decoder through the real kubectl: it checks the
one-line report, then reads the stored object back with `-o json` and checks what was sent
together with the defaults the server adds. (`kubectl create token` is left out: the
serviceaccounts/token subresource is not served yet.)
"""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import KubectlFn
from tests.e2e.harness import RawHttp

pytestmark = pytest.mark.e2e


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def cluster_scoped(kubectl: KubectlFn) -> Iterator[list[tuple[str, str]]]:
    """(resource, name) pairs a test created outside any namespace; deleted afterwards."""
    created: list[tuple[str, str]] = []
    yield created
    for resource, name in created:
        kubectl("delete", resource, name, "--ignore-not-found", "--wait=false", check=False)


def _subjects(binding: dict[str, Any]) -> list[dict[str, Any]]:
    """The binding's subjects, less an empty apiGroup (see the xfail test at the end)."""
    return [
        {k: v for k, v in s.items() if not (k == "apiGroup" and v == "")}
        for s in binding["subjects"]
    ]


def _decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


# -- workloads ------------------------------------------------------------------------------


def test_create_deployment_with_replicas_and_port(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl(
        "create", "deployment", "web", "--image=busybox:1.35", "--replicas=2", "--port=8080",
        "-n", ns,
    )  # fmt: skip
    assert out.stdout == "deployment.apps/web created\n"
    d = kubectl_json("get", "deployment", "web", "-n", ns)
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    (container,) = d["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "busybox"
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert container["resources"] == {}


def test_create_deployment_with_command(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    kubectl("create", "deployment", "cmd", "--image=busybox:1.35", "-n", ns, "--", "sleep", "60")
    (container,) = kubectl_json("get", "deployment", "cmd", "-n", ns)["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["command"] == ["sleep", "60"]
    assert "args" not in container


def test_create_job(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl("create", "job", "once", "--image=busybox:1.35", "-n", ns, "--", "echo", "hi")
    assert out.stdout == "job.batch/once created\n"
    job = kubectl_json("get", "job", "once", "-n", ns)
    spec = job["spec"]
    assert spec["backoffLimit"] == 6
    assert spec["completions"] == 1
    assert spec["parallelism"] == 1
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    uid = job["metadata"]["uid"]
    # The server generates the selector and stamps the template with the job's labels.
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    template = spec["template"]
    assert template["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "once"
    assert template["spec"]["restartPolicy"] == "Never"
    (container,) = template["spec"]["containers"]
    assert (container["name"], container["command"]) == ("once", ["echo", "hi"])


def test_create_cronjob_and_job_from_it(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl(
        "create", "cronjob", "nightly", "--image=busybox:1.35", "--schedule=0 3 * * *",
        "--restart=OnFailure", "-n", ns, "--", "date",
    )  # fmt: skip
    assert out.stdout == "cronjob.batch/nightly created\n"
    cj = kubectl_json("get", "cronjob", "nightly", "-n", ns)
    assert cj["spec"]["schedule"] == "0 3 * * *"
    assert cj["spec"]["concurrencyPolicy"] == "Allow"
    assert cj["spec"]["suspend"] is False
    assert cj["spec"]["successfulJobsHistoryLimit"] == 3
    assert cj["spec"]["failedJobsHistoryLimit"] == 1
    pod_spec = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "OnFailure"
    assert pod_spec["containers"][0]["command"] == ["date"]

    out = kubectl("create", "job", "manual", "--from=cronjob/nightly", "-n", ns)
    assert out.stdout == "job.batch/manual created\n"
    job = kubectl_json("get", "job", "manual", "-n", ns)
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    (owner,) = job["metadata"]["ownerReferences"]
    assert owner["kind"] == "CronJob"
    assert owner["name"] == "nightly"
    assert owner["uid"] == cj["metadata"]["uid"]
    assert owner["controller"] is True
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]


# -- config ---------------------------------------------------------------------------------


def test_create_configmap_from_file_and_literal(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str, tmp_path: Path
) -> None:
    (tmp_path / "app.conf").write_text("port=80\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\xffbinary")
    out = kubectl(
        "create", "configmap", "files", f"--from-file={tmp_path / 'app.conf'}",
        f"--from-file={tmp_path / 'blob.bin'}", "--from-literal=mode=prod", "-n", ns,
    )  # fmt: skip
    assert out.stdout == "configmap/files created\n"
    cm = kubectl_json("get", "configmap", "files", "-n", ns)
    assert cm["data"] == {"app.conf": "port=80\n", "mode": "prod"}
    assert cm["binaryData"] == {"blob.bin": base64.b64encode(b"\x00\xffbinary").decode()}


def test_create_secret_generic_with_type(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl(
        "create", "secret", "generic", "typed", "--from-literal=token=abc",
        "--type=example.com/token", "-n", ns,
    )  # fmt: skip
    assert out.stdout == "secret/typed created\n"
    secret = kubectl_json("get", "secret", "typed", "-n", ns)
    assert secret["type"] == "example.com/token"
    assert _decoded(secret) == {"token": "abc"}


def _key_pair(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_create_secret_tls(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str, tmp_path: Path
) -> None:
    cert, key = _key_pair(tmp_path)
    out = kubectl("create", "secret", "tls", "web-tls", f"--cert={cert}", f"--key={key}", "-n", ns)
    assert out.stdout == "secret/web-tls created\n"
    secret = kubectl_json("get", "secret", "web-tls", "-n", ns)
    assert secret["type"] == "kubernetes.io/tls"
    assert _decoded(secret) == {"tls.crt": cert.read_text(), "tls.key": key.read_text()}


def test_create_secret_docker_registry(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    out = kubectl(
        "create", "secret", "docker-registry", "pull", "--docker-server=reg.example.com",
        "--docker-username=u", "--docker-password=p", "--docker-email=u@example.com", "-n", ns,
    )  # fmt: skip
    assert out.stdout == "secret/pull created\n"
    secret = kubectl_json("get", "secret", "pull", "-n", ns)
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(_decoded(secret)[".dockerconfigjson"])
    entry = config["auths"]["reg.example.com"]
    assert (entry["username"], entry["password"], entry["email"]) == ("u", "p", "u@example.com")
    assert base64.b64decode(entry["auth"]) == b"u:p"


def test_create_serviceaccount(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl("create", "serviceaccount", "robot", "-n", ns)
    assert out.stdout == "serviceaccount/robot created\n"
    sa = kubectl_json("get", "serviceaccount", "robot", "-n", ns)
    assert sa["metadata"]["name"] == "robot"
    assert sa["metadata"]["namespace"] == ns
    assert "secrets" not in sa


def test_create_namespace(
    kubectl: KubectlFn, kubectl_json: KubectlFn, cluster_scoped: list[tuple[str, str]]
) -> None:
    name = _unique("e2e-gen")
    cluster_scoped.append(("namespace", name))
    assert kubectl("create", "namespace", name).stdout == f"namespace/{name} created\n"
    got = kubectl_json("get", "namespace", name)
    assert got["spec"] == {"finalizers": ["kubernetes"]}
    assert got["status"] == {"phase": "Active"}


def test_create_quota_with_scopes(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl(
        "create", "quota", "q", "--hard=cpu=1,memory=1Gi,pods=10", "--scopes=NotTerminating",
        "-n", ns,
    )  # fmt: skip
    assert out.stdout == "resourcequota/q created\n"
    spec = kubectl_json("get", "resourcequota", "q", "-n", ns)["spec"]
    assert spec == {
        "hard": {"cpu": "1", "memory": "1Gi", "pods": "10"},
        "scopes": ["NotTerminating"],
    }


# -- services -------------------------------------------------------------------------------


def _service(kubectl_json: KubectlFn, ns: str, name: str) -> dict[str, Any]:
    svc: dict[str, Any] = kubectl_json("get", "service", name, "-n", ns)
    return svc


def test_create_service_clusterip(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl("create", "service", "clusterip", "api", "--tcp=80:8080", "-n", ns)
    assert out.stdout == "service/api created\n"
    svc = _service(kubectl_json, ns, "api")
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["selector"] == {"app": "api"}
    assert spec["ports"] == [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}]
    assert spec["clusterIP"] and spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["sessionAffinity"] == "None"
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["internalTrafficPolicy"] == "Cluster"


def test_create_headless_service(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    kubectl("create", "service", "clusterip", "hl", "--clusterip=None", "-n", ns)
    spec = _service(kubectl_json, ns, "hl")["spec"]
    assert spec["clusterIP"] == "None"
    assert spec["clusterIPs"] == ["None"]


def test_create_service_nodeport(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl("create", "service", "nodeport", "np", "--tcp=80:8080", "-n", ns)
    assert out.stdout == "service/np created\n"
    spec = _service(kubectl_json, ns, "np")["spec"]
    assert spec["type"] == "NodePort"
    assert spec["externalTrafficPolicy"] == "Cluster"
    (port,) = spec["ports"]
    assert (port["port"], port["targetPort"], port["protocol"]) == (80, 8080, "TCP")
    assert 30000 <= port["nodePort"] <= 32767


def test_create_service_loadbalancer(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl("create", "service", "loadbalancer", "lb", "--tcp=443:8443", "-n", ns)
    assert out.stdout == "service/lb created\n"
    svc = _service(kubectl_json, ns, "lb")
    spec = svc["spec"]
    assert spec["type"] == "LoadBalancer"
    assert spec["allocateLoadBalancerNodePorts"] is True
    (port,) = spec["ports"]
    assert (port["name"], port["port"], port["targetPort"]) == ("443-8443", 443, 8443)
    assert 30000 <= port["nodePort"] <= 32767
    assert svc["status"] == {"loadBalancer": {}}


def test_create_service_externalname(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl(
        "create", "service", "externalname", "db", "--external-name=db.example.com", "-n", ns
    )
    assert out.stdout == "service/db created\n"
    spec = _service(kubectl_json, ns, "db")["spec"]
    assert spec["type"] == "ExternalName"
    assert spec["externalName"] == "db.example.com"
    assert "clusterIP" not in spec
    assert "ports" not in spec


def test_create_ingress(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl(
        "create", "ingress", "site", "--class=nginx", "--rule=foo.com/bar*=svc1:8080,tls=foo-cert",
        "--default-backend=defsvc:http", "--annotation=example.com/a=b", "-n", ns,
    )  # fmt: skip
    assert out.stdout == "ingress.networking.k8s.io/site created\n"
    ing = kubectl_json("get", "ingress", "site", "-n", ns)
    assert ing["metadata"]["annotations"] == {"example.com/a": "b"}
    assert ing["spec"] == {
        "ingressClassName": "nginx",
        "defaultBackend": {"service": {"name": "defsvc", "port": {"name": "http"}}},
        "rules": [
            {
                "host": "foo.com",
                "http": {
                    "paths": [
                        {
                            "path": "/bar",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "svc1", "port": {"number": 8080}}},
                        }
                    ]
                },
            }
        ],
        "tls": [{"hosts": ["foo.com"], "secretName": "foo-cert"}],
    }


def test_create_poddisruptionbudget(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl(
        "create", "poddisruptionbudget", "pdb", "--selector=app=web", "--min-available=50%",
        "-n", ns,
    )  # fmt: skip
    assert out.stdout == "poddisruptionbudget.policy/pdb created\n"
    pdb = kubectl_json("get", "poddisruptionbudget", "pdb", "-n", ns)
    assert pdb["spec"] == {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}
    kubectl("create", "pdb", "pdb2", "--selector=app=web", "--max-unavailable=1", "-n", ns)
    pdb2 = kubectl_json("get", "poddisruptionbudget", "pdb2", "-n", ns)
    assert pdb2["spec"]["maxUnavailable"] == 1


def test_create_priorityclass(
    kubectl: KubectlFn, kubectl_json: KubectlFn, cluster_scoped: list[tuple[str, str]]
) -> None:
    name = _unique("e2e-pc")
    cluster_scoped.append(("priorityclass", name))
    out = kubectl(
        "create", "priorityclass", name, "--value=1000", "--description=batch work",
        "--preemption-policy=Never",
    )  # fmt: skip
    assert out.stdout == f"priorityclass.scheduling.k8s.io/{name} created\n"
    pc = kubectl_json("get", "priorityclass", name)
    assert pc["value"] == 1000
    assert pc["description"] == "batch work"
    assert pc["preemptionPolicy"] == "Never"
    assert "globalDefault" not in pc


# -- rbac -----------------------------------------------------------------------------------


def test_create_role_and_rolebinding(kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str) -> None:
    out = kubectl(
        "create", "role", "reader", "--verb=get,list", "--resource=pods,deployments.apps",
        "--resource-name=a", "-n", ns,
    )  # fmt: skip
    assert out.stdout == "role.rbac.authorization.k8s.io/reader created\n"
    role = kubectl_json("get", "role", "reader", "-n", ns)
    assert role["rules"] == [
        {
            "verbs": ["get", "list"],
            "apiGroups": [""],
            "resources": ["pods"],
            "resourceNames": ["a"],
        },
        {
            "verbs": ["get", "list"],
            "apiGroups": ["apps"],
            "resources": ["deployments"],
            "resourceNames": ["a"],
        },
    ]
    out = kubectl(
        "create", "rolebinding", "read", "--role=reader", "--user=alice",
        f"--serviceaccount={ns}:robot", "-n", ns,
    )  # fmt: skip
    assert out.stdout == "rolebinding.rbac.authorization.k8s.io/read created\n"
    rb = kubectl_json("get", "rolebinding", "read", "-n", ns)
    assert rb["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "reader",
    }
    assert _subjects(rb) == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
        {"kind": "ServiceAccount", "name": "robot", "namespace": ns},
    ]


def test_create_clusterroles_and_binding(
    kubectl: KubectlFn, kubectl_json: KubectlFn, cluster_scoped: list[tuple[str, str]]
) -> None:
    plain, aggregated, binding = _unique("e2e-cr"), _unique("e2e-agg"), _unique("e2e-crb")
    cluster_scoped.extend(
        [("clusterrole", plain), ("clusterrole", aggregated), ("clusterrolebinding", binding)]
    )
    out = kubectl(
        "create", "clusterrole", plain, "--verb=get", "--non-resource-url=/healthz",
        "--non-resource-url=/version",
    )  # fmt: skip
    assert out.stdout == f"clusterrole.rbac.authorization.k8s.io/{plain} created\n"
    assert kubectl_json("get", "clusterrole", plain)["rules"] == [
        {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/version"]}
    ]
    kubectl("create", "clusterrole", aggregated, f"--aggregation-rule=e2e.example.com/{plain}=true")
    agg = kubectl_json("get", "clusterrole", aggregated)
    assert agg["aggregationRule"] == {
        "clusterRoleSelectors": [{"matchLabels": {f"e2e.example.com/{plain}": "true"}}]
    }
    out = kubectl(
        "create", "clusterrolebinding", binding, f"--clusterrole={plain}", "--group=devs",
        "--serviceaccount=kube-system:robot",
    )  # fmt: skip
    assert out.stdout == f"clusterrolebinding.rbac.authorization.k8s.io/{binding} created\n"
    crb = kubectl_json("get", "clusterrolebinding", binding)
    assert crb["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": plain,
    }
    assert _subjects(crb) == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
        {"kind": "ServiceAccount", "name": "robot", "namespace": "kube-system"},
    ]


# -- bodies the decoder refuses -------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _protobuf(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _field(1, api_version.encode()) + _field(2, kind.encode())
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw)


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        # spec.template.spec.volumes[0] {name: "gce", gcePersistentDisk: {}}: refused by name.
        (
            _field(
                2, _field(3, _field(2, _field(1, _field(1, b"gce") + _field(2, _field(3, b"")))))
            ),
            "protobuf: field 'spec.template.spec.volumes[0].gcePersistentDisk' (VolumeSource "
            "field 3) is not supported by this server in protobuf bodies; send the object as JSON",
        ),
        (_field(1, b"\x0a\x80"), "protobuf: truncated varint"),
    ],
)
def test_refused_protobuf_bodies_are_400(
    raw: RawHttp, ns: str, message: bytes, detail: str
) -> None:
    resp = raw.request(
        "POST",
        f"/apis/apps/v1/namespaces/{ns}/deployments",
        _protobuf("apps/v1", "Deployment", message),
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert resp.status == 400, resp.text
    status = resp.json()
    assert status["reason"] == "BadRequest"
    assert status["message"] == (
        f'Deployment in version "v1" cannot be handled as a Deployment: {detail}'
    )


@pytest.mark.xfail(
    strict=True,
    reason="api/defaults/misc.py sets apiGroup '' on ServiceAccount subjects; Go's omitempty "
    "leaves the key out",
)
def test_service_account_subject_has_no_empty_api_group(
    kubectl: KubectlFn, kubectl_json: KubectlFn, ns: str
) -> None:
    kubectl(
        "create", "rolebinding", "sa", "--clusterrole=view", f"--serviceaccount={ns}:x", "-n", ns
    )
    (subject,) = kubectl_json("get", "rolebinding", "sa", "-n", ns)["subjects"]
    assert subject == {"kind": "ServiceAccount", "name": "x", "namespace": ns}
