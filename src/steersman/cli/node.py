"""The node's runtime set-up for `steersman kubelet --containerd-dir DIR` (what `up` uses):
the egress guard first, then the CNI conflist, containerd, and the sandbox image.

Invariants:
- The egress guard is installed before anything can create pod networking, and removed only
  on a clean shutdown (a crashed kubelet leaves it in place: traffic stays safe).
- containerd is reused when one already answers at DIR's socket (a restarted kubelet adopts the
  running containers); otherwise it is started and owned by this process. A reused containerd
  that a kubelet started (marked by DIR/containerd.owner) is owned by its successor.
- `teardown` (clean shutdown only) stops and removes every pod sandbox, stops the containerd
  this process started, and removes the guard: `steersman down` leaves nothing running.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from steersman.images.sandbox import ensure_sandbox_image
from steersman.kubelet.network.cni import write_conflist
from steersman.kubelet.network.egress_guard import CHAIN, EgressGuard
from steersman.kubelet.runtime.containerd import Containerd
from steersman.kubelet.runtime.interface import Runtime, RuntimeApiError

OWNER_MARK = "containerd.owner"  # present while a kubelet-started containerd runs
log = logging.getLogger("steersman.node")


def _unmount_under(base: Path) -> None:
    """Lazy-unmount whatever containerd left mounted under its directories (sandbox /dev/shm,
    rootfs snapshots of containers it could not remove), deepest first."""
    prefix = str(base) + "/"
    try:
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
    except OSError:
        return
    for point in sorted((p for p in points if p.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


class NodeRuntimeSetup:
    def __init__(
        self,
        base_dir: Path,
        *,
        pod_cidr: str,
        service_cidr: str,
        bridge: str = "steersman0",
        guard_chain: str = CHAIN,
    ) -> None:
        self.base_dir = base_dir
        self.pod_cidr = pod_cidr
        self.guard = EgressGuard(cluster_cidrs=[pod_cidr, service_cidr], chain=guard_chain)
        self.containerd = Containerd(base_dir)
        self.bridge = bridge
        self._owns_containerd = False

    @property
    def address(self) -> str:
        return str(self.containerd.address)

    async def start(self) -> None:
        self.guard.install()
        write_conflist(
            self.containerd.cni_conf_dir,
            pod_cidr=self.pod_cidr,
            bridge=self.bridge,
            ipam_data_dir=self.base_dir / "ipam",
        )
        already = await self.containerd.answers()
        await self.containerd.start()
        owner_mark = self.base_dir / OWNER_MARK
        if not already:
            owner_mark.write_text("kubelet\n")
        # A containerd that an earlier kubelet of this dir started (and died without stopping)
        # is ours too: a clean shutdown after a kubelet restart must not leave it running.
        self._owns_containerd = not already or owner_mark.exists()
        if self.containerd.pid is not None:
            # Recorded so that whoever started us can reap it should we die uncleanly.
            (self.base_dir / "containerd.pid").write_text(f"{self.containerd.pid}\n")
        await ensure_sandbox_image(self.containerd.address, snapshotter=self.containerd.snapshotter)

    async def teardown(self, runtime: Runtime | None) -> None:
        if runtime is not None:
            try:
                sandboxes = await runtime.list_pod_sandbox()
            except RuntimeApiError as exc:
                log.warning("listing pods on shutdown: %s", exc)
                sandboxes = []
            for sandbox in sandboxes:
                try:
                    await runtime.stop_pod_sandbox(sandbox.id)
                    await runtime.remove_pod_sandbox(sandbox.id)
                except RuntimeApiError as exc:
                    log.warning("removing pod sandbox %s on shutdown: %s", sandbox.id, exc)
        if self._owns_containerd:
            if self.containerd.pid is not None:
                await self.containerd.stop()
            else:
                await self.containerd.stop_recorded()
            (self.base_dir / "containerd.pid").unlink(missing_ok=True)
            (self.base_dir / OWNER_MARK).unlink(missing_ok=True)
            _unmount_under(self.base_dir)
        # The CNI bridge outlives containerd; with no pods left it goes too.
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        self.guard.remove()
