"""The controller manager: runs every controller against the API server.

Invariants: controllers run as children of one TaskGroup; a failing controller is logged and
restarted after a pause, never taking the others down. With leader election (the default) only
the holder of the kube-system/kube-controller-manager Lease runs controllers; losing it ends the
process (its supervisor restarts it as a candidate), as kube-controller-manager does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from steersman.client.events import EventRecorder
from steersman.client.informer import InformerFactory
from steersman.client.rest import RestClient
from steersman.controllers.cronjob import CronJobController
from steersman.controllers.daemonset import DaemonSetController
from steersman.controllers.deployment import DeploymentController
from steersman.controllers.endpoints import EndpointsController
from steersman.controllers.endpointslice import EndpointSliceController
from steersman.controllers.garbagecollector import GarbageCollector
from steersman.controllers.horizontalpodautoscaler import HorizontalPodAutoscalerController
from steersman.controllers.job import JobController
from steersman.controllers.namespace import NamespaceController
from steersman.controllers.nodelifecycle import NodeLifecycleController
from steersman.controllers.podgc import PodGCController
from steersman.controllers.replicaset import ReplicaSetController
from steersman.controllers.resourcequota import ResourceQuotaController
from steersman.controllers.serviceaccount import ServiceAccountController
from steersman.controllers.statefulset import StatefulSetController
from steersman.controllers.taint_eviction import TaintEvictionController
from steersman.controllers.ttl_after_finished import TTLAfterFinishedController
from steersman.util.memory import release_startup_memory

log = logging.getLogger("steersman.controllers")


class LeadershipLost(Exception):
    """The controller manager lost its Lease: the process exits and is restarted (as
    kube-controller-manager does)."""


class ControllerManager:
    def __init__(
        self, kubeconfig: Path, *, leader_elect: bool = True, servers: Sequence[str] = ()
    ) -> None:
        self.kubeconfig = kubeconfig
        self.leader_elect = leader_elect
        self.servers = list(servers)

    async def run(self) -> None:
        client = RestClient.from_kubeconfig(
            self.kubeconfig, user_agent="steersman-controller-manager", servers=self.servers
        )
        if not self.leader_elect:
            await self._run_controllers(client)
            return
        from steersman.client.leaderelection import LeaderElector

        elector = LeaderElector(client, name="kube-controller-manager", namespace="kube-system")
        try:
            await elector.run(lambda: self._run_controllers(client))
        finally:
            await client.close()
        raise LeadershipLost("leaderelection lost")

    async def _run_controllers(self, client: RestClient) -> None:
        factory = InformerFactory(client)
        recorders: list[EventRecorder] = []

        def recorder(component: str) -> EventRecorder:
            # Events name the controller that wrote them (kubectl describe's "From" column).
            recorders.append(EventRecorder(client, component))
            return recorders[-1]

        controllers: dict[str, Callable[[], Awaitable[None]]] = {
            "deployment": DeploymentController(
                client, factory, recorder("deployment-controller")
            ).run,
            "endpoints": EndpointsController(client, factory, recorder("endpoint-controller")).run,
            "endpointslice": EndpointSliceController(
                client, factory, recorder("endpoint-slice-controller")
            ).run,
            "resourcequota": ResourceQuotaController(
                client, factory, recorder("resourcequota-controller")
            ).run,
            "garbagecollector": GarbageCollector(client, factory).run,
            "horizontalpodautoscaler": HorizontalPodAutoscalerController(
                client, factory, recorder("horizontal-pod-autoscaler")
            ).run,
            "job": JobController(client, factory, recorder("job-controller")).run,
            "statefulset": StatefulSetController(
                client, factory, recorder("statefulset-controller")
            ).run,
            "daemonset": DaemonSetController(client, factory, recorder("daemonset-controller")).run,
            "cronjob": CronJobController(client, factory, recorder("cronjob-controller")).run,
            "ttl-after-finished": TTLAfterFinishedController(
                client, factory, recorder("ttl-after-finished-controller")
            ).run,
            "replicaset": ReplicaSetController(
                client, factory, recorder("replicaset-controller")
            ).run,
            "replicationcontroller": ReplicaSetController(
                client, factory, recorder("replication-controller"), kind="ReplicationController"
            ).run,
            "namespace": NamespaceController(client).run,
            "nodelifecycle": NodeLifecycleController(client, factory).run,
            "taint-eviction": TaintEvictionController(
                client, factory, recorder("taint-eviction-controller")
            ).run,
            "podgc": PodGCController(client, factory).run,
            "serviceaccount": ServiceAccountController(client, ca_pem=self._ca_pem()).run,
        }
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._trim_after_sync(factory))
                for name, run in controllers.items():
                    tg.create_task(self._keep_running(name, run))
                for rec in recorders:
                    tg.create_task(self._keep_running(f"events/{rec.component}", rec.run))
        finally:
            await factory.stop()
            if not self.leader_elect:
                await client.close()

    @staticmethod
    async def _trim_after_sync(factory: InformerFactory) -> None:
        await factory.wait_for_cache_sync()
        release_startup_memory()

    def _ca_pem(self) -> str:
        from steersman.pki.kubeconfig import load_kubeconfig

        ca = load_kubeconfig(self.kubeconfig).ca_pem
        return ca.decode() if ca else ""

    async def _keep_running(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await run()
            except Exception:
                log.exception("controller %s failed; restarting", name)
            await asyncio.sleep(1)
