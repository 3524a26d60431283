"""Facts about the host the kubelet runs on (what cAdvisor's machine info gives Kubernetes'
kubelet): cores, memory, disk, identifiers, kernel and OS, the node's address.

Invariants: pure reads of /proc, /sys, /etc and the routing table; nothing here writes, and
every reader has a fallback so that a missing file (containers, odd distributions) never stops
a kubelet from registering.
"""

from __future__ import annotations

import os
import platform
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


@dataclass(frozen=True)
class HostInfo:
    cpus: int
    memory_bytes: int
    ephemeral_storage_bytes: int
    machine_id: str
    system_uuid: str
    boot_id: str
    kernel_version: str
    os_image: str
    operating_system: str
    architecture: str
    hostname: str


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def memory_bytes() -> int:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def disk_bytes(path: Path) -> int:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    st = os.statvfs(probe)
    return st.f_blocks * st.f_frsize


def os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return "Linux"


def machine_id(state_dir: Path) -> str:
    """/etc/machine-id, else an id kept in the kubelet's state dir (stable across restarts)."""
    found = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    if found:
        return found
    kept = state_dir / "machine-id"
    if kept.exists():
        return kept.read_text().strip()
    kept.parent.mkdir(parents=True, exist_ok=True)
    new = uuid.uuid4().hex
    kept.write_text(new + "\n")
    return new


def host_info(state_dir: Path, *, hostname: str = "") -> HostInfo:
    mid = machine_id(state_dir)
    system_uuid = _read("/sys/class/dmi/id/product_uuid") or str(
        uuid.UUID(hex=mid[:32].ljust(32, "0"))
    )
    machine = platform.machine()
    return HostInfo(
        cpus=os.cpu_count() or 1,
        memory_bytes=memory_bytes(),
        ephemeral_storage_bytes=disk_bytes(state_dir),
        machine_id=mid,
        system_uuid=system_uuid,
        boot_id=_read("/proc/sys/kernel/random/boot_id"),
        kernel_version=platform.release(),
        os_image=os_image(),
        operating_system="linux",
        architecture=_ARCH.get(machine, machine),
        hostname=(hostname or socket.gethostname()).lower(),
    )


def default_route_interface() -> str | None:
    """The interface of the IPv4 default route, from /proc/net/route."""
    for line in _read("/proc/net/route").splitlines()[1:]:
        fields = line.split()
        if len(fields) > 2 and fields[1] == "00000000":
            return fields[0]
    return None


def node_ip() -> str:
    """The address other nodes reach this one at: the source address of the default route,
    else loopback (a single-machine cluster)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # connect() on UDP sends nothing; it only asks the kernel which source it would use.
        probe.connect(("192.0.2.1", 9))
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()
