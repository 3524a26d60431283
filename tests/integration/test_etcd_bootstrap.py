"""Three API servers (three stores on one real etcd) bootstrapping at the same moment, again
and again: none fails, and the cluster has one `kubernetes` Service, Endpoints and slice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.context import ApiContext
from steersman.cli.etcd_cluster import EtcdCluster
from steersman.storage import Store, connect_store


async def test_concurrent_bootstraps_on_etcd(tmp_path: Path) -> None:
    cluster = EtcdCluster(tmp_path / "etcd", size=1).start()
    try:
        for round_ in range(4):
            url = cluster.url(f"/round{round_}")
            stores: list[Store] = [await connect_store(url) for _ in range(3)]
            try:
                contexts = [
                    ApiContext.build(s, service_cidr="10.96.0.0/12", node_port_range="30000-32767")
                    for s in stores
                ]
                await asyncio.gather(
                    *(
                        bootstrap(ctx, advertise_address="127.0.0.1", secure_port=6443 + i)
                        for i, ctx in enumerate(contexts)
                    )
                )
                store = stores[0]
                for prefix in (
                    "/registry/services/specs/default/",
                    "/registry/services/endpoints/default/",
                    "/registry/endpointslices/default/",
                ):
                    assert await store.count(prefix) == 1, prefix
                assert await store.count("/registry/namespaces/") == 4
            finally:
                for s in stores:
                    await s.close()
    finally:
        cluster.stop(grace=1)
        assert not cluster.leftover_pids()
        cluster.remove_data()
