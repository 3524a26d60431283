"""The exec probe with a scripted ExecSync, and command expansion."""

from __future__ import annotations

import asyncio

from steersman.kubelet.prober.exec_probe import expand, expand_command_only_static, probe_exec
from steersman.kubelet.prober.probe import ProbeOutcome, ProbeResult


def runtime(exit_code: int, output: bytes, delay: float = 0.0, seen: list[tuple] | None = None):
    async def exec_sync(container_id: str, cmd: list[str], timeout: float) -> tuple[int, bytes]:
        if seen is not None:
            seen.append((container_id, cmd, timeout))
        await asyncio.sleep(delay)
        return exit_code, output

    return exec_sync


async def test_exit_zero_is_success_with_output() -> None:
    seen: list[tuple] = []
    outcome = await probe_exec(runtime(0, b"all good\n", seen=seen), "containerd://c1", ["cat"], 1)
    assert outcome == ProbeOutcome(ProbeResult.SUCCESS, "all good\n")
    assert seen == [("containerd://c1", ["cat"], 1)]


async def test_nonzero_exit_is_failure_with_output() -> None:
    outcome = await probe_exec(runtime(3, b"not ready"), "c", ["check"], 1)
    assert outcome == ProbeOutcome(ProbeResult.FAILURE, "not ready")


async def test_output_is_cut_to_ten_kib() -> None:
    outcome = await probe_exec(runtime(0, b"y" * 20_000), "c", ["yes"], 1)
    assert len(outcome.message) == 10 * 1024


async def test_timeout_is_failure_worded_as_the_cri_client() -> None:
    outcome = await probe_exec(runtime(0, b"", delay=5), "c", ["sh", "-c", "sleep 5"], 0.05)
    assert outcome == ProbeOutcome(ProbeResult.FAILURE, 'command "sh -c sleep 5" timed out')


async def test_runtime_timeout_error_is_failure_too() -> None:
    async def exec_sync(container_id: str, cmd: list[str], timeout: float) -> tuple[int, bytes]:
        raise TimeoutError

    outcome = await probe_exec(exec_sync, "c", ["x"], 1)
    assert outcome == ProbeOutcome(ProbeResult.FAILURE, 'command "x" timed out')


async def test_runtime_error_is_unknown_with_error() -> None:
    async def exec_sync(container_id: str, cmd: list[str], timeout: float) -> tuple[int, bytes]:
        raise RuntimeError("container not running")

    outcome = await probe_exec(exec_sync, "c", ["x"], 1)
    assert outcome == ProbeOutcome(ProbeResult.UNKNOWN, "", error="container not running")


def test_expand() -> None:
    env = {"PORT": "8080", "EMPTY": ""}
    assert expand("$(PORT)", env) == "8080"
    assert expand("x$(PORT)y$(EMPTY)z", env) == "x8080yz"
    assert expand("$(MISSING)", env) == "$(MISSING)"
    assert expand("$$(PORT)", env) == "$(PORT)"
    assert expand("$(PORT", env) == "$(PORT"
    assert expand("cost $5 $", env) == "cost $5 $"


def test_only_static_env_is_used() -> None:
    container = {
        "env": [
            {"name": "A", "value": "1"},
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        ]
    }
    assert expand_command_only_static(["echo", "$(A)", "$(S)", "$(B)"], container) == [
        "echo",
        "1",
        "",
        "$(B)",
    ]
