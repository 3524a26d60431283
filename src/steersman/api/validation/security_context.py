"""Pod and container security contexts: seccomp, AppArmor, sysctls, user namespaces (core/v1).

Invariants:
- Profiles are checked field by field as Kubernetes does; annotations that must match them
  are checked in `pod_template`.
Pure functions: no I/O, no module state.
"""

from __future__ import annotations

import re
from typing import Any

from steersman.api import errors
from steersman.api.errors import FieldError
from steersman.api.validation.common import (
    child,
    index,
    is_valid_group_id,
    is_valid_user_id,
)
from steersman.api.validation.helpers import Obj, _d, _l, _local_descending_path, _s

SYSCTL_MAX_LENGTH = 253
_SYSCTL_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_FMT = "^(" + _SYSCTL_SEGMENT + "[\\./])*" + _SYSCTL_SEGMENT + "$"
_SYSCTL_RE = re.compile(_SYSCTL_FMT)


def _validate_seccomp_profile(profile: Any, path: str) -> list[FieldError]:
    if not isinstance(profile, dict):
        return []
    out: list[FieldError] = []
    kind = _s(profile.get("type"))
    supported = ("Localhost", "RuntimeDefault", "Unconfined")
    if not kind:
        out.append(
            errors.required(child(path, "type"), "type is required when seccompProfile is set")
        )
    elif kind not in supported:
        out.append(errors.not_supported(child(path, "type"), kind, supported))
    local = profile.get("localhostProfile")
    if kind == "Localhost":
        if local is None:
            out.append(
                errors.required(
                    child(path, "localhostProfile"), "must be set when seccomp type is Localhost"
                )
            )
        else:
            out.extend(_local_descending_path(_s(local), child(path, "localhostProfile")))
    elif local is not None:
        out.append(
            errors.invalid(
                child(path, "localhostProfile"),
                dict(profile),
                "can only be set when seccomp type is Localhost",
            )
        )
    return out


def _validate_apparmor_profile(profile: Any, path: str) -> list[FieldError]:
    if not isinstance(profile, dict):
        return []
    out: list[FieldError] = []
    kind = _s(profile.get("type"))
    local = profile.get("localhostProfile")
    lp = child(path, "localhostProfile")
    if kind == "Localhost":
        if local is None:
            out.append(errors.required(lp, "must be set when AppArmor type is Localhost"))
        else:
            text = _s(local)
            if text.strip() != text:
                out.append(errors.invalid(lp, text, "must not be padded with whitespace"))
            elif not text:
                out.append(errors.required(lp, "must be set when AppArmor type is Localhost"))
            if len(text) > 4095:
                out.append(errors.too_long(lp, 4095))
    elif kind in ("RuntimeDefault", "Unconfined"):
        if local is not None:
            out.append(errors.invalid(lp, local, "can only be set when AppArmor type is Localhost"))
    elif not kind:
        out.append(
            errors.required(child(path, "type"), "type is required when appArmorProfile is set")
        )
    else:
        out.append(
            errors.not_supported(
                child(path, "type"), kind, ["Localhost", "RuntimeDefault", "Unconfined"]
            )
        )
    return out


def _validate_container_security_context(sc: Any, path: str, host_users: bool) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    out: list[FieldError] = []
    for field, check in (("runAsUser", is_valid_user_id), ("runAsGroup", is_valid_group_id)):
        value = sc.get(field)
        if isinstance(value, int):
            out.extend(errors.invalid(child(path, field), value, m) for m in check(value))
    proc = sc.get("procMount")
    if proc is not None:
        if proc not in ("Default", "Unmasked"):
            out.append(
                errors.not_supported(child(path, "procMount"), proc, ["Default", "Unmasked"])
            )
        if host_users and proc == "Unmasked":
            out.append(
                errors.invalid(
                    child(path, "procMount"), proc, "`hostUsers` must be false to use `Unmasked`"
                )
            )
    out.extend(_validate_seccomp_profile(sc.get("seccompProfile"), child(path, "seccompProfile")))
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            out.append(
                errors.invalid(
                    path,
                    dict(sc),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                )
            )
        if "CAP_SYS_ADMIN" in _l(_d(sc.get("capabilities")).get("add")):
            out.append(
                errors.invalid(
                    path,
                    dict(sc),
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                )
            )
    out.extend(
        _validate_apparmor_profile(sc.get("appArmorProfile"), child(path, "appArmorProfile"))
    )
    return out


