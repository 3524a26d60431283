"""A container's environment and command line, worded and ordered as Kubernetes' kubelet."""

from __future__ import annotations

from typing import Any

import pytest

from steersman.kubelet.envvars import (
    ContainerConfigError,
    command_and_args,
    convert_downward_api_field_label,
    expand_subpath_expr,
    extract_field_path_as_string,
    from_services,
    make_environment,
    sort_pod_ips,
)
from tests.unit.kubelet.volumes.fake_lookup import FakeLookup, configmap, secret, service

Obj = dict[str, Any]

KUBERNETES = service("kubernetes", "10.96.0.1", {"name": "https", "port": 443}, ns="default")


def pod(*containers: Obj, **spec: Any) -> Obj:
    return {
        "metadata": {
            "name": "web",
            "namespace": "ns",
            "uid": "uid-1",
            "labels": {"app": "web", "tier": "front"},
            "annotations": {"note": 'say "hi"'},
        },
        "spec": {
            "containers": list(containers) or [{"name": "c"}],
            "nodeName": "node-1",
            "serviceAccountName": "sa",
            **spec,
        },
    }


async def env_of(container: Obj, lookup: FakeLookup, **spec: Any) -> dict[str, str]:
    return dict(await make_environment(pod(container, **spec), container, lookup=lookup))


# -- envFrom and env -------------------------------------------------------------------------


async def test_env_from_with_prefix_then_env_overrides_in_declaration_order() -> None:
    lookup = FakeLookup().add(
        configmap("cm", {"A": "from-cm", "B": "b"}), secret("s", {"A": "from-secret", "C": "c"})
    )
    c = {
        "name": "c",
        "envFrom": [
            {"configMapRef": {"name": "cm"}},
            {"secretRef": {"name": "s"}, "prefix": "S_"},
            {"configMapRef": {"name": "cm"}, "prefix": "P_"},
        ],
        "env": [{"name": "B", "value": "override"}, {"name": "Z", "value": "z"}],
    }
    env = await make_environment(pod(c), c, lookup=lookup)
    assert env == [
        ("A", "from-cm"),
        ("B", "override"),
        ("S_A", "from-secret"),
        ("S_C", "c"),
        ("P_A", "from-cm"),
        ("P_B", "b"),
        ("Z", "z"),
    ]
    # the same ConfigMap is read once per call
    assert lookup.calls.count(("configmap", "ns", "cm")) == 1


async def test_env_from_missing_objects() -> None:
    lookup = FakeLookup()
    optional = {"name": "c", "envFrom": [{"configMapRef": {"name": "x", "optional": True}}]}
    assert await env_of(optional, lookup) == {}
    with pytest.raises(ContainerConfigError, match=r'^configmap "x" not found$'):
        await env_of({"name": "c", "envFrom": [{"configMapRef": {"name": "x"}}]}, lookup)
    with pytest.raises(ContainerConfigError, match=r'^secret "y" not found$'):
        await env_of({"name": "c", "envFrom": [{"secretRef": {"name": "y"}}]}, lookup)


async def test_value_expansion_uses_earlier_vars_then_service_vars() -> None:
    lookup = FakeLookup(services=[KUBERNETES])
    c = {
        "name": "c",
        "env": [
            {"name": "LATER_REF", "value": "$(FIRST)"},
            {"name": "FIRST", "value": "one"},
            {"name": "SECOND", "value": "$(FIRST)-two $$(FIRST) $(NOPE)"},
            {
                "name": "URL",
                "value": "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)",
            },
            {"name": "EMPTY"},
        ],
    }
    env = await env_of(c, lookup)
    assert env["LATER_REF"] == "$(FIRST)"
    assert env["SECOND"] == "one-two $(FIRST) $(NOPE)"
    assert env["URL"] == "https://10.96.0.1:443"
    assert env["EMPTY"] == ""


