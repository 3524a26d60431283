"""Keep cluster traffic on this machine: private-range packets never leave through the uplink.

Pod, service and node addresses are private (10/8, 172.16/12, 192.168/16, plus whatever
cluster and service CIDRs are configured). A missing DNAT rule, a pod dialling an address that
only exists inside the cluster, or a Service pointed at a private endpoint must fail inside the
machine instead of reaching the network the machine sits on (DESIGN §5).

Rules (filter table), all in one chain of our own, jumped to from the top of FORWARD and OUTPUT
once per uplink (an interface carrying a default route), and only for packets leaving it:

    -I FORWARD 1 -o UPLINK -j STEERSMAN-EGRESS-GUARD
    -I OUTPUT  1 -o UPLINK -j STEERSMAN-EGRESS-GUARD
    -A STEERSMAN-EGRESS-GUARD -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
    -A STEERSMAN-EGRESS-GUARD -d <each configured cluster/service CIDR> -j DROP
   [-A STEERSMAN-EGRESS-GUARD -d <private range holding the uplink address>
        -m addrtype --src-type LOCAL -j RETURN]
    -A STEERSMAN-EGRESS-GUARD -d 10.0.0.0/8 -j DROP   (and 172.16.0.0/12, 192.168.0.0/16)

Why this shape:
- Only `-o UPLINK` is matched, so loopback, the pod bridge and any other interface are never
  touched, and traffic to public destinations (the machine's own uplink use) passes untouched.
- RELATED/ESTABLISHED returns first: replies to connections that came *in* from the uplink
  (a client on the LAN using a NodePort) may go back out. A connection started from inside
  never becomes established: its first packet is dropped, and a dropped packet does not
  confirm a conntrack entry.
- The configured CIDRs are dropped before anything is exempted: they are the cluster's own
  addresses and never exist beyond the machine.
- When the host itself sits in a private range (say 10.0.2.15 behind gateway 10.0.2.2),
  dropping that range outright would cut the host off from its gateway and LAN. So only for
  that range, packets whose source is a local address (the host's own traffic) return;
  forwarded pod traffic (source: a pod address, not local) is still dropped. Forwarded
  packets are filtered before the bridge plugin's masquerade (nat POSTROUTING), so their
  source is still the pod's.
- Refuse to install when a configured CIDR overlaps the uplink's own network or gateway: that
  configuration would either cut the host off or let cluster addresses collide with the LAN.

Invariants: `install()` is idempotent and replaces the chain's contents in one
`iptables-restore --noflush` transaction; `remove()` deletes exactly the jumps to our chain
(whatever interface they name) and the chain itself, and nothing else. IPv4 only (pods are
IPv4 here).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

CHAIN = "STEERSMAN-EGRESS-GUARD"
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
HOOKS = ("FORWARD", "OUTPUT")

IPv4Net = ipaddress.IPv4Network


class EgressGuardError(RuntimeError):
    pass


@dataclass(frozen=True)
class Uplink:
    """An interface with a default route: its name, addresses and gateway."""

    interface: str
    addresses: tuple[ipaddress.IPv4Interface, ...] = ()
    gateway: ipaddress.IPv4Address | None = None


@dataclass(frozen=True)
class GuardPlan:
    """The chain's rules and the jumps into it, as iptables argument lists (no table flag)."""

    chain_rules: list[list[str]] = field(default_factory=list)
    jumps: list[list[str]] = field(default_factory=list)


