"""Image references: parsing, tags, and matching short names against containerd's names."""

from __future__ import annotations

import pytest

from steersman.images.reference import InvalidReference, matches, parse, with_tag

# containerd's spelling of short names, with a stand-in for its default domain.
HOST = "registry.invalid"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app", "app:latest"),
        ("app:1", "app:1"),
        ("team/app:1", "team/app:1"),
        ("steersman.local/pause:3.10", "steersman.local/pause:3.10"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/app:v2", "localhost:5000/app:v2"),
        ("host.example:5000/a/b/c:x.y-z", "host.example:5000/a/b/c:x.y-z"),
        ("app@sha256:" + "a" * 64, "app@sha256:" + "a" * 64),
    ],
)
def test_with_tag(name: str, expected: str) -> None:
    assert with_tag(name) == expected
    assert with_tag(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("stored", "wanted", "expected"),
    [
        (f"{HOST}/library/app:1", "app:1", True),
        (f"{HOST}/library/app:latest", "app", True),
        (f"{HOST}/library/app:1", "app:2", False),
        (f"{HOST}/team/app:1", "team/app:1", True),
        (f"{HOST}/library/app:1", "team/app:1", False),
        ("steersman.local/pause:3.10", "steersman.local/pause:3.10", True),
        ("steersman.local/pause:3.10", "pause:3.10", False),
        (f"{HOST}/library/app:1", f"{HOST}/library/app:1", True),
    ],
)
def test_matches(stored: str, wanted: str, expected: bool) -> None:
    assert matches(stored, wanted) is expected


def test_parse_splits_the_parts() -> None:
    ref = parse("steersman.local/tools/app:1.2")
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (
        "steersman.local",
        "tools/app",
        "1.2",
        "",
    )
    assert ref.repository == "steersman.local/tools/app"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "repository name must have at least one component"),
        ("App:1", "invalid reference format: repository name must be lowercase"),
        ("app:", "invalid reference format"),
        ("app:-x", "invalid reference format"),
        ("a//b", "invalid reference format"),
        ("app@sha256:short", "invalid reference format"),
    ],
)
def test_invalid(name: str, message: str) -> None:
    with pytest.raises(InvalidReference) as err:
        parse(name)
    assert str(err.value) == message