async def test_key_refs_and_their_errors() -> None:
    lookup = FakeLookup().add(configmap("cm", {"k": "v"}), secret("s", {"pw": "hunter2"}))
    c = {
        "name": "c",
        "env": [
            {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
            {"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
        ],
    }
    assert await env_of(c, lookup) == {"K": "v", "P": "hunter2"}

    def ref(kind: str, name: str, key: str, optional: bool = False) -> Obj:
        return {
            "name": "c",
            "env": [
                {"name": "X", "valueFrom": {kind: {"name": name, "key": key, "optional": optional}}}
            ],
        }

    cases = [
        (ref("configMapKeyRef", "cm", "nope"), "couldn't find key nope in ConfigMap ns/cm"),
        (ref("secretKeyRef", "s", "nope"), "couldn't find key nope in Secret ns/s"),
        (ref("configMapKeyRef", "gone", "k"), 'configmap "gone" not found'),
        (ref("secretKeyRef", "gone", "k"), 'secret "gone" not found'),
    ]
    for container, message in cases:
        with pytest.raises(ContainerConfigError) as err:
            await env_of(container, lookup)
        assert str(err.value) == message
    for kind, name, key in [("configMapKeyRef", "cm", "nope"), ("secretKeyRef", "gone", "k")]:
        assert await env_of(ref(kind, name, key, optional=True), lookup) == {}


async def test_optional_missing_key_keeps_the_env_from_value() -> None:
    lookup = FakeLookup().add(configmap("cm", {"X": "from-env-from"}))
    c = {
        "name": "c",
        "envFrom": [{"configMapRef": {"name": "cm"}}],
        "env": [
            {
                "name": "X",
                "valueFrom": {
                    "configMapKeyRef": {"name": "cm", "key": "missing", "optional": True}
                },
            }
        ],
    }
    assert await env_of(c, lookup) == {"X": "from-env-from"}


# -- downward API ----------------------------------------------------------------------------


def field(name: str, path: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


async def test_field_refs() -> None:
    lookup = FakeLookup(node_ips=["192.168.1.10", "fd00::10"], ips=["fd00::5", "10.244.0.5"])
    c = {
        "name": "c",
        "env": [
            field("NAME", "metadata.name"),
            field("NS", "metadata.namespace"),
            field("UID", "metadata.uid"),
            field("APP", "metadata.labels['app']"),
            field("NOTE", "metadata.annotations['note']"),
            field("MISSING", "metadata.labels['nope']"),
            field("LABELS", "metadata.labels"),
            field("ANNOTATIONS", "metadata.annotations"),
            field("NODE", "spec.nodeName"),
            field("SA", "spec.serviceAccountName"),
            field("HOST_IP", "status.hostIP"),
            field("HOST_IPS", "status.hostIPs"),
            field("POD_IP", "status.podIP"),
            field("POD_IPS", "status.podIPs"),
        ],
    }
    assert await env_of(c, lookup) == {
        "NAME": "web",
        "NS": "ns",
        "UID": "uid-1",
        "APP": "web",
        "NOTE": 'say "hi"',
        "MISSING": "",
        "LABELS": 'app="web"\ntier="front"',
        "ANNOTATIONS": 'note="say \\"hi\\""',
        "NODE": "node-1",
        "SA": "sa",
        "HOST_IP": "192.168.1.10",
        "HOST_IPS": "192.168.1.10,fd00::10",
        "POD_IP": "10.244.0.5",  # the node's primary family first
        "POD_IPS": "10.244.0.5,fd00::5",
    }


async def test_field_ref_errors() -> None:
    lookup = FakeLookup(node_ips=[])
    with pytest.raises(ContainerConfigError, match=r"^host IP unknown; known addresses: \[\]$"):
        await env_of({"name": "c", "env": [field("H", "status.hostIP")]}, lookup)
    bad = {
        "name": "c",
        "env": [
            {
                "name": "X",
                "valueFrom": {"fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}},
            }
        ],
    }
    with pytest.raises(ContainerConfigError, match=r"^unsupported pod version: v2$"):
        await env_of(bad, lookup)
    with pytest.raises(ContainerConfigError, match=r"^field label not supported: spec.hostname$"):
        await env_of({"name": "c", "env": [field("X", "spec.hostname")]}, lookup)


def test_field_path_helpers() -> None:
    assert convert_downward_api_field_label("v1", "spec.host") == "spec.nodeName"
    with pytest.raises(ValueError, match=r"field label does not support subscript: metadata.name"):
        convert_downward_api_field_label("v1", "metadata.name['x']")
    with pytest.raises(ValueError, match=r"^unsupported fieldPath: spec.restartPolicy$"):
        extract_field_path_as_string(pod(), "spec.restartPolicy")
    with pytest.raises(ValueError, match=r"^invalid key subscript in metadata.labels\['-x'\]: "):
        extract_field_path_as_string(pod(), "metadata.labels['-x']")
    assert extract_field_path_as_string({"metadata": {}}, "metadata.labels") == ""


def test_sort_pod_ips_follows_node_family() -> None:
    assert sort_pod_ips(["10.0.0.1", "fd00::1"], ["fd00::9"]) == ["fd00::1", "10.0.0.1"]
    assert sort_pod_ips(["fd00::1", "10.0.0.1", "10.0.0.2"], []) == ["10.0.0.1", "fd00::1"]


def resource(name: str, res: str, divisor: str | None = None, container: str = "") -> Obj:
    ref: Obj = {"resource": res}
    if divisor:
        ref["divisor"] = divisor
    if container:
        ref["containerName"] = container
    return {"name": name, "valueFrom": {"resourceFieldRef": ref}}


async def test_resource_field_refs_default_limits_to_allocatable() -> None:
    lookup = FakeLookup(allocatable={"cpu": "1500m", "memory": "4Gi", "ephemeral-storage": "10Gi"})
    c = {
        "name": "c",
        "resources": {"requests": {"cpu": "250m", "memory": "100Mi"}, "limits": {"cpu": "500m"}},
        "env": [
            resource("CPU_LIMIT", "limits.cpu"),
            resource("CPU_LIMIT_M", "limits.cpu", "1m"),
            resource("CPU_REQ", "requests.cpu"),
            resource("MEM_LIMIT", "limits.memory"),
            resource("MEM_LIMIT_MI", "limits.memory", "1Mi"),
            resource("MEM_REQ_MI", "requests.memory", "1Mi"),
            resource("EPH_LIMIT_GI", "limits.ephemeral-storage", "1Gi"),
            resource("EPH_REQ", "requests.ephemeral-storage"),
        ],
    }
    assert await env_of(c, lookup) == {
        "CPU_LIMIT": "1",  # 500m rounds up to one core
        "CPU_LIMIT_M": "500",
        "CPU_REQ": "1",
        "MEM_LIMIT": str(4 * 2**30),
        "MEM_LIMIT_MI": "4096",
        "MEM_REQ_MI": "100",
        "EPH_LIMIT_GI": "10",
        "EPH_REQ": "0",
    }


async def test_resource_field_refs_pod_level_limits_and_other_containers() -> None:
    lookup = FakeLookup()
    other = {"name": "other", "resources": {"limits": {"memory": "64Mi"}}}
    init = {"name": "init", "resources": {"requests": {"cpu": "3"}}}
    c = {
        "name": "c",
        "env": [
            resource("MEM", "limits.memory", "1Mi"),
            resource("CPU", "limits.cpu", "1m"),
            resource("OTHER", "limits.memory", "1Mi", container="other"),
            resource("INIT", "requests.cpu", container="init"),
        ],
    }
    p = pod(c, other, resources={"limits": {"memory": "1Gi"}}, initContainers=[init])
    env = dict(await make_environment(p, c, lookup=lookup))
    assert env == {"MEM": "1024", "CPU": "2000", "OTHER": "64", "INIT": "3"}
    bad = {"name": "c", "env": [resource("X", "limits.gpu")]}
    with pytest.raises(
        ContainerConfigError, match=r"^unsupported container resource : limits.gpu$"
    ):
        await env_of(bad, lookup)
    missing = {"name": "c", "env": [resource("X", "limits.cpu", container="nope")]}
    with pytest.raises(ContainerConfigError, match=r"^container nope not found$"):
        await env_of(missing, lookup)


# -- service links ---------------------------------------------------------------------------


def test_from_services_names_and_docker_links() -> None:
    svc = service(
        "my-db",
        "10.96.0.7",
        {"name": "sql", "port": 5432},
        {"name": "stats-udp", "port": 9125, "protocol": "UDP"},
    )
    assert from_services([svc]) == [
        ("MY_DB_SERVICE_HOST", "10.96.0.7"),
        ("MY_DB_SERVICE_PORT", "5432"),
        ("MY_DB_SERVICE_PORT_SQL", "5432"),
        ("MY_DB_SERVICE_PORT_STATS_UDP", "9125"),
        ("MY_DB_PORT", "tcp://10.96.0.7:5432"),
        ("MY_DB_PORT_5432_TCP", "tcp://10.96.0.7:5432"),
        ("MY_DB_PORT_5432_TCP_PROTO", "tcp"),
        ("MY_DB_PORT_5432_TCP_PORT", "5432"),
        ("MY_DB_PORT_5432_TCP_ADDR", "10.96.0.7"),
        ("MY_DB_PORT_9125_UDP", "udp://10.96.0.7:9125"),
        ("MY_DB_PORT_9125_UDP_PROTO", "udp"),
        ("MY_DB_PORT_9125_UDP_PORT", "9125"),
        ("MY_DB_PORT_9125_UDP_ADDR", "10.96.0.7"),
    ]
    v6 = dict(from_services([service("v6", "fd00::7", {"port": 80})]))
    assert v6["V6_PORT"] == "tcp://[fd00::7]:80"
    assert from_services([service("headless", "None", {"port": 80})]) == []


async def test_service_links_and_enable_service_links() -> None:
    lookup = FakeLookup(
        services=[
            KUBERNETES,
            service("other-default", "10.96.0.2", {"port": 1}, ns="default"),
            service("db", "10.96.0.3", {"port": 5432}),
            service("headless", "None", {"port": 80}),
            service("elsewhere", "10.96.0.4", {"port": 2}, ns="other"),
        ]
    )
    c = {"name": "c", "env": [{"name": "DB_SERVICE_PORT", "value": "mine"}]}
    env = await make_environment(pod(c), c, lookup=lookup)
    names = [k for k, _ in env]
    assert names[0] == "DB_SERVICE_PORT"  # declared variables come first
    assert dict(env)["DB_SERVICE_PORT"] == "mine"  # and shadow service variables
    assert "DB_SERVICE_HOST" in names and "KUBERNETES_SERVICE_HOST" in names
    assert not any(n.startswith(("OTHER_DEFAULT", "HEADLESS", "ELSEWHERE")) for n in names)
    assert names.index("DB_SERVICE_HOST") < names.index("KUBERNETES_SERVICE_HOST")

    no_links = dict(await make_environment(pod(c, enableServiceLinks=False), c, lookup=lookup))
    assert set(no_links) == {
        "DB_SERVICE_PORT",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "KUBERNETES_SERVICE_PORT_HTTPS",
        "KUBERNETES_PORT",
        "KUBERNETES_PORT_443_TCP",
        "KUBERNETES_PORT_443_TCP_PROTO",
        "KUBERNETES_PORT_443_TCP_PORT",
        "KUBERNETES_PORT_443_TCP_ADDR",
    }


async def test_own_namespace_service_named_kubernetes_wins() -> None:
    lookup = FakeLookup(services=[KUBERNETES, service("kubernetes", "10.96.9.9", {"port": 80})])
    env = await env_of({"name": "c"}, lookup)
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.9.9"


# -- command line and subPathExpr ------------------------------------------------------------


def test_command_and_args_expand_from_final_environment() -> None:
    c = {"command": ["/bin/$(SHELL_NAME)", "-c"], "args": ["echo $(MSG) $$(MSG) $(UNSET)"]}
    env = [("SHELL_NAME", "old"), ("MSG", "hello"), ("SHELL_NAME", "sh")]
    assert command_and_args(c, env) == (["/bin/sh", "-c"], ["echo hello $(MSG) $(UNSET)"])
    assert command_and_args({}, env) == ([], [])


def test_subpath_expr() -> None:
    env = [("POD", "web"), ("EMPTY", "")]
    assert expand_subpath_expr({"subPathExpr": "logs/$(POD)"}, env) == "logs/web"
    with pytest.raises(ContainerConfigError, match=r"^missing value for EMPTY, NOPE$"):
        expand_subpath_expr({"subPathExpr": "$(NOPE)/$(EMPTY)"}, env)
