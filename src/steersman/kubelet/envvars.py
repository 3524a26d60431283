"""A container's environment and command line, as Kubernetes' kubelet builds them
(kubelet_pods.go makeEnvironmentVariables, envvars.FromServices, fieldpath, resource helpers,
kubecontainer.ExpandContainerCommandAndArgs / ExpandContainerVolumeMounts).

Invariants:
- `make_environment` resolves, in upstream's order: envFrom entries (in order; later ones and
  then `env` override earlier values), then `env` entries in declaration order (a `value` is
  `$(VAR)`-expanded against the variables resolved so far and then the service variables; a
  `valueFrom` is resolved from the pod, the container's resources, a ConfigMap or a Secret),
  then the service link variables no declared variable shadows. Names keep the position of
  their first definition (Go iterates a map here, so Kubernetes promises no order at all).
- Every error Kubernetes reports while doing so raises `ContainerConfigError` whose message is
  Kubernetes' wording; the pod worker shows it as Waiting reason `CreateContainerConfigError`.
  An optional reference to a missing object or key silently contributes nothing.
- ConfigMaps and Secrets are read once per call, through `Lookup`, which returns None for an
  object that does not exist (the kubelet's `configmap "x" not found`) and raises otherwise.
- Pods are the API's JSON dicts, already defaulted by the API server; the few defaults the
  kubelet relies on (enableServiceLinks, fieldRef.apiVersion) are applied again when missing.
The helpers below `make_environment` are pure; only `Lookup` calls do I/O.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from steersman.api.errors import go_value
from steersman.api.quantity import Quantity, quantity_from_json
from steersman.api.validation.common import is_qualified_name
from steersman.kubelet.expansion import env_map, expand, mapping_func_for

Obj = dict[str, Any]
EnvList = list[tuple[str, str]]
Fetch = Callable[[str], Awaitable[Obj | None]]  # a ConfigMap or Secret by name, cached per call

CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"
MASTER_SERVICES = frozenset({"kubernetes"})
NAMESPACE_DEFAULT = "default"
_MAX_INT64 = 2**63 - 1


class ContainerConfigError(Exception):
    """The container cannot be configured; str(error) is the message Kubernetes shows."""


class Lookup(Protocol):
    """What the kubelet reads from outside the pod; back it with informers or the REST client.

    get_configmap/get_secret return the object (API JSON, Secret data base64 as served) or None
    when it does not exist; any other failure raises. node_allocatable is the Node's
    status.allocatable; host_ips the node's IPs, primary family first; pod_ips the pod's IPs as
    the runtime reported them (empty before the sandbox has an address). service_account_token
    asks for a bound token (TokenRequest) and returns None when none can be had.
    """

    async def get_configmap(self, namespace: str, name: str) -> Obj | None: ...

    async def get_secret(self, namespace: str, name: str) -> Obj | None: ...

    async def list_services(self, namespace: str) -> Sequence[Obj]: ...

    async def node_allocatable(self) -> Mapping[str, Any]: ...

    async def host_ips(self) -> Sequence[str]: ...

    async def pod_ips(self, pod: Obj) -> Sequence[str]: ...

    async def service_account_token(
        self, pod: Obj, *, audiences: Sequence[str], expiration_seconds: int | None
    ) -> str | None: ...


def configmap_not_found(name: str) -> str:
    # The kubelet's ConfigMap manager reports NotFound for the singular resource "configmap".
    return f'configmap "{name}" not found'


def secret_not_found(name: str) -> str:
    return f'secret "{name}" not found'


def secret_value(secret: Obj, key: str) -> bytes | None:
    """A Secret's data[key] decoded from the base64 the API serves; None when absent."""
    data = secret.get("data") or {}
    if key not in data:
        return None
    return base64.b64decode(data[key] or "")


def _bytes_to_str(value: bytes) -> str:
    # Go keeps the raw bytes, but CRI's protobuf strings must be UTF-8; replacing is the
    # closest behaviour that does not fail later in the runtime client.
    return value.decode("utf-8", errors="replace")


# -- environment -----------------------------------------------------------------------------


