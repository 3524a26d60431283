"""Returning start-up memory to the OS (shared by every long-running component).

Invariant: safe anywhere — on glibc, `malloc_trim(0)` releases whole free heap pages kept in its
arenas; elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import gc


def release_startup_memory() -> None:
    """Collect start-up's garbage and return the freed heap pages to the OS.

    glibc keeps freed memory in its arenas for reuse; `malloc_trim(0)` releases every whole
    free page (a one-off ~ms call). Elsewhere (musl, macOS) there is nothing to do.
    """
    gc.collect()
    try:
        malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    malloc_trim(0)
