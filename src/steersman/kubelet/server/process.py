"""`ContainerProcess` implementations over local child processes: pipes, or a pseudo-terminal.

`PipeProcess` wraps a child started with stdin/stdout/stderr pipes; `PtyProcess` wraps a
child whose terminal is a pty whose master end we hold (runc hands us that master through
its console socket; `spawn_local` opens one itself). `spawn_local` runs a command on this
host: the fake container runtime of tests and hollow nodes.

Invariants:
- Reads return b"" exactly once the stream ended (EOF on a pipe; EIO/EOF on a pty master,
  which is what Linux returns once the last slave descriptor is closed).
- With a tty there is no separate stderr: `read_stderr` returns b"" immediately.
- Closing stdin of a tty sends the terminal's EOF character (^D) instead of closing the
  master, which would hang up the terminal and lose the output still to be read.
- `abandon()` kills the child (SIGKILL) and never raises.
- The pty master is non-blocking and read through the event loop; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import pty
import shutil
import struct
import termios
import tty as tty_mod
from collections.abc import Mapping, Sequence

_CHUNK = 32 * 1024


class PipeProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc

    async def write_stdin(self, data: bytes) -> None:
        if self._proc.stdin is None or self._proc.stdin.is_closing():
            return
        self._proc.stdin.write(data)
        with contextlib.suppress(ConnectionError):
            await self._proc.stdin.drain()

    async def close_stdin(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.close()

    async def read_stdout(self) -> bytes:
        return await self._proc.stdout.read(_CHUNK) if self._proc.stdout else b""

    async def read_stderr(self) -> bytes:
        return await self._proc.stderr.read(_CHUNK) if self._proc.stderr else b""

    async def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int:
        return await self._proc.wait()

    async def abandon(self) -> None:
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        with contextlib.suppress(Exception):
            await self._proc.wait()


class PtyProcess:
    """A child on a pseudo-terminal; we own the master descriptor and close it at the end."""

    def __init__(self, master_fd: int, proc: asyncio.subprocess.Process) -> None:
        self._fd = master_fd
        self._proc = proc
        os.set_blocking(master_fd, False)
        self._loop = asyncio.get_running_loop()
        self._closed = False

    async def write_stdin(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._closed:
            try:
                written = os.write(self._fd, view)
                view = view[written:]
            except BlockingIOError:
                await self._wait_fd(writable=True)
            except OSError:
                return

    async def close_stdin(self) -> None:
        await self.write_stdin(b"\x04")

    async def read_stdout(self) -> bytes:
        while not self._closed:
            try:
                return os.read(self._fd, _CHUNK)
            except BlockingIOError:
                if self._proc.returncode is not None and not await self._readable_soon():
                    return b""
                await self._wait_fd(writable=False)
            except OSError as exc:
                if exc.errno == errno.EIO:  # every slave descriptor is closed: output ended
                    return b""
                raise
        return b""

    async def _readable_soon(self) -> bool:
        # The child has exited; its grandchildren may still hold the terminal. Give pending
        # output a moment, then call it the end.
        try:
            await asyncio.wait_for(self._wait_fd(writable=False), 0.2)
        except TimeoutError:
            return False
        return True

    async def _wait_fd(self, *, writable: bool) -> None:
        future: asyncio.Future[None] = self._loop.create_future()

        def ready() -> None:
            if not future.done():
                future.set_result(None)

        if writable:
            self._loop.add_writer(self._fd, ready)
        else:
            self._loop.add_reader(self._fd, ready)
        try:
            await future
        finally:
            if writable:
                self._loop.remove_writer(self._fd)
            else:
                self._loop.remove_reader(self._fd)

    async def read_stderr(self) -> bytes:
        return b""

    async def resize(self, width: int, height: int) -> None:
        if not self._closed:
            with contextlib.suppress(OSError):
                fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    async def wait(self) -> int:
        return await self._proc.wait()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self._fd)

    async def abandon(self) -> None:
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        with contextlib.suppress(Exception):
            await self._proc.wait()
        self.close()


async def spawn_local(
    command: Sequence[str],
    *,
    tty: bool,
    stdin: bool,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    raw: bool = False,
) -> PipeProcess | PtyProcess:
    """Start `command` on this host, as a container runtime would start it in a container.

    With `raw`, our terminal neither echoes nor edits lines: for a child that is itself a
    terminal proxy (runc), whose inner terminal does that.
    """
    if not tty:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
        return PipeProcess(proc)
    master, slave = pty.openpty()
    if raw:
        tty_mod.setraw(slave)
    # A new session whose controlling terminal is the pty, so job control and SIGWINCH reach
    # the child. util-linux `setsid --ctty` does it in the child; a Python preexec_fn cannot
    # run there under uvloop (the kubelet's loop).
    launcher = ["setsid", "--ctty"] if shutil.which("setsid") else []
    try:
        proc = await asyncio.create_subprocess_exec(
            *launcher,
            *command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            preexec_fn=None if launcher else _controlling_tty,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return PtyProcess(master, proc)


def _controlling_tty() -> None:
    # Runs in the child between fork and exec: a new session whose controlling terminal is
    # the pty on fd 0, so job control and SIGWINCH reach the shell.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
