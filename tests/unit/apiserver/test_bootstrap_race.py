"""Bootstrap with several API servers on one store: concurrent bootstraps agree, and the
`kubernetes` Service's reserved address, leaked by a create that died, is taken back."""

from __future__ import annotations

import asyncio

import pytest

from steersman.apiserver import bootstrap as bootstrap_module
from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.context import ApiContext
from steersman.storage import MemoryStore


def _ctx(store: MemoryStore) -> ApiContext:
    return ApiContext.build(store, service_cidr="10.96.0.0/12", node_port_range="30000-32767")


async def test_concurrent_bootstraps_create_one_kubernetes_service() -> None:
    store = MemoryStore()
    await asyncio.gather(
        *(bootstrap(_ctx(store), advertise_address="127.0.0.1", secure_port=6443 + i)
          for i in range(3))
    )  # fmt: skip
    listed = await store.list("/registry/services/specs/default/")
    assert [kv.key.rsplit("/", 1)[1] for kv in listed.items] == ["kubernetes"]
    for prefix in ("/registry/services/endpoints/default/", "/registry/endpointslices/default/"):
        assert await store.count(prefix) == 1


async def test_leaked_reserved_address_is_released(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap_module, "_ENSURE_TRIES", 3)
    store = MemoryStore()
    ctx = _ctx(store)
    await ctx.service_ips.allocate("10.96.0.1")  # a create that died before writing the Service
    await bootstrap(ctx, advertise_address="127.0.0.1", secure_port=6443)
    kv = await store.get("/registry/services/specs/default/kubernetes")
    assert kv is not None and b'"10.96.0.1"' in kv.value
