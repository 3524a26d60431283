"""`steersman up --ha`: three etcd members, three API servers behind HAProxy, two schedulers and
two controller managers, plus a hollow kubelet that talks to the API servers directly.

Under 64 concurrent writers (through HAProxy, the address kubectl uses), `kill -9` of the API
server every direct client uses first, of the etcd leader, and of the scheduler and
controller-manager leaders: no acknowledged write is lost, kubectl keeps working through the
survivors, a Deployment created during the fault reaches its replicas, and killed leaders are
replaced within the lease duration.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from steersman.cli.ha import apiserver_addresses, apiserver_urls, etcd_cluster
from steersman.client.leaderelection import LEASE_DURATION
from tests.e2e.harness import (
    Cluster,
    ConfigMapWriters,
    StreamedKubectl,
    free_port,
    list_configmap_names,
    poll,
)

pytestmark = pytest.mark.e2e

WRITERS = 64
HOLLOW_NODE = "ha-hollow-0"


class HaCluster:
    def __init__(self, base: Path) -> None:
        self.cluster = Cluster(base / "data", ha=True)
        self.hollow: subprocess.Popen[bytes] | None = None
        self.hollow_log = base / "hollow-kubelet.log"

    def start(self) -> None:
        c = self.cluster
        c.start()
        c.wait_ready(timeout=60)
        argv = [sys.executable, "-m", "steersman", "kubelet", "--hollow"]
        argv += ["--kubeconfig", str(c.kubeconfig), "--node-name", HOLLOW_NODE]
        argv += ["--root-dir", str(c.data_dir / "hollow"), "--port", str(free_port())]
        argv += ["--apiservers", ",".join(apiserver_urls(c.port))]
        with open(self.hollow_log, "ab") as out:
            self.hollow = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        poll(self._node_ready, timeout=60, what=f"node {HOLLOW_NODE} Ready")
        for lease in ("kube-scheduler", "kube-controller-manager"):
            poll(lambda lease=lease: self.lease_holder(lease), timeout=60, what=f"{lease} held")

    def _node_ready(self) -> bool:
        res = self.cluster.kubectl(
            "get", "node", HOLLOW_NODE, "-o",
            "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
            check=False,
        )  # fmt: skip
        return res.stdout.strip() == "True"

    def stop(self) -> None:
        if self.hollow is not None and self.hollow.poll() is None:
            self.hollow.terminate()
            try:
                self.hollow.wait(20)
            except subprocess.TimeoutExpired:
                self.hollow.kill()
                self.hollow.wait()
        self.cluster.stop(grace=30)
        # etcd preallocates 64 MB per WAL file: do not leave three members' worth behind.
        shutil.rmtree(self.cluster.data_dir / "etcd", ignore_errors=True)

    def kill(self, component: str) -> None:
        pid = self.cluster.component_pid(component)
        assert pid is not None, f"{component} is not running\n{self.cluster.logs()}"
        os.kill(pid, signal.SIGKILL)

    def kubernetes_endpoints(self) -> list[str]:
        """The `kubernetes` Endpoints' addresses, as kubectl shows them."""
        res = self.cluster.kubectl(
            "get", "endpoints", "kubernetes", "-o",
            "jsonpath={range .subsets[*]}{range .addresses[*]}{.ip} {end}{end}",
        )  # fmt: skip
        return res.stdout.split()

    def lease_holder(self, name: str) -> str:
        """The Lease's holder ("" while there is no Lease yet)."""
        res = self.cluster.kubectl(
            "get", "lease", name, "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}",
            check=False,
        )  # fmt: skip
        return res.stdout.strip() if res.returncode == 0 else ""

    def component_of(self, identity: str, kind: str) -> str:
        """Which replica (`scheduler-1`...) runs as `identity`, from the replicas' logs."""
        for log in sorted(self.cluster.data_dir.glob(f"{kind}-*.log")):
            if f" as {identity}..." in log.read_text(errors="replace"):
                return log.stem
        raise AssertionError(f"no {kind} replica runs as {identity}")


