"""Service ClusterIP and NodePort allocation.

Invariants:
- The allocators hold the set of addresses/ports in use; it is rebuilt from the stored
  Services at start (`rebuild`) and changed only synchronously (no await between checking and
  taking), so two concurrent creates can never take the same IP or port.
- The first address of the range (.1) is reserved for the `kubernetes` Service; the network
  address and the broadcast address are never handed out.
- Every allocation made for a request that then fails is released by the caller.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
from collections.abc import Iterable, Iterator


class AllocationError(Exception):
    pass


class IPAllocator:
    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr, strict=False)
        self.cidr = str(self.network)
        self._used: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
        self._first = int(self.network.network_address) + 1
        self._last = (
            int(self.network.broadcast_address) - 1
            if self.network.version == 4
            else int(self.network.broadcast_address)
        )
        self._size = self._last - self._first + 1

    def nth(self, n: int) -> str:
        return str(ipaddress.ip_address(self._first + n - 1))

    def _parse(self, requested: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """The requested address, if it is one this range hands out (else AllocationError)."""
        try:
            ip = ipaddress.ip_address(requested)
        except ValueError:
            raise AllocationError(
                f"failed to allocate IP {requested}: the provided IP ({requested}) is not a valid IP"
            ) from None
        if ip not in self.network or not (self._first <= int(ip) <= self._last):
            raise AllocationError(
                f"failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {self.cidr}"
            )
        return ip

    def validate(self, requested: str) -> str:
        """`requested` in its canonical form, if this range hands it out (else AllocationError)."""
        return str(self._parse(requested))

    @staticmethod
    def taken_error(requested: str) -> AllocationError:
        return AllocationError(
            f"failed to allocate IP {requested}: provided IP is already allocated"
        )

    @staticmethod
    def full_error() -> AllocationError:
        return AllocationError("failed to allocate a serviceIP: range is full")

    def candidates(self, probes: int = 128) -> Iterator[str]:
        """Random members first, like Kubernetes (dynamic allocations avoid the low, static
        band), then every member in order."""
        static_band = min(max(16, self._size // 16), 256) if self._size > 32 else 0
        for _ in range(probes):
            yield str(
                ipaddress.ip_address(self._first + random.randint(static_band, self._size - 1))
            )
        for offset in range(self._size):
            yield str(ipaddress.ip_address(self._first + offset))

    def allocate(self, requested: str | None = None) -> str:
        if requested:
            ip = self._parse(requested)
            if ip in self._used:
                raise self.taken_error(requested)
            self._used.add(ip)
            return str(ip)
        if len(self._used) >= self._size:
            raise self.full_error()
        for candidate in self.candidates():
            ip = ipaddress.ip_address(candidate)
            if ip not in self._used:
                self._used.add(ip)
                return candidate
        raise self.full_error()

    def release(self, value: str) -> None:
        with contextlib.suppress(ValueError):
            self._used.discard(ipaddress.ip_address(value))

    def mark(self, value: str) -> None:
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return
        if ip in self.network:
            self._used.add(ip)

    def in_use(self, value: str) -> bool:
        try:
            return ipaddress.ip_address(value) in self._used
        except ValueError:
            return False

    def members(self) -> list[str]:
        """The allocated addresses, in order (what `load` takes back)."""
        return [str(ip) for ip in sorted(self._used)]

    def load(self, members: Iterable[str]) -> None:
        """Replace the allocated set (addresses outside the range are ignored)."""
        self._used.clear()
        for value in members:
            self.mark(value)


class PortAllocator:
    def __init__(self, port_range: str) -> None:
        low, _, high = port_range.partition("-")
        self.low = int(low)
        self.high = int(high or low)
        self.range_text = f"{self.low}-{self.high}"
        self._used: set[int] = set()

    def validate(self, requested: int) -> int:
        if not (self.low <= requested <= self.high):
            raise AllocationError(
                f"provided port is not in the valid range. The range of valid ports is {self.range_text}"
            )
        return int(requested)

    @staticmethod
    def taken_error(requested: int) -> AllocationError:
        return AllocationError("provided port is already allocated")

    @staticmethod
    def full_error() -> AllocationError:
        return AllocationError("range is full")

    def candidates(self, probes: int = 128) -> Iterator[int]:
        """Random ports first, then every port in order."""
        for _ in range(probes):
            yield random.randint(self.low, self.high)
        yield from range(self.low, self.high + 1)

    def allocate(self, requested: int | None = None) -> int:
        if requested:
            self.validate(requested)
            if requested in self._used:
                raise self.taken_error(requested)
            self._used.add(requested)
            return requested
        if len(self._used) >= self.high - self.low + 1:
            raise self.full_error()
        for port in self.candidates():
            if port not in self._used:
                self._used.add(port)
                return port
        raise self.full_error()

    def release(self, port: int) -> None:
        self._used.discard(port)

    def mark(self, port: int) -> None:
        self._used.add(port)

    def members(self) -> list[int]:
        return sorted(self._used)

    def load(self, members: Iterable[int]) -> None:
        self._used = {int(p) for p in members}