def _ip_json(*args: str) -> list[dict[str, object]]:
    out = subprocess.run(["ip", "-j", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")  # type: ignore[no-any-return]


def default_uplinks() -> list[Uplink]:
    """Interfaces carrying an IPv4 default route in this network namespace."""
    uplinks: dict[str, Uplink] = {}
    for route in _ip_json("-4", "route", "show", "default"):
        dev = str(route.get("dev", ""))
        if not dev or dev in uplinks:
            continue
        gateway = ipaddress.IPv4Address(str(route["gateway"])) if route.get("gateway") else None
        addresses = []
        for link in _ip_json("-4", "addr", "show", "dev", dev):
            for info in link.get("addr_info", []):  # type: ignore[attr-defined]
                addresses.append(ipaddress.IPv4Interface(f"{info['local']}/{info['prefixlen']}"))
        uplinks[dev] = Uplink(interface=dev, addresses=tuple(addresses), gateway=gateway)
    return list(uplinks.values())


def plan(
    *, uplinks: Sequence[Uplink], cluster_cidrs: Sequence[str] = (), chain: str = CHAIN
) -> GuardPlan:
    """The rules for `uplinks` protecting the private ranges and `cluster_cidrs` (pure)."""
    configured = _collapse([*cluster_cidrs])
    for uplink in uplinks:
        own = [a.network for a in uplink.addresses]
        if uplink.gateway is not None:
            own.append(ipaddress.IPv4Network(uplink.gateway))
        for net in configured:
            clash = next((o for o in own if net.overlaps(o)), None)
            if clash is not None:
                raise EgressGuardError(
                    f"cluster range {net} overlaps {clash} of uplink {uplink.interface}: "
                    "choose cluster and service ranges outside the machine's own network"
                )
    rules = [["-A", chain, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"]]
    rules += [["-A", chain, "-d", str(net), "-j", "DROP"] for net in configured]
    host_ranges = _collapse(
        [
            r
            for r in PRIVATE_RANGES
            for u in uplinks
            for a in u.addresses
            if a.ip in ipaddress.IPv4Network(r)
        ]
    )
    for net in host_ranges:
        rules.append(
            ["-A", chain, "-d", str(net), "-m", "addrtype", "--src-type", "LOCAL", "-j", "RETURN"]
        )
    rules += [["-A", chain, "-d", r, "-j", "DROP"] for r in PRIVATE_RANGES]
    jumps = [
        [hook, "-o", u.interface, "-j", chain]
        for u in sorted(uplinks, key=lambda u: u.interface)
        for hook in HOOKS
    ]
    return GuardPlan(chain_rules=rules, jumps=jumps)


def _collapse(cidrs: Sequence[str]) -> list[IPv4Net]:
    nets = [ipaddress.IPv4Network(c, strict=False) for c in cidrs if c]
    return list(ipaddress.collapse_addresses(nets))


def _iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    # -w: wait for the xtables lock instead of failing while kube-proxy holds it.
    return subprocess.run(
        ["iptables", "-w", "-t", "filter", *args], check=check, capture_output=True, text=True
    )


class EgressGuard:
    """Installs and removes the guard for the current network namespace."""

    def __init__(
        self,
        *,
        cluster_cidrs: Sequence[str] = (),
        uplinks: Sequence[Uplink] | None = None,
        chain: str = CHAIN,
    ) -> None:
        self.cluster_cidrs = list(cluster_cidrs)
        self.uplinks = uplinks
        self.chain = chain

    def plan(self) -> GuardPlan:
        uplinks = self.uplinks if self.uplinks is not None else default_uplinks()
        if not uplinks:
            log.warning("no default route: nothing can leave, no egress guard jumps installed")
        return plan(uplinks=uplinks, cluster_cidrs=self.cluster_cidrs, chain=self.chain)

    def install(self) -> GuardPlan:
        """Create or refresh the chain, then make sure each jump exists exactly once."""
        p = self.plan()
        restore = ["*filter", f":{self.chain} - [0:0]"]
        restore += [shlex.join(rule) for rule in p.chain_rules]
        restore.append("COMMIT")
        # Declaring the chain in a --noflush restore empties and refills it atomically.
        result = subprocess.run(
            ["iptables-restore", "-w", "--noflush"],
            input="\n".join(restore) + "\n",
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise EgressGuardError(f"iptables-restore: {result.stderr.strip()}")
        wanted = {tuple(j) for j in p.jumps}
        for existing in self._jumps():
            if tuple(existing) not in wanted:  # e.g. the default route moved to another device
                _iptables("-D", *existing)
        for jump in p.jumps:
            if _iptables("-C", *jump, check=False).returncode != 0:
                _iptables("-I", jump[0], "1", *jump[1:])
        return p

    def remove(self) -> None:
        """Take away our jumps and our chain; leave every other rule as it was."""
        for jump in self._jumps():
            _iptables("-D", *jump)
        if _iptables("-S", self.chain, check=False).returncode == 0:
            _iptables("-F", self.chain)
            _iptables("-X", self.chain)

    def _jumps(self) -> list[list[str]]:
        """Every rule in FORWARD/OUTPUT that jumps to our chain, as `HOOK args...`."""
        found = []
        for hook in HOOKS:
            for line in _iptables("-S", hook).stdout.splitlines():
                words = shlex.split(line)
                if words[:2] == ["-A", hook] and words[-2:] == ["-j", self.chain]:
                    found.append(words[1:])
        return found
