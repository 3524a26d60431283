"""Fixtures for node tests: a real containerd (runc, CNI, the locally built sandbox image).

Invariants:
- `containerd` (session scope) yields one started `Containerd` in a temporary dir, with the
  sandbox image imported, a CNI conflist for `POD_CIDR` on the test bridge `TEST_BRIDGE`, and
  an egress guard (its own chain, `GUARD_CHAIN`) so no pod traffic to private ranges can leave
  through the uplink while it runs. Tests use `containerd.address` (and `.snapshotter`,
  `.runc_root`, `.state`).
- Teardown runs even when setup or tests fail, and removes exactly what the session made:
  leftover tasks/containers in its `k8s.io` namespace (killed and deleted through ctr, with a
  warning: tests should clean up after themselves), the containerd process (by PID), mounts
  under its dir, the guard chain and its jumps, the test bridge (if this session created it),
  and the host dirs containerd 1.6 and libcni always create (/run/containerd,
  /var/lib/cni: only if they were absent before, and only while empty).
- Everything here needs root and the Debian packages (.ci/run installs them); otherwise the
  tests are skipped, never failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from steersman.images.sandbox import ensure_sandbox_image
from steersman.kubelet.network.cni import missing_plugins, write_conflist
from steersman.kubelet.network.egress_guard import EgressGuard
from steersman.kubelet.runtime.containerd import CNI_BIN_DIR, Containerd
from tests.e2e.harness import Cluster, poll
from tests.e2e.node.workloads import IMAGE, images

POD_CIDR = "10.244.250.0/24"
SERVICE_CIDR = "10.96.0.0/12"
TEST_BRIDGE = "smtest0"
TEST_NETWORK = "steersman-e2e"
GUARD_CHAIN = "STEERSMAN-EGRESS-GUARD-E2E"
NODE_TOOLS = ("containerd", "containerd-shim-runc-v2", "runc", "ctr", "ip", "iptables", "mount")
# Directories containerd 1.6, ctr and libcni create whatever the config says (shim sockets,
# default fifo and runc roots, the CNI result cache).
HOST_DIRS = {
    "/run/containerd": ("/run/containerd/s", "/run/containerd/fifo", "/run/containerd/runc"),
    "/var/lib/cni": ("/var/lib/cni/results",),
}


def require_node() -> None:
    if os.geteuid() != 0:
        pytest.skip("node tests need root")
    missing = [t for t in NODE_TOOLS if shutil.which(t) is None]
    missing += missing_plugins(CNI_BIN_DIR)
    if missing:
        pytest.skip(f"node tests need {', '.join(missing)} (.ci/run installs them)")


def ctr(c: Containerd, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ctr", "--address", str(c.address), "-n", "k8s.io", *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def _link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def _remove_leftovers(c: Containerd) -> None:
    if not c.address.is_socket():
        return
    tasks = ctr(c, "tasks", "ls", "-q", check=False).stdout.split()
    containers = ctr(c, "containers", "ls", "-q", check=False).stdout.split()
    if containers:
        warnings.warn(
            f"node tests left {len(containers)} container(s) in containerd: {containers}",
            stacklevel=1,
        )
    for task in tasks:
        ctr(c, "tasks", "kill", "-s", "SIGKILL", task, check=False)
    for task in tasks:
        ctr(c, "tasks", "delete", "--force", task, check=False)
    for container in containers:
        ctr(c, "containers", "rm", container, check=False)


def _unmount_under(base: Path) -> None:
    prefix = str(base) + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


@pytest.fixture(scope="session")
def containerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Containerd]:
    require_node()
    base = tmp_path_factory.mktemp("node") / "containerd"
    absent_before = [top for top in HOST_DIRS if not Path(top).exists()]
    had_bridge = _link_exists(TEST_BRIDGE)
    c = Containerd(base)
    guard = EgressGuard(cluster_cidrs=[POD_CIDR, SERVICE_CIDR], chain=GUARD_CHAIN)
    try:
        guard.install()
        write_conflist(
            c.cni_conf_dir,
            pod_cidr=POD_CIDR,
            bridge=TEST_BRIDGE,
            network_name=TEST_NETWORK,
            ipam_data_dir=base / "ipam",
        )
        asyncio.run(c.start())
        asyncio.run(ensure_sandbox_image(c.address, snapshotter=c.snapshotter))
        yield c
    finally:
        with contextlib.suppress(Exception):
            _remove_leftovers(c)
        asyncio.run(c.stop())
        _unmount_under(base)
        guard.remove()
        if not had_bridge and _link_exists(TEST_BRIDGE):
            subprocess.run(["ip", "link", "del", TEST_BRIDGE], capture_output=True)
        for top in absent_before:
            _remove_empty_dirs(top, HOST_DIRS[top])


def _remove_empty_dirs(top: str, subdirs: tuple[str, ...]) -> None:
    """rmdir only: anything still holding a file (another containerd's) stays."""
    for d in (*subdirs, top):
        for sub in Path(d).glob("*"):
            with contextlib.suppress(OSError):
                sub.rmdir()  # per-namespace dirs such as runc/k8s.io
        with contextlib.suppress(OSError):
            os.rmdir(d)


@pytest.fixture(scope="session")
def node_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """`steersman up --nodes 1`: a kubelet with its own containerd; shared by the node tests."""
    require_node()
    c = Cluster(tmp_path_factory.mktemp("node-cluster") / "data", nodes=1)
    c.start()
    try:
        c.wait_ready(timeout=60)
        images(c, "build", "-t", IMAGE, "--busybox")
        yield c
    finally:
        # A clean stop removes every pod and stops containerd: give it the kubelet's time.
        c.stop(grace=90)
        leftovers = c.leftover_processes()
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not leftovers, f"`steersman up` left processes running: {leftovers}"


@pytest.fixture
def ns(node_cluster: Cluster) -> Iterator[str]:
    name = f"e2e-node-{uuid.uuid4().hex[:8]}"
    node_cluster.kubectl("create", "namespace", name)
    poll(
        lambda: (
            node_cluster.kubectl(
                "get", "serviceaccount", "default", "-n", name, check=False
            ).returncode
            == 0
        ),
        what="default service account",
    )
    yield name
    node_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
