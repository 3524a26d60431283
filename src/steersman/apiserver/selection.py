"""Label and field selection of objects for list, watch and deletecollection.

Invariants: a `Selection` built from empty selectors matches everything and `everything` is
True, so callers can skip decoding work; bad selectors raise 400 BadRequest. Objects are
matched in their stored shape; a group serving another group's objects (events.k8s.io) adds
its own field labels as aliases.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors, fields, label_selector_parser
from steersman.api.resources import ResourceInfo


class Selection:
    def __init__(
        self, info: ResourceInfo, label_selector: str = "", field_selector: str = ""
    ) -> None:
        self.info = info
        self._labels = None
        self._fields = None
        if label_selector.strip():
            try:
                self._labels = label_selector_parser.parse_selector(label_selector)
            except ValueError as exc:
                raise errors.bad_request_error(str(exc)) from None
        if field_selector.strip():
            try:
                self._fields = fields.parse_field_selector(field_selector)
                fields.check_supported(info.group, info.kind, self._fields)
            except ValueError as exc:
                raise errors.bad_request_error(str(exc)) from None
        self.everything = self._labels is None and self._fields is None

    def matches(self, obj: dict[str, Any]) -> bool:
        if self._labels is not None and not self._labels.matches(
            obj.get("metadata", {}).get("labels") or {}
        ):
            return False
        if self._fields is not None:
            return bool(
                self._fields.matches(
                    fields.served_field_set(
                        self.info.group, self.info.stored_group, self.info.kind, obj
                    )
                )
            )
        return True
