"""Server-side `Table` (meta.k8s.io/v1) rendering for `kubectl get`.

Invariants:
- Columns and cells are those of Kubernetes' pkg/printers/internalversion printers for every
  kind in `resources.RESOURCES`; kinds without a printer get the API server's default table
  (Name, Created At). Like kube-apiserver we always print the wide form: every column,
  priority-1 ones included (kubectl hides those unless `-o wide`).
- Cells are computed from the v1 JSON object exactly as the Go printers compute them from the
  internal object (missing fields read as Go zero values; v1 -> internal renames applied).
- One module per area holds its printers (`pods`, `workloads`, `core`, `networking`,
  `other`); `columns` and `format` hold what they share. Each (group, kind) has one printer.
Pure data apart from one lazy read of packaged schema data (column descriptions).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from steersman.api import errors
from steersman.api.resources import ResourceInfo
from steersman.api.tables import core, networking, other, pods, workloads
from steersman.api.tables.columns import AGE, META, NAME, Cells, Column, Obj, Printer, Printers
from steersman.api.tables.format import (
    get,
    layout_container_cells,
    name,
    parse_time,
    translate_timestamp_since,
)

__all__ = [
    "AGE",
    "INCLUDE_METADATA",
    "INCLUDE_NONE",
    "INCLUDE_OBJECT",
    "NAME",
    "Column",
    "build_table",
    "check_include_object",
    "column_definitions",
    "has_printer",
    "layout_container_cells",
    "parse_time",
    "row_cells",
    "translate_timestamp_since",
]

INCLUDE_OBJECT = "Object"
INCLUDE_METADATA = "Metadata"
INCLUDE_NONE = "None"


def _merge(*groups: Printers) -> Printers:
    merged: Printers = {}
    for group in groups:
        for key, printer in group.items():
            assert key not in merged, f"two printers for {key}"
            merged[key] = printer
    return merged


_PRINTERS = _merge(
    pods.PRINTERS, workloads.PRINTERS, core.PRINTERS, networking.PRINTERS, other.PRINTERS
)


def _default_cells(o: Obj, now: datetime.datetime) -> Cells:
    created = parse_time(get(o, "metadata", "creationTimestamp"))
    text = (
        "0001-01-01T00:00:00Z"
        if created is None
        else created.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return [name(o), text]


# rest.NewDefaultTableConvertor, for kinds without a printer.
_DEFAULT_PRINTER = Printer(
    (NAME, Column("Created At", "date", (META, "creationTimestamp"))), _default_cells
)


def has_printer(info: ResourceInfo) -> bool:
    return (info.group, info.kind) in _PRINTERS


Convert = Callable[[dict[str, Any]], dict[str, Any]]  # a stored object in the request's version


def _printer(info: ResourceInfo) -> Printer:
    # Rows are printed from the stored object, as Kubernetes prints the internal one: a group
    # serving another group's objects (events.k8s.io) prints with that group's printer.
    return _PRINTERS.get((info.stored_group, info.kind), _DEFAULT_PRINTER)


def column_definitions(info: ResourceInfo) -> list[dict[str, Any]]:
    """The Table's columnDefinitions for a resource (all columns: the server prints wide)."""
    return [c.definition() for c in _printer(info).columns]


def row_cells(info: ResourceInfo, obj: Obj, now: datetime.datetime) -> list[Any]:
    """One row's cells, computed as Kubernetes' printer for the kind computes them."""
    return _printer(info).cells(obj, now)


def _row_object(info: ResourceInfo, obj: Obj, include_object: str, out: Convert | None) -> Any:
    if include_object == INCLUDE_OBJECT:
        full = dict(obj) if out is None else out(dict(obj))
        full.setdefault("apiVersion", info.group_version)
        full.setdefault("kind", info.kind)
        return full
    if include_object in (INCLUDE_METADATA, ""):
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {},
        }
    if include_object == INCLUDE_NONE:
        return None
    check_include_object(include_object)


def check_include_object(include_object: str) -> None:
    """The 400 the API server answers for an includeObject it does not know."""
    if include_object not in (INCLUDE_OBJECT, INCLUDE_METADATA, INCLUDE_NONE, ""):
        raise errors.bad_request_error(
            f"unrecognized includeObject value: {errors.go_value(include_object)}"
        )


def build_table(
    info: ResourceInfo,
    objects: Sequence[Obj],
    *,
    now: datetime.datetime,
    include_object: str = INCLUDE_METADATA,
    resource_version: str = "",
    continue_token: str = "",
    remaining: int | None = None,
    no_headers: bool = False,
    out: Convert | None = None,
) -> dict[str, Any]:
    """A complete meta.k8s.io/v1 Table for `objects` (a list, or one object for a GET).

    `objects` are stored objects; `out` converts one to the request's version for
    includeObject=Object. Raises a 400 ApiError for an unknown `include_object`, as the API
    server does.
    """
    printer = _printer(info)
    rows: list[dict[str, Any]] = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj) if printer.conditions else None
        if conditions:
            row["conditions"] = conditions
        row["object"] = _row_object(info, obj, include_object, out)
        rows.append(row)
    meta: dict[str, Any] = {}
    if resource_version:
        meta["resourceVersion"] = resource_version
    if continue_token:
        meta["continue"] = continue_token
    if remaining is not None and continue_token:
        meta["remainingItemCount"] = remaining
    table: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    if not no_headers:
        table["columnDefinitions"] = [c.definition() for c in printer.columns]
    table["rows"] = rows
    return table
