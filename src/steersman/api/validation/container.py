"""Containers, init containers and ephemeral containers of a pod spec (core/v1).

Invariants:
- Ports, volume mounts and devices are checked against the pod's volumes; sidecar (restartable
  init) containers get the regular containers' probe and lifecycle rules, as in v1.36.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    index,
    is_valid_port_name,
    is_valid_port_num,
    validate_dns1123_label,
)
from steersman.api.validation.env import validate_env, validate_env_from
from steersman.api.validation.helpers import (
    _PROTOCOLS,
    Obj,
    _d,
    _i,
    _l,
    _local_descending_path,
    _name_errs,
    _no_backsteps,
    _s,
    _validate_pull_policy,
)
from steersman.api.validation.probe import _validate_lifecycle, _validate_probe
from steersman.api.validation.resource_requirements import validate_container_resources
from steersman.api.validation.security_context import (
    _validate_container_security_context,
)

_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_MOUNT_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")
_RRO_MODES = ("Disabled", "Enabled", "IfPossible")


def _validate_container_ports(ports: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = _d(port)
        p = index(path, i)
        name = _s(port.get("name"))
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                out.extend(_name_errs(child(p, "name"), name, msgs))
            elif name in names:
                out.append(errors.duplicate(child(p, "name"), name))
            else:
                names.add(name)
        cport = port.get("containerPort")
        if not cport:
            out.append(errors.required(child(p, "containerPort")))
        else:
            out.extend(
                errors.invalid(child(p, "containerPort"), cport, m)
                for m in is_valid_port_num(cport)
            )
        hport = port.get("hostPort")
        if hport:
            out.extend(
                errors.invalid(child(p, "hostPort"), hport, m) for m in is_valid_port_num(hport)
            )
        proto = port.get("protocol")
        if not proto:
            out.append(errors.required(child(p, "protocol")))
        elif proto not in _PROTOCOLS:
            out.append(errors.not_supported(child(p, "protocol"), proto, _PROTOCOLS))
    return out


def _is_pvc_source(vol: Obj) -> bool:
    return isinstance(vol.get("persistentVolumeClaim"), dict) or isinstance(
        vol.get("ephemeral"), dict
    )


def _validate_volume_mounts(
    mounts: Sequence[Any],
    devices: Mapping[str, str],
    volumes: Mapping[str, Obj],
    ctr: Obj,
    path: str,
) -> list[FieldError]:
    out: list[FieldError] = []
    mount_points: set[str] = set()
    privileged = _d(ctr.get("securityContext")).get("privileged") is True
    for i, mnt in enumerate(mounts):
        mnt = _d(mnt)
        p = index(path, i)
        name = _s(mnt.get("name"))
        mount_path = _s(mnt.get("mountPath"))
        if not name:
            out.append(errors.required(child(p, "name")))
        if name not in volumes:
            out.append(errors.not_found(child(p, "name"), name))
        if not mount_path:
            out.append(errors.required(child(p, "mountPath")))
        if mount_path in mount_points:
            out.append(errors.invalid(child(p, "mountPath"), mount_path, "must be unique"))
        mount_points.add(mount_path)
        if name in devices:
            out.append(
                errors.invalid(child(p, "name"), name, "must not already exist in volumeDevices")
            )
        if mount_path in devices.values():
            out.append(
                errors.invalid(
                    child(p, "mountPath"),
                    mount_path,
                    "must not already exist as a path in volumeDevices",
                )
            )
        sub_path = _s(mnt.get("subPath"))
        sub_expr = _s(mnt.get("subPathExpr"))
        if isinstance(_d(volumes.get(name)).get("image"), dict):
            if sub_path:
                out.append(
                    errors.invalid(
                        child(p, "subPath"), sub_path, "not allowed in image volume sources"
                    )
                )
            if sub_expr:
                out.append(
                    errors.invalid(
                        child(p, "subPathExpr"), sub_expr, "not allowed in image volume sources"
                    )
                )
        # Kubernetes reports these two without the mount's index.
        if sub_path:
            out.extend(_local_descending_path(sub_path, child(path, "subPath")))
        if sub_expr:
            if sub_path:
                out.append(
                    errors.invalid(
                        child(p, "subPathExpr"),
                        sub_expr,
                        "subPathExpr and subPath are mutually exclusive",
                    )
                )
            out.extend(_local_descending_path(sub_expr, child(path, "subPathExpr")))
        prop = mnt.get("mountPropagation")
        if prop is not None:
            prop_path = child(path, "mountPropagation")
            if prop not in _MOUNT_PROPAGATIONS:
                out.append(errors.not_supported(prop_path, prop, _MOUNT_PROPAGATIONS))
            if prop == "Bidirectional" and not privileged:
                out.append(
                    errors.forbidden(
                        prop_path,
                        "Bidirectional mount propagation is available only to privileged containers",
                    )
                )
        rro = mnt.get("recursiveReadOnly")
        if rro is not None and rro != "Disabled":
            rro_path = child(path, "recursiveReadOnly")
            if rro in ("Enabled", "IfPossible"):
                if mnt.get("readOnly") is not True:
                    out.append(
                        errors.forbidden(rro_path, "may only be specified when readOnly is true")
                    )
                if prop not in (None, "None"):
                    out.append(
                        errors.forbidden(
                            rro_path,
                            "may only be specified when mountPropagation is None or not specified",
                        )
                    )
            else:
                out.append(errors.not_supported(rro_path, rro, _RRO_MODES))
    return out


def _validate_volume_devices(
    devices: Sequence[Any], mounts: Mapping[str, str], volumes: Mapping[str, Obj], path: str
) -> list[FieldError]:
    out: list[FieldError] = []
    paths: set[str] = set()
    names: set[str] = set()
    for i, dev in enumerate(devices):
        dev = _d(dev)
        p = index(path, i)
        name = _s(dev.get("name"))
        dev_path = _s(dev.get("devicePath"))
        if not name:
            out.append(errors.required(child(p, "name")))
        if name in names:
            out.append(errors.invalid(child(p, "name"), name, "must be unique"))
        if name in volumes and not _is_pvc_source(volumes[name]):
            out.append(
                errors.invalid(
                    child(p, "name"),
                    name,
                    "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                )
            )
        if name not in volumes:
            out.append(errors.not_found(child(p, "name"), name))
        if not dev_path:
            out.append(errors.required(child(p, "devicePath")))
        if dev_path in paths:
            out.append(errors.invalid(child(p, "devicePath"), dev_path, "must be unique"))
        if dev_path and _no_backsteps(dev_path, ""):
            out.append(
                errors.invalid(child(p, "devicePath"), dev_path, "can not contain backsteps ('..')")
            )
        else:
            paths.add(dev_path)
        if name in mounts:
            out.append(
                errors.invalid(child(p, "name"), name, "must not already exist in volumeMounts")
            )
        if dev_path in mounts.values():
            out.append(
                errors.invalid(
                    child(p, "devicePath"),
                    dev_path,
                    "must not already exist as a path in volumeMounts",
                )
            )
        if name:
            names.add(name)
    return out


def _validate_resize_policy(
    policies: Sequence[Any], path: str, restart_policy: str
) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for i, pol in enumerate(policies):
        pol = _d(pol)
        name = _s(pol.get("resourceName"))
        if name in seen:
            out.append(errors.duplicate(index(path, i), name))
        seen.add(name)
        if not name:
            out.append(errors.required(path))
        elif name not in ("cpu", "memory"):
            out.append(errors.not_supported(path, name, ["cpu", "memory"]))
        restart = _s(pol.get("restartPolicy"))
        if not restart:
            out.append(errors.required(path))
        elif restart not in ("NotRequired", "RestartContainer"):
            out.append(errors.not_supported(path, restart, ["NotRequired", "RestartContainer"]))
        if restart_policy == "Never" and restart != "NotRequired":
            out.append(
                errors.invalid(
                    path, restart, "must be 'NotRequired' when `restartPolicy` is 'Never'"
                )
            )
    return out


def _validate_container_common(
    ctr: Obj,
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    out: list[FieldError] = []
    name = _s(ctr.get("name"))
    if not name:
        out.append(errors.required(child(path, "name")))
    else:
        out.extend(validate_dns1123_label(name, child(path, "name")))
    if not _s(ctr.get("image")):
        out.append(errors.required(child(path, "image")))
    tmp = ctr.get("terminationMessagePolicy")
    if not tmp:
        out.append(errors.required(child(path, "terminationMessagePolicy")))
    elif tmp not in _TERMINATION_MESSAGE_POLICIES:
        out.append(
            errors.not_supported(
                child(path, "terminationMessagePolicy"), tmp, _TERMINATION_MESSAGE_POLICIES
            )
        )
    mounts = {
        _s(_d(m).get("name")): _s(_d(m).get("mountPath")) for m in _l(ctr.get("volumeMounts"))
    }
    devices = {
        _s(_d(d).get("name")): _s(_d(d).get("devicePath")) for d in _l(ctr.get("volumeDevices"))
    }
    out.extend(_validate_container_ports(_l(ctr.get("ports")), child(path, "ports")))
    out.extend(validate_env(_l(ctr.get("env")), child(path, "env")))
    out.extend(validate_env_from(_l(ctr.get("envFrom")), child(path, "envFrom")))
    out.extend(
        _validate_volume_mounts(
            _l(ctr.get("volumeMounts")), devices, volumes, ctr, child(path, "volumeMounts")
        )
    )
    out.extend(
        _validate_volume_devices(
            _l(ctr.get("volumeDevices")), mounts, volumes, child(path, "volumeDevices")
        )
    )
    out.extend(_validate_pull_policy(ctr.get("imagePullPolicy"), child(path, "imagePullPolicy")))
    out.extend(
        validate_container_resources(
            _d(ctr.get("resources")), child(path, "resources"), claim_names
        )
    )
    out.extend(
        _validate_resize_policy(
            _l(ctr.get("resizePolicy")), child(path, "resizePolicy"), restart_policy
        )
    )
    out.extend(
        _validate_container_security_context(
            ctr.get("securityContext"), child(path, "securityContext"), host_users
        )
    )
    return out


def _host_port_conflicts(containers: Sequence[Any], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(_l(_d(ctr).get("ports"))):
            port = _d(port)
            host_port = _i(port.get("hostPort"))
            if host_port == 0:
                continue
            text = f"{_s(port.get('protocol'))}/{_s(port.get('hostIP'))}/{host_port}"
            if text in seen:
                out.append(
                    errors.duplicate(
                        child(index(child(index(path, ci), "ports"), pi), "hostPort"), text
                    )
                )
            seen.add(text)
    return out


def _validate_containers(
    containers: Sequence[Any],
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    grace: Any,
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    if not containers:
        return [errors.required(path)]
    out: list[FieldError] = []
    names: set[str] = set()
    for i, ctr in enumerate(containers):
        ctr = _d(ctr)
        p = index(path, i)
        out.extend(
            _validate_container_common(ctr, volumes, claim_names, p, restart_policy, host_users)
        )
        name = _s(ctr.get("name"))
        if name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        names.add(name)
        if isinstance(ctr.get("lifecycle"), dict):
            out.extend(_validate_lifecycle(ctr["lifecycle"], grace, child(p, "lifecycle")))
        out.extend(
            _validate_probe(ctr.get("livenessProbe"), grace, child(p, "livenessProbe"), "liveness")
        )
        out.extend(
            _validate_probe(
                ctr.get("readinessProbe"), grace, child(p, "readinessProbe"), "readiness"
            )
        )
        out.extend(
            _validate_probe(ctr.get("startupProbe"), grace, child(p, "startupProbe"), "startup")
        )
        if ctr.get("restartPolicy") is not None:
            out.append(
                errors.forbidden(
                    child(p, "restartPolicy"), "may not be set for non-init containers"
                )
            )
    out.extend(_host_port_conflicts(containers, path))
    return out


def _validate_init_containers(
    containers: Sequence[Any],
    regular: Sequence[Any],
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    grace: Any,
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    out: list[FieldError] = []
    names = {_s(_d(c).get("name")) for c in regular}
    for i, ctr in enumerate(containers):
        ctr = _d(ctr)
        p = index(path, i)
        out.extend(
            _validate_container_common(ctr, volumes, claim_names, p, restart_policy, host_users)
        )
        policy = ctr.get("restartPolicy")
        if policy is not None and policy != "Always":
            out.append(errors.not_supported(child(p, "restartPolicy"), policy, ["Always"]))
        sidecar = policy == "Always"
        name = _s(ctr.get("name"))
        if name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        elif name:
            names.add(name)
        # Init containers run one by one, so each is checked for host port clashes alone.
        out.extend(_host_port_conflicts([ctr], path))
        if sidecar:
            if isinstance(ctr.get("lifecycle"), dict):
                out.extend(_validate_lifecycle(ctr["lifecycle"], grace, child(p, "lifecycle")))
            out.extend(
                _validate_probe(
                    ctr.get("livenessProbe"), grace, child(p, "livenessProbe"), "liveness"
                )
            )
            out.extend(
                _validate_probe(
                    ctr.get("readinessProbe"), grace, child(p, "readinessProbe"), "readiness"
                )
            )
            out.extend(
                _validate_probe(ctr.get("startupProbe"), grace, child(p, "startupProbe"), "startup")
            )
        else:
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if ctr.get(field) is not None:
                    out.append(
                        errors.forbidden(
                            child(p, field),
                            "may not be set for init containers without restartPolicy=Always",
                        )
                    )
    return out


_EPHEMERAL_ALLOWED = frozenset(
    {
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "envFrom",
        "env",
        "volumeMounts",
        "volumeDevices",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "imagePullPolicy",
        "securityContext",
        "stdin",
        "stdinOnce",
        "tty",
        "targetContainerName",
    }
)


def _validate_ephemeral_containers(
    ephemeral: Sequence[Any],
    containers: Sequence[Any],
    init: Sequence[Any],
    volumes: Mapping[str, Obj],
    claim_names: set[str],
    path: str,
    restart_policy: str,
    host_users: bool,
) -> list[FieldError]:
    out: list[FieldError] = []
    others = {_s(_d(c).get("name")) for c in [*containers, *init]}
    names = set(others)
    for i, ec in enumerate(ephemeral):
        ec = _d(ec)
        p = index(path, i)
        out.extend(
            _validate_container_common(ec, volumes, claim_names, p, restart_policy, host_users)
        )
        out.extend(_validate_image_whitespace(ec, p))
        name = _s(ec.get("name"))
        if name in names:
            out.append(errors.duplicate(child(p, "name"), name))
        else:
            names.add(name)
        target = _s(ec.get("targetContainerName"))
        if target and target not in others:
            out.append(errors.not_found(child(p, "targetContainerName"), target))
        for field in sorted(ec):
            if field not in _EPHEMERAL_ALLOWED and ec[field] not in (None, "", [], {}, False, 0):
                out.append(
                    errors.forbidden(child(p, field), "cannot be set for an Ephemeral Container")
                )
        for j, vm in enumerate(_l(ec.get("volumeMounts"))):
            for field in ("subPath", "subPathExpr"):
                if _s(_d(vm).get(field)):
                    out.append(
                        errors.forbidden(
                            child(index(child(p, "volumeMounts"), j), field),
                            "cannot be set for an Ephemeral Container",
                        )
                    )
    return out


def _validate_image_whitespace(ctr: Obj, path: str) -> list[FieldError]:
    image = _s(ctr.get("image"))
    if image != image.strip():
        return [
            errors.invalid(
                child(path, "image"), image, "must not have leading or trailing whitespace"
            )
        ]
    return []
