"""The egress guard with real iptables: on this host (install, inspect, remove), and in private
network namespaces where packets are sent and counted on the far end of a fake uplink."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from steersman.kubelet.network.egress_guard import EgressGuard, default_uplinks
from tests.e2e.node.conftest import require_node

CHAIN = "STEERSMAN-EGRESS-GUARD-T"  # never the real chain: a running cluster keeps its guard


def sh(*argv: str, netns: str | None = None, check: bool = True) -> str:
    prefix = ["ip", "netns", "exec", netns] if netns else []
    result = subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {result.stderr}")
    return result.stdout


def test_install_inspect_remove_on_this_host() -> None:
    require_node()
    before = sh("iptables", "-w", "-S")
    uplinks = default_uplinks()
    guard = EgressGuard(cluster_cidrs=["10.244.0.0/16", "10.96.0.0/12"], chain=CHAIN)
    try:
        planned = guard.install()
        guard.install()  # idempotent: no second jump, same rules
        rules = sh("iptables", "-w", "-S", CHAIN).splitlines()
        assert rules[0] == f"-N {CHAIN}"
        assert rules[1:] == [" ".join(r) for r in planned.chain_rules]
        assert f"-A {CHAIN} -d 10.244.0.0/16 -j DROP" in rules
        assert f"-A {CHAIN} -d 192.168.0.0/16 -j DROP" in rules
        for hook in ("FORWARD", "OUTPUT"):
            hook_rules = sh("iptables", "-w", "-S", hook).splitlines()
            jumps = [r for r in hook_rules if r.endswith(f"-j {CHAIN}")]
            assert jumps == [f"-A {hook} -o {u.interface} -j {CHAIN}" for u in uplinks]
            if jumps:
                assert hook_rules[1] == jumps[0]  # first rule: nothing can ACCEPT before it
    finally:
        guard.remove()
    assert CHAIN not in sh("iptables", "-w", "-S")
    assert sh("iptables", "-w", "-S") == before
    guard.remove()  # removing twice is harmless


@dataclass
class Net:
    router: str
    pod: str


def _rx(net: Net) -> int:
    """Packets that arrived at the far end of the router's uplink (what 'left the machine')."""
    return int(sh("cat", "/sys/class/net/up0p/statistics/rx_packets", netns=net.router))


SEND = textwrap.dedent(
    """
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (sys.argv[1], 9))
        print("sent")
    except OSError as e:
        print(e.strerror)
    """
)


def _send(netns: str, dst: str) -> str:
    return sh(sys.executable, "-c", SEND, dst, netns=netns).strip()


@pytest.fixture
def net() -> Iterator[Net]:
    """router: uplink up0 (10.0.2.15/24 via 10.0.2.2, so the 'host' sits in a private range)
    whose peer up0p stays in the router as the 'network'; pod: 10.244.0.2 behind the router."""
    require_node()
    n = Net(router=f"sm-guard-r-{os.getpid()}", pod=f"sm-guard-p-{os.getpid()}")
    try:
        for ns in (n.router, n.pod):
            sh("ip", "netns", "add", ns)
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", netns=ns)
            sh("ip", "link", "set", "lo", "up", netns=ns)
        r = n.router
        sh("ip", "link", "add", "up0", "type", "veth", "peer", "name", "up0p", netns=r)
        sh("ip", "link", "add", "name", "podlink", "type", "veth", "peer", "name", "eth0", netns=r)
        sh("ip", "link", "set", "eth0", "netns", n.pod, netns=r)
        for link in ("up0", "up0p", "podlink"):
            sh("ip", "link", "set", link, "up", netns=r)
        sh("ip", "addr", "add", "10.0.2.15/24", "dev", "up0", netns=r)
        sh("ip", "addr", "add", "10.244.0.1/24", "dev", "podlink", netns=r)
        sh("ip", "route", "add", "default", "via", "10.0.2.2", "dev", "up0", netns=r)
        mac = sh("cat", "/sys/class/net/up0p/address", netns=r).strip()
        for neighbour in ("10.0.2.2", "10.0.2.99"):  # no ARP: packets go straight out
            sh("ip", "neigh", "add", neighbour, "lladdr", mac, "dev", "up0", netns=r)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", netns=r)
        sh("ip", "link", "set", "eth0", "up", netns=n.pod)
        sh("ip", "addr", "add", "10.244.0.2/24", "dev", "eth0", netns=n.pod)
        sh("ip", "route", "add", "default", "via", "10.244.0.1", netns=n.pod)
        # Someone else's rule that would let everything out: the guard must sit above it.
        sh("iptables", "-w", "-A", "FORWARD", "-o", "up0", "-j", "ACCEPT", netns=r)
        yield n
    finally:
        for ns in (n.router, n.pod):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _guard(net: Net, action: str) -> None:
    code = (
        "from steersman.kubelet.network.egress_guard import EgressGuard\n"
        f"EgressGuard(cluster_cidrs=['10.244.0.0/16', '10.96.0.0/12']).{action}()\n"
    )
    sh(sys.executable, "-c", code, netns=net.router)


def test_private_traffic_never_leaves_but_the_hosts_own_does(net: Net) -> None:
    before = sh("iptables", "-w", "-S", netns=net.router)
    _guard(net, "install")
    forward = sh("iptables", "-w", "-S", "FORWARD", netns=net.router).splitlines()
    assert forward[1:] == [
        "-A FORWARD -o up0 -j STEERSMAN-EGRESS-GUARD",
        "-A FORWARD -o up0 -j ACCEPT",
    ]

    def leaves(netns: str, dst: str) -> tuple[str, bool]:
        start = _rx(net)
        result = _send(netns, dst)
        return result, _rx(net) > start

    # Pod traffic: private destinations (a missing DNAT, the host's LAN, a service IP) are
    # dropped; a public destination is forwarded.
    assert leaves(net.pod, "10.1.2.3") == ("sent", False)
    assert leaves(net.pod, "10.0.2.99") == ("sent", False)
    assert leaves(net.pod, "10.96.0.10") == ("sent", False)
    assert leaves(net.pod, "192.168.1.1") == ("sent", False)
    assert leaves(net.pod, "203.0.113.7") == ("sent", True)
    # The host's own traffic: its private range (LAN, gateway, beyond) still works; service
    # and pod ranges and other private ranges fail locally (EPERM), public ones leave.
    assert leaves(net.router, "10.0.2.99") == ("sent", True)
    assert leaves(net.router, "10.9.9.9") == ("sent", True)
    assert leaves(net.router, "10.96.0.10") == ("Operation not permitted", False)
    assert leaves(net.router, "172.16.0.1") == ("Operation not permitted", False)
    assert leaves(net.router, "203.0.113.7") == ("sent", True)

    _guard(net, "remove")
    assert sh("iptables", "-w", "-S", netns=net.router) == before
    assert leaves(net.pod, "10.1.2.3") == ("sent", True)  # the guard was what stopped it
