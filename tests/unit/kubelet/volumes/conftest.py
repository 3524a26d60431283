"""Volume tests run on tmp dirs; anything a test left mounted there is unmounted afterwards."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mounts_under(root: Path) -> list[str]:
    base = os.path.realpath(root)
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == base or point.startswith(base + "/"):
                out.append(point)
    return out


@pytest.fixture(autouse=True)
def _unmount_leftovers(tmp_path: Path) -> Iterator[None]:
    yield
    for point in reversed(mounts_under(tmp_path)):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting tmpfs needs root")