async def make_environment(pod: Obj, container: Obj, *, lookup: Lookup) -> EnvList:
    """makeEnvironmentVariables: the (name, value) list the container is started with."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    namespace = meta.get("namespace") or NAMESPACE_DEFAULT
    enable_links = spec.get("enableServiceLinks")
    service_env = await service_env_var_map(
        namespace, True if enable_links is None else bool(enable_links), lookup
    )

    configmaps: dict[str, Obj | None] = {}
    secrets: dict[str, Obj | None] = {}

    async def configmap(name: str) -> Obj | None:
        if name not in configmaps:
            configmaps[name] = await lookup.get_configmap(namespace, name)
        return configmaps[name]

    async def secret(name: str) -> Obj | None:
        if name not in secrets:
            secrets[name] = await lookup.get_secret(namespace, name)
        return secrets[name]

    tmp_env: dict[str, str] = {}
    for env_from in container.get("envFrom") or []:
        prefix = env_from.get("prefix") or ""
        if (ref := env_from.get("configMapRef")) is not None:
            cm = await configmap(ref.get("name", ""))
            if cm is None:
                if ref.get("optional"):
                    continue
                raise ContainerConfigError(configmap_not_found(ref.get("name", "")))
            for k, v in (cm.get("data") or {}).items():
                tmp_env[prefix + k] = v
        elif (ref := env_from.get("secretRef")) is not None:
            s = await secret(ref.get("name", ""))
            if s is None:
                if ref.get("optional"):
                    continue
                raise ContainerConfigError(secret_not_found(ref.get("name", "")))
            for k, v in (s.get("data") or {}).items():
                tmp_env[prefix + k] = _bytes_to_str(base64.b64decode(v or ""))

    mapping = mapping_func_for(tmp_env, service_env)
    for env in container.get("env") or []:
        name = env.get("name", "")
        value = env.get("value") or ""
        source = env.get("valueFrom")
        if value:
            value = expand(value, mapping)
        elif source:
            resolved = await _resolve_value_from(
                source, pod, container, namespace, lookup, configmap, secret
            )
            if resolved is None:  # optional reference to something missing
                continue
            value = resolved
        tmp_env[name] = value

    result = list(tmp_env.items())
    result.extend((k, v) for k, v in service_env.items() if k not in tmp_env)
    return result


async def _resolve_value_from(
    source: Obj,
    pod: Obj,
    container: Obj,
    namespace: str,
    lookup: Lookup,
    configmap: Fetch,
    secret: Fetch,
) -> str | None:
    try:
        if (ref := source.get("fieldRef")) is not None:
            return await pod_field_selector_runtime_value(ref, pod, lookup)
        if (ref := source.get("resourceFieldRef")) is not None:
            allocatable = await lookup.node_allocatable()
            dpod, dcontainer = default_pod_limits_for_downward_api(pod, container, allocatable)
            return container_resource_runtime_value(ref, dpod, dcontainer)
    except ValueError as e:
        raise ContainerConfigError(str(e)) from e
    if (ref := source.get("configMapKeyRef")) is not None:
        name, key, optional = ref.get("name", ""), ref.get("key", ""), bool(ref.get("optional"))
        cm = await configmap(name)
        if cm is None:
            if optional:
                return None
            raise ContainerConfigError(configmap_not_found(name))
        data = cm.get("data") or {}
        if key not in data:
            if optional:
                return None
            raise ContainerConfigError(f"couldn't find key {key} in ConfigMap {namespace}/{name}")
        return str(data[key])
    if (ref := source.get("secretKeyRef")) is not None:
        name, key, optional = ref.get("name", ""), ref.get("key", ""), bool(ref.get("optional"))
        s = await secret(name)
        if s is None:
            if optional:
                return None
            raise ContainerConfigError(secret_not_found(name))
        raw = secret_value(s, key)
        if raw is None:
            if optional:
                return None
            raise ContainerConfigError(f"couldn't find key {key} in Secret {namespace}/{name}")
        return _bytes_to_str(raw)
    return ""


# -- service links ---------------------------------------------------------------------------


def is_service_ip_set(service: Obj) -> bool:
    cluster_ip = (service.get("spec") or {}).get("clusterIP") or ""
    return cluster_ip not in ("", "None")


async def service_env_var_map(
    namespace: str, enable_service_links: bool, lookup: Lookup
) -> dict[str, str]:
    """getServiceEnvVarMap: the `kubernetes` service of `default` always, and every service of
    the pod's namespace when enableServiceLinks (a same-named one in the namespace wins)."""
    in_default = list(await lookup.list_services(NAMESPACE_DEFAULT))
    chosen: dict[str, Obj] = {}
    for svc in in_default:
        name = (svc.get("metadata") or {}).get("name", "")
        if name in MASTER_SERVICES and is_service_ip_set(svc):
            chosen[name] = svc
    if enable_service_links:
        own = (
            in_default if namespace == NAMESPACE_DEFAULT else await lookup.list_services(namespace)
        )
        for svc in own:
            if is_service_ip_set(svc):
                # The pod's own namespace wins over a master service of the same name,
                # whichever order upstream's lister happens to return them in.
                chosen[(svc.get("metadata") or {}).get("name", "")] = svc
    services = [chosen[k] for k in sorted(chosen)]
    return dict(from_services(services))


