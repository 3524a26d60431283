"""Benchmark `steersman up --ha` through faults (figures in bench/RESULTS.md).

Starts `steersman up --ha --nodes 0` in a temp dir, runs 64 writer threads creating ConfigMaps
through HAProxy (the address kubectl uses), and for each fault in turn - `kill -9` of
apiserver-0, of the etcd leader, of the scheduler and controller-manager leaders - prints:
the longest time no write was acknowledged around the fault (write stall), the writes
acknowledged per second, how many acknowledged writes are missing afterwards (must be 0), and,
for the leaders, how long until the Lease had a new holder. Loopback only, bounded loops; the
cluster is stopped by PID.

    python3 bench/ha.py
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import urllib3

from steersman.cli.etcd_cluster import free_port
from steersman.cli.ha import etcd_cluster

WRITERS = 64


class Writers:
    def __init__(self, base: str, pki: Path) -> None:
        self.base = base
        self.pki = pki
        self.stop = threading.Event()
        self.acks: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        # Daemon threads: a benchmark that fails midway must not be kept alive by its writers.
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(WRITERS)
        ]

    def _run(self, index: int) -> None:
        pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED",
            ca_certs=str(self.pki / "ca.crt"),
            cert_file=str(self.pki / "admin.crt"),
            key_file=str(self.pki / "admin.key"),
            retries=False,
            timeout=urllib3.Timeout(connect=3.0, read=30.0),
        )
        n = 0
        while not self.stop.is_set():
            name = f"w{index:02d}-{n:07d}"
            n += 1
            body = json.dumps({"metadata": {"name": name}}).encode()
            try:
                resp = pool.request(
                    "POST",
                    self.base + "/api/v1/namespaces/default/configmaps",
                    body=body,
                    headers={"Content-Type": "application/json"},
                )
            except Exception:
                time.sleep(0.05)
                continue
            if resp.status == 201:
                with self.lock:
                    self.acks.append((time.monotonic(), name))
            else:
                time.sleep(0.05)

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run(
        ["kubectl", *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def pid_of(data: Path, component: str) -> int:
    return int((data / f"{component}.pid").read_text())


def holder(kubeconfig: Path, lease: str) -> str:
    res = kubectl(
        kubeconfig, "get", "lease", lease, "-n", "kube-system",
        "-o", "jsonpath={.spec.holderIdentity}",
    )  # fmt: skip
    return res.stdout.strip()


def replica_of(data: Path, identity: str, kind: str) -> str:
    for log in data.glob(f"{kind}-*.log"):
        if f" as {identity}..." in log.read_text(errors="replace"):
            return log.stem
    raise RuntimeError(f"no {kind} runs as {identity}")


def stall(acks: list[tuple[float, str]], start: float, end: float) -> float:
    times = sorted(t for t, _ in acks if start <= t <= end)
    points = [start, *times, end]
    return max(b - a for a, b in itertools.pairwise(points))


def listed_names(kubeconfig: Path) -> set[str]:
    res = kubectl(kubeconfig, "get", "configmaps", "-n", "default", "-o", "json")
    return {i["metadata"]["name"] for i in json.loads(res.stdout)["items"]}


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="steersman-ha-"))
    data = tmp / "data"
    port = free_port()
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steersman",
            "up",
            "--ha",
            "--nodes",
            "0",
            "--data-dir",
            str(data),
            "--secure-port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    t0 = time.monotonic()
    try:
        assert up.stdout is not None
        for line in up.stdout:
            if "is ready at" in line:
                break
        print(f"up --ha to ready: {time.monotonic() - t0:.1f} s")
        kubeconfig = data / "admin.kubeconfig"
        for lease in ("kube-scheduler", "kube-controller-manager"):
            while not holder(kubeconfig, lease):
                time.sleep(0.2)
        writers = Writers(f"https://127.0.0.1:{port}", data / "pki")
        writers.start()
        time.sleep(3)
        faults: list[tuple[str, Any]] = [
            ("kill -9 apiserver-0", lambda: ["apiserver-0"]),
            ("kill -9 etcd leader", lambda: [etcd_cluster(data).leader()]),
            (
                "kill -9 scheduler + controller-manager leaders",
                lambda: [
                    replica_of(data, holder(kubeconfig, "kube-scheduler"), "scheduler"),
                    replica_of(
                        data, holder(kubeconfig, "kube-controller-manager"), "controller-manager"
                    ),
                ],
            ),
        ]
        faults.append(
            ("SIGSTOP etcd leader (hung; resumed after)", lambda: [etcd_cluster(data).leader()])
        )
        for title, targets in faults:
            hang = title.startswith("SIGSTOP")
            leaders = {
                lease: holder(kubeconfig, lease)
                for lease in ("kube-scheduler", "kube-controller-manager")
            }
            before = len(writers.acks)
            start = time.monotonic()
            stopped = [pid_of(data, component) for component in targets()]
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP if hang else signal.SIGKILL)
            killed = time.monotonic()
            ok = kubectl(kubeconfig, "get", "namespaces").returncode == 0
            kubectl_s = time.monotonic() - killed
            takeover = ""
            if "leaders" in title:
                for lease, old in leaders.items():
                    while holder(kubeconfig, lease) in ("", old):
                        time.sleep(0.2)
                takeover = f"  new leaders after {time.monotonic() - killed:.1f} s"
            time.sleep(max(0.0, start + 8 - time.monotonic()))
            end = time.monotonic()
            if hang:
                for pid in stopped:
                    os.kill(pid, signal.SIGCONT)
            rate = (len(writers.acks) - before) / (end - start)
            print(
                f"{title}: write stall {stall(writers.acks, start - 1, end):.2f} s  "
                f"{rate:.0f} acked writes/s  kubectl ok={ok} in {kubectl_s:.2f} s{takeover}"
            )
            time.sleep(3)  # the supervisor restarts what was killed
        writers.finish()
        acked = {name for _, name in writers.acks}
        missing = acked - listed_names(kubeconfig)
        print(f"acknowledged writes: {len(acked)}, missing afterwards: {len(missing)}")
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
