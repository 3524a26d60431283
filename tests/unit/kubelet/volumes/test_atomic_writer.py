"""The atomic writer's layout, updates and path validation."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from steersman.kubelet.volumes.atomic_writer import FileProjection, validate_path, write
from steersman.kubelet.volumes.interface import VolumeError

T0 = datetime.datetime(2026, 11, 25, 10, 0, 0, tzinfo=datetime.UTC)


def fp(data: str, mode: int = 0o644) -> FileProjection:
    return FileProjection(data.encode(), mode)


def visible(target: Path) -> dict[str, str]:
    """What a reader of the volume sees: every regular file, by path, with its content."""
    out = {}
    for dirpath, _, files in os.walk(target, followlinks=True):
        rel = os.path.relpath(dirpath, target)
        if rel.split("/")[0].startswith(".."):
            continue
        for f in files:
            p = Path(dirpath, f)
            out[os.path.normpath(os.path.join(rel, f))] = p.read_text()
    return out


def test_first_write_layout(tmp_path: Path) -> None:
    payload = {"a": fp("1"), "dir/b": fp("2", 0o600), "dir/sub/c": fp("3", 0o400)}
    assert write(tmp_path, payload, now=T0)
    entries = sorted(os.listdir(tmp_path))
    ts = [e for e in entries if e.startswith("..2026_11_25_10_00_00.")]
    assert len(ts) == 1 and ts[0].split(".")[-1].isdigit()
    assert entries == sorted([ts[0], "..data", "a", "dir"])
    assert os.readlink(tmp_path / "..data") == ts[0]
    assert os.readlink(tmp_path / "a") == "..data/a"
    assert os.readlink(tmp_path / "dir") == "..data/dir"
    assert (tmp_path / ts[0]).stat().st_mode & 0o7777 == 0o755
    assert (tmp_path / "dir/b").stat().st_mode & 0o7777 == 0o600
    assert (tmp_path / "dir/sub/c").stat().st_mode & 0o7777 == 0o400
    assert visible(tmp_path) == {"a": "1", "dir/b": "2", "dir/sub/c": "3"}


def test_unchanged_payload_is_not_rewritten(tmp_path: Path) -> None:
    write(tmp_path, {"a": fp("1")}, now=T0)
    before = os.readlink(tmp_path / "..data")
    assert not write(tmp_path, {"a": fp("1")})
    assert os.readlink(tmp_path / "..data") == before


def test_update_swaps_data_and_prunes(tmp_path: Path) -> None:
    write(tmp_path, {"a": fp("1"), "gone": fp("x"), "dir/b": fp("2"), "dir/old": fp("o")}, now=T0)
    old_ts = os.readlink(tmp_path / "..data")
    assert write(tmp_path, {"a": fp("one"), "dir/b": fp("2"), "new": fp("n")})
    new_ts = os.readlink(tmp_path / "..data")
    assert new_ts != old_ts and not (tmp_path / old_ts).exists()
    assert not (tmp_path / "gone").is_symlink()
    assert not (tmp_path / "..data_tmp").exists()
    assert visible(tmp_path) == {"a": "one", "dir/b": "2", "new": "n"}


def test_removing_a_file_alone_triggers_a_write(tmp_path: Path) -> None:
    write(tmp_path, {"a": fp("1"), "b": fp("2")})
    assert write(tmp_path, {"a": fp("1")})
    assert visible(tmp_path) == {"a": "1"}


def test_empty_payload(tmp_path: Path) -> None:
    write(tmp_path, {})
    assert sorted(p for p in os.listdir(tmp_path) if not p.startswith("..2")) == ["..data"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", 'invalid path: must not be empty: ""'),
        ("/abs", "invalid path: must be relative path: /abs"),
        ("a/../b", "invalid path: must not contain '..': a/../b"),
        ("..a/b", "invalid path: must not start with '..': ..a/b"),
        ("x" * 256, "invalid path: filenames must be less than or equal to 255 characters"),
        ("a/" * 2049, "invalid path: must be less than or equal to 4096 characters"),
    ],
)
def test_validate_path(path: str, message: str) -> None:
    with pytest.raises(VolumeError) as err:
        validate_path(path)
    assert str(err.value) == message


def test_invalid_payload_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(VolumeError):
        write(tmp_path, {"ok": fp("1"), "../escape": fp("2")})
    assert os.listdir(tmp_path) == []
    with pytest.raises(VolumeError, match=r"must not start with '..': ..data"):
        validate_path("..data")  # the writer's own names are reserved
