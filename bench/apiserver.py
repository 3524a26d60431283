"""Benchmark the API server as kubectl-like clients see it (issue targets in bench/RESULTS.md).

Starts `steersman apiserver` (sqlite, TLS, client-cert auth) in a temp dir on a free loopback
port (with `--storage etcd`: on an etcd it starts there too, one member or `--etcd-members 3`,
with fsync as etcd always does) and measures: launch to ready, sequential ConfigMap creates/s
(+p99), creates/s with 64 concurrent clients, LIST of 2000 ConfigMaps (p50), watch delivery
latency (p99), idle RSS; on etcd, last, the same number of create Txns sent to etcd alone (the
floor under the API server's sequential creates). Prints one line per figure. Bounded loops, loopback only; the server is stopped by PID.

    python3 bench/apiserver.py [--storage sqlite|memory|etcd] [--etcd-members 1] [--creates 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--storage", default="sqlite", choices=["sqlite", "memory", "etcd"])
    ap.add_argument("--etcd-members", type=int, default=1)
    ap.add_argument("--creates", type=int, default=2000)
    ap.add_argument(
        "--services", type=int, default=0, help="also time N sequential Service creates"
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="steersman-bench-"))
    port = free_port()
    storage = f"sqlite://{tmp}/state.db" if args.storage == "sqlite" else "memory://"
    etcd = None
    if args.storage == "etcd":
        from steersman.cli.etcd_cluster import EtcdCluster

        etcd = EtcdCluster(tmp / "etcd", size=args.etcd_members).start()
        storage = etcd.url()
    # Generate PKI first so key generation is not counted as launch time.
    from steersman.pki import ensure_pki

    pki = ensure_pki(tmp / "pki", hosts=["127.0.0.1", "10.96.0.1"])
    argv = [
        sys.executable,
        "-m",
        "steersman",
        "apiserver",
        "--storage",
        storage,
        "--secure-port",
        str(port),
        "--pki-dir",
        str(tmp / "pki"),
    ]
    ssl_ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    ssl_ctx.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    base = f"https://127.0.0.1:{port}"

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=open(tmp / "apiserver.log", "wb")
    )
    try:
        conn = aiohttp.TCPConnector(ssl=ssl_ctx, limit=128)
        async with aiohttp.ClientSession(connector=conn) as s:
            while True:
                try:
                    async with s.get(base + "/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.01)
            print(f"launch to ready: {(time.perf_counter() - t0) * 1000:.0f} ms")
            await asyncio.sleep(1.0)
            print(f"idle RSS: {rss_mb(proc.pid):.1f} MB")

            await s.post(base + "/api/v1/namespaces", json={"metadata": {"name": "bench"}})
            url = base + "/api/v1/namespaces/bench/configmaps"

            async def create(name: str) -> float:
                body = orjson.dumps({"metadata": {"name": name}, "data": {"key": "value" * 4}})
                t = time.perf_counter()
                async with s.post(
                    url, data=body, headers={"Content-Type": "application/json"}
                ) as r:
                    await r.read()
                    assert r.status == 201, r.status
                return time.perf_counter() - t

            lat = []
            cpu = cpu_seconds(proc.pid)
            t = time.perf_counter()
            for i in range(args.creates):
                lat.append(await create(f"seq-{i}"))
            el = time.perf_counter() - t
            cpu = cpu_seconds(proc.pid) - cpu
            print(
                f"sequential creates: {args.creates / el:.0f}/s  p50 {pct(lat, 0.5) * 1000:.2f} ms  p99 {pct(lat, 0.99) * 1000:.2f} ms"
                f"  (API server CPU {cpu / args.creates * 1000:.2f} ms each)"
            )

            total = args.creates * 2
            counter = iter(range(total))

            async def worker() -> None:
                for i in counter:
                    await create(f"par-{i}")

            cpu = cpu_seconds(proc.pid)
            t = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(64)))
            el = time.perf_counter() - t
            cpu = cpu_seconds(proc.pid) - cpu
            print(
                f"64 concurrent clients: {total / el:.0f} creates/s"
                f"  (API server CPU {cpu / total * 1000:.2f} ms each)"
            )

            # LIST of 2000 ConfigMaps in a namespace holding exactly 2000.
            await s.post(base + "/api/v1/namespaces", json={"metadata": {"name": "bench-list"}})
            lurl = base + "/api/v1/namespaces/bench-list/configmaps"
            sem = asyncio.Semaphore(64)

            async def mk(i: int) -> None:
                async with (
                    sem,
                    s.post(
                        lurl, json={"metadata": {"name": f"l-{i}"}, "data": {"key": "value" * 4}}
                    ) as r,
                ):
                    await r.read()

            await asyncio.gather(*(mk(i) for i in range(2000)))
            times = []
            for _ in range(30):
                t = time.perf_counter()
                async with s.get(lurl) as r:
                    body = await r.read()
                times.append(time.perf_counter() - t)
            n = len(orjson.loads(body)["items"])
            print(f"LIST {n} configmaps: p50 {statistics.median(times) * 1000:.1f} ms")

            # Watch delivery: time from the create's response to the event's arrival.
            delays: list[float] = []
            async with s.get(
                base + "/api/v1/namespaces/bench/configmaps",
                params={"watch": "1", "labelSelector": "w=1", "resourceVersion": "1"},
            ) as wr:
                pending: dict[str, float] = {}

                async def reader() -> None:
                    async for line in wr.content:
                        ev = orjson.loads(line)
                        name = ev["object"]["metadata"]["name"]
                        if name in pending:
                            delays.append(time.perf_counter() - pending.pop(name))
                            if len(delays) >= 200:
                                return

                task = asyncio.create_task(reader())
                for i in range(200):
                    name = f"w-{i}"
                    body = orjson.dumps({"metadata": {"name": name, "labels": {"w": "1"}}})
                    t_send = time.perf_counter()
                    pending[name] = t_send
                    async with s.post(
                        url, data=body, headers={"Content-Type": "application/json"}
                    ) as r:
                        await r.read()
                    await asyncio.sleep(0.002)
                await asyncio.wait_for(task, 30)
            print(
                f"watch delivery (create sent -> event received): p50 {pct(delays, 0.5) * 1000:.2f} ms  p99 {pct(delays, 0.99) * 1000:.2f} ms"
            )
            print(f"RSS after load: {rss_mb(proc.pid):.1f} MB")
            if args.services:
                await services(s, base, args.services)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if etcd is not None:
            try:
                await etcd_floor(etcd.url(), args.creates)
            finally:
                etcd.stop()
        os.system(f"rm -rf {tmp}")


async def etcd_floor(url: str, count: int) -> None:
    """What one create costs etcd alone: sequential create-if-absent Txns (the API server's
    create) from steersman's etcd client, with no API server and no watch. The API server's
    sequential creates cannot beat this; the difference is the API server's own share."""
    from steersman.storage import open_store
    from steersman.storage.etcd import EtcdStore, rpc_pb2

    store = open_store(url)  # not started: no watch; only its client is used
    assert isinstance(store, EtcdStore)
    client = store._client
    value = orjson.dumps({"metadata": {"name": "x"}, "data": {"key": "value" * 4}})
    lat = []
    t0 = time.perf_counter()
    for i in range(count):
        key = f"/bench-floor/{i}".encode()
        absent = rpc_pb2.Compare(
            result=rpc_pb2.Compare.EQUAL,
            target=rpc_pb2.Compare.CREATE,
            key=key,
            create_revision=0,
        )
        put = rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key, value=value))
        t = time.perf_counter()
        await client.txn(rpc_pb2.TxnRequest(compare=[absent], success=[put]))
        lat.append(time.perf_counter() - t)
    el = time.perf_counter() - t0
    await client.close()
    print(
        f"etcd alone (create Txns from steersman's etcd client, no API server): {count / el:.0f}/s"
        f"  p50 {pct(lat, 0.5) * 1000:.2f} ms"
    )


async def services(s: aiohttp.ClientSession, base: str, count: int) -> None:
    """Sequential ClusterIP Service creates: each allocates a cluster IP, so this shows whether
    an allocation's cost grows with the Services already there (last tenth vs first)."""
    await s.post(base + "/api/v1/namespaces", json={"metadata": {"name": "bench-svc"}})
    url = base + "/api/v1/namespaces/bench-svc/services"
    lat: list[float] = []
    for i in range(count):
        body = orjson.dumps({"metadata": {"name": f"s-{i}"}, "spec": {"ports": [{"port": 80}]}})
        t = time.perf_counter()
        async with s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
            await r.read()
            assert r.status == 201, r.status
        lat.append(time.perf_counter() - t)
    tenth = max(1, count // 10)
    print(
        f"sequential Service creates: {count / sum(lat):.0f}/s  first {tenth}: "
        f"{tenth / sum(lat[:tenth]):.0f}/s  last {tenth}: {tenth / sum(lat[-tenth:]):.0f}/s"
    )


if __name__ == "__main__":
    asyncio.run(main())
