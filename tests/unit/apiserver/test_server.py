"""API server process helpers."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from steersman.apiserver.server import release_startup_memory


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _has_malloc_trim() -> bool:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not _has_malloc_trim(), reason="needs glibc (Linux)")
def test_release_startup_memory_returns_freed_heap_to_the_os() -> None:
    # ~60 MB of malloc'd (not pymalloc: > 512 bytes) blocks, then a few live blocks above
    # them so glibc cannot simply shrink the heap's top when they are freed.
    blocks = [bytes(1000) + bytes([i % 256]) for i in range(60_000)]
    pins = [bytes(2000) + bytes([i]) for i in range(10)]
    before_free = _rss_mb()
    del blocks
    freed_but_kept = _rss_mb()
    release_startup_memory()
    after = _rss_mb()
    assert pins
    assert freed_but_kept > before_free - 20  # glibc kept the freed pages
    assert after < freed_but_kept - 40


def test_release_startup_memory_is_harmless_to_repeat() -> None:
    release_startup_memory()
    release_startup_memory()
