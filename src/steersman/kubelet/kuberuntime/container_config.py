"""ContainerConfig for one container of a pod (Kubernetes' kuberuntime_container.go
generateContainerConfig and kuberuntime_container_linux.go): image, command, env, mounts, log
path, resources as cgroup settings, security context.

Invariants: pure; cpu shares/quota and the OOM score follow Kubernetes' formulas
(milliCPUToShares, milliCPUToQuota with a 100 ms period, QoS-based oom_score_adj).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from steersman.api.quantity import parse_quantity
from steersman.kubelet.kuberuntime import labels as lbl
from steersman.kubelet.kuberuntime.sandbox import namespace_options, qos_class
from steersman.kubelet.runtime.cri import api_pb2 as api

Obj = dict[str, Any]
MIN_SHARES = 2
SHARES_PER_CPU = 1024
QUOTA_PERIOD = 100_000
MIN_QUOTA_PERIOD = 1000
GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000


def _milli(value: Any) -> int:
    try:
        return parse_quantity(str(value)).milli_value()
    except (ValueError, TypeError):
        return 0


def _bytes(value: Any) -> int:
    try:
        return parse_quantity(str(value)).value()
    except (ValueError, TypeError):
        return 0


def milli_cpu_to_shares(milli: int) -> int:
    if milli == 0:
        return MIN_SHARES
    return max(milli * SHARES_PER_CPU // 1000, MIN_SHARES)


def milli_cpu_to_quota(milli: int, period: int = QUOTA_PERIOD) -> int:
    if milli == 0:
        return 0
    return max(milli * period // 1000, MIN_QUOTA_PERIOD)


def oom_score_adj(pod: Obj, container: Obj, memory_capacity: int) -> int:
    qos = qos_class(pod)
    if qos == "Guaranteed":
        return GUARANTEED_OOM_SCORE_ADJ
    if qos == "BestEffort":
        return BEST_EFFORT_OOM_SCORE_ADJ
    request = _bytes(((container.get("resources") or {}).get("requests") or {}).get("memory", 0))
    if memory_capacity <= 0:
        return 999
    adj = 1000 - (1000 * request) // memory_capacity
    return max(min(adj, 999), 2)


def linux_resources(pod: Obj, container: Obj, memory_capacity: int) -> api.LinuxContainerResources:
    res = container.get("resources") or {}
    requests = res.get("requests") or {}
    limits = res.get("limits") or {}
    cpu_request = _milli(requests.get("cpu", limits.get("cpu", 0)))
    out = api.LinuxContainerResources(
        cpu_shares=milli_cpu_to_shares(cpu_request),
        oom_score_adj=oom_score_adj(pod, container, memory_capacity),
    )
    if "cpu" in limits:
        out.cpu_period = QUOTA_PERIOD
        out.cpu_quota = milli_cpu_to_quota(_milli(limits["cpu"]))
    if "memory" in limits:
        out.memory_limit_in_bytes = _bytes(limits["memory"])
    return out


def security_context(pod: Obj, container: Obj) -> api.LinuxContainerSecurityContext:
    pod_sc = (pod.get("spec") or {}).get("securityContext") or {}
    sc = container.get("securityContext") or {}
    out = api.LinuxContainerSecurityContext(
        privileged=bool(sc.get("privileged")),
        readonly_rootfs=bool(sc.get("readOnlyRootFilesystem")),
        namespace_options=namespace_options(pod),
        supplemental_groups=[int(g) for g in pod_sc.get("supplementalGroups") or []],
        no_new_privs=sc.get("allowPrivilegeEscalation") is False,
    )
    run_as_user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if run_as_user is not None:
        out.run_as_user.value = int(run_as_user)
    run_as_group = sc.get("runAsGroup", pod_sc.get("runAsGroup"))
    if run_as_group is not None:
        out.run_as_group.value = int(run_as_group)
    caps = sc.get("capabilities") or {}
    if caps:
        out.capabilities.add_capabilities.extend(caps.get("add") or [])
        out.capabilities.drop_capabilities.extend(caps.get("drop") or [])
    return out


def container_config(
    pod: Obj,
    container: Obj,
    *,
    image_ref: str,
    attempt: int,
    spec_hash: str,
    command: Sequence[str],
    args: Sequence[str],
    envs: Sequence[tuple[str, str]],
    mounts: Sequence[api.Mount],
    memory_capacity: int,
    container_type: str = "",
) -> api.ContainerConfig:
    spec = pod.get("spec") or {}
    grace = spec.get("terminationGracePeriodSeconds", 30)
    annotations = {
        lbl.CONTAINER_HASH: spec_hash,
        lbl.RESTART_COUNT: str(attempt),
        lbl.TERMINATION_MESSAGE_PATH: container.get(
            "terminationMessagePath", "/dev/termination-log"
        ),
        lbl.TERMINATION_MESSAGE_POLICY: container.get("terminationMessagePolicy", "File"),
        lbl.POD_GRACE_PERIOD: str(grace),
    }
    if container_type:
        annotations[lbl.CONTAINER_TYPE] = container_type
    pre_stop = ((container.get("lifecycle") or {}).get("preStop")) or None
    if pre_stop:
        annotations[lbl.PRE_STOP_HANDLER] = json.dumps(pre_stop, sort_keys=True)
    return api.ContainerConfig(
        metadata=api.ContainerMetadata(name=container["name"], attempt=attempt),
        image=api.ImageSpec(image=image_ref, user_specified_image=container.get("image", "")),
        command=list(command),
        args=list(args),
        working_dir=container.get("workingDir", ""),
        envs=[api.KeyValue(key=k, value=v) for k, v in envs],
        mounts=list(mounts),
        labels=lbl.container_labels(pod, container["name"]),
        annotations=annotations,
        log_path=f"{container['name']}/{attempt}.log",
        stdin=bool(container.get("stdin")),
        stdin_once=bool(container.get("stdinOnce")),
        tty=bool(container.get("tty")),
        linux=api.LinuxContainerConfig(
            resources=linux_resources(pod, container, memory_capacity),
            security_context=security_context(pod, container),
        ),
    )
