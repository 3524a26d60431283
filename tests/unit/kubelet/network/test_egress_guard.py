"""The egress guard's rules (pure planning; tests/e2e/node installs them for real)."""

from __future__ import annotations

import ipaddress
import re

import pytest

from steersman.kubelet.network.egress_guard import CHAIN, EgressGuardError, Uplink, plan


def _uplink(addr: str, gateway: str, dev: str = "eth0") -> Uplink:
    return Uplink(
        interface=dev,
        addresses=(ipaddress.IPv4Interface(addr),),
        gateway=ipaddress.IPv4Address(gateway),
    )


ESTABLISHED = ["-A", CHAIN, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"]
PRIVATE_DROPS = [
    ["-A", CHAIN, "-d", "10.0.0.0/8", "-j", "DROP"],
    ["-A", CHAIN, "-d", "172.16.0.0/12", "-j", "DROP"],
    ["-A", CHAIN, "-d", "192.168.0.0/16", "-j", "DROP"],
]


def test_public_host_drops_private_and_cluster_ranges() -> None:
    p = plan(
        uplinks=[_uplink("192.0.2.2/24", "192.0.2.1")],
        cluster_cidrs=["10.96.0.0/12", "10.244.0.0/16", "100.64.0.0/16"],
    )
    assert p.chain_rules == [
        ESTABLISHED,
        ["-A", CHAIN, "-d", "10.96.0.0/12", "-j", "DROP"],
        ["-A", CHAIN, "-d", "10.244.0.0/16", "-j", "DROP"],
        ["-A", CHAIN, "-d", "100.64.0.0/16", "-j", "DROP"],
        *PRIVATE_DROPS,
    ]
    assert p.jumps == [
        ["FORWARD", "-o", "eth0", "-j", CHAIN],
        ["OUTPUT", "-o", "eth0", "-j", CHAIN],
    ]


def test_host_in_a_private_range_keeps_its_own_traffic_to_that_range() -> None:
    p = plan(uplinks=[_uplink("10.0.2.15/24", "10.0.2.2")], cluster_cidrs=["10.96.0.0/12"])
    assert p.chain_rules == [
        ESTABLISHED,
        ["-A", CHAIN, "-d", "10.96.0.0/12", "-j", "DROP"],  # before the exemption
        ["-A", CHAIN, "-d", "10.0.0.0/8", "-m", "addrtype", "--src-type", "LOCAL", "-j", "RETURN"],
        *PRIVATE_DROPS,  # forwarded (pod) traffic to 10/8 is still dropped
    ]


def test_overlapping_cluster_cidrs_collapse() -> None:
    p = plan(uplinks=[], cluster_cidrs=["10.244.1.0/24", "10.244.0.0/16", ""])
    assert p.chain_rules[1] == ["-A", CHAIN, "-d", "10.244.0.0/16", "-j", "DROP"]
    assert len(p.chain_rules) == 1 + 1 + 3
    assert p.jumps == []  # no default route: nothing to guard


def test_every_uplink_is_guarded() -> None:
    p = plan(
        uplinks=[
            _uplink("192.0.2.2/24", "192.0.2.1", "wan1"),
            _uplink("198.51.100.2/24", "198.51.100.1", "wan0"),
        ]
    )
    assert [j[2] for j in p.jumps] == ["wan0", "wan0", "wan1", "wan1"]


@pytest.mark.parametrize(
    ("cidr", "clash"),
    [
        ("10.0.0.0/16", "10.0.2.0/24"),
        ("10.0.2.128/25", "10.0.2.0/24"),
        ("10.0.0.0/8", "10.0.2.0/24"),
    ],
)
def test_refuses_a_cluster_range_overlapping_the_hosts_network(cidr: str, clash: str) -> None:
    uplink = Uplink(
        interface="eth0",
        addresses=(ipaddress.IPv4Interface("10.0.2.15/24"),),
        gateway=ipaddress.IPv4Address("10.0.2.2"),
    )
    with pytest.raises(EgressGuardError, match=re.escape(f"overlaps {clash} of uplink eth0")):
        plan(uplinks=[uplink], cluster_cidrs=[cidr])


def test_refuses_a_cluster_range_holding_the_gateway() -> None:
    # A /32 uplink address (cloud VMs) reaches its gateway outside its own prefix.
    uplink = _uplink("10.128.0.5/32", "10.128.0.1")
    with pytest.raises(EgressGuardError, match=re.escape("overlaps 10.128.0.1/32 of uplink eth0")):
        plan(uplinks=[uplink], cluster_cidrs=["10.128.0.0/30"])
    plan(uplinks=[uplink], cluster_cidrs=["10.244.0.0/16"])  # disjoint: fine


def test_custom_chain_name() -> None:
    p = plan(uplinks=[_uplink("192.0.2.2/24", "192.0.2.1")], chain="X")
    assert {r[1] for r in p.chain_rules} == {"X"} and {j[-1] for j in p.jumps} == {"X"}
