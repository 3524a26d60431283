"""events.k8s.io/v1 Events are core Events: the conversion both ways, and the move of Events an
earlier version stored apart."""

from __future__ import annotations

import orjson

from steersman.api.conversion.events import core_to_events_v1, events_v1_to_core
from steersman.apiserver.bootstrap import move_events_k8s_io_events
from steersman.storage import MemoryStore

EVENT_V1 = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "e", "namespace": "default"},
    "eventTime": "2026-12-07T10:00:00.000000Z",
    "series": {"count": 3, "lastObservedTime": "2026-12-07T10:05:00.000000Z"},
    "reportingController": "example.com/ctl",
    "reportingInstance": "ctl-1",
    "action": "Sync",
    "reason": "Synced",
    "regarding": {"kind": "Pod", "namespace": "default", "name": "p"},
    "related": {"kind": "Node", "name": "n"},
    "note": "all good",
    "type": "Normal",
    "deprecatedSource": {"component": "ctl"},
    "deprecatedFirstTimestamp": "2026-12-07T10:00:00Z",
    "deprecatedLastTimestamp": "2026-12-07T10:05:00Z",
    "deprecatedCount": 3,
}


def test_every_field_maps_and_comes_back() -> None:
    core = events_v1_to_core(EVENT_V1)
    assert core == {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": EVENT_V1["metadata"],
        "involvedObject": EVENT_V1["regarding"],
        "reason": "Synced",
        "message": "all good",
        "source": {"component": "ctl"},
        "firstTimestamp": "2026-12-07T10:00:00Z",
        "lastTimestamp": "2026-12-07T10:05:00Z",
        "count": 3,
        "type": "Normal",
        "eventTime": "2026-12-07T10:00:00.000000Z",
        "series": EVENT_V1["series"],
        "action": "Sync",
        "related": EVENT_V1["related"],
        "reportingComponent": "example.com/ctl",
        "reportingInstance": "ctl-1",
    }
    assert core_to_events_v1(core) == EVENT_V1


def test_unset_fields_as_go_encodes_them() -> None:
    minimal = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "m"}}
    assert core_to_events_v1(minimal) == {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "m"},
        "eventTime": None,
        "regarding": {},
        "deprecatedSource": {},
        "deprecatedFirstTimestamp": None,
        "deprecatedLastTimestamp": None,
    }
    assert events_v1_to_core({"metadata": {"name": "m"}}) == {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "m"},
        "involvedObject": {},
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }


async def test_events_stored_apart_move_to_the_core_keys() -> None:
    store = MemoryStore()
    old = "/registry/events.k8s.io/events/default/e"
    await store.create(old, orjson.dumps(EVENT_V1))
    clash = "/registry/events.k8s.io/events/default/taken"
    await store.create(clash, orjson.dumps({**EVENT_V1, "metadata": {"name": "taken"}}))
    await store.create("/registry/events/default/taken", b'{"kept": true}')

    await move_events_k8s_io_events(store)
    await move_events_k8s_io_events(store)  # idempotent

    assert await store.count("/registry/events.k8s.io/") == 0
    moved = await store.get("/registry/events/default/e")
    assert moved is not None
    assert orjson.loads(moved.value) == events_v1_to_core(EVENT_V1)
    kept = await store.get("/registry/events/default/taken")
    assert kept is not None and orjson.loads(kept.value) == {"kept": True}
