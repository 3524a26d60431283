"""Static pod manifests: identity, defaults, change detection, bad files skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steersman.kubelet.sources.static import (
    CONFIG_HASH,
    CONFIG_SOURCE,
    StaticPodSource,
    is_static_pod,
    load_static_pods,
)

MANIFEST = """
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: busybox:1
"""


def test_static_pod_identity_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(MANIFEST)
    (tmp_path / ".hidden.yaml").write_text(MANIFEST)
    (tmp_path / "broken.yaml").write_text("kind: [")
    (tmp_path / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    (pod,) = load_static_pods(tmp_path, "node-a")
    meta = pod["metadata"]
    assert meta["name"] == "web-node-a" and meta["namespace"] == "default"
    assert len(meta["uid"]) == 32 and meta["annotations"][CONFIG_HASH] == meta["uid"]
    assert meta["annotations"][CONFIG_SOURCE] == "file"
    assert pod["spec"]["nodeName"] == "node-a"
    assert {"operator": "Exists", "effect": "NoExecute"} in pod["spec"]["tolerations"]
    assert is_static_pod(pod)
    # Same manifest, other node or other content: another uid; same inputs: the same uid.
    assert load_static_pods(tmp_path, "node-b")[0]["metadata"]["uid"] != meta["uid"]
    assert load_static_pods(tmp_path, "node-a")[0]["metadata"]["uid"] == meta["uid"]
    (tmp_path / "web.yaml").write_text(MANIFEST.replace("busybox:1", "busybox:2"))
    assert load_static_pods(tmp_path, "node-a")[0]["metadata"]["uid"] != meta["uid"]


def test_source_reports_changes_only(tmp_path: Path) -> None:
    seen: list[list[dict[str, Any]]] = []
    source = StaticPodSource(tmp_path / "manifests", "node-a", seen.append)
    source.check()
    assert seen == [[]]  # the initial (empty) set is reported once
    source.check()
    assert len(seen) == 1
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "web.yaml").write_text(MANIFEST)
    source.check()
    assert [p["metadata"]["name"] for p in seen[-1]] == ["web-node-a"]
    (tmp_path / "manifests" / "web.yaml").unlink()
    source.check()
    assert seen[-1] == []
