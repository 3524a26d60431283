"""Helpers for e2e tests on a cluster with a real node: building pod manifests, applying them
through kubectl, reading pod state, building local images."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.e2e.harness import Cluster

IMAGE = "e2e-busybox:1"


def images(c: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    socket = c.data_dir / "containerd" / "containerd.sock"
    return subprocess.run(
        [sys.executable, "-m", "steersman", "images", *args, "--address", str(socket)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def apply(c: Cluster, ns: str, obj: dict[str, Any]) -> None:
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(obj))


def pod(name: str, command: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": IMAGE, "command": ["sh", "-c", command]}
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], "terminationGracePeriodSeconds": 2, **spec},
    }


def get(c: Cluster, ns: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = c.kubectl_json("get", "pod", name, "-n", ns)
    return result


def phase(c: Cluster, ns: str, name: str) -> str:
    return str(get(c, ns, name).get("status", {}).get("phase", ""))


def state(c: Cluster, ns: str, name: str, index: int = 0) -> dict[str, Any]:
    statuses = get(c, ns, name).get("status", {}).get("containerStatuses") or []
    return statuses[index] if len(statuses) > index else {}
