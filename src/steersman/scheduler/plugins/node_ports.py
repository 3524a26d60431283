"""NodePorts: a pod's hostPorts must be free on the node (0.0.0.0 conflicts with every IP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from steersman.scheduler.framework import (
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Status,
    host_ports,
    unschedulable,
)

REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts:
    name = "NodePorts"

    def pre_filter(
        self, state: CycleState, pod: dict[str, Any], nodes: Sequence[NodeInfo]
    ) -> Status:
        return SUCCESS if host_ports(pod) else Status(Code.SKIP)

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        for ip, protocol, port in host_ports(pod):
            for used_ip, used_protocol, used_port in node.used_ports:
                if used_port != port or used_protocol != protocol:
                    continue
                if ip == used_ip or "0.0.0.0" in (ip, used_ip):
                    return unschedulable(REASON)
        return SUCCESS
