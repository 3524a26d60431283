"""A small asyncio etcd v3 client: the KV, Watch and Maintenance calls the etcd store makes.

It speaks etcd's gRPC protocol through the stubs `aetcd` ships (generated from etcd's own
`rpc.proto`), over one `grpc.aio` channel to every endpoint: gRPC's `pick_first` policy uses
the first member that answers and, when that member dies, reconnects to the next one. Calls
wait for a ready connection (`wait_for_ready`) instead of failing while the channel reconnects.
A call that times out makes the client move on: the endpoint it used goes last and a new
channel starts at the next one, since a hung member (process stopped, disk stalled) keeps its
TCP connections up and pick_first would stay with it (measured: over a minute).

Failure model (what callers may rely on):
- Reads, status and compaction are idempotent: they are retried on `UNAVAILABLE`, on etcd's
  transient errors and on attempts that time out (the first after 1 s, then 2 s, 4 s... up to
  `request_timeout`) until `retry_timeout` runs out.
- A transaction that was sent and then lost (the member died while it was in flight) may or
  may not have been applied; it is never retried here but raises `EtcdUnavailableError`, so
  the caller reports a failure and never acknowledges a write that was not confirmed.
- `required revision has been compacted` / `is a future revision` become the store's
  `CompactedError` / `FutureRevisionError`; anything else a `StorageError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from aetcd.rpc import rpc_pb2, rpc_pb2_grpc

from steersman.storage.interface import (
    CompactedError,
    FutureRevisionError,
    StorageError,
    StoreUnavailableError,
)

# The whole key space: etcd reads range_end "\0" as "every key >= key".
ALL_KEYS = b"\x00"

_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.lb_policy_name", "pick_first"),
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 8 * 1024 * 1024),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
]

_FIRST_ATTEMPT_TIMEOUT = 1.0
_RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
# etcd's own transient answers (sent as UNAVAILABLE) for which a write was certainly not applied.
_NOT_APPLIED = ("etcdserver: no leader", "etcdserver: too many requests")


class EtcdUnavailableError(StoreUnavailableError):
    """etcd could not be reached, or did not answer in time."""


@dataclass(frozen=True, slots=True)
class EtcdTls:
    """Client TLS to etcd (kube-apiserver's --etcd-cafile/--etcd-certfile/--etcd-keyfile)."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        def read(path: str | None) -> bytes | None:
            return Path(path).read_bytes() if path else None

        return grpc.ssl_channel_credentials(
            read(self.ca_file), read(self.key_file), read(self.cert_file)
        )


def parse_endpoints(spec: str) -> list[tuple[str, int]]:
    """`host:port[,host:port...]` (IPv6 hosts in brackets) -> [(host, port), ...]."""
    endpoints: list[tuple[str, int]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        host, sep, port = part.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"etcd endpoint {part!r} is not host:port")
        endpoints.append((host.strip("[]"), int(port)))
    if not endpoints:
        raise ValueError("no etcd endpoint given")
    return endpoints


def channel_target(endpoints: Sequence[tuple[str, int]]) -> tuple[str, str | None]:
    """A gRPC target naming every endpoint's address, and the TLS server name to check when the
    endpoints were given by host name (the certificate names the host, not its address)."""
    addresses: list[str] = []
    families: set[int] = set()
    server_name: str | None = None
    for host, port in endpoints:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            server_name = server_name or host
            info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            ip = ipaddress.ip_address(info[0][4][0])
        families.add(ip.version)
        addresses.append(f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}")
    if len(families) > 1:
        raise ValueError("etcd endpoints mix IPv4 and IPv6 addresses")
    scheme = "ipv6" if families == {6} else "ipv4"
    return f"{scheme}:{','.join(addresses)}", server_name


def _error(exc: grpc.aio.AioRpcError) -> StorageError:
    details = exc.details() or ""
    if "required revision has been compacted" in details:
        return CompactedError(0, 0)
    if "required revision is a future revision" in details:
        return FutureRevisionError(0, 0)
    if exc.code() in _RETRYABLE_CODES or exc.code() == grpc.StatusCode.CANCELLED:
        return EtcdUnavailableError(f"etcd unavailable: {details or exc.code().name}")
    return StorageError(f"etcd: {details or exc.code().name}")


def _retryable(exc: grpc.aio.AioRpcError) -> bool:
    return exc.code() in _RETRYABLE_CODES


class EtcdClient:
    def __init__(
        self,
        endpoints: Sequence[tuple[str, int]],
        *,
        tls: EtcdTls | None = None,
        request_timeout: float = 5.0,
        retry_timeout: float = 10.0,
    ) -> None:
        self.endpoints = list(endpoints)
        self._tls = tls
        self.request_timeout = request_timeout
        self.retry_timeout = retry_timeout
        self._closing: set[asyncio.Task[None]] = set()
        self._watches: dict[Any, grpc.aio.Channel] = {}  # open watch calls -> their channel
        self._abandoned: set[Any] = set()  # watch calls `_move_on` cancelled
        self._open()

    def _open(self) -> None:
        """A channel to the endpoints in their current order (pick_first starts at the first)."""
        target, server_name = channel_target(self.endpoints)
        options = list(_CHANNEL_OPTIONS)
        if self._tls is not None:
            if server_name:
                options.append(("grpc.ssl_target_name_override", server_name))
            self._channel = grpc.aio.secure_channel(target, self._tls.credentials(), options)
        else:
            self._channel = grpc.aio.insecure_channel(target, options)
        self._kv = rpc_pb2_grpc.KVStub(self._channel)
        self._watch = rpc_pb2_grpc.WatchStub(self._channel)
        self._maintenance = rpc_pb2_grpc.MaintenanceStub(self._channel)

    def _move_on(self, channel: grpc.aio.Channel) -> None:
        """A call on `channel` timed out: its member may be hung (alive to TCP, answering
        nothing), which pick_first never notices and gRPC's keepalive takes a minute to. Put
        the first endpoint last and reconnect; calls and watches on the old channel end
        (cancelled) and their callers go on with the new one. Several calls timing out on one
        channel move on once."""
        if channel is not self._channel or len(self.endpoints) < 2:
            return
        self.endpoints = [*self.endpoints[1:], self.endpoints[0]]
        self._open()
        # Closing the channel does not end a stream blocked on a hung member: end them here.
        for call, on in list(self._watches.items()):
            if on is channel:
                self._abandoned.add(call)
                call.cancel()
        task = asyncio.get_running_loop().create_task(channel.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        await self._channel.close()
        for task in list(self._closing):
            with contextlib.suppress(Exception):
                await task

    async def _call(self, method: str, request: Any, *, idempotent: bool) -> Any:
        """`method` ("KV.Range"...) on the current channel, retried as the module says."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_timeout
        delay = 0.02
        # An idempotent call is tried again rather than waited on: one sent to a member while
        # its cluster elects a leader can hang until etcd's own timeout (seconds), and the
        # next attempt usually finds the new leader. Its attempts get 1 s, 2 s, 4 s...
        attempt_timeout = min(_FIRST_ATTEMPT_TIMEOUT, self.request_timeout)
        service, name = method.split(".")
        while True:
            timeout = attempt_timeout if idempotent else self.request_timeout
            channel = self._channel
            stub = {"KV": self._kv, "Maintenance": self._maintenance}[service]
            try:
                return await getattr(stub, name)(request, timeout=timeout, wait_for_ready=True)
            except grpc.aio.AioRpcError as exc:
                attempt_timeout = min(2 * attempt_timeout, self.request_timeout)
                if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    self._move_on(channel)
                # A read cancelled because its channel was replaced is simply tried again.
                moved = channel is not self._channel and exc.code() == grpc.StatusCode.CANCELLED
                again = (_retryable(exc) or moved) and (
                    idempotent or any(m in (exc.details() or "") for m in _NOT_APPLIED)
                )
                if not again or loop.time() + delay > deadline:
                    raise _error(exc) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    # -- KV --------------------------------------------------------------------------------------

    async def range(
        self,
        key: bytes,
        range_end: bytes = b"",
        *,
        revision: int = 0,
        limit: int = 0,
        count_only: bool = False,
        keys_only: bool = False,
    ) -> Any:
        request = rpc_pb2.RangeRequest(
            key=key,
            range_end=range_end,
            revision=revision,
            limit=limit,
            count_only=count_only,
            keys_only=keys_only,
        )
        return await self._call("KV.Range", request, idempotent=True)

    async def current_revision(self) -> int:
        """etcd's current revision, read linearizably (through the leader). A point lookup of
        one key: every answer's header carries the store's revision, and a count over the
        whole key space would make etcd walk its whole index on every consistent read."""
        response = await self.range(ALL_KEYS)
        return int(response.header.revision)

    async def txn(self, request: Any) -> Any:
        return await self._call("KV.Txn", request, idempotent=False)

    async def compact(self, revision: int) -> None:
        request = rpc_pb2.CompactionRequest(revision=revision)
        await self._call("KV.Compact", request, idempotent=True)

    # -- Watch -----------------------------------------------------------------------------------

    async def watch(
        self, key: bytes, range_end: bytes, *, start_revision: int
    ) -> AsyncGenerator[Any, None]:
        """One watch on its own stream, yielding `WatchResponse`s until the stream fails
        (`EtcdUnavailableError`) or the caller stops iterating (the stream is cancelled)."""
        call = self._watch.Watch(wait_for_ready=True)
        self._watches[call] = self._channel
        try:
            create = rpc_pb2.WatchCreateRequest(
                key=key, range_end=range_end, start_revision=start_revision
            )
            await call.write(rpc_pb2.WatchRequest(create_request=create))
            while True:
                try:
                    response = await call.read()
                except asyncio.CancelledError:
                    if call in self._abandoned:  # `_move_on` ended it, not our caller
                        raise EtcdUnavailableError("moved to another etcd member") from None
                    raise
                if response is grpc.aio.EOF:
                    raise EtcdUnavailableError("etcd closed the watch stream")
                yield response
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from exc
        finally:
            call.cancel()
            self._watches.pop(call, None)
            self._abandoned.discard(call)

    # -- Maintenance -----------------------------------------------------------------------------

    async def status(self) -> Any:
        """The status of the member this client is connected to (leader id, raft term...)."""
        request = rpc_pb2.StatusRequest()
        return await self._call("Maintenance.Status", request, idempotent=True)
