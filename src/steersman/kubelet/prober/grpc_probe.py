"""The gRPC probe (Kubernetes' pkg/probe/grpc): grpc.health.v1.Health/Check over an insecure
channel to pod-IP:port, asking for the probe's `service` ("" = the server as a whole).

Invariants:
- Any failure is a probe Failure (never an error), mimicking grpc_health_probe, with upstream's
  wording: `timeout: failed to connect service "10.0.0.5:9000" within 1s: context deadline
  exceeded`, `timeout: health rpc did not complete within 1s`, `error: this server does not
  implement the grpc health protocol (grpc.health.v1.Health): ...`, `service unhealthy
  (responded with "NOT_SERVING")`; SERVING is Success with `service healthy`.
- One deadline (the probe's timeout) covers connecting and the RPC, as upstream's single
  context does; the channel waits for READY like grpc.WithBlock and is always closed.
"""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from steersman.kubelet.prober.goformat import go_duration, join_host_port
from steersman.kubelet.prober.probe import USER_AGENT, ProbeOutcome, ProbeResult

# grpc-go's codes.Code.String() names, which upstream prints in `rpc error: code = ...`.
_GO_CODE_NAMES = {
    grpc.StatusCode.OK: "OK",
    grpc.StatusCode.CANCELLED: "Canceled",
    grpc.StatusCode.UNKNOWN: "Unknown",
    grpc.StatusCode.INVALID_ARGUMENT: "InvalidArgument",
    grpc.StatusCode.DEADLINE_EXCEEDED: "DeadlineExceeded",
    grpc.StatusCode.NOT_FOUND: "NotFound",
    grpc.StatusCode.ALREADY_EXISTS: "AlreadyExists",
    grpc.StatusCode.PERMISSION_DENIED: "PermissionDenied",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "ResourceExhausted",
    grpc.StatusCode.FAILED_PRECONDITION: "FailedPrecondition",
    grpc.StatusCode.ABORTED: "Aborted",
    grpc.StatusCode.OUT_OF_RANGE: "OutOfRange",
    grpc.StatusCode.UNIMPLEMENTED: "Unimplemented",
    grpc.StatusCode.INTERNAL: "Internal",
    grpc.StatusCode.UNAVAILABLE: "Unavailable",
    grpc.StatusCode.DATA_LOSS: "DataLoss",
    grpc.StatusCode.UNAUTHENTICATED: "Unauthenticated",
}
_CHANNEL_OPTIONS = [
    ("grpc.primary_user_agent", USER_AGENT),
    ("grpc.enable_http_proxy", 0),  # upstream's probe dialer ignores proxies
]


async def probe_grpc(host: str, service: str, port: int, timeout: float) -> ProbeOutcome:
    address = join_host_port(host, port)
    within = go_duration(timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS) as channel:
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout)
        except TimeoutError:
            return ProbeOutcome(
                ProbeResult.FAILURE,
                f'timeout: failed to connect service "{address}" within {within}: '
                "context deadline exceeded",
            )
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            response = await stub.Check(request, timeout=max(deadline - loop.time(), 0.001))
        except grpc.aio.AioRpcError as exc:
            return ProbeOutcome(ProbeResult.FAILURE, _rpc_failure(exc, within))
    status = response.status
    if status != health_pb2.HealthCheckResponse.SERVING:
        name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
        return ProbeOutcome(ProbeResult.FAILURE, f'service unhealthy (responded with "{name}")')
    return ProbeOutcome(ProbeResult.SUCCESS, "service healthy")


def _rpc_failure(exc: grpc.aio.AioRpcError, within: str) -> str:
    code = exc.code()
    details = exc.details() or ""
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return (
            "error: this server does not implement the grpc health protocol "
            f"(grpc.health.v1.Health): {details}"
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"timeout: health rpc did not complete within {within}"
    name = _GO_CODE_NAMES.get(code, str(code))
    return f"error: health rpc probe failed: rpc error: code = {name} desc = {details}"