@pytest.fixture
def ha(tmp_path: Path) -> Iterator[HaCluster]:
    cluster = HaCluster(tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        leftover = cluster.cluster.leftover_processes()
        assert not leftover, leftover


@pytest.mark.parametrize("fault", ["apiserver", "etcd-leader", "controller-leaders"])
def test_ha_survives_kill_9(ha: HaCluster, fault: str) -> None:
    c = ha.cluster
    assert ha.kubernetes_endpoints() == apiserver_addresses()
    c.kubectl("create", "namespace", "load")
    leaders = {
        lease: ha.lease_holder(lease) for lease in ("kube-scheduler", "kube-controller-manager")
    }
    # A kubectl watch through HAProxy across the fault (its API server is never the one killed
    # here): it must see every write, in revision order, without a gap.
    watch = None if fault == "apiserver" else _configmap_watch(c, "load")
    writers = ConfigMapWriters(c, WRITERS, "load").start()
    try:
        poll(lambda: writers.total >= 200, timeout=60, what="writes before the fault")
        killed_at = time.monotonic()
        if fault == "apiserver":
            ha.kill("apiserver-0")  # the first address of every --apiservers client
        elif fault == "etcd-leader":
            ha.kill(etcd_cluster(c.data_dir).leader())
        else:
            ha.kill(ha.component_of(leaders["kube-scheduler"], "scheduler"))
            ha.kill(ha.component_of(leaders["kube-controller-manager"], "controller-manager"))
        before_fault = writers.total
        # kubectl keeps working through the survivors, and takes a Deployment meanwhile.
        c.kubectl("get", "namespaces")
        c.kubectl(
            "create", "deployment", "during", "-n", "load", "--image=busybox", "--replicas=3"
        )  # fmt: skip
        poll(lambda: writers.total >= before_fault + 200, timeout=60, what="writes after")
    finally:
        writers.stop()
    assert not writers.errors, writers.errors[:5]
    every = writers.names()
    stored = list_configmap_names(c.new_raw(), "load")
    lost = every - stored
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {sorted(lost)[:5]}"

    def deployment_ready() -> bool:
        status = c.kubectl_json("get", "deployment", "during", "-n", "load").get("status", {})
        return bool(status.get("readyReplicas") == 3 and status.get("updatedReplicas") == 3)

    poll(deployment_ready, timeout=120, interval=0.5, what="the Deployment's 3 ready replicas")

    if fault == "controller-leaders":
        for lease, old in leaders.items():
            poll(lambda lease=lease, old=old: ha.lease_holder(lease) not in ("", old), timeout=60)
        took = time.monotonic() - killed_at
        # Within the lease duration of the last renewal before the kill: the candidates watch
        # the Lease and try again the moment it expires; plus our polling through kubectl.
        assert took <= LEASE_DURATION + 3, took
    rows = c.kubectl("get", "pods", "-n", "load", "-o", "wide").stdout
    assert rows.count(HOLLOW_NODE) == 3, rows

    if watch is not None:
        try:
            seen: dict[str, int] = {}
            order: list[int] = []
            while not every <= seen.keys():
                line = watch.wait_for(lambda line: line.startswith("ADDED "), timeout=60)
                _, name, rv = line.split()
                seen[name] = int(rv)
                order.append(int(rv))
            assert order == sorted(order), "watch events out of revision order"
        finally:
            watch.stop()


def _configmap_watch(c: Cluster, namespace: str) -> StreamedKubectl:
    watch = StreamedKubectl(
        c,
        "get", "configmaps", "-n", namespace, "--watch", "--output-watch-events",
        "-o", "jsonpath={.type} {.object.metadata.name} {.object.metadata.resourceVersion}{\"\\n\"}",
    )  # fmt: skip
    watch.wait_for(lambda line: "kube-root-ca.crt" in line, timeout=30)
    return watch


def test_one_leader_per_replica_set(ha: HaCluster) -> None:
    for lease, kind in (
        ("kube-scheduler", "scheduler"),
        ("kube-controller-manager", "controller-manager"),
    ):
        holder = ha.lease_holder(lease)
        leader = ha.component_of(holder, kind)
        logs = {
            log.stem: log.read_text(errors="replace")
            for log in ha.cluster.data_dir.glob(f"{kind}-*.log")
        }
        assert len(logs) == 2
        acquired = [name for name, text in logs.items() if "successfully acquired lease" in text]
        assert acquired == [leader], (lease, acquired, leader)
