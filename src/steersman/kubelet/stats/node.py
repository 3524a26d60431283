"""The node's own facts for the Summary API, behind `NodeReader` so tests can fake the
machine: cpu and memory of the root cgroup (as cadvisor reads cgroup v1; /proc/meminfo
otherwise), statvfs, network counters, pid limits and a du walk.

Invariants: readers never raise for a missing or unreadable source; they return None (or
an empty list) and the summary omits the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SECOND_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class FsInfo:
    capacity: int
    available: int
    used: int
    inodes: int
    inodes_free: int
    inodes_used: int
    device: int = 0


@dataclass(frozen=True, slots=True)
class NodeMemory:
    capacity: int  # MemTotal
    usage: int
    working_set: int
    rss: int | None = None
    page_faults: int | None = None
    major_page_faults: int | None = None

    @property
    def available(self) -> int:
        return max(self.capacity - self.working_set, 0)


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    rx_bytes: int
    rx_errors: int
    tx_bytes: int
    tx_errors: int


class NodeReader(Protocol):
    def boot_time(self) -> float: ...

    def cpu_usage(self) -> int | None:
        """Cumulative CPU time of the whole node in core-nanoseconds."""
        ...

    def memory(self) -> NodeMemory | None: ...

    def filesystem(self, path: Path) -> FsInfo | None:
        """statvfs of the filesystem holding `path` (its nearest existing ancestor)."""
        ...

    def network(self) -> tuple[str, list[Interface]]:
        """The default interface's name and every interface's counters."""
        ...

    def rlimit(self) -> tuple[int, int] | None:
        """(pid_max, number of tasks running)."""
        ...

    def disk_usage(self, path: Path) -> tuple[int, int] | None:
        """du: (bytes in allocated blocks, inodes) below `path`; None if it does not exist."""
        ...


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _key_values(text: str | None, sep: str | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in (text or "").splitlines():
        parts = line.replace(":", " ").split(sep)
        if len(parts) >= 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


class ProcNodeReader:
    """The real machine: /proc, cgroupfs (v1 root cgroup as cadvisor reads it, else
    /proc/meminfo), statvfs and a du walk."""

    def __init__(self, proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")) -> None:
        self.proc = proc
        self.cgroup = cgroup

    def boot_time(self) -> float:
        return float(_key_values(_read(self.proc / "stat")).get("btime", 0))

    def cpu_usage(self) -> int | None:
        for name in ("cpuacct", "cpu,cpuacct"):
            raw = _read(self.cgroup / name / "cpuacct.usage")
            if raw and raw.strip().isdigit():
                return int(raw)
        usec = _key_values(_read(self.cgroup / "cpu.stat")).get("usage_usec")
        if usec is not None:
            return usec * 1000
        text = _read(self.proc / "stat") or ""
        for line in text.splitlines():
            if line.startswith("cpu "):
                ticks = [int(v) for v in line.split()[1:]]
                busy = sum(ticks[i] for i in (0, 1, 2, 5, 6, 7) if i < len(ticks))
                return busy * SECOND_NS // os.sysconf("SC_CLK_TCK")
        return None

    def memory(self) -> NodeMemory | None:
        info = {k: v * 1024 for k, v in _key_values(_read(self.proc / "meminfo")).items()}
        total = info.get("MemTotal")
        if not total:
            return None
        usage_raw = _read(self.cgroup / "memory" / "memory.usage_in_bytes")
        if usage_raw and usage_raw.strip().isdigit():
            # cadvisor's root container: working set = usage - inactive file pages.
            stat = _key_values(_read(self.cgroup / "memory" / "memory.stat"))
            usage = int(usage_raw)
            return NodeMemory(
                capacity=total,
                usage=usage,
                working_set=max(usage - stat.get("total_inactive_file", 0), 0),
                rss=stat.get("total_rss"),
                page_faults=stat.get("total_pgfault"),
                major_page_faults=stat.get("total_pgmajfault"),
            )
        vmstat = _key_values(_read(self.proc / "vmstat"))
        return NodeMemory(
            capacity=total,
            usage=total - info.get("MemFree", 0),
            working_set=total - info.get("MemAvailable", info.get("MemFree", 0)),
            rss=info.get("AnonPages"),
            page_faults=vmstat.get("pgfault"),
            major_page_faults=vmstat.get("pgmajfault"),
        )

    def filesystem(self, path: Path) -> FsInfo | None:
        path = Path(path)
        while not path.exists() and path != path.parent:
            path = path.parent
        try:
            st = os.statvfs(path)
            device = os.stat(path).st_dev
        except OSError:
            return None
        return FsInfo(
            capacity=st.f_blocks * st.f_frsize,
            available=st.f_bavail * st.f_frsize,
            used=(st.f_blocks - st.f_bfree) * st.f_frsize,
            inodes=st.f_files,
            inodes_free=st.f_ffree,
            inodes_used=st.f_files - st.f_ffree,
            device=device,
        )

    def network(self) -> tuple[str, list[Interface]]:
        default = "eth0"
        for line in (_read(self.proc / "net" / "route") or "").splitlines()[1:]:
            fields = line.split()
            if len(fields) > 2 and fields[1] == "00000000":
                default = fields[0]
                break
        out = []
        for line in (_read(self.proc / "net" / "dev") or "").splitlines()[2:]:
            name, _, rest = line.partition(":")
            name = name.strip()
            values = rest.split()
            # cadvisor ignores loopback and the host ends of pod veths.
            if len(values) < 16 or name == "lo" or name.startswith("veth"):
                continue
            out.append(
                Interface(name, int(values[0]), int(values[2]), int(values[8]), int(values[10]))
            )
        return default, out

    def rlimit(self) -> tuple[int, int] | None:
        pid_max = (_read(self.proc / "sys" / "kernel" / "pid_max") or "").strip()
        loadavg = (_read(self.proc / "loadavg") or "").split()
        if not pid_max.isdigit() or len(loadavg) < 4 or "/" not in loadavg[3]:
            return None
        return int(pid_max), int(loadavg[3].split("/")[1])

    def disk_usage(self, path: Path) -> tuple[int, int] | None:
        return disk_usage(path)


def disk_usage(path: Path) -> tuple[int, int] | None:
    """du -s: bytes in allocated blocks and inodes below `path`, hard links counted once."""
    try:
        top = os.lstat(path)
    except OSError:
        return None
    seen = {(top.st_dev, top.st_ino)}
    total, inodes = top.st_blocks * 512, 1
    stack = [str(path)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_blocks * 512
                    inodes += 1
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total, inodes
