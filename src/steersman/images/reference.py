"""Image references: parsing, and matching a name as users write it (`app:1`) against the
name containerd stores.

containerd (its CRI plugin and `ctr images import` of a docker-style archive) stores short
names in their fully normalized spelling: a first path component without `.` or `:` (and not
`localhost`) is not a host, so containerd prepends its default domain, adds `library/` to
one-component names and `latest` to untagged ones. The project never spells that domain out
(nothing is ever fetched from it): archives carry short names and containerd normalizes them;
`matches` recognizes the normalized spelling of a short name. Our own images use a
local-looking first component (`steersman.local/...`) that is kept verbatim.

Invariants: pure functions; invalid references raise `InvalidReference` with distribution's
wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$")
_DOMAIN = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"(?::[0-9]+)?$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
NAME_TOTAL_LENGTH_MAX = 255


class InvalidReference(ValueError):
    """A string that is not an image reference (message as distribution words it)."""


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out


def parse(name: str) -> Reference:
    """Parse and normalize `name` (ParseNormalizedNamed + TagNameOnly)."""
    if not name:
        raise InvalidReference("repository name must have at least one component")
    rest, _, digest = name.partition("@")
    if digest and not _DIGEST.match(digest):
        raise InvalidReference("invalid reference format")
    # The tag is after the last ':' of the last path component (a ':' before a '/' is a port).
    tag = ""
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            raise InvalidReference("invalid reference format")
    domain, path = _split_domain(rest)
    if path.lower() != path:
        raise InvalidReference("invalid reference format: repository name must be lowercase")
    if (domain and not _DOMAIN.match(domain)) or not all(
        _COMPONENT.match(c) for c in path.split("/")
    ):
        raise InvalidReference("invalid reference format")
    if len(domain) + 1 + len(path) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(
            f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        )
    if not tag and not digest:
        tag = DEFAULT_TAG
    return Reference(domain=domain, path=path, tag=tag, digest=digest)


def with_tag(name: str) -> str:
    """`name` with `latest` added when it has neither tag nor digest (no domain is added)."""
    return str(parse(name))


def matches(stored: str, wanted: str) -> bool:
    """Whether containerd's `stored` name is the image a user means by `wanted`."""
    s, w = parse(stored), parse(wanted)
    if (s.tag, s.digest) != (w.tag, w.digest):
        return False
    if w.domain:
        return (s.domain, s.path) == (w.domain, w.path)
    if not s.domain:
        return s.path == w.path
    # A short name: containerd stored it under its default domain (whatever it is).
    expected = w.path if "/" in w.path else OFFICIAL_REPO_PREFIX + w.path
    return s.path == expected


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, remainder = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost"):
        return "", name
    return first, remainder
