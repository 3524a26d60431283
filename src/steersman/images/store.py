"""The node's image store: containerd's `k8s.io` namespace, driven through `ctr`.

Invariants:
- Lookups match names as users write them against containerd's normalized names (`app:1` is
  `<default domain>/library/app:1`,
  as the CRI plugin resolves it), so what `import` stores is what a Pod's `image:` finds.
- Imports are unpacked into the snapshotter the CRI plugin uses (read from the node's
  containerd config beside the socket when there is one): the CRI plugin creates containers
  from unpacked snapshots, not from content blobs.
- The CRI plugin adds a `sha256:<image id>` reference for each image it sees; listings hide
  it, and removing the last name of an image removes it too, so the content can be collected.
- Only `ctr` talks to containerd (no second gRPC client for containerd's own API).
"""

from __future__ import annotations

import asyncio
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from steersman.images import reference

NAMESPACE = "k8s.io"
CTR_TIMEOUT = 120.0
_CRI_PLUGIN = "io.containerd.grpc.v1.cri"
_LS_LINE = re.compile(
    r"^(?P<name>\S+)\s+(?P<type>\S+)\s+(?P<digest>sha256:[0-9a-f]{64})\s+"
    r"(?P<size>[0-9.]+\s+[KMGTP]?i?B)\s+(?P<platforms>\S+)\s*(?P<labels>.*)$"
)
_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50}
_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


class ImageStoreError(RuntimeError):
    pass


@dataclass(frozen=True)
class ImageInfo:
    name: str  # normalized reference
    digest: str  # manifest (or index) digest
    size: int  # bytes: manifest + config + layers (as containerd counts an image)
    image_id: str  # config digest, the ID the CRI reports ("" when not a single manifest)


async def ctr(address: Path, *args: str, namespace: str = NAMESPACE) -> str:
    proc = await asyncio.create_subprocess_exec(
        "ctr",
        "--address",
        str(address),
        "-n",
        namespace,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CTR_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise ImageStoreError(f"ctr {args[0]}: no answer within {CTR_TIMEOUT:g}s") from None
    if proc.returncode != 0:
        raise ImageStoreError(f"ctr {' '.join(args)}: {err.decode(errors='replace').strip()}")
    return out.decode()


def cri_snapshotter(address: Path) -> str | None:
    """The snapshotter in the CRI config of the containerd whose socket is `address`, when its
    config.toml sits beside the socket (our node layout); None otherwise (ctr's default)."""
    config = address.parent / "config.toml"
    try:
        doc = tomllib.loads(config.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    value = doc.get("plugins", {}).get(_CRI_PLUGIN, {}).get("containerd", {}).get("snapshotter")
    return value if isinstance(value, str) and value else None


async def import_archive(
    address: Path, archive: Path, *, namespace: str = NAMESPACE, snapshotter: str | None = None
) -> list[str]:
    """Import and unpack an image archive; returns the names it stored."""
    args = ["images", "import"]
    snapshotter = snapshotter or cri_snapshotter(address)
    if snapshotter:
        args += ["--snapshotter", snapshotter]
    out = await ctr(address, *args, str(archive), namespace=namespace)
    # ctr reports each unpacked image as "unpacking NAME (sha256:...)...done".
    names = [m.group(1) for m in re.finditer(r"^unpacking (\S+) \(", out, re.MULTILINE)]
    if not names:
        raise ImageStoreError(f"{archive}: no named image in the archive")
    return names


async def list_images(address: Path, *, namespace: str = NAMESPACE) -> list[ImageInfo]:
    out = await ctr(address, "images", "ls", namespace=namespace)
    found: list[ImageInfo] = []
    for line in out.splitlines()[1:]:
        m = _LS_LINE.match(line.strip())
        if m is None or m["name"].startswith("sha256:"):
            continue
        size, image_id = await _manifest_size(address, m["digest"], namespace, m["type"])
        found.append(
            ImageInfo(
                name=m["name"],
                digest=m["digest"],
                size=size if size is not None else _parse_size(m["size"]),
                image_id=image_id,
            )
        )
    return sorted(found, key=lambda i: i.name)


async def get_image(address: Path, name: str, *, namespace: str = NAMESPACE) -> ImageInfo | None:
    return next(
        (
            i
            for i in await list_images(address, namespace=namespace)
            if reference.matches(i.name, name)
        ),
        None,
    )


async def remove_image(address: Path, name: str, *, namespace: str = NAMESPACE) -> bool:
    """Remove the image called `name`; False when there is none."""
    images = await list_images(address, namespace=namespace)
    target = next((i for i in images if reference.matches(i.name, name)), None)
    if target is None:
        return False
    refs = [target.name]
    still_named = any(i.image_id == target.image_id for i in images if i.name != target.name)
    if target.image_id and not still_named:
        # The CRI plugin's ID reference would otherwise keep the content alive.
        refs.append(target.image_id)
    await ctr(address, "images", "rm", "--sync", *refs, namespace=namespace)
    return True


async def _manifest_size(
    address: Path, digest: str, namespace: str, media_type: str
) -> tuple[int | None, str]:
    if media_type not in _MANIFEST_TYPES:
        return None, ""
    try:
        raw = await ctr(address, "content", "get", digest, namespace=namespace)
        manifest = json.loads(raw)
        config = manifest["config"]
        size = len(raw.encode()) + int(config["size"])
        size += sum(int(layer["size"]) for layer in manifest.get("layers", []))
        return size, str(config["digest"])
    except (ImageStoreError, ValueError, KeyError, TypeError):
        return None, ""


def _parse_size(text: str) -> int:
    number, unit = text.split()
    return int(float(number) * _UNITS.get(unit, 1))
