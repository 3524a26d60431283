"""Static pods: pod manifests in `--pod-manifest-path`, run by the kubelet without the API
server (Kubernetes' config/file.go and config/common.go applyDefaults).

Invariants:
- One pod per file (YAML or JSON); hidden files and directories are skipped; a file that does
  not parse as a Pod is logged and skipped, never stopping the others.
- A static pod's identity is derived, as upstream: name `<name>-<nodeName>`, namespace
  `default` unless given, uid = a hash of the manifest's content, the node name and the file's
  path (so an edited manifest is a new pod), `spec.nodeName` = this node, a toleration of every
  NoExecute taint, and the annotations kubernetes.io/config.hash|seen|source=file.
- `StaticPodSource.run` reports the full set whenever it changes (checked every `interval`).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml

log = logging.getLogger("steersman.kubelet.static")

CONFIG_HASH = "kubernetes.io/config.hash"
CONFIG_SEEN = "kubernetes.io/config.seen"
CONFIG_SOURCE = "kubernetes.io/config.source"
CONFIG_MIRROR = "kubernetes.io/config.mirror"


def static_pod_from_manifest(raw: dict[str, Any], path: Path, node_name: str) -> dict[str, Any]:
    if raw.get("kind") != "Pod" or raw.get("apiVersion") not in ("v1", None):
        raise ValueError(f"{path}: not a v1 Pod (kind={raw.get('kind')!r})")
    pod = orjson.loads(orjson.dumps(raw))
    meta = pod.setdefault("metadata", {})
    if not meta.get("name"):
        raise ValueError(f"{path}: metadata.name is required")
    hasher = hashlib.md5(usedforsecurity=False)
    hasher.update(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS))
    hasher.update(f"host:{node_name}".encode())
    hasher.update(f"file:{path}".encode())
    uid = meta.get("uid") or hasher.hexdigest()
    meta["uid"] = uid
    meta["name"] = f"{meta['name']}-{node_name}"
    meta.setdefault("namespace", "default")
    annotations = meta.setdefault("annotations", {})
    annotations[CONFIG_HASH] = uid
    annotations[CONFIG_SOURCE] = "file"
    annotations.setdefault(
        CONFIG_SEEN, datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
    spec = pod.setdefault("spec", {})
    spec["nodeName"] = node_name
    tolerations = spec.setdefault("tolerations", [])
    if not any(t.get("operator") == "Exists" and not t.get("key") for t in tolerations):
        tolerations.append({"operator": "Exists", "effect": "NoExecute"})
    pod["apiVersion"] = "v1"
    pod["kind"] = "Pod"
    return pod


def load_static_pods(directory: Path, node_name: str) -> list[dict[str, Any]]:
    pods: list[dict[str, Any]] = []
    if not directory.is_dir():
        return pods
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            raw = yaml.safe_load(path.read_bytes())
            if not isinstance(raw, dict):
                raise ValueError(f"{path}: not an object")
            pods.append(static_pod_from_manifest(raw, path, node_name))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            log.warning("static pod manifest %s skipped: %s", path, exc)
    return pods


def is_static_pod(pod: dict[str, Any]) -> bool:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return annotations.get(CONFIG_SOURCE, "api") != "api"


def is_mirror_pod(pod: dict[str, Any]) -> bool:
    return CONFIG_MIRROR in ((pod.get("metadata") or {}).get("annotations") or {})


class StaticPodSource:
    def __init__(
        self,
        directory: Path,
        node_name: str,
        on_change: Callable[[list[dict[str, Any]]], None],
        *,
        interval: float = 1.0,
    ) -> None:
        self.directory = directory
        self.node_name = node_name
        self.on_change = on_change
        self.interval = interval
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        self._uids: list[str] | None = None

    def _scan(self) -> tuple[tuple[str, int, int], ...]:
        if not self.directory.is_dir():
            return ()
        out = []
        for path in sorted(self.directory.iterdir()):
            try:
                st = path.stat()
            except OSError:
                continue
            out.append((path.name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def check(self) -> None:
        fingerprint = self._scan()
        if fingerprint == self._fingerprint:
            return
        self._fingerprint = fingerprint
        pods = load_static_pods(self.directory, self.node_name)
        uids = [p["metadata"]["uid"] for p in pods]
        if uids != self._uids:
            self._uids = uids
            self.on_change(pods)

    async def run(self) -> None:
        while True:
            try:
                self.check()
            except Exception:
                log.exception("static pod source")
            await asyncio.sleep(self.interval)
