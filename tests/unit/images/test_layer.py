"""Layers: ordering, digests of the gzip blob and of the uncompressed tar, reproducibility."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from steersman.images.layer import FIXED_MTIME, Entry, write_layer


def _members(blob: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(blob, "r:gz") as tar:
        return tar.getmembers()


def test_digests_describe_the_blob_and_the_tar(tmp_path: Path) -> None:
    out = tmp_path / "layer.tar.gz"
    layer = write_layer([Entry(path="etc/motd", type="file", mode=0o644, data=b"hi\n")], out)
    raw = out.read_bytes()
    assert layer.digest == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert layer.size == len(raw)
    assert layer.diff_id == "sha256:" + hashlib.sha256(gzip.decompress(raw)).hexdigest()
    assert layer.digest != layer.diff_id


def test_entries_are_sorted_parents_first_with_fixed_metadata(tmp_path: Path) -> None:
    entries = [
        Entry(path="/usr/bin/env", type="symlink", linkname="/bin/busybox"),
        Entry(path="usr-local", type="dir"),
        Entry(path="./usr/bin", type="dir"),
        Entry(path="usr", type="dir"),
        Entry(path="usr/bin/tool", type="file", mode=0o4755, data=b"x", uid=1000, gid=1000),
        Entry(path="usr/bin/tool2", type="hardlink", linkname="usr/bin/tool"),
    ]
    layer = write_layer(entries, tmp_path / "l.tgz")
    members = _members(layer.path)
    assert [m.name for m in members] == [
        "usr",
        "usr/bin",
        "usr/bin/env",
        "usr/bin/tool",
        "usr/bin/tool2",
        "usr-local",
    ]
    assert {m.mtime for m in members} == {FIXED_MTIME}
    assert {(m.uname, m.gname) for m in members} == {("", "")}
    tool = members[3]
    assert (tool.mode, tool.uid, tool.gid) == (0o4755, 1000, 1000)
    assert members[2].issym() and members[2].linkname == "/bin/busybox"
    assert members[4].islnk() and members[4].linkname == "usr/bin/tool"


def test_same_entries_same_bytes_in_any_input_order(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 100)
    entries = [
        Entry(path="bin", type="dir"),
        Entry(path="bin/a", type="file", source=src),
        Entry(path="bin/b", type="file", data=b"b"),
    ]
    one = write_layer(entries, tmp_path / "one")
    two = write_layer(list(reversed(entries)), tmp_path / "two")
    assert one.digest == two.digest
    assert (tmp_path / "one").read_bytes() == (tmp_path / "two").read_bytes()
    changed = write_layer(
        [*entries[:2], Entry(path="bin/b", type="file", data=b"c")], tmp_path / "3"
    )
    assert changed.digest != one.digest and changed.diff_id != one.diff_id


def test_file_content_round_trips(tmp_path: Path) -> None:
    src = tmp_path / "big"
    src.write_bytes(b"\0x" * 300_000)
    layer = write_layer([Entry(path="data", type="file", source=src)], tmp_path / "l")
    with tarfile.open(layer.path, "r:gz") as tar:
        f = tar.extractfile("data")
        assert f is not None and f.read() == src.read_bytes()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([Entry(path="a", type="dir"), Entry(path="/a/", type="dir")], "duplicate layer path 'a'"),
        ([Entry(path="../x", type="dir")], "layer path '../x' leaves the root"),
        ([Entry(path="/", type="dir")], "a layer entry cannot be the root itself"),
        ([Entry(path="f", type="file")], "file 'f' needs exactly one of data or source"),
    ],
)
def test_rejects_bad_entries(tmp_path: Path, entries: list[Entry], message: str) -> None:
    with pytest.raises(ValueError) as err:
        write_layer(entries, tmp_path / "l")
    assert str(err.value) == message


def test_gzip_header_has_no_name_or_time(tmp_path: Path) -> None:
    layer = write_layer([Entry(path="x", type="dir")], tmp_path / "named-file.tgz")
    header = layer.path.read_bytes()[:10]
    assert header[3] == 0  # FLG: no FNAME
    assert header[4:8] == b"\0\0\0\0"  # MTIME
    assert io.BytesIO(gzip.decompress(layer.path.read_bytes())).read(3) == b"x/\0"
