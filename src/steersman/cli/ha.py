"""The components of `steersman up --ha`: a highly available control plane on loopback.

- Three etcd members (`DATA_DIR/etcd/m<i>`), three API servers on that etcd, HAProxy in front
  of the API servers on the cluster's secure port (what the admin kubeconfig names), and two
  schedulers and two controller managers, each pair electing one leader through a Lease.
- The API servers serve on the cluster's secure port too, each on its own loopback address
  (127.0.0.2-4; Linux routes all of 127.0.0.0/8 to the loopback device, HAProxy holds
  127.0.0.1), so, as in a real HA cluster, every API server has one address and they share a
  port: the `kubernetes` endpoints list the three addresses, and the serving certificate
  names them.
- Schedulers and controller managers talk to the API servers directly, with every address
  (`--apiservers`), and fail over between them in the client; kubectl goes through HAProxy.
- etcd's ports are chosen once and kept in `DATA_DIR/ha.json`, so an `up` after a stop finds
  its members at the addresses their data directories remember.
- HAProxy passes TLS through (TCP mode), checks each API server's `/readyz`, and re-dispatches
  a connection whose server refused it to another one, so the loss of any one API server is
  invisible to new connections.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from steersman.cli.etcd_cluster import EtcdCluster, EtcdMember, free_ports

if TYPE_CHECKING:
    from steersman.cli.up import Cluster, Component

ETCD_MEMBERS = 3
API_SERVERS = 3
REPLICAS = 2  # schedulers and controller managers


def apiserver_addresses() -> list[str]:
    """The loopback address of each API server (127.0.0.1 is HAProxy's)."""
    return [f"127.0.0.{2 + i}" for i in range(API_SERVERS)]


def _ports(data_dir: Path) -> dict[str, list[int]]:
    path = data_dir / "ha.json"
    try:
        ports: dict[str, list[int]] = json.loads(path.read_text())
        if len(ports["etcd_client"]) == ETCD_MEMBERS and len(ports["etcd_peer"]) == ETCD_MEMBERS:
            return ports
    except (OSError, ValueError, KeyError, TypeError):
        pass
    picked = free_ports(2 * ETCD_MEMBERS)
    ports = {"etcd_client": picked[:ETCD_MEMBERS], "etcd_peer": picked[ETCD_MEMBERS:]}
    path.write_text(json.dumps(ports))
    return ports


def etcd_cluster(data_dir: Path) -> EtcdCluster:
    ports = _ports(data_dir)
    base = data_dir / "etcd"
    members = [
        EtcdMember(f"etcd-{i}", client, peer, base / f"m{i}")
        for i, (client, peer) in enumerate(
            zip(ports["etcd_client"], ports["etcd_peer"], strict=True)
        )
    ]
    return EtcdCluster(base, size=len(members), members=members)


def apiserver_urls(secure_port: int) -> list[str]:
    return [f"https://{address}:{secure_port}" for address in apiserver_addresses()]


def haproxy_config(port: int) -> str:
    servers = "\n".join(
        f"  server apiserver-{i} {address}:{port}"
        for i, address in enumerate(apiserver_addresses())
    )
    return f"""global
  maxconn 4096

defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  retries 3
  option redispatch

frontend kube-apiserver
  bind 127.0.0.1:{port}
  default_backend kube-apiservers

backend kube-apiservers
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server check check-ssl verify none inter 500ms fall 2 rise 1
{servers}
"""


def haproxy_binary() -> str:
    for candidate in (shutil.which("haproxy"), "/usr/sbin/haproxy"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("--ha needs HAProxy: apt install haproxy")


def ha_components(cluster: Cluster) -> list[Component]:
    from steersman.cli.up import Component

    data_dir = cluster.data_dir
    etcd = etcd_cluster(data_dir)
    etcd.prepare()
    components = [
        Component(m.name, etcd.command(m), data_dir / f"{m.name}.pid", data_dir / f"{m.name}.log")
        for m in etcd.members
    ]
    storage = etcd.url()
    for i, address in enumerate(apiserver_addresses()):
        components.append(
            Component(
                f"apiserver-{i}",
                cluster.apiserver_argv(storage, cluster.secure_port, address=address),
                data_dir / f"apiserver-{i}.pid",
                data_dir / f"apiserver-{i}.log",
            )
        )
    config = data_dir / "haproxy.cfg"
    config.write_text(haproxy_config(cluster.secure_port))
    components.append(
        Component(
            "haproxy",
            [haproxy_binary(), "-db", "-f", str(config)],
            data_dir / "haproxy.pid",
            data_dir / "haproxy.log",
        )
    )
    servers = ",".join(apiserver_urls(cluster.secure_port))
    for component in ("controller-manager", "scheduler"):
        for i in range(REPLICAS):
            argv = [*cluster.python_component(component), "--apiservers", servers]
            components.append(
                Component(
                    f"{component}-{i}",
                    argv,
                    data_dir / f"{component}-{i}.pid",
                    data_dir / f"{component}-{i}.log",
                )
            )
    return components