def make_env_variable_name(name: str) -> str:
    return name.replace("-", "_").upper()


def from_services(services: Sequence[Obj]) -> EnvList:
    """envvars.FromServices: `{SVC}_SERVICE_HOST`, `_SERVICE_PORT[_NAME]` and Docker links."""
    result: EnvList = []
    for svc in services:
        if not is_service_ip_set(svc):
            continue
        spec = svc.get("spec") or {}
        ports = spec.get("ports") or []
        if not ports:
            continue  # a ClusterIP service always has ports; Go would index out of range
        cluster_ip = spec["clusterIP"]
        prefix = make_env_variable_name((svc.get("metadata") or {}).get("name", ""))
        result.append((prefix + "_SERVICE_HOST", cluster_ip))
        port_var = prefix + "_SERVICE_PORT"
        result.append((port_var, str(ports[0].get("port", 0))))
        for sp in ports:
            if sp.get("name"):
                result.append(
                    (port_var + "_" + make_env_variable_name(sp["name"]), str(sp["port"]))
                )
        result.extend(_link_variables(prefix, cluster_ip, ports))
    return result


def _link_variables(prefix: str, cluster_ip: str, ports: Sequence[Obj]) -> EnvList:
    out: EnvList = []
    host = f"[{cluster_ip}]" if ":" in cluster_ip else cluster_ip  # net.JoinHostPort
    for i, sp in enumerate(ports):
        protocol = sp.get("protocol") or "TCP"
        port = int(sp.get("port", 0))
        url = f"{protocol.lower()}://{host}:{port}"
        if i == 0:
            out.append((prefix + "_PORT", url))  # Docker special-cases the first port
        port_prefix = f"{prefix}_PORT_{port}_{protocol.upper()}"
        out.append((port_prefix, url))
        out.append((port_prefix + "_PROTO", protocol.lower()))
        out.append((port_prefix + "_PORT", str(port)))
        out.append((port_prefix + "_ADDR", cluster_ip))
    return out


# -- downward API: pod fields ----------------------------------------------------------------

_FIELD_LABELS = frozenset(
    {
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.serviceAccountName",
        "spec.schedulerName",
        "status.phase",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    }
)


def split_maybe_subscripted_path(field_path: str) -> tuple[str, str, bool]:
    """fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['k']` -> (metadata.labels, k)."""
    if not field_path.endswith("']"):
        return field_path, "", False
    head, sep, subscript = field_path[:-2].partition("['")
    if not sep or not head:
        return field_path, "", False
    return head, subscript, True


def convert_downward_api_field_label(version: str, label: str) -> str:
    """podshelper.ConvertDownwardAPIFieldLabel; raises ValueError with Kubernetes' wording."""
    if version != "v1":
        raise ValueError(f"unsupported pod version: {version}")
    path, _, subscripted = split_maybe_subscripted_path(label)
    if subscripted:
        if path in ("metadata.annotations", "metadata.labels"):
            return label
        raise ValueError(f"field label does not support subscript: {label}")
    if label in _FIELD_LABELS:
        return label
    if label == "spec.host":  # old v1 clients
        return "spec.nodeName"
    raise ValueError(f"field label not supported: {label}")


