"""Objects served in a version (or group) other than the one they are stored in: a Table's rows
are printed from the stored object, the object it embeds (includeObject=Object) and watch
events come in the request's version."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from steersman.testing.control_plane import running_apiserver

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
EVENTS_V1 = "/apis/events.k8s.io/v1/namespaces/default/events"
HPA_V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"


async def _table(s: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with s.get(url, params={"includeObject": "Object"}, headers={"Accept": TABLE}) as r:
        assert r.status == 200, await r.text()
        return orjson.loads(await r.read())


async def test_tables_embed_the_requested_version() -> None:
    async with running_apiserver() as srv, aiohttp.ClientSession(srv.base_url) as s:
        core_event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "Poked",
            "message": "poked",
            "source": {"component": "test"},
            "firstTimestamp": "2026-12-07T10:00:00Z",
            "lastTimestamp": "2026-12-07T10:00:00Z",
        }
        async with s.post("/api/v1/namespaces/default/events", json=core_event) as r:
            assert r.status == 201
        hpa = {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                "maxReplicas": 3,
                "targetCPUUtilizationPercentage": 70,
            },
        }
        async with s.post(HPA_V1, json=hpa) as r:
            assert r.status == 201

        for url in (EVENTS_V1, f"{EVENTS_V1}/e"):
            table = await _table(s, url)
            (row,) = table["rows"]
            assert row["cells"][1:5] == ["", "Poked", "pod/p", ""]
            assert row["cells"][6] == "poked"
            assert row["object"]["apiVersion"] == "events.k8s.io/v1"
            assert row["object"]["note"] == "poked"
        (row,) = (await _table(s, HPA_V1))["rows"]
        assert row["object"]["apiVersion"] == "autoscaling/v1"
        assert row["object"]["spec"]["targetCPUUtilizationPercentage"] == 70


async def test_watch_tables_embed_the_requested_version() -> None:
    async with running_apiserver() as srv, aiohttp.ClientSession(srv.base_url) as s:
        params = {"watch": "1", "includeObject": "Everything"}
        async with s.get(EVENTS_V1, params=params, headers={"Accept": TABLE}) as r:
            assert r.status == 400
            assert orjson.loads(await r.read())["message"] == (
                'unrecognized includeObject value: "Everything"'
            )
        params = {"watch": "1", "includeObject": "Object"}
        async with s.get(EVENTS_V1, params=params, headers={"Accept": TABLE}) as watch:
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": "w"},
                "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
                "reason": "Seen",
                "message": "seen",
                "source": {"component": "test"},
            }
            async with s.post("/api/v1/namespaces/default/events", json=event) as r:
                assert r.status == 201
            line = await watch.content.readline()
            table = orjson.loads(line)["object"]
            (row,) = table["rows"]
            assert row["cells"][2] == "Seen"
            assert row["object"]["apiVersion"] == "events.k8s.io/v1"
            assert row["object"]["note"] == "seen"
