"""The API server process: storage, bootstrap, HTTPS serving, periodic compaction, and this
server's place in the `kubernetes` endpoints.

Invariants:
- `run()` serves until cancelled; it is ready (`/readyz` ok) only after bootstrap finished
  (which includes joining the `kubernetes` endpoints); a clean stop leaves them.
- Compaction runs every `compaction_interval` seconds to the revision seen one interval
  earlier, once per interval however many API servers share the store (`compactor`, as
  kube-apiserver drives etcd compaction), bounding history and storage growth.
- Every 3 minutes the Service address and node-port records are checked against the stored
  Services (`allocation_repair`): leaked members are freed, missing ones added.
- Start-up builds more than it keeps (the OpenAPI documents' trees, module compilation):
  once bootstrapped and before reporting ready, the freed heap is handed back to the OS, so
  the idle footprint is what is in use, not start-up's peak.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from steersman.apiserver.allocation_repair import AllocationRepair
from steersman.apiserver.app import build_app
from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.compactor import Compactor
from steersman.apiserver.context import ApiContext
from steersman.apiserver.endpoint_reconciler import EndpointReconciler
from steersman.apiserver.handlers.proxy import KubeletClientConfig
from steersman.apiserver.metrics import ApiMetrics
from steersman.storage import connect_store
from steersman.util.memory import release_startup_memory

log = logging.getLogger("steersman.apiserver")


@dataclass
class ApiServerConfig:
    storage: str = "memory://"
    bind_address: str = "127.0.0.1"
    secure_port: int = 6443
    advertise_address: str = "127.0.0.1"
    service_cluster_ip_range: str = "10.96.0.0/12"
    service_node_port_range: str = "30000-32767"
    pki_dir: Path | None = None
    token_auth_file: Path | None = None
    compaction_interval: float = 300.0


class ApiServer:
    def __init__(self, config: ApiServerConfig) -> None:
        self.config = config
        self.ready: dict[str, bool] = {"ready": False}
        self.started = asyncio.Event()
        self.port = config.secure_port
        self.ctx: ApiContext | None = None

    def _tls(self) -> tuple[ssl.SSLContext | None, Any]:
        if self.config.pki_dir is None:
            return None, None
        from steersman.apiserver.authn import Authenticator, build_ssl_context
        from steersman.pki import ensure_pki

        hosts = sorted(
            {
                self.config.advertise_address,
                self.config.bind_address,
                _first_service_ip(self.config.service_cluster_ip_range),
            }
            - {"0.0.0.0", "::"}
        )
        pki = ensure_pki(self.config.pki_dir, hosts=hosts)
        context = build_ssl_context(pki)
        authenticator = Authenticator(pki.ca_cert, self.config.token_auth_file)

        def authenticate(request: web.Request) -> Any:
            ssl_object = (
                request.transport.get_extra_info("ssl_object") if request.transport else None
            )
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            return authenticator.authenticate(der, request.headers.get("Authorization"))

        return context, authenticate

    def _kubelet_client(self) -> KubeletClientConfig | None:
        """The cluster CA and the apiserver-kubelet-client pair, for pods/log, exec, ..."""
        if self.config.pki_dir is None:
            return None
        from steersman.pki import Pki

        pki = Pki.at(self.config.pki_dir)
        if not pki.apiserver_kubelet_client_cert.exists():
            return None
        return KubeletClientConfig(
            ca_file=pki.ca_cert,
            cert_file=pki.apiserver_kubelet_client_cert,
            key_file=pki.apiserver_kubelet_client_key,
        )

    async def run(self) -> None:
        cfg = self.config
        store = await connect_store(cfg.storage)
        ctx = ApiContext.build(
            store,
            service_cidr=cfg.service_cluster_ip_range,
            node_port_range=cfg.service_node_port_range,
        )
        self.ctx = ctx
        ssl_context, authenticate = self._tls()
        from steersman.apiserver import openapi

        openapi.warm()
        app = build_app(
            ctx,
            authenticate=authenticate,
            metrics=ApiMetrics(),
            ready=self.ready,
            kubelet_client=self._kubelet_client(),
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(
            runner,
            cfg.bind_address,
            cfg.secure_port,
            ssl_context=ssl_context,
            backlog=1024,
            reuse_address=True,
        )
        reconciler: EndpointReconciler | None = None
        try:
            await site.start()
            self.port = runner.addresses[0][1]
            reconciler = await bootstrap(
                ctx, advertise_address=cfg.advertise_address, secure_port=self.port
            )
            release_startup_memory()
            self.ready["ready"] = True
            self.started.set()
            log.info("serving on https://%s:%d", cfg.bind_address, cfg.secure_port)
            compactor = Compactor(store, cfg.compaction_interval)
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(reconciler.run_forever(), name="endpoint-reconciler")
                tasks.create_task(compactor.run_forever(), name="compactor")
                repair = AllocationRepair(ctx)
                tasks.create_task(repair.run_forever(), name="allocation-repair")
        finally:
            self.ready["ready"] = False
            if reconciler is not None:
                await self._leave_endpoints(reconciler)
            await runner.cleanup()
            await store.close()

    async def _leave_endpoints(self, reconciler: EndpointReconciler) -> None:
        """A clean stop takes this server out of the `kubernetes` endpoints (kube-apiserver's
        RemoveEndpoints); a store that does not answer in time leaves it to expire."""
        try:
            await asyncio.wait_for(reconciler.remove(), 2.0)
        except Exception as exc:  # stopping must go on whatever the store says
            log.warning("could not remove this server from the kubernetes endpoints: %s", exc)


def _first_service_ip(cidr: str) -> str:
    import ipaddress

    net = ipaddress.ip_network(cidr, strict=False)
    return str(net.network_address + 1)
