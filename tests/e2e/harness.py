"""Process harness for the e2e suite: run `steersman up`, drive it with kubectl and raw HTTPS.

Invariants:
- A `Cluster` owns exactly one `steersman up` process, started by us; it only ever signals
  that PID, or PIDs the server wrote into its data dir (`<component>.pid`) after checking that
  the process's command line names our data dir (so a recycled PID is never touched).
- Readiness means: `DIR/admin.kubeconfig` exists and `kubectl get --raw /readyz` prints `ok`.
- kubectl runs with its own discovery cache dir per cluster, so a cache left by another server
  on the same port can never answer for this one.
- Everything here is synchronous and thread-safe enough for tests: `RawHttp` holds one urllib3
  pool (thread-safe); each writer thread in a test may build its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml

KUBECTL = "/usr/bin/kubectl"
READY_TIMEOUT = 20.0
STOP_GRACE = 5.0
KUBECTL_TIMEOUT = 60.0
DATA = Path(__file__).parent / "data"
# Pods bound to this node are never run by any kubelet, so they stay Pending.
GHOST_NODE = "e2e-ghost-node"


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(
    check: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Call `check` until it returns a truthy value; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or check}: {last!r}"
            )
        time.sleep(interval)


def table(text: str) -> tuple[list[str], list[list[str]]]:
    """Split kubectl's human-readable table into (header, rows).

    kubectl aligns columns with a tabwriter (at least three spaces of padding), so every line
    of one table shares the header's column offsets; headers such as `NOMINATED NODE` hold a
    single space and cells may be empty, so cells are cut at the header's offsets.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return [], []
    header = lines[0]
    starts = [
        i
        for i, ch in enumerate(header)
        if ch != " " and (i == 0 or (i >= 2 and header[i - 2 : i] == "  "))
    ]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    cells = [[line[a:b].strip() for a, b in bounds] for line in lines]
    return cells[0], cells[1:]


def split_row(line: str) -> list[str]:
    """Cells of one line printed on its own (watch output is not aligned across events)."""
    return re.split(r"\s{2,}", line.strip())


def row_named(rows: Iterable[list[str]], name: str, column: int = 0) -> list[str]:
    for row in rows:
        if len(row) > column and row[column] == name:
            return row
    raise AssertionError(f"no row named {name!r} in {list(rows)!r}")


def dump_yaml(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(docs), sort_keys=False)


def pod(
    name: str, *, labels: dict[str, str] | None = None, node: str = GHOST_NODE
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "main", "image": "busybox:1.35", "command": ["sleep", "3600"]}],
        },
    }


def configmap(
    name: str, labels: dict[str, str], data: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": data or {"k": "v"},
    }


def wait_default_service_account(kubectl: Callable[..., Any], ns: str) -> None:
    """Wait for the `default` ServiceAccount (as Kubernetes' e2e framework does before pods):
    the ServiceAccount admission plugin rejects pods in a namespace that does not have it yet."""

    def exists() -> bool:
        res = kubectl("get", "serviceaccount", "default", "-n", ns, "-o", "name", check=False)
        return bool(res.returncode == 0)

    poll(exists, timeout=10, interval=0.2, what=f"serviceaccount {ns}/default")


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    data: bytes

    def json(self) -> Any:
        return json.loads(self.data)

    @property
    def text(self) -> str:
        return self.data.decode(errors="replace")


@dataclass
class RawHttp:
    """HTTPS with the admin client certificate, bypassing every client-side check."""

    host: str
    ca_file: str
    cert_file: str
    key_file: str
    _pool: urllib3.PoolManager = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=8,
            cert_reqs="CERT_REQUIRED",
            ca_certs=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
            retries=False,
            timeout=urllib3.Timeout(connect=3.0, read=30.0),
        )

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | None = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> RawResponse:
        hdrs = {"Accept": "application/json"}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        resp = self._pool.request(method, self.host + path, body=data, headers=hdrs)
        return RawResponse(resp.status, dict(resp.headers), resp.data)


