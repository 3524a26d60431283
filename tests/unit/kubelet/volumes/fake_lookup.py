"""An in-memory `Lookup` for the kubelet's environment and volume tests."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]


def configmap(
    name: str, data: Mapping[str, str] | None = None, *, ns: str = "ns", **binary: bytes
) -> Obj:
    cm: Obj = {"metadata": {"name": name, "namespace": ns}, "data": dict(data or {})}
    if binary:
        cm["binaryData"] = {k: base64.b64encode(v).decode() for k, v in binary.items()}
    return cm


def secret(name: str, data: Mapping[str, str | bytes] | None = None, *, ns: str = "ns") -> Obj:
    encoded = {
        k: base64.b64encode(v.encode() if isinstance(v, str) else v).decode()
        for k, v in (data or {}).items()
    }
    return {"metadata": {"name": name, "namespace": ns}, "type": "Opaque", "data": encoded}


def service(name: str, cluster_ip: str, *ports: Obj, ns: str = "ns") -> Obj:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"clusterIP": cluster_ip, "ports": list(ports)},
    }


@dataclass
class FakeLookup:
    configmaps: dict[tuple[str, str], Obj] = field(default_factory=dict)
    secrets: dict[tuple[str, str], Obj] = field(default_factory=dict)
    services: list[Obj] = field(default_factory=list)
    allocatable: dict[str, Any] = field(
        default_factory=lambda: {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "10Gi"}
    )
    node_ips: list[str] = field(default_factory=lambda: ["192.168.1.10"])
    ips: list[str] = field(default_factory=lambda: ["10.244.0.5"])
    token: str | None = "header.payload.signature"
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, *objs: Obj) -> FakeLookup:
        for o in objs:
            meta = o["metadata"]
            key = (meta.get("namespace", "ns"), meta["name"])
            if "spec" in o:
                self.services.append(o)
            elif "type" in o:
                self.secrets[key] = o
            else:
                self.configmaps[key] = o
        return self

    async def get_configmap(self, namespace: str, name: str) -> Obj | None:
        self.calls.append(("configmap", namespace, name))
        return self.configmaps.get((namespace, name))

    async def get_secret(self, namespace: str, name: str) -> Obj | None:
        self.calls.append(("secret", namespace, name))
        return self.secrets.get((namespace, name))

    async def list_services(self, namespace: str) -> Sequence[Obj]:
        self.calls.append(("services", namespace))
        return [s for s in self.services if s["metadata"].get("namespace") == namespace]

    async def node_allocatable(self) -> Mapping[str, Any]:
        return self.allocatable

    async def host_ips(self) -> Sequence[str]:
        return self.node_ips

    async def pod_ips(self, pod: Obj) -> Sequence[str]:
        return self.ips

    async def service_account_token(
        self, pod: Obj, *, audiences: Sequence[str], expiration_seconds: int | None
    ) -> str | None:
        self.calls.append(("token", tuple(audiences), expiration_seconds))
        return self.token
