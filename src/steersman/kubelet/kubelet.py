"""The kubelet: the node agent. It registers its Node and keeps its status and Lease current,
and runs the pods bound to it (and static pods from manifests) as CRI containers.

Invariants:
- Every part runs as a child of one TaskGroup in `run`; host facts are read once at start.
- Pods come from two sources (the API, filtered by spec.nodeName; static manifests) into the
  PodManager; every change of a pod's desired or actual state wakes that pod's worker, which
  syncs it level-based (PodSyncer). The PLEG relists the runtime every second and wakes the
  workers of pods whose containers changed, including pods the kubelet no longer knows
  (deleted while it was down), which are cleaned up.
- A restarted kubelet adopts what runs: running containers whose spec is unchanged are kept.
- The kubelet never touches storage, only the API through its kubeconfig's identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steersman.api.resources import require
from steersman.client.events import EventRecorder
from steersman.client.informer import Informer
from steersman.client.rest import RestClient
from steersman.kubelet.container import PodRuntimeStatus
from steersman.kubelet.container_preparer import ApiLookup, ContainerPreparerImpl
from steersman.kubelet.eviction import (
    EvictionManager,
    TerminatePodOptions,
    apply_termination_status,
    parse_eviction_hard,
)
from steersman.kubelet.host import host_info, node_ip
from steersman.kubelet.kuberuntime.manager import KubeRuntimeManager
from steersman.kubelet.node_lease import NodeLeaseController
from steersman.kubelet.node_status import NodeConfig, RuntimeFacts, allocatable, now_rfc3339
from steersman.kubelet.node_sync import NodeStatusSync
from steersman.kubelet.pod_manager import MirrorClient, PodManager
from steersman.kubelet.pod_sync import PodSyncer
from steersman.kubelet.pod_workers import PodWorkers
from steersman.kubelet.prober.manager import ProbeManager
from steersman.kubelet.runtime.interface import CommandTimedOut, Runtime, RuntimeApiError
from steersman.kubelet.sources.static import StaticPodSource
from steersman.kubelet.stats import StatsProvider
from steersman.kubelet.status_manager import StatusManager
from steersman.util.memory import release_startup_memory

log = logging.getLogger("steersman.kubelet")

PODS = require("", "v1", "pods")
PLEG_PERIOD = 1.0


@dataclass
class KubeletConfig:
    kubeconfig: Path
    node_name: str
    root_dir: Path
    node_ip: str = ""
    pod_cidr: str = ""
    node_labels: dict[str, str] = field(default_factory=dict)
    register_with_taints: list[dict[str, Any]] = field(default_factory=list)
    node_status_update_frequency: float = 10.0
    node_lease_renew_interval: float = 10.0
    # The CRI socket; None runs the node side only (a "hollow" node without pods).
    container_runtime_endpoint: str | None = None
    pod_manifest_path: Path | None = None
    # The kubelet API (logs, exec, attach, port-forward): serving pair and client CA.
    port: int = 10250
    tls_cert_file: Path | None = None
    tls_private_key_file: Path | None = None
    client_ca_file: Path | None = None
    # containerd's runc state for the k8s.io namespace (for exec).
    runc_root: Path = Path("/run/containerd/runc/k8s.io")
    # Node-pressure eviction thresholds (Kubernetes' --eviction-hard); None: the defaults.
    eviction_hard: str | None = None
    # API server URLs to use instead of the kubeconfig's server (failing over between them).
    api_servers: tuple[str, ...] = ()


def _runtime_facts_from(version: Any, status: Any) -> RuntimeFacts:
    ready = True
    message = ""
    for cond in status.status.conditions:
        if not cond.status:
            ready = False
            message = f"container runtime {cond.type} is not ready: {cond.reason}: {cond.message}"
    return RuntimeFacts(
        name=version.runtime_name,
        version=version.runtime_version,
        ready=ready,
        not_ready_message=message,
    )


class Kubelet:
    def __init__(
        self,
        config: KubeletConfig,
        *,
        client: RestClient | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        self.config = config
        self.client = client or RestClient.from_kubeconfig(
            config.kubeconfig,
            user_agent=f"steersman-kubelet/{config.node_name}",
            servers=config.api_servers,
        )
        self.host = host_info(config.root_dir, hostname=config.node_name)
        self.node_config = NodeConfig(
            name=config.node_name,
            node_ip=config.node_ip or node_ip(),
            pod_cidr=config.pod_cidr,
            labels=config.node_labels,
            taints=config.register_with_taints,
            port=config.port,
        )
        self.runtime = runtime
        if self.runtime is None and config.container_runtime_endpoint:
            from steersman.kubelet.runtime.cri import CriRuntime

            self.runtime = CriRuntime(config.container_runtime_endpoint)
        self.node_sync = NodeStatusSync(
            self.client,
            self.node_config,
            self.host,
            update_interval=config.node_status_update_frequency,
            runtime_facts=self._runtime_facts if self.runtime is not None else None,
        )
        self.node_lease = NodeLeaseController(
            self.client, config.node_name, renew_interval=config.node_lease_renew_interval
        )
        self.recorder = EventRecorder(self.client, "kubelet", config.node_name)
        self.pods = PodManager()
        self.statuses = StatusManager(self.client)
        self._runtime_cache: dict[str, PodRuntimeStatus] = {}
        self.pod_workers: PodWorkers | None = None
        self.syncer: PodSyncer | None = None
        self.probes: ProbeManager | None = None

    async def _runtime_facts(self) -> RuntimeFacts:
        assert self.runtime is not None
        try:
            version = await self.runtime.version()
            status = await self.runtime.status()
        except RuntimeApiError as exc:
            return RuntimeFacts(ready=False, not_ready_message=f"container runtime is down: {exc}")
        facts = _runtime_facts_from(version, status)
        try:
            images = await self.runtime.list_images()
            facts.images.extend(
                {"names": list(i.repo_tags) + list(i.repo_digests), "sizeBytes": int(i.size)}
                for i in sorted(images, key=lambda i: -int(i.size))[:50]
            )
        except RuntimeApiError:
            pass
        return facts

    # -- wiring -------------------------------------------------------------------
    def _build_pod_side(self) -> None:
        assert self.runtime is not None
        runtime = self.runtime
        root = self.config.root_dir

        async def exec_sync(container_id: str, cmd: list[str], timeout: float) -> tuple[int, bytes]:
            try:
                result = await runtime.exec_sync(container_id.split("://")[-1], cmd, timeout)
            except CommandTimedOut:
                raise TimeoutError from None
            return result.exit_code, result.stdout + result.stderr

        self.probes = ProbeManager(
            get_pod_status=self.statuses.get_pod_status,
            exec_sync=exec_sync,
            recorder=self.recorder,
        )
        lookup = ApiLookup(
            self.client,
            host_ips=[self.node_config.node_ip],
            allocatable=lambda: allocatable(self.node_config, self.host),
            pod_ips=lambda pod: self._pod_ips(pod["metadata"]["uid"]),
        )
        manager = KubeRuntimeManager(
            runtime,
            ContainerPreparerImpl(root, lookup),
            self.recorder,
            pods_root=root / "pods",
            logs_root=root / "logs" / "pods",
            node_hostname=self.host.hostname,
            memory_capacity=self.host.memory_bytes,
            liveness=self.probes.results.liveness,
            startup=self.probes.results.startup,
        )
        self.runtime_manager = manager
        self.syncer = PodSyncer(
            pods=self.pods,
            runtime=manager,
            statuses=self.statuses,
            probes=self.probes,
            mirrors=MirrorClient(self.client, self.config.node_name),
            recorder=self.recorder,
            lookup=lookup,
            root_dir=root,
            node_ip=self.node_config.node_ip,
        )
        self.pod_workers = PodWorkers(self.syncer.sync)
        self.probes.results.subscribe(lambda update: self._wake(update.pod_uid))
        self.stats = StatsProvider(
            runtime=runtime,
            pods=self.pods.pods,
            root_dir=root,
            node_name=self.config.node_name,
            logs_root=root / "logs" / "pods",
        )
        self.eviction = EvictionManager(
            thresholds=parse_eviction_hard(self.config.eviction_hard),
            summary_provider=self.stats.summary,
            active_pods=self._active_pods,
            terminate_pod=self._terminate_pod,
            recorder=self.recorder,
            node_name=self.config.node_name,
            pod_cleaned_up=lambda pod: pod["metadata"]["uid"] not in self._runtime_cache,
            has_dedicated_image_fs=self.stats.has_dedicated_image_fs,
        )
        self.node_sync.pressure = self.eviction.pressure

    def _active_pods(self) -> list[dict[str, Any]]:
        out = []
        for pod in self.pods.pods():
            status = self.statuses.get_pod_status(pod["metadata"]["uid"]) or pod.get("status") or {}
            if pod["metadata"].get("deletionTimestamp") or status.get("phase") in (
                "Succeeded",
                "Failed",
            ):
                continue
            out.append(pod)
        return out

    async def _terminate_pod(self, pod: dict[str, Any], options: TerminatePodOptions) -> None:
        """Evict: Failed/Evicted status (with DisruptionTarget), then kill the pod now."""
        assert self.syncer is not None
        uid = pod["metadata"]["uid"]
        current = self.statuses.get_pod_status(uid) or pod.get("status") or {}
        self.syncer._publish(pod, apply_termination_status(current, options, now_rfc3339()))
        status = await self.runtime_manager.pod_status(uid)
        await self.runtime_manager.kill_pod(
            pod, status, grace_override=options.grace_period_seconds_override
        )
        self._wake(uid)

    def _pod_ips(self, uid: str) -> list[str]:
        cached = self._runtime_cache.get(uid)
        return cached.ips if cached else []

    def _wake(self, uid: str) -> None:
        if self.pod_workers is not None and uid:
            self.pod_workers.update_pod(uid)

    def _wake_all(self, uids: list[str]) -> None:
        for uid in uids:
            self._wake(uid)

    async def run(self) -> None:
        self.config.root_dir.mkdir(parents=True, exist_ok=True)
        try:
            await self.node_sync.register()
            release_startup_memory()
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.node_sync.run())
                tg.create_task(self.node_lease.run())
                tg.create_task(self.recorder.run())
                if self.runtime is not None:
                    self._build_pod_side()
                    tg.create_task(self.statuses.run())
                    assert self.probes is not None
                    tg.create_task(self.probes.run())
                    tg.create_task(self._watch_api_pods())
                    if self.config.pod_manifest_path is not None:
                        source = StaticPodSource(
                            self.config.pod_manifest_path,
                            self.config.node_name,
                            lambda pods: self._wake_all(self.pods.set_static_pods(pods)),
                        )
                        tg.create_task(source.run())
                    tg.create_task(self._pleg())
                    tg.create_task(self.eviction.run())
                    server = self._kubelet_server()
                    if server is not None:
                        tg.create_task(server.run())
        finally:
            if self.pod_workers is not None:
                await self.pod_workers.stop()
            if self.runtime is not None:
                with contextlib.suppress(Exception):
                    await self.runtime.close()
            await self.client.close()

    def _kubelet_server(self) -> Any:
        cfg = self.config
        if not (cfg.tls_cert_file and cfg.tls_private_key_file and cfg.client_ca_file):
            log.warning("no serving certificate: the kubelet API (logs, exec, ...) is off")
            return None
        from steersman.kubelet.server.server import KubeletServer, build_ssl_context
        from steersman.kubelet.streaming_host import RealKubeletHost

        assert self.runtime is not None
        host = RealKubeletHost(
            pods=self.pods,
            runtime=self.runtime,
            manager=self.runtime_manager,
            logs_root=cfg.root_dir / "logs" / "pods",
            runc_root=cfg.runc_root,
            pod_status=self.statuses.get_pod_status,
            stats=self.stats,
        )
        return KubeletServer(
            host,
            address=self.node_config.node_ip,
            port=cfg.port,
            ssl_context=build_ssl_context(
                cfg.tls_cert_file, cfg.tls_private_key_file, cfg.client_ca_file
            ),
        )

    async def _watch_api_pods(self) -> None:
        informer = Informer(
            self.client, PODS, field_selector=f"spec.nodeName={self.config.node_name}"
        )
        informer.add_event_handler(
            on_add=lambda pod: self._wake_all(self.pods.upsert_api_pod(pod)),
            on_update=lambda _old, pod: self._wake_all(self.pods.upsert_api_pod(pod)),
            on_delete=lambda pod: self._wake_all(self.pods.remove_api_pod(pod)),
        )
        await informer.run()

    async def _pleg(self) -> None:
        """Relist the runtime; wake pods whose sandboxes or containers changed."""
        fingerprints: dict[str, tuple[Any, ...]] = {}
        first = True
        while True:
            try:
                assert self.syncer is not None
                statuses = await self.runtime_manager.relist()
                self._runtime_cache = statuses
                current: dict[str, tuple[Any, ...]] = {}
                for uid, status in statuses.items():
                    current[uid] = (
                        tuple((s.id, s.ready) for s in status.sandboxes),
                        tuple((c.id, c.state) for c in status.containers),
                    )
                changed = {u for u, f in current.items() if fingerprints.get(u) != f}
                changed |= set(fingerprints) - set(current)
                if first:
                    # After a (re)start: every pod that has anything here gets a sync, so
                    # orphans of pods deleted while the kubelet was down are cleaned up.
                    changed |= set(current)
                    first = False
                fingerprints = current
                for uid in changed:
                    self._wake(uid)
            except RuntimeApiError as exc:
                log.warning("PLEG relist failed: %s", exc)
            await asyncio.sleep(PLEG_PERIOD)
