"""The sandbox ("pause") image every pod's sandbox container runs, built locally.

What runs as the sandbox's PID 1: busybox `sh` with

    trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done

- It sleeps forever (a backgrounded `sleep`, re-armed hourly) and holds the pod's namespaces.
- SIGTERM/SIGINT exit at once with status 0: PID 1 ignores signals it has no handler for,
  and the trap is that handler; `wait` is interruptible, so the trap runs immediately rather
  than when `sleep` ends. When PID 1 exits the kernel kills the rest of the PID namespace.
- Zombies are reaped: while blocked in `wait`, ash collects any child (waitpid(-1)), which
  includes processes re-parented to it in a pod that shares its PID namespace.

The image holds only /bin/busybox with `sh` and `sleep` links (plus the usual empty
directories and /etc/passwd). Its name looks local and is never pulled from anywhere.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from steersman.images import store
from steersman.images.build import BuiltImage, ImageConfig, build_image
from steersman.images.rootfs import BUSYBOX, busybox_entries

SANDBOX_IMAGE = "steersman.local/pause:3.10"
PAUSE_SCRIPT = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"
PAUSE_APPLETS = ["bin/sh", "bin/sleep"]


def sandbox_config() -> ImageConfig:
    return ImageConfig(
        entrypoint=["/bin/sh", "-c", PAUSE_SCRIPT],
        labels={"io.steersman.image": "pause"},
    )


def build_sandbox_image(
    out: Path, *, name: str = SANDBOX_IMAGE, busybox: Path = BUSYBOX
) -> BuiltImage:
    entries = busybox_entries(busybox, applets=PAUSE_APPLETS)
    return build_image(out, name=name, layers=[entries], config=sandbox_config())


async def ensure_sandbox_image(
    address: Path,
    *,
    name: str = SANDBOX_IMAGE,
    namespace: str = store.NAMESPACE,
    snapshotter: str | None = None,
) -> str:
    """Build and import the sandbox image unless containerd already has it; its name."""
    existing = await store.get_image(address, name, namespace=namespace)
    if existing is not None:
        return existing.name
    with tempfile.TemporaryDirectory(prefix="steersman-pause-") as tmp:
        built = build_sandbox_image(Path(tmp) / "pause.tar", name=name)
        await store.import_archive(
            address, built.archive, namespace=namespace, snapshotter=snapshotter
        )
    return built.name
