"""steersman on a real etcd: `steersman up --storage etcd://...` against an etcd the test starts
(one member, TLS with client certificates), driven through kubectl.

- Objects live in etcd under Kubernetes' key layout, with etcd's revision as resourceVersion.
- A second API server process on the same etcd serves the same cluster: a kubectl watch on it
  sees writes made through either server, in revision order, with no gaps.
- The API server drives etcd's compaction; a watch from a compacted resourceVersion gets 410.
- The `kubernetes` endpoints name every live API server: a stopped one leaves at once, a killed
  one once its record has stood still for the TTL.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from steersman.apiserver.endpoint_reconciler import LEASE_TTL, RECONCILE_INTERVAL
from steersman.cli.etcd_cluster import EtcdCluster
from steersman.storage.etcd_client import EtcdClient, EtcdTls, parse_endpoints
from tests.e2e.harness import Cluster, StreamedKubectl, free_port, poll

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    cluster = EtcdCluster(tmp_path_factory.mktemp("etcd"), size=1, tls=True).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        assert not cluster.leftover_pids()
        cluster.remove_data()


@pytest.fixture(scope="module")
def on_etcd(tmp_path_factory: pytest.TempPathFactory, etcd: EtcdCluster) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("on-etcd") / "data", storage=etcd.url())
    c.start()
    try:
        c.wait_ready()
        yield c
    finally:
        c.stop()


class ExtraApiServer:
    """A second `steersman apiserver` on the same etcd and PKI, stopped by PID."""

    def __init__(self, cluster: Cluster, storage: str, *extra: str) -> None:
        self.port = free_port()
        self.log = cluster.data_dir.parent / f"apiserver-{self.port}.log"
        argv = [sys.executable, "-m", "steersman", "apiserver", "--storage", storage]
        argv += ["--secure-port", str(self.port), "--pki-dir", str(cluster.data_dir / "pki")]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [*argv, *extra], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.cluster = cluster
        poll(self._ready, timeout=30, what=f"the API server on port {self.port}")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-3000:]
        res = self.cluster.kubectl("--server", self.url, "get", "--raw", "/readyz", check=False)
        return res.returncode == 0 and res.stdout.strip() == "ok"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _etcd_get(etcd: EtcdCluster, key: str, revision: int = 0) -> Any:
    files = etcd.client_files

    async def get() -> Any:
        tls = EtcdTls(str(files["cacert"]), str(files["cert"]), str(files["key"]))
        client = EtcdClient(parse_endpoints(etcd.endpoints), tls=tls, retry_timeout=5)
        try:
            return await client.range(key.encode(), revision=revision)
        finally:
            await client.close()

    return asyncio.run(get())


def test_objects_live_in_etcd_under_kubernetes_key_layout(
    on_etcd: Cluster, etcd: EtcdCluster
) -> None:
    c = on_etcd
    c.kubectl("create", "namespace", "layout")
    c.kubectl("create", "configmap", "cfg", "-n", "layout", "--from-literal=k=v")
    obj = c.kubectl_json("get", "configmap", "cfg", "-n", "layout")
    stored = _etcd_get(etcd, "/registry/configmaps/layout/cfg")
    [kv] = stored.kvs
    assert kv.mod_revision == int(obj["metadata"]["resourceVersion"])
    value = json.loads(kv.value)
    assert value["metadata"]["uid"] == obj["metadata"]["uid"]
    assert value["data"] == {"k": "v"}
    ns = _etcd_get(etcd, "/registry/namespaces/layout")
    assert len(ns.kvs) == 1

    c.kubectl("label", "configmap", "cfg", "-n", "layout", "x=y")
    relabeled = c.kubectl_json("get", "configmap", "cfg", "-n", "layout")
    assert int(relabeled["metadata"]["resourceVersion"]) > kv.mod_revision
    c.kubectl("delete", "configmap", "cfg", "-n", "layout")
    assert _etcd_get(etcd, "/registry/configmaps/layout/cfg").kvs == []
    # Bad input is still refused with Kubernetes' wording, and nothing is written.
    res = c.kubectl("create", "configmap", "Bad_Name", "-n", "layout", check=False)
    assert res.returncode != 0 and 'Invalid value: "Bad_Name"' in res.stderr, res.stderr
    assert _etcd_get(etcd, "/registry/configmaps/layout/Bad_Name").kvs == []


def _watch_lines(c: Cluster, server: str, ns: str) -> StreamedKubectl:
    return StreamedKubectl(
        c,
        "--server", server,
        "get", "configmaps", "-n", ns, "--watch", "--output-watch-events",
        "-o", "jsonpath={.type} {.object.metadata.name} {.object.metadata.resourceVersion}{\"\\n\"}",
    )  # fmt: skip


def test_watch_on_one_apiserver_sees_writes_through_another_in_order(
    on_etcd: Cluster, etcd: EtcdCluster
) -> None:
    c = on_etcd
    c.kubectl("create", "namespace", "two-servers")
    other = ExtraApiServer(c, etcd.url())
    watch_other = _watch_lines(c, other.url, "two-servers")
    watch_first = _watch_lines(c, c.server_url, "two-servers")
    try:
        for w in (watch_other, watch_first):
            w.wait_for(lambda line: "kube-root-ca.crt" in line, timeout=30)
        # Writes through both servers at once: 30 through the first, 30 through the other.
        items = [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{p}-{i:02d}"}}
            for p in ("first", "other")
            for i in range(30)
        ]
        first_list = json.dumps({"apiVersion": "v1", "kind": "List", "items": items[:30]})
        other_list = json.dumps({"apiVersion": "v1", "kind": "List", "items": items[30:]})
        writer = subprocess.Popen(
            ["/usr/bin/kubectl", "--server", other.url, "create", "-n", "two-servers", "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=c.env(),
            text=True,
        )
        assert writer.stdin is not None
        writer.stdin.write(other_list)
        writer.stdin.close()
        c.kubectl("create", "-n", "two-servers", "-f", "-", input=first_list)
        assert writer.wait(60) == 0
        listed = c.kubectl_json("get", "configmaps", "-n", "two-servers")["items"]
        expected = {
            i["metadata"]["name"]: int(i["metadata"]["resourceVersion"])
            for i in listed
            if i["metadata"]["name"] != "kube-root-ca.crt"
        }
        assert len(expected) == 60
        for w in (watch_other, watch_first):
            seen: dict[str, int] = {}
            order: list[int] = []
            while len(seen) < 60:
                line = w.wait_for(lambda line: line.startswith("ADDED "), timeout=30)
                _, name, rv = line.split()
                if name in expected:
                    seen[name] = int(rv)
                    order.append(int(rv))
            assert seen == expected  # every write, with the revision it was stored at
            assert order == sorted(order)  # in revision order
    finally:
        watch_other.stop()
        watch_first.stop()
        other.stop()


def test_apiserver_drives_etcd_compaction(on_etcd: Cluster, etcd: EtcdCluster) -> None:
    c = on_etcd
    c.kubectl("create", "namespace", "compaction")
    c.kubectl("create", "configmap", "early", "-n", "compaction")
    early = int(
        c.kubectl_json("get", "configmap", "early", "-n", "compaction")["metadata"][
            "resourceVersion"
        ]
    )
    compactor = ExtraApiServer(c, etcd.url(), "--etcd-compaction-interval", "1")
    try:
        for i in range(5):
            c.kubectl("create", "configmap", f"later-{i}", "-n", "compaction")

        def compacted() -> bool:
            try:
                _etcd_get(etcd, "/registry/configmaps/compaction/early", revision=early)
            except Exception as exc:
                return "compacted" in str(exc)
            return False

        poll(compacted, timeout=20, what="etcd compacted past the early revision")
        path = f"/api/v1/namespaces/compaction/configmaps?watch=1&resourceVersion={early}"
        res = c.kubectl("--server", compactor.url, "get", "--raw", path, check=False, timeout=20)
        event = json.loads(res.stdout.splitlines()[0])
        assert event["type"] == "ERROR"
        assert event["object"]["code"] == 410
        assert event["object"]["reason"] == "Expired"
        assert "too old resource version" in event["object"]["message"]
        # The state itself is intact.
        names = [
            i["metadata"]["name"]
            for i in c.kubectl_json("get", "configmaps", "-n", "compaction")["items"]
        ]
        assert {"early", *(f"later-{i}" for i in range(5))} <= set(names)
    finally:
        compactor.stop()


def _service(name: str, **spec: Any) -> str:
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"port": 80}], **spec},
    }
    return json.dumps(body)


def test_two_apiservers_share_service_ip_and_node_port_allocations(
    on_etcd: Cluster, etcd: EtcdCluster
) -> None:
    c = on_etcd
    c.kubectl("create", "namespace", "alloc")
    other = ExtraApiServer(c, etcd.url())
    try:

        def create(server: str, body: str) -> subprocess.CompletedProcess[str]:
            return c.kubectl("--server", server, "create", "-n", "alloc", "-f", "-",
                             input=body, check=False)  # fmt: skip

        assert create(c.server_url, _service("a", clusterIP="10.96.100.10")).returncode == 0
        taken = create(other.url, _service("b", clusterIP="10.96.100.10"))
        assert taken.returncode != 0
        assert "provided IP is already allocated" in taken.stderr, taken.stderr
        node_port = {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30123}]}
        assert create(other.url, _service("np1", **node_port)).returncode == 0
        taken = create(c.server_url, _service("np2", **node_port))
        assert "provided port is already allocated" in taken.stderr, taken.stderr
        # Released through one server, free on the other.
        c.kubectl("--server", other.url, "delete", "service", "a", "-n", "alloc")
        assert create(c.server_url, _service("b", clusterIP="10.96.100.10")).returncode == 0
        # Dynamic allocations through both servers at once never collide.
        procs = [
            subprocess.Popen(
                ["/usr/bin/kubectl", "--server", server, "create", "-n", "alloc", "-f", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=c.env(),
                text=True,
            )
            for server in (c.server_url, other.url)
        ]
        for i, proc in enumerate(procs):
            items = [json.loads(_service(f"d{i}-{n}", type="NodePort")) for n in range(12)]
            proc.communicate(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
            assert proc.returncode == 0
        services = c.kubectl_json("get", "services", "-n", "alloc")["items"]
        ips = [s["spec"]["clusterIP"] for s in services]
        ports = [p["nodePort"] for s in services for p in s["spec"]["ports"] if "nodePort" in p]
        assert len(services) == 26
        assert len(set(ips)) == len(ips)
        assert len(set(ports)) == len(ports) == 25
    finally:
        other.stop()


def test_readyz_reports_etcd_and_requests_get_server_timeout(
    on_etcd: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    c = on_etcd
    own = EtcdCluster(tmp_path_factory.mktemp("own-etcd"), size=1).start()
    try:
        server = ExtraApiServer(c, own.url())
        try:
            readyz = c.kubectl("--server", server.url, "get", "--raw", "/readyz/etcd")
            assert readyz.stdout.strip() == "ok"
            own.kill(own.members[0].name)
            http = c.new_raw()
            raw = type(http)(server.url, http.ca_file, http.cert_file, http.key_file)
            failed = raw.request("GET", "/readyz")
            assert failed.status == 500
            assert "[-]etcd failed: reason withheld" in failed.text
            assert failed.text.rstrip().endswith("readyz check failed")
            assert raw.request("GET", "/livez/etcd").status == 500
            assert raw.request("GET", "/readyz/ping").status == 200
            # A request needing etcd is answered 500 ServerTimeout with Retry-After, which
            # client-go (and so kubectl) retries.
            resp = raw.request("GET", "/api/v1/namespaces/default/configmaps")
            assert resp.status == 500, resp.text
            status = resp.json()
            assert status["reason"] == "ServerTimeout"
            assert status["message"] == (
                "The list operation against configmaps could not be completed at this time, "
                "please try again."
            )
            assert status["details"]["retryAfterSeconds"] == 2
            assert resp.headers.get("Retry-After") == "2"
            own.start_member(own.members[0].name)
            poll(
                lambda: raw.request("GET", "/readyz").status == 200,
                timeout=30,
                what="readyz once etcd is back",
            )
            c.kubectl("--server", server.url, "get", "configmaps", "-n", "default")
        finally:
            server.stop()
    finally:
        own.stop()
        own.remove_data()


def _kubernetes_endpoint_ports(c: Cluster) -> list[int]:
    res = c.kubectl(
        "get", "endpoints", "kubernetes", "-o",
        "jsonpath={range .subsets[*]}{range .ports[*]}{.port} {end}{end}",
    )  # fmt: skip
    return sorted(int(port) for port in res.stdout.split())


def test_kubernetes_endpoints_follow_the_live_apiservers(on_etcd: Cluster) -> None:
    # Servers sharing 127.0.0.1 get an Endpoints subset per port (kube's servers share a port
    # and differ by address; the HA test checks that form).
    c = on_etcd
    stopped, killed = ExtraApiServer(c, c.storage), ExtraApiServer(c, c.storage)
    try:
        every = sorted([c.port, stopped.port, killed.port])
        poll(lambda: _kubernetes_endpoint_ports(c) == every, timeout=40, what="three servers")
        stopped.stop()  # SIGTERM: a clean stop takes its server out at once
        poll(
            lambda: stopped.port not in _kubernetes_endpoint_ports(c),
            timeout=5,
            what="the stopped server out of the endpoints",
        )
        killed.proc.kill()
        killed.proc.wait()
        assert killed.port in _kubernetes_endpoint_ports(c)
        poll(
            lambda: _kubernetes_endpoint_ports(c) == [c.port],
            timeout=LEASE_TTL + 2 * RECONCILE_INTERVAL + 5,
            interval=1,
            what="the killed server out of the endpoints after the TTL",
        )
    finally:
        stopped.stop()
        killed.stop()