class Cluster:
    """One `steersman up --data-dir DIR --secure-port PORT` process and clients for it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        nodes: int = 0,
        storage: str | None = None,
        ha: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.storage = storage
        self.ha = ha
        self.port = port or free_port()
        # API-level tests run the control plane only (0); node tests ask for the kubelet (1).
        self.nodes = nodes
        # A pod range of its own, so a node cluster never collides with another one running
        # on the machine at the same time (its bridge and guard chain are named per data dir).
        self.pod_cidr = f"10.244.{random.randint(1, 249)}.0/24"
        self.cache_dir = data_dir.parent / f"{data_dir.name}-kubectl-cache"
        self.proc: subprocess.Popen[bytes] | None = None
        self._up_log = data_dir.parent / f"{data_dir.name}-up.log"
        self._raw: RawHttp | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "admin.kubeconfig"

    @property
    def server_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    # -- process ---------------------------------------------------------------------------
    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "steersman", "up", "--data-dir", str(self.data_dir)]
        argv += ["--secure-port", str(self.port), "--nodes", str(self.nodes)]
        argv += ["--pod-cidr", self.pod_cidr]
        if self.storage:
            argv += ["--storage", self.storage]
        if self.ha:
            argv.append("--ha")
        with open(self._up_log, "ab") as log:
            self.proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"steersman up exited with {self.proc.returncode}\n{self.logs()}"
                )
            if self.kubeconfig.exists():
                res = self.kubectl("get", "--raw", "/readyz", check=False, timeout=5)
                if res.returncode == 0 and res.stdout.strip() == "ok":
                    return
            time.sleep(0.2)
        raise AssertionError(f"steersman not ready after {timeout}s\n{self.logs()}")

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM our `up` process, SIGKILL it after the grace period; reap it."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            # `up` could not stop its children; do it for the ones it recorded.
            for pid_file in self.data_dir.rglob("*.pid"):
                self._kill_recorded(pid_file, signal.SIGKILL)

    def leftover_processes(self) -> dict[int, str]:
        """Live processes whose command line names our data dir (containerd, shims, ...)."""
        found: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and self._is_ours(int(entry.name)):
                with contextlib.suppress(OSError):
                    cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                    found[int(entry.name)] = cmdline.decode(errors="replace").strip()
        return found

    def component_pid(self, name: str) -> int | None:
        """The PID `up` recorded for a child component, if that process is ours and alive."""
        pid_file = self.data_dir / f"{name}.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if self._is_ours(pid) else None

    def _is_ours(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
        return str(self.data_dir) in cmdline

    def _kill_recorded(self, pid_file: Path, sig: signal.Signals) -> None:
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if self._is_ours(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def logs(self, tail: int = 60) -> str:
        parts = []
        for path in [self._up_log, *sorted(self.data_dir.glob("*.log"))]:
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-tail:]
                parts.append(f"--- {path.name} (last {len(lines)} lines) ---\n" + "\n".join(lines))
        return "\n".join(parts) or "(no logs)"

    # -- clients ---------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["KUBECACHEDIR"] = str(self.cache_dir)
        return env

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = KUBECTL_TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full_env = self.env() | (env or {})
        res = subprocess.run(
            [KUBECTL, *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {res.returncode}\n"
                f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
            )
        return res

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def api_client(self) -> Any:
        """A fresh official-client `ApiClient` configured from the admin kubeconfig."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))

    def raw(self) -> RawHttp:
        if self._raw is None:
            self._raw = self.new_raw()
        return self._raw

    def new_raw(self) -> RawHttp:
        from kubernetes import client, config

        cfg = client.Configuration()
        config.load_kube_config(config_file=str(self.kubeconfig), client_configuration=cfg)
        ca, cert, key = cfg.ssl_ca_cert, cfg.cert_file, cfg.key_file
        assert ca and cert and key, "admin.kubeconfig must carry the CA and a client certificate"
        return RawHttp(cfg.host, ca, cert, key)


def configmap_writer(
    http: RawHttp,
    index: int,
    stop: threading.Event,
    acked: list[str],
    errors: list[str],
    namespace: str = "default",
) -> None:
    """Create ConfigMaps `w<index>-<n>` one after another until `stop`; every create answered
    201 is appended to `acked`. Transport failures and 5xx/429 are not acknowledged: the writer
    moves on to the next name (a write that failed ambiguously may or may not exist)."""
    n = 0
    while not stop.is_set():
        name = f"w{index:02d}-{n:06d}"
        n += 1
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"i": str(n)},
        }
        try:
            resp = http.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body)
        except Exception:  # the server is down or was killed mid-request: not acknowledged
            time.sleep(0.05)
            continue
        if resp.status == 201:
            acked.append(name)
        elif resp.status >= 500 or resp.status == 429:
            time.sleep(0.05)
        else:
            errors.append(f"{name}: {resp.status} {resp.text[:200]}")


class ConfigMapWriters:
    """`count` threads running `configmap_writer` against a cluster, each with its own pool."""

    def __init__(self, cluster: Cluster, count: int, namespace: str = "default") -> None:
        base = cluster.new_raw()
        self.halt = threading.Event()
        self.acked: list[list[str]] = [[] for _ in range(count)]
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(
                target=configmap_writer,
                args=(
                    RawHttp(base.host, base.ca_file, base.cert_file, base.key_file),
                    i,
                    self.halt,
                    self.acked[i],
                    self.errors,
                    namespace,
                ),
                daemon=True,
            )
            for i in range(count)
        ]

    def start(self) -> ConfigMapWriters:
        for t in self.threads:
            t.start()
        return self

    @property
    def total(self) -> int:
        return sum(map(len, self.acked))

    def names(self) -> set[str]:
        return {name for names in self.acked for name in names}

    def stop(self, timeout: float = 30) -> None:
        self.halt.set()
        for t in self.threads:
            t.join(timeout)


def list_configmap_names(http: RawHttp, namespace: str = "default") -> set[str]:
    names: set[str] = set()
    token = ""
    while True:
        query = "?limit=500" + (f"&continue={token}" if token else "")
        resp = http.request("GET", f"/api/v1/namespaces/{namespace}/configmaps" + query)
        assert resp.status == 200, resp.text
        page = resp.json()
        names.update(i["metadata"]["name"] for i in page["items"])
        token = page["metadata"].get("continue", "")
        if not token:
            return names


class StreamedKubectl:
    """A long-running kubectl (e.g. `get -w`) whose stdout lines are collected by a thread."""

    def __init__(self, cluster: Cluster, *args: str) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            [KUBECTL, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cluster.env(),
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.001))
            except queue.Empty:
                line = ""
                if left <= 0:
                    raise AssertionError(
                        f"no matching line within {timeout}s; saw {self.seen!r}"
                    ) from None
                continue
            if line is None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"kubectl exited; saw {self.seen!r}; stderr: {err}")
            self.seen.append(line)
            if predicate(line):
                return line

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
