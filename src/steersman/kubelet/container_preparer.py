"""What a container gets from its pod: environment, expanded command and args, volume
mounts and the kubelet-managed /etc/hosts (Kubernetes' kubelet_pods.go
GenerateRunContainerOptions), and the API-backed lookups they need.

Invariants:
- A reference that cannot be resolved (a missing ConfigMap key, a volume mount without a
  volume) raises ContainerStartError("CreateContainerConfigError", <Kubernetes' message>), which
  the pod status shows as the container's Waiting reason.
- /etc/hosts is mounted only for pods not on the host network and when no volume mount already
  targets it; it is rewritten before each container start (the pod IP may have changed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from steersman.client.rest import ApiStatusError, RestClient
from steersman.kubelet.envvars import ContainerConfigError, command_and_args, make_environment
from steersman.kubelet.kuberuntime.manager import ContainerStartError, PreparedContainer
from steersman.kubelet.runtime.cri import api_pb2 as api
from steersman.kubelet.volumes.manager import make_mounts

Obj = dict[str, Any]
HOSTS_HEADER = "# Kubernetes-managed hosts file.\n"
HOSTS_DEFAULTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n"
)


class ApiLookup:
    """envvars/volumes Lookup backed by the API server and the kubelet's own facts."""

    def __init__(
        self,
        client: RestClient,
        *,
        host_ips: Sequence[str],
        allocatable: Callable[[], Mapping[str, Any]],
        pod_ips: Callable[[Obj], Sequence[str]],
    ) -> None:
        self.client = client
        self._host_ips = list(host_ips)
        self._allocatable = allocatable
        self._pod_ips = pod_ips

    async def _get(self, path: str) -> Obj | None:
        try:
            obj: Obj = await self.client.get(path)
        except ApiStatusError as exc:
            if exc.code == 404:
                return None
            raise
        return obj

    async def get_configmap(self, namespace: str, name: str) -> Obj | None:
        return await self._get(f"/api/v1/namespaces/{namespace}/configmaps/{name}")

    async def get_secret(self, namespace: str, name: str) -> Obj | None:
        return await self._get(f"/api/v1/namespaces/{namespace}/secrets/{name}")

    async def list_services(self, namespace: str) -> Sequence[Obj]:
        listed = await self.client.get(f"/api/v1/namespaces/{namespace}/services")
        return list(listed.get("items") or [])

    async def node_allocatable(self) -> Mapping[str, Any]:
        return self._allocatable()

    async def host_ips(self) -> Sequence[str]:
        return self._host_ips

    async def pod_ips(self, pod: Obj) -> Sequence[str]:
        return self._pod_ips(pod)

    async def service_account_token(
        self, pod: Obj, *, audiences: Sequence[str], expiration_seconds: int | None
    ) -> str | None:
        meta = pod["metadata"]
        sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        body: Obj = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "audiences": list(audiences),
                "boundObjectRef": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": meta["name"],
                    "uid": meta["uid"],
                },
            },
        }
        if expiration_seconds:
            body["spec"]["expirationSeconds"] = expiration_seconds
        try:
            answer = await self.client.create(
                f"/api/v1/namespaces/{meta['namespace']}/serviceaccounts/{sa}/token", body
            )
        except ApiStatusError:
            return None  # the API server does not issue tokens (yet): the file is skipped
        token = (answer.get("status") or {}).get("token")
        return str(token) if token else None


def hosts_file_content(pod: Obj, pod_ips: Sequence[str]) -> str:
    spec = pod.get("spec") or {}
    hostname = str(spec.get("hostname") or pod["metadata"]["name"])
    lines = [HOSTS_HEADER, HOSTS_DEFAULTS]
    subdomain = spec.get("subdomain")
    names = hostname
    if subdomain:
        fqdn = f"{hostname}.{subdomain}.{pod['metadata'].get('namespace', 'default')}.svc.cluster.local"
        names = f"{fqdn}\t{hostname}"
    for ip in pod_ips:
        lines.append(f"{ip}\t{names}\n")
    aliases = spec.get("hostAliases") or []
    if aliases:
        lines.append("\n# Entries added by HostAliases.\n")
        for alias in aliases:
            lines.append(f"{alias.get('ip', '')}\t{chr(9).join(alias.get('hostnames') or [])}\n")
    return "".join(lines)


class ContainerPreparerImpl:
    def __init__(self, root: Path, lookup: ApiLookup) -> None:
        self.root = root
        self.lookup = lookup

    async def prepare(self, pod: Obj, container: Obj, pod_ips: list[str]) -> PreparedContainer:
        try:
            env = await make_environment(pod, container, lookup=self.lookup)
            command, args = command_and_args(container, env)
            mounts = make_mounts(self.root, pod, container, env)
        except ContainerConfigError as exc:
            raise ContainerStartError("CreateContainerConfigError", str(exc)) from None
        cri_mounts = [
            api.Mount(
                container_path=m.container_path,
                host_path=m.host_path,
                readonly=m.readonly,
                selinux_relabel=m.selinux_relabel,
                propagation=m.propagation,  # type: ignore[arg-type]
                recursive_read_only=m.recursive_read_only,
            )
            for m in mounts
        ]
        spec = pod.get("spec") or {}
        if not spec.get("hostNetwork") and not any(
            m.container_path == "/etc/hosts" for m in cri_mounts
        ):
            hosts = self.root / "pods" / pod["metadata"]["uid"] / "etc-hosts"
            hosts.parent.mkdir(parents=True, exist_ok=True)
            hosts.write_text(hosts_file_content(pod, pod_ips))
            cri_mounts.append(api.Mount(container_path="/etc/hosts", host_path=str(hosts)))
        return PreparedContainer(command=command, args=args, envs=list(env), mounts=cri_mounts)
