"""PodSandboxConfig for a pod (Kubernetes' kuberuntime_sandbox.go generatePodSandboxConfig):
metadata, hostname, DNS, host ports, cgroup parent by QoS class, namespaces.

Invariants: pure functions of the pod and the node's settings; the cgroup parent is the
cgroupfs path `/kubepods[/burstable|/besteffort]/pod<uid>` (DESIGN §5: no systemd here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steersman.kubelet.kuberuntime.labels import pod_labels
from steersman.kubelet.runtime.cri import api_pb2 as api

Obj = dict[str, Any]
_PROTOCOLS = {"TCP": api.TCP, "UDP": api.UDP, "SCTP": api.SCTP}


def qos_class(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("qosClass") or "BestEffort")


def cgroup_parent(pod: Obj) -> str:
    uid = pod["metadata"]["uid"]
    qos = qos_class(pod)
    if qos == "Guaranteed":
        return f"/kubepods/pod{uid}"
    return f"/kubepods/{qos.lower()}/pod{uid}"


def pod_log_dir(logs_root: Path, pod: Obj) -> Path:
    meta = pod["metadata"]
    return logs_root / f"{meta.get('namespace', 'default')}_{meta['name']}_{meta['uid']}"


def host_dns_config(resolv_conf: Path = Path("/etc/resolv.conf")) -> api.DNSConfig:
    servers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    try:
        text = resolv_conf.read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if fields[0] == "nameserver" and len(fields) > 1:
            servers.append(fields[1])
        elif fields[0] in ("search", "domain"):
            searches = fields[1:]
        elif fields[0] == "options":
            options.extend(fields[1:])
    return api.DNSConfig(servers=servers, searches=searches, options=options)


def dns_config(pod: Obj) -> api.DNSConfig:
    """ClusterFirst falls back to the host's resolv.conf while no cluster DNS is configured
    (as Kubernetes' kubelet does); `None` policy uses only the pod's dnsConfig."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy", "ClusterFirst")
    base = api.DNSConfig() if policy == "None" else host_dns_config()
    extra = spec.get("dnsConfig") or {}
    base.servers.extend(extra.get("nameservers") or [])
    base.searches.extend(extra.get("searches") or [])
    for option in extra.get("options") or []:
        name = option.get("name", "")
        base.options.append(f"{name}:{option['value']}" if option.get("value") else name)
    return base


def port_mappings(pod: Obj) -> list[api.PortMapping]:
    out = []
    spec = pod.get("spec") or {}
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            if not port.get("hostPort"):
                continue
            out.append(
                api.PortMapping(
                    protocol=_PROTOCOLS.get(port.get("protocol", "TCP"), api.TCP),
                    container_port=int(port["containerPort"]),
                    host_port=int(port["hostPort"]),
                    host_ip=port.get("hostIP", ""),
                )
            )
    return out


def namespace_options(pod: Obj) -> api.NamespaceOption:
    spec = pod.get("spec") or {}
    return api.NamespaceOption(
        network=api.NODE if spec.get("hostNetwork") else api.POD,
        pid=api.NODE
        if spec.get("hostPID")
        else (api.POD if spec.get("shareProcessNamespace") else api.CONTAINER),
        ipc=api.NODE if spec.get("hostIPC") else api.POD,
    )


def pod_hostname(pod: Obj, node_hostname: str) -> str:
    spec = pod.get("spec") or {}
    if spec.get("hostNetwork"):
        return ""  # the node's own hostname; runc refuses to set one in the host's UTS namespace
    return str(spec.get("hostname") or pod["metadata"]["name"])[:63]


def sandbox_config(
    pod: Obj, *, attempt: int, logs_root: Path, node_hostname: str
) -> api.PodSandboxConfig:
    meta = pod["metadata"]
    spec = pod.get("spec") or {}
    security = spec.get("securityContext") or {}
    sandbox_security = api.LinuxSandboxSecurityContext(
        namespace_options=namespace_options(pod),
        privileged=any(
            ((c.get("securityContext") or {}).get("privileged"))
            for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        ),
        supplemental_groups=[int(g) for g in security.get("supplementalGroups") or []],
    )
    if security.get("runAsUser") is not None:
        sandbox_security.run_as_user.value = int(security["runAsUser"])
    if security.get("runAsGroup") is not None:
        sandbox_security.run_as_group.value = int(security["runAsGroup"])
    annotations = dict(meta.get("annotations") or {})
    return api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(
            name=meta["name"],
            uid=meta["uid"],
            namespace=meta.get("namespace", "default"),
            attempt=attempt,
        ),
        hostname=pod_hostname(pod, node_hostname),
        log_directory=str(pod_log_dir(logs_root, pod)),
        dns_config=dns_config(pod),
        port_mappings=port_mappings(pod),
        labels=pod_labels(pod),
        annotations=annotations,
        linux=api.LinuxPodSandboxConfig(
            cgroup_parent=cgroup_parent(pod),
            security_context=sandbox_security,
            sysctls={s["name"]: str(s["value"]) for s in security.get("sysctls") or []},
        ),
    )
