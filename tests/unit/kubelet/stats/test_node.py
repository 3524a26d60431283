"""ProcNodeReader over a fake /proc and cgroupfs tree; the du walk."""

from __future__ import annotations

import os
from pathlib import Path

from steersman.kubelet.stats import ProcNodeReader, disk_usage

MEMINFO = """MemTotal:       4000000 kB
MemFree:        1000000 kB
MemAvailable:   3000000 kB
AnonPages:       200000 kB
"""
NET_DEV = """Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  ens3:    5000      10    2    0    0     0          0         0     7000      12    3    0    0     0       0          0
veth12ab:    10       1    0    0    0     0          0         0       20       2    0    0    0     0       0          0
  cni0:      30       3    0    0    0     0          0         0       40       4    0    0    0     0       0          0
"""
ROUTE = """Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
cni0	0000F40A	00000000	0001	0	0	0	0000FFFF	0	0	0
ens3	00000000	0102A8C0	0003	0	0	0	00000000	0	0	0
"""


def tree(tmp_path: Path, files: dict[str, str]) -> ProcNodeReader:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ProcNodeReader(proc=tmp_path / "proc", cgroup=tmp_path / "cgroup")


def test_cgroup_v1_root_as_cadvisor_reads_it(tmp_path: Path) -> None:
    reader = tree(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/stat": "cpu  1 2 3 4\nbtime 1700000000\n",
            "cgroup/cpuacct/cpuacct.usage": "123456789\n",
            "cgroup/memory/memory.usage_in_bytes": "2000000000\n",
            "cgroup/memory/memory.stat": "total_inactive_file 500000000\ntotal_rss 900\n"
            "total_pgfault 11\ntotal_pgmajfault 2\n",
        },
    )
    assert reader.cpu_usage() == 123456789
    assert reader.boot_time() == 1_700_000_000
    memory = reader.memory()
    assert memory is not None
    assert (memory.capacity, memory.usage, memory.working_set) == (
        4_096_000_000,
        2_000_000_000,
        1_500_000_000,
    )
    assert (memory.rss, memory.page_faults, memory.major_page_faults) == (900, 11, 2)
    assert memory.available == 4_096_000_000 - 1_500_000_000


def test_without_cgroups_falls_back_to_proc(tmp_path: Path) -> None:
    reader = tree(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/stat": "cpu  100 0 50 1000 0 0 0 0 0 0\n",
            "proc/vmstat": "pgfault 40\npgmajfault 4\n",
        },
    )
    assert reader.cpu_usage() == 150 * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    memory = reader.memory()
    assert memory is not None
    assert memory.working_set == 1_024_000_000  # MemTotal - MemAvailable
    assert memory.usage == 3_072_000_000  # MemTotal - MemFree
    assert (memory.rss, memory.page_faults) == (204_800_000, 40)


def test_missing_sources_are_none(tmp_path: Path) -> None:
    reader = tree(tmp_path, {})
    assert reader.memory() is None
    assert reader.cpu_usage() is None
    assert reader.rlimit() is None
    assert reader.network() == ("eth0", [])


def test_network_default_interface_and_ignored_devices(tmp_path: Path) -> None:
    reader = tree(tmp_path, {"proc/net/dev": NET_DEV, "proc/net/route": ROUTE})
    default, interfaces = reader.network()
    assert default == "ens3"
    assert [(i.name, i.rx_bytes, i.rx_errors, i.tx_bytes, i.tx_errors) for i in interfaces] == [
        ("ens3", 5000, 2, 7000, 3),
        ("cni0", 30, 0, 40, 0),
    ]


def test_rlimit(tmp_path: Path) -> None:
    reader = tree(
        tmp_path,
        {"proc/sys/kernel/pid_max": "32768\n", "proc/loadavg": "0.1 0.2 0.3 2/345 999\n"},
    )
    assert reader.rlimit() == (32768, 345)


def test_filesystem_of_a_missing_path_is_its_ancestors(tmp_path: Path) -> None:
    reader = ProcNodeReader()
    info = reader.filesystem(tmp_path / "not" / "yet")
    st = os.statvfs(tmp_path)
    assert info is not None
    assert info.capacity == st.f_blocks * st.f_frsize
    assert info.inodes_used == st.f_files - st.f_ffree
    assert info.device == os.stat(tmp_path).st_dev


def test_disk_usage_counts_hard_links_once(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_bytes(b"a" * 8192)
    os.link(tmp_path / "d" / "a", tmp_path / "b")
    (tmp_path / "c").symlink_to(tmp_path / "d")
    used = disk_usage(tmp_path)
    assert used is not None
    size, inodes = used
    assert inodes == 4  # tmp_path, d, a (= b), c
    assert 8192 <= size < 8192 * 3
    assert disk_usage(tmp_path / "nope") is None