def format_map(m: Mapping[str, str]) -> str:
    """fieldpath.FormatMap: sorted `key="value"` lines, values quoted as Go's %q."""
    return "\n".join(f"{k}={go_value(str(m[k]))}" for k in sorted(m))


def extract_field_path_as_string(pod: Obj, field_path: str) -> str:
    """fieldpath.ExtractFieldPathAsString (metadata only); raises ValueError as Go words it."""
    meta = pod.get("metadata") or {}
    path, subscript, subscripted = split_maybe_subscripted_path(field_path)
    if subscripted:
        if path == "metadata.annotations":
            if errs := is_qualified_name(subscript.lower()):
                raise ValueError(f"invalid key subscript in {field_path}: {';'.join(errs)}")
            return str((meta.get("annotations") or {}).get(subscript, ""))
        if path == "metadata.labels":
            if errs := is_qualified_name(subscript):
                raise ValueError(f"invalid key subscript in {field_path}: {';'.join(errs)}")
            return str((meta.get("labels") or {}).get(subscript, ""))
        raise ValueError(f'fieldPath "{field_path}" does not support subscript')
    if field_path == "metadata.annotations":
        return format_map(meta.get("annotations") or {})
    if field_path == "metadata.labels":
        return format_map(meta.get("labels") or {})
    if field_path in ("metadata.name", "metadata.namespace", "metadata.uid"):
        return str(meta.get(field_path.split(".", 1)[1]) or "")
    raise ValueError(f"unsupported fieldPath: {field_path}")


def sort_pod_ips(pod_ips: Sequence[str], host_ips: Sequence[str]) -> list[str]:
    """sortPodIPs: at most one IP of the node's primary family, then one of the other family."""

    def family(ip: str) -> int | None:
        try:
            return ipaddress.ip_address(ip).version
        except ValueError:
            return None

    primary = family(host_ips[0]) if host_ips else 4
    primary = primary or 4
    secondary = 6 if primary == 4 else 4
    out: list[str] = []
    for want in (primary, secondary):
        for ip in pod_ips:
            if family(ip) == want:
                out.append(ip)
                break
    return out


async def _host_ips(lookup: Lookup) -> list[str]:
    ips = list(await lookup.host_ips())
    if not ips:
        raise ValueError("host IP unknown; known addresses: []")
    return ips


async def pod_field_selector_runtime_value(field_ref: Obj, pod: Obj, lookup: Lookup) -> str:
    """podFieldSelectorRuntimeValue: the env flavour, which also knows spec and status IPs."""
    path = convert_downward_api_field_label(
        field_ref.get("apiVersion") or "v1", field_ref.get("fieldPath", "")
    )
    spec = pod.get("spec") or {}
    if path == "spec.nodeName":
        return str(spec.get("nodeName") or "")
    if path == "spec.serviceAccountName":
        return str(spec.get("serviceAccountName") or "")
    if path == "status.hostIP":
        return (await _host_ips(lookup))[0]
    if path == "status.hostIPs":
        return ",".join(await _host_ips(lookup))
    if path in ("status.podIP", "status.podIPs"):
        pod_ips = list(await lookup.pod_ips(pod))
        if pod_ips:
            try:
                host_ips = list(await lookup.host_ips())
            except Exception:  # the order only needs the node's family; IPv4 otherwise
                host_ips = []
            pod_ips = sort_pod_ips(pod_ips, host_ips)
        if path == "status.podIP":
            return pod_ips[0] if pod_ips else ""
        return ",".join(pod_ips)
    return extract_field_path_as_string(pod, path)


# -- downward API: container resources -------------------------------------------------------

_MERGED_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_POD_LEVEL_RESOURCES = ("cpu", "memory")  # resourcehelper.IsSupportedPodLevelResource


def _quantity(value: Any) -> Quantity:
    return quantity_from_json(value) if value is not None else Quantity(0)


