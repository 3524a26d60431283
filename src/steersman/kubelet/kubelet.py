"""The kubelet: the node agent. Today it registers its Node, keeps the Node's status and
conditions current and renews its Lease; the pod side (CRI runtime, pod workers, probes, the
kubelet API) joins as the node-agent issue lands.

Invariants: every part runs as a child of one TaskGroup in `run`; host facts are read once at
start; the kubelet never touches storage, only the API through its kubeconfig's identity.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steersman.client.rest import RestClient
from steersman.kubelet.host import host_info, node_ip
from steersman.kubelet.node_lease import NodeLeaseController
from steersman.kubelet.node_status import NodeConfig
from steersman.kubelet.node_sync import NodeStatusSync


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


class Kubelet:
    def __init__(self, config: KubeletConfig, *, client: RestClient | None = None) -> None:
        self.config = config
        self.client = client or RestClient.from_kubeconfig(
            config.kubeconfig, user_agent=f"steersman-kubelet/{config.node_name}"
        )
        host = host_info(config.root_dir, hostname=config.node_name)
        self.node_config = NodeConfig(
            name=config.node_name,
            node_ip=config.node_ip or node_ip(),
            pod_cidr=config.pod_cidr,
            labels=config.node_labels,
            taints=config.register_with_taints,
        )
        self.node_sync = NodeStatusSync(
            self.client,
            self.node_config,
            host,
            update_interval=config.node_status_update_frequency,
        )
        self.node_lease = NodeLeaseController(
            self.client, config.node_name, renew_interval=config.node_lease_renew_interval
        )

    async def run(self) -> None:
        self.config.root_dir.mkdir(parents=True, exist_ok=True)
        try:
            await self.node_sync.register()
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.node_sync.run())
                tg.create_task(self.node_lease.run())
        finally:
            await self.client.close()
