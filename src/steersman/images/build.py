"""Build an image archive without a registry or a daemon: a docker-style archive (`docker
save`'s format) in one tar.

The archive holds a `manifest.json` (Config, RepoTags, Layers) and the blobs it names under
`blobs/sha256/<hex>` (gzip layers and the image config). containerd 1.6 (`ctr images import`)
imports it through its docker path, which normalizes each tag to the spelling the CRI plugin
resolves pod images under (`app:1` → its default domain + `library/app:1`), so the project
never spells out that domain. (An OCI layout would be named verbatim from an annotation —
which would have to carry the domain — and ctr prefers the OCI path when `oci-layout` exists.)

Invariants:
- Reproducible: fixed mtimes and owners everywhere, canonical JSON (sorted keys, no spaces),
  a fixed `created`; the same inputs give byte-identical archives and the same digests.
- The config's rootfs.diff_ids are the sha256 of each uncompressed layer, in layer order; the
  manifest's layer descriptors are the gzip blobs, in the same order.
- The platform is the host's (the busybox binary and any copied files come from this host).
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import shutil
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steersman.images import reference
from steersman.images.layer import FIXED_MTIME, Entry, LayerBlob, write_layer
from steersman.images.rootfs import busybox_entries, directory_entries

MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_TYPE_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
# Docker's default PATH, which images conventionally carry in their config.
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CREATED = "2000-01-01T00:00:00Z"  # matches layer.FIXED_MTIME
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le"}


@dataclass(frozen=True)
class ImageConfig:
    """The runtime defaults an image carries (the OCI config's `config` object)."""

    entrypoint: Sequence[str] | None = None
    cmd: Sequence[str] | None = None
    env: Sequence[str] = ()
    working_dir: str = ""
    user: str = ""
    exposed_ports: Sequence[str] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    stop_signal: str = ""


@dataclass(frozen=True)
class BuiltImage:
    name: str  # the reference as given, with `latest` added when untagged
    archive: Path
    manifest_digest: str  # what `ctr images ls` shows as DIGEST
    config_digest: str  # the image ID the CRI reports
    layer_digests: tuple[str, ...]
    diff_ids: tuple[str, ...]
    size: int  # manifest + config + layers, as containerd counts an image's size


def host_platform() -> dict[str, str]:
    machine = platform.machine()
    return {"architecture": _GOARCH.get(machine, machine), "os": "linux"}


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def merged_env(env: Sequence[str]) -> list[str]:
    """PATH first (Docker's default unless the caller sets one), then `env` in order; later
    settings of a variable replace earlier ones in place."""
    out: dict[str, str] = {"PATH": DEFAULT_PATH}
    for item in env:
        key, sep, _ = item.partition("=")
        if not sep or not key:
            raise ValueError(f"environment variable {item!r} is not KEY=VALUE")
        out[key] = item
    return list(out.values())


def exposed_port(port: str) -> str:
    number, _, proto = port.partition("/")
    proto = (proto or "tcp").lower()
    if not number.isdigit() or not 0 < int(number) < 65536 or proto not in ("tcp", "udp", "sctp"):
        raise ValueError(f"invalid exposed port {port!r}")
    return f"{int(number)}/{proto}"


def image_config_json(config: ImageConfig, diff_ids: Sequence[str]) -> dict[str, Any]:
    runtime: dict[str, Any] = {"Env": merged_env(config.env)}
    if config.entrypoint is not None:
        runtime["Entrypoint"] = list(config.entrypoint)
    if config.cmd is not None:
        runtime["Cmd"] = list(config.cmd)
    if config.working_dir:
        if not config.working_dir.startswith("/"):
            raise ValueError(f"working directory {config.working_dir!r} is not absolute")
        runtime["WorkingDir"] = config.working_dir
    if config.user:
        runtime["User"] = config.user
    if config.exposed_ports:
        runtime["ExposedPorts"] = {exposed_port(p): {} for p in config.exposed_ports}
    if config.labels:
        runtime["Labels"] = dict(config.labels)
    if config.stop_signal:
        runtime["StopSignal"] = config.stop_signal
    return {
        **host_platform(),
        "created": CREATED,
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created": CREATED, "created_by": "steersman images build"} for _ in diff_ids],
    }


def build_image(
    out: Path, *, name: str, layers: Sequence[Sequence[Entry]], config: ImageConfig
) -> BuiltImage:
    """Write an OCI-layout archive for `name` with `layers` (bottom first) to `out`."""
    ref = reference.parse(name)
    if not ref.tag:
        raise reference.InvalidReference(f"{name!r}: an image to build needs a tag, not a digest")
    if not layers:
        raise ValueError("an image needs at least one layer")
    with tempfile.TemporaryDirectory(prefix="steersman-build-") as tmp:
        blobs: list[LayerBlob] = [
            write_layer(entries, Path(tmp) / f"layer{i}.tar.gz") for i, entries in enumerate(layers)
        ]
        config_bytes = canonical_json(image_config_json(config, [b.diff_id for b in blobs]))
        config_digest = digest_of(config_bytes)
        # The manifest containerd writes when it imports the archive (docker schema 2, Go's
        # compact JSON in struct field order): its digest is what `ctr images ls` shows.
        manifest = {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
            "config": _descriptor(MEDIA_TYPE_DOCKER_CONFIG, config_digest, len(config_bytes)),
            "layers": [_descriptor(MEDIA_TYPE_DOCKER_LAYER_GZIP, b.digest, b.size) for b in blobs],
        }
        manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
        manifest_digest = digest_of(manifest_bytes)
        docker_manifest = [
            {
                "Config": _blob_path(config_digest),
                "RepoTags": [str(ref)],
                "Layers": [_blob_path(b.digest) for b in blobs],
            }
        ]
        _write_archive(
            out,
            files={"manifest.json": canonical_json(docker_manifest)},
            blobs=[*((b.digest, b.path) for b in blobs), (config_digest, config_bytes)],
        )
    return BuiltImage(
        name=str(ref),
        archive=out,
        manifest_digest=manifest_digest,
        config_digest=digest_of(config_bytes),
        layer_digests=tuple(b.digest for b in blobs),
        diff_ids=tuple(b.diff_id for b in blobs),
        size=len(manifest_bytes) + len(config_bytes) + sum(b.size for b in blobs),
    )


def build_rootfs_image(
    out: Path,
    *,
    name: str,
    config: ImageConfig,
    busybox: bool = True,
    from_dir: Path | None = None,
) -> BuiltImage:
    """The common case: a busybox-static base and/or a local directory as the layer above it."""
    layers: list[list[Entry]] = []
    if busybox:
        layers.append(busybox_entries())
    if from_dir is not None:
        layers.append(directory_entries(from_dir))
    if not layers:
        raise ValueError("an image needs --busybox, a directory, or both")
    return build_image(out, name=name, layers=layers, config=config)


def _blob_path(digest: str) -> str:
    return "blobs/sha256/" + digest.removeprefix("sha256:")


def _descriptor(media_type: str, digest: str, size: int) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": size}


def _tar_info(name: str, *, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = size
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_archive(
    out: Path, *, files: Mapping[str, bytes], blobs: Sequence[tuple[str, Path | bytes]]
) -> None:
    tmp = out.with_name(out.name + ".tmp")
    try:
        _write_tar(tmp, files=files, blobs=blobs)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # Publish atomically: a half-written archive never sits under the final name.
    shutil.move(tmp, out)


def _write_tar(
    tmp: Path, *, files: Mapping[str, bytes], blobs: Sequence[tuple[str, Path | bytes]]
) -> None:
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tar_info("blobs", directory=True))
        tar.addfile(_tar_info("blobs/sha256", directory=True))
        written: set[str] = set()
        for digest, content in blobs:
            if digest in written:  # two identical layers are one blob
                continue
            written.add(digest)
            name = "blobs/sha256/" + digest.removeprefix("sha256:")
            if isinstance(content, bytes):
                tar.addfile(_tar_info(name, size=len(content)), io.BytesIO(content))
            else:
                with content.open("rb") as f:
                    tar.addfile(_tar_info(name, size=content.stat().st_size), f)
        for name, data in files.items():
            tar.addfile(_tar_info(name, size=len(data)), io.BytesIO(data))