def merge_container_resource_limits(container: Obj, allocatable: Mapping[str, Any]) -> Obj:
    """MergeContainerResourceLimits on a copy: unset or zero cpu/memory/ephemeral-storage
    limits become `allocatable`'s (hugepages are never overcommitted, so never defaulted)."""
    resources = dict(container.get("resources") or {})
    limits = dict(resources.get("limits") or {})
    for name in _MERGED_RESOURCES:
        if (name not in limits or _quantity(limits[name]).is_zero()) and name in allocatable:
            limits[name] = allocatable[name]
    resources["limits"] = limits
    return {**container, "resources": resources}


def default_pod_limits_for_downward_api(
    pod: Obj, container: Obj | None, allocatable: Mapping[str, Any]
) -> tuple[Obj, Obj | None]:
    """defaultPodLimitsForDownwardAPI: containers' missing limits default to the pod-level
    limits (cpu, memory) when set, else to the node's allocatable."""
    alloc = dict(allocatable)
    pod_limits = ((pod.get("spec") or {}).get("resources") or {}).get("limits") or {}
    for name in _POD_LEVEL_RESOURCES:
        if name in pod_limits and not _quantity(pod_limits[name]).is_zero() and name in alloc:
            alloc[name] = pod_limits[name]
    spec = dict(pod.get("spec") or {})
    spec["containers"] = [
        merge_container_resource_limits(c, alloc) for c in spec.get("containers") or []
    ]
    out_pod = {**pod, "spec": spec}
    out_container = merge_container_resource_limits(container, alloc) if container else None
    return out_pod, out_container


def find_container_in_pod(pod: Obj, name: str) -> Obj:
    spec = pod.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        if c.get("name") == name:
            return c
    raise ValueError(f"container {name} not found")


def convert_quantity_to_string(q: Quantity, divisor: Quantity) -> str:
    """ceil(q / divisor) as a decimal integer; 0 for non-positive inputs; saturates at int64."""
    if q.nanos <= 0 or divisor.nanos <= 0:
        return "0"
    result = -(-q.nanos // divisor.nanos)
    return str(min(result, _MAX_INT64))


def extract_container_resource_value(field_ref: Obj, container: Obj) -> str:
    """ExtractContainerResourceValue: limits.*/requests.* of cpu, memory, ephemeral-storage
    and hugepages-*, divided (rounding up) by the divisor (default 1)."""
    divisor = _quantity(field_ref.get("divisor"))
    if divisor.is_zero():
        divisor = Quantity.from_int(1)
    resource = field_ref.get("resource", "")
    kind, _, name = resource.partition(".")
    resources = container.get("resources") or {}
    if kind in ("limits", "requests") and (
        name in _MERGED_RESOURCES or name.startswith("hugepages-")
    ):
        values = resources.get(kind) or {}
        return convert_quantity_to_string(_quantity(values.get(name)), divisor)
    raise ValueError(f"unsupported container resource : {resource}")


def container_resource_runtime_value(field_ref: Obj, pod: Obj, container: Obj | None) -> str:
    """containerResourceRuntimeValue: the named container (regular or init) or this one."""
    name = field_ref.get("containerName") or ""
    if not name:
        return extract_container_resource_value(field_ref, container or {})
    return extract_container_resource_value(field_ref, find_container_in_pod(pod, name))


# -- command line and subPathExpr ------------------------------------------------------------


def command_and_args(container: Obj, env: EnvList) -> tuple[list[str], list[str]]:
    """ExpandContainerCommandAndArgs: `$(VAR)` in command and args from the final environment."""
    mapping = mapping_func_for(env_map(env))
    command = [expand(c, mapping) for c in container.get("command") or []]
    args = [expand(a, mapping) for a in container.get("args") or []]
    return command, args


def expand_subpath_expr(volume_mount: Obj, env: EnvList) -> str:
    """ExpandContainerVolumeMounts: subPathExpr with every referenced variable set and
    non-empty, else `missing value for A, B`."""
    values = env_map(env)
    missing: set[str] = set()

    def mapping(name: str) -> str:
        value = values.get(name, "")
        if not value:
            missing.add(name)
        return value

    expanded = expand(volume_mount.get("subPathExpr") or "", mapping)
    if missing:
        raise ContainerConfigError(f"missing value for {', '.join(sorted(missing))}")
    return expanded
