"""Unit tests for the etcd client's endpoint handling (no etcd needed)."""

from __future__ import annotations

import pytest

from steersman.storage.etcd import prefix_end_bytes
from steersman.storage.etcd_client import channel_target, parse_endpoints


def test_parse_endpoints() -> None:
    assert parse_endpoints("127.0.0.1:2379, 10.0.0.2:2380") == [
        ("127.0.0.1", 2379),
        ("10.0.0.2", 2380),
    ]
    assert parse_endpoints("[::1]:2379") == [("::1", 2379)]
    for bad in ("", ",", "host", "host:", ":2379", "host:port"):
        with pytest.raises(ValueError):
            parse_endpoints(bad)


def test_channel_target_lists_every_address_for_pick_first() -> None:
    assert channel_target([("127.0.0.1", 1), ("127.0.0.2", 2)]) == (
        "ipv4:127.0.0.1:1,127.0.0.2:2",
        None,
    )
    assert channel_target([("::1", 1)]) == ("ipv6:[::1]:1", None)
    # A host name is resolved; TLS then checks the certificate against that name.
    target, server_name = channel_target([("localhost", 2379)])
    assert server_name == "localhost"
    assert target.endswith(":2379")
    with pytest.raises(ValueError):
        channel_target([("127.0.0.1", 1), ("::1", 2)])


def test_prefix_end_bytes() -> None:
    assert prefix_end_bytes(b"/registry/") == b"/registry0"
    assert prefix_end_bytes(b"a\xff") == b"b"
    assert prefix_end_bytes(b"") == b"\x00"
