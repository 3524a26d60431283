"""The node's CNI conflist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steersman.kubelet.network.cni import (
    CONFLIST_NAME,
    conflist,
    missing_plugins,
    write_conflist,
)


def test_bridge_host_local_portmap_chain() -> None:
    doc = conflist(pod_cidr="10.244.1.0/24")
    assert doc["cniVersion"] == "1.0.0" and doc["name"] == "steersman"
    bridge, portmap = doc["plugins"]
    assert bridge == {
        "type": "bridge",
        "bridge": "steersman0",
        "isGateway": True,
        "ipMasq": True,
        "hairpinMode": True,
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": "10.244.1.0/24"}]],
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    }
    assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}
    # lo comes from containerd's built-in cni-loopback network, not from this chain.
    assert "loopback" not in {p["type"] for p in doc["plugins"]}


def test_options(tmp_path: Path) -> None:
    doc = conflist(
        pod_cidr="10.1.0.0/16", bridge="br-x", network_name="n", mtu=1400, ipam_data_dir=tmp_path
    )
    bridge = doc["plugins"][0]
    assert (doc["name"], bridge["bridge"], bridge["mtu"]) == ("n", "br-x", 1400)
    assert bridge["ipam"]["dataDir"] == str(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pod_cidr": "10.244.1.5/24"}, "has host bits set"),
        ({"pod_cidr": "nonsense"}, "does not appear to be"),
        ({"pod_cidr": "10.0.0.0/24", "bridge": "a-very-long-bridge"}, "longer than 15"),
    ],
)
def test_rejects(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        conflist(**kwargs)  # type: ignore[arg-type]


def test_write_is_atomic_and_stable(tmp_path: Path) -> None:
    conf_dir = tmp_path / "net.d"
    path = write_conflist(conf_dir, pod_cidr="10.244.0.0/24")
    assert path == conf_dir / CONFLIST_NAME
    assert json.loads(path.read_text())["plugins"][0]["ipam"]["ranges"] == [
        [{"subnet": "10.244.0.0/24"}]
    ]
    before = path.stat().st_mtime_ns, path.stat().st_ino
    assert write_conflist(conf_dir, pod_cidr="10.244.0.0/24") == path
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before  # untouched when unchanged
    write_conflist(conf_dir, pod_cidr="10.244.9.0/24")
    assert "10.244.9.0/24" in path.read_text()
    assert sorted(p.name for p in conf_dir.iterdir()) == [CONFLIST_NAME]


def test_missing_plugins(tmp_path: Path) -> None:
    assert missing_plugins(tmp_path) == ["bridge", "host-local", "portmap", "loopback"]
    for name in ("bridge", "host-local", "portmap"):
        (tmp_path / name).write_text("")
        (tmp_path / name).chmod(0o755)
    (tmp_path / "loopback").write_text("")  # not executable
    assert missing_plugins(tmp_path) == ["loopback"]
