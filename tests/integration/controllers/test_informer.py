"""Informer against an in-process API server: list, watch, relist after 410."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from steersman.api.resources import lookup
from steersman.client.informer import Informer, _Relist
from steersman.client.rest import RestClient
from steersman.testing.control_plane import RunningApiServer, running_apiserver

CONFIGMAPS = lookup("", "v1", "configmaps")
assert CONFIGMAPS is not None


@pytest.fixture
async def server() -> AsyncIterator[RunningApiServer]:
    async with running_apiserver() as srv:
        yield srv


@pytest.fixture
async def client(server: RunningApiServer) -> AsyncIterator[RestClient]:
    c = RestClient(server.base_url)
    yield c
    await c.close()


def configmap(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running(informer: Informer) -> AsyncIterator[None]:
    task = asyncio.create_task(informer.run())
    try:
        await asyncio.wait_for(informer.synced.wait(), 5)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_lists_pages_then_follows_watch_events(client: RestClient) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    for i in range(7):
        await client.create(path, configmap(f"pre-{i}"))
    events: list[tuple[str, str]] = []
    informer = Informer(client, CONFIGMAPS, namespace="default")
    informer.add_event_handler(
        on_add=lambda o: events.append(("add", o["metadata"]["name"])),
        on_update=lambda old, new: events.append(("update", new["metadata"]["name"])),
        on_delete=lambda o: events.append(("delete", o["metadata"]["name"])),
    )
    import steersman.client.informer as informer_module

    page_size = informer_module.PAGE_SIZE
    informer_module.PAGE_SIZE = 3  # force paging with continue tokens
    try:
        async with running(informer):
            names = {o["metadata"]["name"] for o in informer.store.list()}
            assert {f"pre-{i}" for i in range(7)} <= names
            cached = informer.get("default", "pre-0")
            assert cached is not None and cached["kind"] == "ConfigMap"
            assert cached["apiVersion"] == "v1"
            await client.create(path, configmap("live"))
            await client.patch(f"{path}/pre-1", {"data": {"k": "v"}})
            await client.delete(f"{path}/pre-2")
            await until(lambda: ("delete", "pre-2") in events)
            assert ("add", "live") in events and ("update", "pre-1") in events
            assert informer.get("default", "pre-2") is None
            updated = informer.get("default", "pre-1")
            assert updated is not None and updated["data"] == {"k": "v"}
    finally:
        informer_module.PAGE_SIZE = page_size


async def test_compacted_watch_forces_relist_that_reports_what_changed(
    server: RunningApiServer, client: RestClient
) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    await client.create(path, configmap("stays"))
    await client.create(path, configmap("goes"))
    informer = Informer(client, CONFIGMAPS, namespace="default")
    events: list[tuple[str, str]] = []
    informer.add_event_handler(
        on_add=lambda o: events.append(("add", o["metadata"]["name"])),
        on_update=lambda old, new: events.append(("update", new["metadata"]["name"])),
        on_delete=lambda o: events.append(("delete", o["metadata"]["name"])),
    )
    await informer._list()
    events.clear()
    # While the informer is not watching: changes, then compaction past its resourceVersion.
    await client.delete(f"{path}/goes")
    await client.patch(f"{path}/stays", {"data": {"a": "b"}})
    await client.create(path, configmap("new"))
    store = server.ctx.store
    await store.compact(store.current_revision())
    with pytest.raises(_Relist):
        await informer._watch()
    await informer._list()
    assert sorted(events) == [("add", "new"), ("delete", "goes"), ("update", "stays")]


async def test_handler_errors_do_not_stop_the_informer(client: RestClient) -> None:
    informer = Informer(client, CONFIGMAPS, namespace="default")
    seen: list[str] = []

    def broken(obj: dict) -> None:
        raise RuntimeError("boom")

    informer.add_event_handler(on_add=broken)
    informer.add_event_handler(on_add=lambda o: seen.append(o["metadata"]["name"]))
    async with running(informer):
        await client.create("/api/v1/namespaces/default/configmaps", configmap("x"))
        await until(lambda: "x" in seen)
