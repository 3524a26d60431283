"""Unit tests for the etcd client's endpoint handling and retry rules (no etcd needed)."""

from __future__ import annotations

from types import SimpleNamespace

import grpc
import pytest

from steersman.storage.etcd import prefix_end_bytes
from steersman.storage.etcd_client import (
    EtcdClient,
    EtcdUnavailableError,
    channel_target,
    parse_endpoints,
)


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


def _rpc_error(code: grpc.StatusCode, details: str = "") -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


class _Method:
    """A stub RPC that fails with the given errors, then answers; records each timeout."""

    def __init__(self, *failures: grpc.aio.AioRpcError) -> None:
        self.failures = list(failures)
        self.timeouts: list[float] = []

    async def __call__(self, request: object, *, timeout: float, wait_for_ready: bool) -> str:
        self.timeouts.append(timeout)
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def _client(method: _Method, *endpoints: tuple[str, int], **kw: float) -> EtcdClient:
    client = EtcdClient(list(endpoints) or [("127.0.0.1", 1)], **kw)
    client._kv = SimpleNamespace(Range=method, Txn=method)  # type: ignore[assignment]
    return client


async def test_reads_get_short_attempts_that_grow() -> None:
    slow = _rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED)
    method = _Method(slow, slow, slow, slow)
    client = _client(method, request_timeout=5.0, retry_timeout=30.0)
    try:
        assert await client._call("KV.Range", None, idempotent=True) == "answer"
        assert method.timeouts == [1.0, 2.0, 4.0, 5.0, 5.0]
    finally:
        await client.close()


async def test_a_lost_write_is_not_tried_again() -> None:
    method = _Method(_rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED))
    client = _client(method, request_timeout=5.0)
    try:
        with pytest.raises(EtcdUnavailableError):
            await client._call("KV.Txn", None, idempotent=False)
        assert method.timeouts == [5.0]
        # etcd's "no leader" means it was not applied: that one is tried again.
        client._kv = SimpleNamespace(  # type: ignore[assignment]
            Txn=_Method(_rpc_error(grpc.StatusCode.UNAVAILABLE, "etcdserver: no leader"))
        )
        assert await client._call("KV.Txn", None, idempotent=False) == "answer"
    finally:
        await client.close()


async def test_a_timeout_moves_on_to_the_next_member(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hung member answers nothing but keeps its connection: a call that times out puts its
    endpoint last and reconnects, and the retry goes to the next member."""
    hung = _Method(*[_rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED)] * 10)
    healthy = _Method()
    a, b, c = ("127.0.0.1", 1), ("127.0.0.1", 2), ("127.0.0.1", 3)
    client = _client(hung, a, b, c)
    opened = []

    def open_fake() -> None:
        opened.append(list(client.endpoints))
        client._channel = grpc.aio.insecure_channel("127.0.0.1:9")
        client._kv = SimpleNamespace(Range=healthy, Txn=healthy)  # type: ignore[assignment]

    monkeypatch.setattr(client, "_open", open_fake)
    try:
        assert await client._call("KV.Range", None, idempotent=True) == "answer"
        assert hung.timeouts == [1.0] and healthy.timeouts == [2.0]
        assert opened == [[b, c, a]]
    finally:
        await client.close()
