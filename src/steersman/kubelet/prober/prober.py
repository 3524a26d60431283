"""Prober: runs one container's probe of one type, as Kubernetes' pkg/kubelet/prober/prober.go.

Invariants:
- The mechanism is chosen from the probe spec (exec, httpGet, tcpSocket, grpc); a probe that
  could not run (`error`) is retried up to 3 times in a row, then reported as None: the worker
  throws such a result away instead of counting it.
- Warning is Success; Unknown without an error is Failure; a missing probe spec is Success.
- Failures, warnings and errors are recorded as Warning events on the container
  (`Unhealthy`: `Liveness probe failed: HTTP probe failed with statuscode: 500`,
  `ProbeWarning`: `Readiness probe warning: ...`), as upstream's recorder does.
"""

from __future__ import annotations

import logging
from typing import Protocol

from steersman.kubelet.prober.exec_probe import ExecSync, expand_command_only_static, probe_exec
from steersman.kubelet.prober.grpc_probe import probe_grpc
from steersman.kubelet.prober.http_probe import new_request_for_http_get, probe_http
from steersman.kubelet.prober.probe import (
    Obj,
    ProbeError,
    ProbeOutcome,
    ProbeResult,
    ProbeType,
    resolve_container_port,
)
from steersman.kubelet.prober.results import Result
from steersman.kubelet.prober.tcp_probe import probe_tcp

log = logging.getLogger("steersman.kubelet.prober")

MAX_PROBE_RETRIES = 3
DEFAULT_TIMEOUT_SECONDS = 1


class EventSink(Protocol):
    """The slice of client.events.EventRecorder the prober uses."""

    def event(
        self, obj: Obj, type_: str, reason: str, message: str, *, field_path: str = ""
    ) -> None: ...


class ContainerProber(Protocol):
    """What a worker needs: one probe of one container, None when the probe could not run."""

    async def probe(
        self, probe_type: ProbeType, pod: Obj, status: Obj, container: Obj, container_id: str
    ) -> Result | None: ...


def format_pod(pod: Obj) -> str:
    """format.Pod: `name_namespace(uid)`, how the kubelet names a pod in messages."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name', '')}_{meta.get('namespace', '')}({meta.get('uid', '')})"


def container_field_path(pod: Obj, name: str) -> str:
    """The fieldPath of a container's ObjectReference (`spec.containers{app}`)."""
    for init in (pod.get("spec") or {}).get("initContainers") or []:
        if init.get("name") == name:
            return f"spec.initContainers{{{name}}}"
    return f"spec.containers{{{name}}}"


class Prober:
    def __init__(self, exec_sync: ExecSync | None = None, recorder: EventSink | None = None):
        self.exec_sync = exec_sync
        self.recorder = recorder

    async def probe(
        self, probe_type: ProbeType, pod: Obj, status: Obj, container: Obj, container_id: str
    ) -> Result | None:
        spec = container.get(probe_type.spec_field)
        if spec is None:
            return Result.SUCCESS
        outcome = await self.run_probe_with_retries(spec, pod, status, container, container_id)
        kind = probe_type.value
        if outcome.error is not None:
            self._record(
                pod,
                container,
                "Unhealthy",
                f"{kind} probe errored and resulted in {outcome.result.value} state: "
                f"{outcome.error}",
            )
            return None
        if outcome.result is ProbeResult.SUCCESS:
            return Result.SUCCESS
        if outcome.result is ProbeResult.WARNING:
            self._record(pod, container, "ProbeWarning", f"{kind} probe warning: {outcome.message}")
            return Result.SUCCESS
        if outcome.result is ProbeResult.FAILURE:
            self._record(pod, container, "Unhealthy", f"{kind} probe failed: {outcome.message}")
        return Result.FAILURE

    async def run_probe_with_retries(
        self, spec: Obj, pod: Obj, status: Obj, container: Obj, container_id: str
    ) -> ProbeOutcome:
        outcome = ProbeOutcome(ProbeResult.UNKNOWN)
        for _ in range(MAX_PROBE_RETRIES):
            outcome = await self.run_probe(spec, pod, status, container, container_id)
            if outcome.error is None:
                return outcome
        return outcome

    async def run_probe(
        self, spec: Obj, pod: Obj, status: Obj, container: Obj, container_id: str
    ) -> ProbeOutcome:
        """One attempt of the mechanism the spec names."""
        timeout = float(spec.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
        pod_ip = str(status.get("podIP") or "")
        try:
            if spec.get("exec") is not None:
                if self.exec_sync is None:
                    raise ProbeError("exec probes need a container runtime")
                command = expand_command_only_static(spec["exec"].get("command") or [], container)
                return await probe_exec(self.exec_sync, container_id, command, timeout)
            if spec.get("httpGet") is not None:
                request = new_request_for_http_get(spec["httpGet"], container, pod_ip)
                return await probe_http(request, timeout)
            if spec.get("tcpSocket") is not None:
                tcp = spec["tcpSocket"]
                port = resolve_container_port(tcp.get("port"), container)
                return await probe_tcp(tcp.get("host") or pod_ip, port, timeout)
            if spec.get("grpc") is not None:
                grpc_spec = spec["grpc"]
                service = grpc_spec.get("service") or ""
                return await probe_grpc(pod_ip, service, int(grpc_spec.get("port") or 0), timeout)
        except ProbeError as exc:
            return ProbeOutcome(ProbeResult.UNKNOWN, "", error=str(exc))
        return ProbeOutcome(
            ProbeResult.UNKNOWN,
            "",
            error=f"missing probe handler for {format_pod(pod)}:{container.get('name', '')}",
        )

    def _record(self, pod: Obj, container: Obj, reason: str, message: str) -> None:
        log.debug("probe %s: %s", reason, message)
        if self.recorder is not None:
            field_path = container_field_path(pod, container.get("name", ""))
            self.recorder.event(pod, "Warning", reason, message, field_path=field_path)
