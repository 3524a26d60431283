"""Open a TCP connection to localhost:port inside another network namespace.

Port-forward reaches a pod's port on the pod's own loopback, as containerd does: enter the
pod's network namespace, connect to 127.0.0.1 (then ::1), come back. setns(2) changes the
namespace of the calling *thread* only, and Python 3.11 has no os.setns, so a dedicated
short-lived thread calls it through ctypes, creates and connects the socket, switches back
to the namespace it started in and exits. A socket stays bound to the namespace it was
created in, so the event loop can use it afterwards from any thread.

Invariants:
- The event loop's threads never change namespace; the helper thread always tries to switch
  back, and if that fails it is a fresh thread that ends right away, so no other work ever
  runs in the wrong namespace.
- `netns=None` connects in this process's own namespace (fake hosts, tests).
- Errors carry containerd's wording: `failed to connect to localhost:<port> inside
  namespace "<path>", IPv4: ... IPv6 ...`.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import socket
import threading

CLONE_NEWNET = 0x40000000
_CONNECT_TIMEOUT = 10.0

_libc: ctypes.CDLL | None = None


def _setns(fd: int, nstype: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if _libc.setns(fd, nstype) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def _dial(port: int) -> socket.socket:
    errors: list[str] = []
    for family, host, label in (
        (socket.AF_INET, "127.0.0.1", "tcp4"),
        (socket.AF_INET6, "::1", "tcp6"),
    ):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(_CONNECT_TIMEOUT)
        try:
            sock.connect((host, port))
        except OSError as exc:
            sock.close()
            shown = f"[{host}]" if family == socket.AF_INET6 else host
            reason = (exc.strerror or str(exc)).lower()
            errors.append(f"dial {label} {shown}:{port}: connect: {reason}")
            continue
        sock.setblocking(False)
        return sock
    raise ConnectionRefusedError(f"IPv4: {errors[0]} IPv6 {errors[1]} ")


def _dial_in(netns: str, port: int) -> socket.socket:
    result: list[socket.socket] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            own = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
            try:
                target = os.open(netns, os.O_RDONLY)
                try:
                    _setns(target, CLONE_NEWNET)
                finally:
                    os.close(target)
                try:
                    result.append(_dial(port))
                finally:
                    _setns(own, CLONE_NEWNET)
            finally:
                os.close(own)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="netns-dial", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


async def open_connection(
    netns: str | None, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A stream pair connected to localhost:`port` inside `netns` (a /proc or /run path)."""
    loop = asyncio.get_running_loop()
    try:
        if netns is None:
            sock = await loop.run_in_executor(None, _dial, port)
        else:
            sock = await asyncio.to_thread(_dial_in, netns, port)
    except ConnectionRefusedError as exc:
        where = netns if netns is not None else "(host)"
        raise ConnectionRefusedError(
            f'failed to connect to localhost:{port} inside namespace "{where}", {exc}'
        ) from exc
    return await asyncio.open_connection(sock=sock)
