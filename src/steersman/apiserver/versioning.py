"""The version a request is served in, and the conversions to and from the stored version.

Invariants:
- Handlers decode a body in the request's version and convert it `to_storage` before the
  registry sees it; everything the registry returns is converted `from_storage` before it is
  encoded (objects, list items, watch events). The registry and storage only ever hold the
  stored version.
- A body that cannot be converted is 400 BadRequest; nothing is written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from steersman.api import errors
from steersman.api.conversion import ConversionError, Converter, converter_for
from steersman.api.resources import ResourceInfo


@dataclass(frozen=True, slots=True)
class Served:
    info: ResourceInfo  # the resource in the request's version
    converter: Converter | None  # None: the request's version is the stored one

    def to_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.converter is None:
            return obj
        try:
            return self.converter.to_storage(obj)
        except ConversionError as exc:
            raise errors.bad_request_error(str(exc)) from None

    def from_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.converter is None:
            return obj
        return self.converter.from_storage(obj)


@functools.cache
def served(info: ResourceInfo) -> Served:
    return Served(info, converter_for(info))
