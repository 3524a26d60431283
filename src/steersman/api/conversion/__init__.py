"""Conversion between the versions a resource is served in and the one it is stored in.

A resource served in several versions is stored in one (its `storage_version`, see
`api.resources`), and a kind served by two groups in one of them (`storage_group`:
events.k8s.io Events are core Events); requests in another version are converted on the way
in and responses on the way out, as kube-apiserver does through its internal version.

Invariants:
- `to_storage(from_storage(x))` keeps everything the stored version holds: what the served
  version has no field for travels in annotations, as Kubernetes does for autoscaling/v1.
- Converters never mutate their argument; they return new dicts (sharing unchanged leaves).
- A served version equal to the stored one has no converter (`converter_for` returns None).
Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from steersman.api.resources import ResourceInfo

Obj = dict[str, Any]


class ConversionError(ValueError):
    """The object cannot be expressed in the target version (a 4xx for the request)."""


class Convert(Protocol):
    def __call__(self, obj: Obj) -> Obj: ...


@dataclass(frozen=True, slots=True)
class Converter:
    """The two directions between one served version and the stored version of a kind."""

    to_storage: Convert
    from_storage: Convert


def converter_for(info: ResourceInfo) -> Converter | None:
    """The converter for requests to `info`'s version, or None when it is the stored one."""
    if info.storage_group is None and (
        not info.storage_version or info.storage_version == info.version
    ):
        return None
    from steersman.api.conversion import autoscaling, events

    converters: dict[tuple[str, str, str], Converter] = {
        ("autoscaling", "v1", "HorizontalPodAutoscaler"): Converter(
            autoscaling.hpa_v1_to_v2, autoscaling.hpa_v2_to_v1
        ),
        ("events.k8s.io", "v1", "Event"): Converter(
            events.events_v1_to_core, events.core_to_events_v1
        ),
    }
    found = converters.get((info.group, info.version, info.kind))
    if found is None:
        raise KeyError(f"no conversion for {info.group_version} {info.kind}")
    return found
