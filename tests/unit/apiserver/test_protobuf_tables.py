"""Every decoder table, field by field, against a transcription of upstream generated.proto.

`data/k8s_v1_36_subset.proto` holds the upstream message definitions (field numbers, types,
names) for every message the decoder walks; this test loads it into real protobuf
descriptors and checks that each table reachable from `MESSAGES` lists exactly upstream's
field numbers, under upstream's JSON names, with a matching type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor

from steersman.apiserver.protobuf import MESSAGES
from steersman.apiserver.protobuf import decode as d
from tests.unit.apiserver.proto_schema import build

SCHEMA = build((Path(__file__).parent / "data" / "k8s_v1_36_subset.proto").read_text())

_SCALAR_TYPES = {
    d.STRING: FieldDescriptor.TYPE_STRING,
    d.BYTES: FieldDescriptor.TYPE_BYTES,
    d.INT32: FieldDescriptor.TYPE_INT32,
    d.INT64: FieldDescriptor.TYPE_INT64,
    d.BOOL: FieldDescriptor.TYPE_BOOL,
}
_VALUE_MESSAGES = {
    d.TIME: "Time",
    d.QUANTITY: "Quantity",
    d.INT_OR_STRING: "IntOrString",
    d.FIELDS_V1: "FieldsV1",
}
_MAP_VALUES: dict[str, Any] = {
    d.STRING_MAP: FieldDescriptor.TYPE_STRING,
    d.BYTES_MAP: FieldDescriptor.TYPE_BYTES,
    d.QUANTITY_MAP: "Quantity",
    d.TIME_MAP: "Time",
}


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.message_type is not None and fd.message_type.GetOptions().map_entry


def _compare(msg: d.Message, desc: Any, path: str, seen: set[tuple[int, str]]) -> list[str]:
    """Differences between a decoder table and a descriptor (recursing into messages)."""
    key = (id(msg), desc.full_name)
    if key in seen:
        return []
    seen.add(key)
    problems: list[str] = []
    upstream = {fd.number: fd for fd in desc.fields}
    for number in sorted(set(msg.fields) - set(upstream)):
        problems.append(f"{path} ({desc.name}): field {number} is not upstream's")
    for number, fd in sorted(upstream.items()):
        spec = msg.fields.get(number)
        where = f"{path}.{fd.name}" if path else fd.name
        if spec is None:
            problems.append(f"{where} ({desc.name} field {number}) is missing")
            continue
        if spec.name != fd.name and spec.kind != d.INLINE:
            problems.append(f"{where}: decoder names field {number} {spec.name!r}")
        if spec.kind == d.UNSUPPORTED:
            if fd.type != FieldDescriptor.TYPE_MESSAGE:
                problems.append(f"{where}: only messages may be unsupported")
            continue
        if spec.kind in _MAP_VALUES:
            if not _is_map(fd):
                problems.append(f"{where}: decoder has a map, upstream does not")
                continue
            value = fd.message_type.fields_by_name["value"]
            want = _MAP_VALUES[spec.kind]
            got = value.message_type.name if value.message_type else value.type
            if got != want:
                problems.append(f"{where}: map value {got!r}, decoder expects {want!r}")
            continue
        if _is_map(fd):
            problems.append(f"{where}: upstream has a map, decoder has {spec.kind}")
            continue
        if bool(fd.is_repeated) != spec.repeated:
            problems.append(f"{where}: repeated mismatch")
        if spec.kind in _SCALAR_TYPES:
            if fd.type != _SCALAR_TYPES[spec.kind]:
                problems.append(f"{where}: type {fd.type}, decoder reads {spec.kind}")
        elif spec.kind in _VALUE_MESSAGES:
            got = fd.message_type.name if fd.message_type else fd.type
            if got != _VALUE_MESSAGES[spec.kind]:
                problems.append(f"{where}: upstream type {got!r}, decoder reads {spec.kind}")
        else:
            assert spec.message is not None
            if fd.message_type is None:
                problems.append(f"{where}: upstream is a scalar, decoder a message")
                continue
            problems.extend(_compare(spec.message, fd.message_type, where, seen))
    return problems


@pytest.mark.parametrize(("group", "kind"), sorted(MESSAGES))
def test_table_matches_upstream(group: str, kind: str) -> None:
    desc = SCHEMA[kind].DESCRIPTOR
    assert _compare(MESSAGES[(group, kind)], desc, "", set()) == []


def test_comparison_catches_a_wrong_number() -> None:
    # The check itself must be able to fail: a table with a shifted number is reported.
    wrong = d.Message(
        "Subject", {1: d.string("kind"), 2: d.string("apiGroup"), 5: d.string("name")}
    )
    problems = _compare(wrong, SCHEMA["Subject"].DESCRIPTOR, "", set())
    assert "Subject): field 5 is not upstream's" in problems[0]
    assert any("name (Subject field 3) is missing" in p for p in problems)
