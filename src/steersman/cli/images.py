"""`steersman images ...`: local images for the node's containerd (no registry here).

Invariants: every command talks to the containerd at `--address` (default: the one
`steersman up` starts, DATA_DIR/containerd/containerd.sock) in the `k8s.io` namespace, where
the CRI plugin looks; names are printed as containerd stores them (short names normalized, as
pods will find them). Exit codes:
0 ok, 1 failure (message on stderr), 2 usage.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from steersman.images import store
from steersman.images.build import BuiltImage, ImageConfig, build_rootfs_image
from steersman.images.reference import InvalidReference

T = TypeVar("T")


def default_address() -> Path:
    from steersman.cli.main import default_data_dir

    return default_data_dir() / "containerd" / "containerd.sock"


def _socket(address: Path | None) -> Path:
    path = address or default_address()
    if not path.is_socket():
        # ctr would wait for its dial timeout before saying the same thing less clearly.
        raise click.ClickException(f"no containerd socket at {path} (is the node running?)")
    return path


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except store.ImageStoreError as e:
        raise click.ClickException(str(e)) from None


def _argv(text: str | None) -> list[str] | None:
    """`["a","b"]` (exec form, JSON) or `a b` (split like a shell would, never run by one)."""
    if text is None:
        return None
    if text.lstrip().startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise click.BadParameter(f"not a JSON array: {e}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise click.BadParameter("must be a JSON array of strings")
        return value
    return shlex.split(text)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


address_option = click.option(
    "--address",
    type=click.Path(path_type=Path),
    default=None,
    help="containerd socket; default: DATA_DIR/containerd/containerd.sock",
)


@click.group()
def images() -> None:
    """Build and manage local images for the node's containerd."""


@images.command()
@click.option("-t", "--tag", "name", required=True, help="NAME:TAG of the image")
@click.option("--busybox", is_flag=True, help="a busybox-static root filesystem (bottom layer)")
@click.option(
    "--from",
    "from_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="a directory whose contents become a layer (above --busybox when both are given)",
)
@click.option("--entrypoint", default=None, help="JSON array or words: '[\"/bin/app\"]'")
@click.option("--cmd", default=None, help="JSON array or words: 'sh -c \"echo hi\"'")
@click.option("--env", "env", multiple=True, help="K=V (repeatable)")
@click.option("--workdir", default="", help="absolute working directory")
@click.option("--user", default="", help="user[:group] the container runs as")
@click.option("--expose", multiple=True, help="PORT[/PROTO] (repeatable)")
@click.option("--label", multiple=True, help="K=V (repeatable)")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="write the archive here instead of importing it",
)
@address_option
def build(
    name: str,
    busybox: bool,
    from_dir: Path | None,
    entrypoint: str | None,
    cmd: str | None,
    env: tuple[str, ...],
    workdir: str,
    user: str,
    expose: tuple[str, ...],
    label: tuple[str, ...],
    output: Path | None,
    address: Path | None,
) -> None:
    """Build an image (and import it, unless --output is given)."""
    if not busybox and from_dir is None:
        raise click.UsageError("one of --busybox or --from DIR is required")
    target = None if output is not None else _socket(address)
    labels = {}
    for item in label:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not K=V", param_hint="--label")
        labels[key] = value
    config = ImageConfig(
        entrypoint=_argv(entrypoint),
        cmd=_argv(cmd),
        env=env,
        working_dir=workdir,
        user=user,
        exposed_ports=expose,
        labels=labels,
    )
    try:
        if output is not None:
            built = build_rootfs_image(
                output, name=name, config=config, busybox=busybox, from_dir=from_dir
            )
            _report(built, f"wrote {output}")
            return
        with tempfile.TemporaryDirectory(prefix="steersman-build-") as tmp:
            built = build_rootfs_image(
                Path(tmp) / "image.tar",
                name=name,
                config=config,
                busybox=busybox,
                from_dir=from_dir,
            )
            assert target is not None
            _run(store.import_archive(target, built.archive))
        _report(built, "imported")
    except (InvalidReference, ValueError) as e:
        raise click.ClickException(str(e)) from None


def _report(built: BuiltImage, what: str) -> None:
    click.echo(f"{built.name} {built.manifest_digest} ({what})")


@images.command("import")
@click.argument("archive", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@address_option
def import_(archive: Path, address: Path | None) -> None:
    """Import an image archive (OCI layout or docker save format)."""
    for name in _run(store.import_archive(_socket(address), archive)):
        click.echo(name)


@images.command("ls")
@click.option("-q", "--quiet", is_flag=True, help="names only")
@address_option
def ls(quiet: bool, address: Path | None) -> None:
    """List images."""
    found = _run(store.list_images(_socket(address)))
    if quiet:
        for image in found:
            click.echo(image.name)
        return
    rows = [("NAME", "DIGEST", "SIZE")]
    rows += [(i.name, i.digest, _human(i.size)) for i in found]
    widths = [max(len(r[c]) for r in rows) for c in range(2)]
    for r in rows:
        click.echo(f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}   {r[2]}")


@images.command("rm")
@click.argument("names", nargs=-1, required=True)
@address_option
def rm(names: tuple[str, ...], address: Path | None) -> None:
    """Remove images by NAME:TAG."""
    failed = False
    for name in names:
        try:
            removed = _run(store.remove_image(_socket(address), name))
        except InvalidReference as e:
            click.echo(f"error: {name}: {e}", err=True)
            failed = True
            continue
        if removed:
            click.echo(f"deleted {name}")
        else:
            click.echo(f"error: {name}: image not found", err=True)
            failed = True
    if failed:
        sys.exit(1)
