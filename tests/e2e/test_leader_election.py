"""Leader election of the scheduler and the controller manager (kube-system Leases), through
kubectl: the leases are held; a controller manager killed with -9 is replaced by its restarted
successor within the lease duration, and controllers work again."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable

from tests.e2e.harness import Cluster, poll


def holder(c: Cluster, name: str) -> str:
    res = c.kubectl("get", "lease", name, "-n", "kube-system", "-o", "json", check=False)
    if res.returncode != 0:
        return ""
    return str(json.loads(res.stdout)["spec"].get("holderIdentity") or "")


def test_leases_are_held_and_a_killed_leader_is_replaced(
    fresh_cluster: Callable[[], Cluster],
) -> None:
    c = fresh_cluster()
    c.start()
    c.wait_ready()
    first = poll(lambda: holder(c, "kube-controller-manager"), what="controller-manager lease")
    assert poll(lambda: holder(c, "kube-scheduler"), what="scheduler lease")
    victim = c.component_pid("controller-manager")
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    # The successor waits for the lease to expire (15 s), then takes it.
    poll(
        lambda: holder(c, "kube-controller-manager") not in ("", first),
        what="a new controller-manager leader",
        timeout=40,
    )
    c.kubectl("create", "deployment", "after", "--image=busybox:1")
    poll(
        lambda: (
            c.kubectl("get", "replicasets", "-l", "app=after", "-o", "name").stdout.strip() != ""
        ),
        what="controllers working under the new leader",
        timeout=20,
    )
