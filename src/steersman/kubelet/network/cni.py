"""The node's CNI network: one conflist that containerd's CRI plugin runs for every pod.

Invariants:
- Exactly one file, `10-steersman.conflist`, in the node's conf dir (containerd reads at most
  one: `max_conf_num = 1`), written atomically so containerd's directory watcher never sees a
  half-written file. Rewriting the same inputs leaves the file byte-identical.
- Chain: `bridge` (our own bridge name, gateway address on the bridge, default route for the
  pod, masquerade of traffic leaving the pod range, hairpin so a pod reaches itself through a
  Service) with `host-local` IPAM over the node's podCIDR, then `portmap` (hostPort through the
  `portMappings` capability the CRI plugin fills in).
- Loopback is not in the chain: the loopback plugin configures the interface it is given
  (eth0 in a chain). containerd's CRI plugin brings `lo` up itself with its built-in
  `cni-loopback` network, which runs the `loopback` binary from the same bin dir; `missing_plugins`
  checks for it with the others.
- IPAM state (`dataDir`) is per node when given, so nodes sharing one machine never share
  host-local's allocation files.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Any

CNI_VERSION = "1.0.0"  # containernetworking-plugins 1.1 and containerd 1.6 both speak it
NETWORK_NAME = "steersman"
BRIDGE_NAME = "steersman0"
CONFLIST_NAME = "10-steersman.conflist"
REQUIRED_PLUGINS = ("bridge", "host-local", "portmap", "loopback")


def conflist(
    *,
    pod_cidr: str,
    bridge: str = BRIDGE_NAME,
    network_name: str = NETWORK_NAME,
    mtu: int | None = None,
    ipam_data_dir: Path | None = None,
) -> dict[str, Any]:
    """The conflist document for a node whose pods get addresses from `pod_cidr`."""
    subnet = ipaddress.ip_network(pod_cidr, strict=True)
    if len(bridge) > 15:  # IFNAMSIZ - 1
        raise ValueError(f"bridge name {bridge!r} is longer than 15 characters")
    default_route = "0.0.0.0/0" if subnet.version == 4 else "::/0"
    ipam: dict[str, Any] = {
        "type": "host-local",
        "ranges": [[{"subnet": str(subnet)}]],
        "routes": [{"dst": default_route}],
    }
    if ipam_data_dir is not None:
        ipam["dataDir"] = str(ipam_data_dir)
    bridge_conf: dict[str, Any] = {
        "type": "bridge",
        "bridge": bridge,
        "isGateway": True,
        "ipMasq": True,
        "hairpinMode": True,
        "ipam": ipam,
    }
    if mtu is not None:
        bridge_conf["mtu"] = mtu
    return {
        "cniVersion": CNI_VERSION,
        "name": network_name,
        "plugins": [
            bridge_conf,
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def render_conflist(**kwargs: Any) -> str:
    return json.dumps(conflist(**kwargs), indent=2, sort_keys=False) + "\n"


def write_conflist(
    conf_dir: Path,
    *,
    pod_cidr: str,
    bridge: str = BRIDGE_NAME,
    network_name: str = NETWORK_NAME,
    mtu: int | None = None,
    ipam_data_dir: Path | None = None,
) -> Path:
    """Write (or rewrite) the node's conflist into `conf_dir`; returns its path."""
    text = render_conflist(
        pod_cidr=pod_cidr,
        bridge=bridge,
        network_name=network_name,
        mtu=mtu,
        ipam_data_dir=ipam_data_dir,
    )
    conf_dir.mkdir(parents=True, exist_ok=True)
    path = conf_dir / CONFLIST_NAME
    if path.exists() and path.read_text() == text:
        return path
    # The temporary name must not end in .conf/.conflist/.json, or containerd may load it.
    tmp = conf_dir / f".{CONFLIST_NAME}.tmp"
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def missing_plugins(bin_dir: Path) -> list[str]:
    """The plugin binaries this network needs that `bin_dir` lacks (empty when ready)."""
    return [p for p in REQUIRED_PLUGINS if not os.access(bin_dir / p, os.X_OK)]