def _sysctl_namespace(name: str) -> str:
    if name.startswith("net.") or name.startswith("net/"):
        return "net"
    if name.startswith(
        ("kernel.shm", "kernel.msg", "kernel/shm", "kernel/msg", "fs.mqueue.", "fs/mqueue/")
    ) or name in (
        "kernel.sem",
        "kernel/sem",
    ):
        return "ipc"
    return ""


def _validate_pod_security_context(sc: Any, spec: Obj, path: str) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    out: list[FieldError] = []
    for field, check in (
        ("fsGroup", is_valid_group_id),
        ("runAsUser", is_valid_user_id),
        ("runAsGroup", is_valid_group_id),
    ):
        value = sc.get(field)
        if isinstance(value, int):
            out.extend(errors.invalid(child(path, field), value, m) for m in check(value))
    for g, gid in enumerate(_l(sc.get("supplementalGroups"))):
        if isinstance(gid, int):
            out.extend(
                errors.invalid(index(child(path, "supplementalGroups"), g), gid, m)
                for m in is_valid_group_id(gid)
            )
    if spec.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        out.append(
            errors.invalid(
                child(path, "shareProcessNamespace"),
                True,
                "ShareProcessNamespace and HostPID cannot both be enabled",
            )
        )
    seen: set[str] = set()
    for i, sysctl in enumerate(_l(sc.get("sysctls"))):
        name = _s(_d(sysctl).get("name"))
        np = child(index(child(path, "sysctls"), i), "name")
        if not name:
            out.append(errors.required(np))
        elif len(name) > SYSCTL_MAX_LENGTH or _SYSCTL_RE.fullmatch(name) is None:
            out.append(
                errors.invalid(
                    np,
                    name,
                    f"must have at most {SYSCTL_MAX_LENGTH} characters and match regex {_SYSCTL_FMT}",
                )
            )
        elif name in seen:
            out.append(errors.duplicate(np, name))
        ns = _sysctl_namespace(name)
        if spec.get("hostNetwork") is True and ns == "net":
            out.append(errors.invalid(np, name, "may not be specified when 'hostNetwork' is true"))
        elif spec.get("hostIPC") is True and ns == "ipc":
            out.append(errors.invalid(np, name, "may not be specified when 'hostIPC' is true"))
        seen.add(name)
    policy = sc.get("fsGroupChangePolicy")
    if policy is not None and policy not in ("Always", "OnRootMismatch"):
        out.append(
            errors.not_supported(
                child(path, "fsGroupChangePolicy"), policy, ["Always", "OnRootMismatch"]
            )
        )
    out.extend(_validate_seccomp_profile(sc.get("seccompProfile"), child(path, "seccompProfile")))
    out.extend(
        _validate_apparmor_profile(sc.get("appArmorProfile"), child(path, "appArmorProfile"))
    )
    sgp = sc.get("supplementalGroupsPolicy")
    if sgp is not None and sgp not in ("Merge", "Strict"):
        out.append(
            errors.not_supported(child(path, "supplementalGroupsPolicy"), sgp, ["Merge", "Strict"])
        )
    selinux = sc.get("seLinuxChangePolicy")
    if selinux is not None and selinux not in ("MountOption", "Recursive"):
        out.append(
            errors.not_supported(
                child(path, "seLinuxChangePolicy"), selinux, ["MountOption", "Recursive"]
            )
        )
    return out
