"""State survives a clean restart of `steersman up` and a `kill -9` of the API server.

These tests run private clusters (`fresh_cluster`), never the shared session cluster.
For `kill -9` the test kills the API server process: the PID `up` recorded in
`DIR/apiserver.pid` when the API server is a child process, else the `up` process itself (in
which case the test starts `up` again). Every create that was answered 201 before, during or
after the kill must be readable afterwards.
"""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest

from tests.e2e.harness import (
    DATA,
    Cluster,
    ConfigMapWriters,
    list_configmap_names,
    poll,
)

pytestmark = pytest.mark.e2e

WRITERS = 64


def test_restart_keeps_all_state(fresh_cluster: Any) -> None:
    c: Cluster = fresh_cluster()
    c.start()
    c.wait_ready()
    c.kubectl("create", "namespace", "keep")
    c.kubectl("apply", "-f", str(DATA / "multi.yaml"), "-n", "keep")
    c.kubectl("create", "secret", "generic", "keep-secret", "--from-literal=k=v", "-n", "keep")
    c.kubectl("label", "configmap", "multi-config", "restart=before", "-n", "keep")
    before = {
        kind: c.kubectl_json("get", kind, "-n", "keep")["items"]
        for kind in ("configmaps", "deployments", "services", "secrets")
    }
    kubeconfig_before = c.kubeconfig.read_text()
    max_rv = max(int(i["metadata"]["resourceVersion"]) for items in before.values() for i in items)

    c.stop()
    assert c.proc is not None and c.proc.returncode == 0, c.logs()
    assert c.component_pid("apiserver") is None, "the API server outlived `up`"

    c.start()
    c.wait_ready()
    # The PKI is reused: the old kubeconfig (same CA, same client cert) still works.
    assert c.kubeconfig.read_text() == kubeconfig_before
    assert c.kubectl_json("get", "namespace", "keep")["status"]["phase"] == "Active"
    for kind, items in before.items():
        after = {
            i["metadata"]["name"]: i for i in c.kubectl_json("get", kind, "-n", "keep")["items"]
        }
        for item in items:
            name = item["metadata"]["name"]
            assert name in after, (kind, name, sorted(after))
            assert after[name]["metadata"]["uid"] == item["metadata"]["uid"]
            if kind != "deployments":  # its controller may still be writing its status
                rv = item["metadata"]["resourceVersion"]
                assert after[name]["metadata"]["resourceVersion"] == rv
            assert after[name].get("spec") == item.get("spec")
            assert after[name].get("data") == item.get("data")
    # The clusterIP stays allocated to its service across the restart.
    svc_ip = before["services"][0]["spec"]["clusterIP"]
    clash = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "clash"},
        "spec": {"clusterIP": svc_ip, "ports": [{"port": 80}]},
    }
    res = c.kubectl("create", "-n", "keep", "-f", "-", input=json.dumps(clash), check=False)
    assert "provided IP is already allocated" in res.stderr, res.stderr
    # Resource versions keep growing after the restart.
    c.kubectl("label", "configmap", "multi-config", "restart=after", "--overwrite", "-n", "keep")
    new_rv = int(
        c.kubectl_json("get", "configmap", "multi-config", "-n", "keep")["metadata"][
            "resourceVersion"
        ]
    )
    assert new_rv > max_rv


def test_acknowledged_writes_survive_kill_9(fresh_cluster: Any) -> None:
    c: Cluster = fresh_cluster()
    c.start()
    c.wait_ready()
    writers = ConfigMapWriters(c, WRITERS).start()
    try:
        poll(lambda: writers.total >= 4 * WRITERS, timeout=15, what="writes before the kill")
        victim = c.component_pid("apiserver")
        killed_up = victim is None
        if victim is None:
            assert c.proc is not None
            victim = c.proc.pid
        os.kill(victim, signal.SIGKILL)
        acked_at_kill = writers.total
        if killed_up:
            assert c.proc is not None
            c.proc.wait(5)
            c.start()
        else:
            poll(
                lambda: c.component_pid("apiserver") not in (None, victim),
                timeout=15,
                what="`up` to restart the API server",
            )
        c.wait_ready()
        # Keep writing against the restarted server for a moment.
        target = writers.total + WRITERS
        poll(lambda: writers.total >= target, timeout=15, what="writes after the restart")
    finally:
        writers.stop(10)
    assert not writers.errors, writers.errors[:10]
    present = list_configmap_names(c.new_raw())
    all_acked = writers.names()
    missing = sorted(all_acked - present)
    assert not missing, (
        f"{len(missing)} of {len(all_acked)} acknowledged creates are lost "
        f"({acked_at_kill} acknowledged before the kill): {missing[:20]}\n{c.logs()}"
    )
