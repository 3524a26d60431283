"""An API server and a kubelet server (fake host) in one background event loop, for driving
the real kubectl against.

Invariants:
- Both servers run on a private event loop in a daemon thread, so tests stay synchronous
  and kubectl (a subprocess) can block without stalling the servers.
- The API server speaks HTTPS with the cluster CA and reaches the kubelet with the
  apiserver-kubelet-client certificate; the kubelet serves a certificate for 127.0.0.1 issued
  by the same CA and requires client certificates: the production TLS path end to end.
- `stop()` stops both servers and kills every process the fake host started.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from steersman.apiserver.app import build_app
from steersman.apiserver.authn import Authenticator, build_ssl_context
from steersman.apiserver.bootstrap import bootstrap
from steersman.apiserver.context import ApiContext
from steersman.apiserver.handlers.proxy import KubeletClientConfig
from steersman.apiserver.metrics import ApiMetrics
from steersman.kubelet.server import KubeletServer
from steersman.kubelet.server import build_ssl_context as kubelet_ssl_context
from steersman.pki import ensure_pki
from steersman.pki.ca import ensure_kubelet_serving_cert
from steersman.pki.kubeconfig import write_kubeconfig
from steersman.storage import open_store
from tests.integration.streaming.fake_host import FakeHost

KUBECTL = "/usr/bin/kubectl"
NODE = "stream-node"
T = TypeVar("T")


class StreamingCluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.host = FakeHost(root / "host")
        self.kubeconfig = root / "kubeconfig"
        self.api_port = 0
        self.kubelet_port = 0
        self._runner: Any = None
        self._kubelet: KubeletServer | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        self._thread.start()
        self.run(self._start())
        self.create_node()

    async def _start(self) -> None:
        from aiohttp import web

        pki = ensure_pki(self.root / "pki", hosts=["127.0.0.1"])
        store = open_store("memory://")
        ctx = ApiContext.build(store, service_cidr="10.96.0.0/12", node_port_range="30000-32767")
        authenticator = Authenticator(pki.ca_cert)

        def authenticate(request: web.Request) -> Any:
            ssl_object = (
                request.transport.get_extra_info("ssl_object") if request.transport else None
            )
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            return authenticator.authenticate(der, request.headers.get("Authorization"))

        kubelet_client = KubeletClientConfig(
            ca_file=pki.ca_cert,
            cert_file=pki.apiserver_kubelet_client_cert,
            key_file=pki.apiserver_kubelet_client_key,
        )
        app = build_app(
            ctx,
            authenticate=authenticate,
            metrics=ApiMetrics(),
            ready={"ready": True},
            kubelet_client=kubelet_client,
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=build_ssl_context(pki))
        await site.start()
        self._runner = runner
        self.api_port = runner.addresses[0][1]
        await bootstrap(ctx, advertise_address="127.0.0.1", secure_port=self.api_port)
        write_kubeconfig(
            self.kubeconfig,
            server=f"https://127.0.0.1:{self.api_port}",
            ca_pem=pki.ca_cert.read_bytes(),
            cert_pem=pki.admin_cert.read_bytes(),
            key_pem=pki.admin_key.read_bytes(),
        )
        cert, key = ensure_kubelet_serving_cert(pki, NODE, ["127.0.0.1"])
        self._kubelet = KubeletServer(
            self.host,
            address="127.0.0.1",
            port=0,
            ssl_context=kubelet_ssl_context(cert, key, pki.ca_cert),
        )
        await self._kubelet.start()
        self.kubelet_port = self._kubelet.port

    def stop(self) -> None:
        async def _stop() -> None:
            await self.host.close()
            if self._kubelet is not None:
                await self._kubelet.stop()
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            self.run(_stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)

    # -- kubectl ----------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["KUBECACHEDIR"] = str(self.root / "kubecache")
        env.pop("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", None)
        env.pop("KUBECTL_PORT_FORWARD_WEBSOCKETS", None)
        return env

    def kubectl(
        self,
        *args: str,
        input: str | bytes | None = None,
        check: bool = True,
        timeout: float = 30.0,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        data = input.encode() if isinstance(input, str) else input
        result = subprocess.run(
            [KUBECTL, *args],
            input=data,
            capture_output=True,
            timeout=timeout,
            env={**self.env(), **(env or {})},
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace')}"
            )
        return result

    def create_node(self) -> None:
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}}
        self.kubectl("create", "-f", "-", input=json.dumps(node))
        status = {
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": "127.0.0.1"},
                    {"type": "Hostname", "address": NODE},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.kubelet_port}},
            }
        }
        self.kubectl(
            "patch", "node", NODE, "--subresource=status", "--type=merge", "-p", json.dumps(status)
        )

    def create_pod(
        self,
        name: str,
        containers: tuple[str, ...] = ("main",),
        *,
        bound: bool = True,
        tty: bool = False,
    ) -> dict[str, Any]:
        pod: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "containers": [
                    {"name": c, "image": "busybox:1.35", "stdin": True, "tty": tty}
                    for c in containers
                ]
            },
        }
        if bound:
            pod["spec"]["nodeName"] = NODE
        out = self.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(pod))
        created: dict[str, Any] = json.loads(out.stdout)
        if bound:
            self.host.add_pod(created, tty=tty)
            self.set_running(name, containers)
        return created

    def set_running(self, name: str, containers: tuple[str, ...]) -> None:
        """What the kubelet would report once the containers run (kubectl checks it)."""
        status = {
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {
                        "name": c,
                        "ready": True,
                        "restartCount": 0,
                        "image": "busybox:1.35",
                        "imageID": "",
                        "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}},
                    }
                    for c in containers
                ],
            }
        }
        self.kubectl(
            "patch", "pod", name, "--subresource=status", "--type=merge", "-p", json.dumps(status)
        )
