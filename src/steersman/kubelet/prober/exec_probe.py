"""The exec probe (Kubernetes' pkg/probe/exec and the prober's exec runner): run a command in
the container through the runtime's ExecSync and judge it by its exit code.

Invariants:
- Exit code 0 is Success, any other code is Failure; the message is the command's combined
  stdout+stderr, cut to 10 KiB as upstream's LimitWriter does.
- A command that outlives the probe's timeout is a Failure worded as the CRI client words it
  (`command "sh -c sleep 5" timed out`); any other runtime error makes the probe Unknown with
  `error` set (retried, then dropped, never counted against the thresholds).
- The command's `$(VAR)` references are expanded from the container's static `env` values only
  (ExpandContainerCommandOnlyStatic): the probe never sees the pod's downward API or secrets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from steersman.kubelet.prober.probe import Obj, ProbeOutcome, ProbeResult

MAX_READ_LENGTH = 10 * 1024

# exec_sync(container_id, cmd, timeout_seconds) -> (exit_code, stdout + stderr).
ExecSync = Callable[[str, list[str], float], Awaitable[tuple[int, bytes]]]


def _read_variable(rest: str) -> tuple[str, bool, int]:
    """expansion.tryReadVariableName: (text, is a variable name, bytes consumed after `$`)."""
    if rest[0] == "$":
        return "$", False, 1
    if rest[0] == "(":
        end = rest.find(")", 1)
        if end >= 0:
            return rest[1:end], True, end + 1
        return "$(", False, 1
    return "$" + rest[0], False, 1


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' expansion.Expand: `$(NAME)` becomes NAME's value when defined, otherwise it
    stays as written; `$$` is a literal `$`."""
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _read_variable(text[cursor + 1 :])
            if is_var:
                out.append(env.get(read, f"$({read})"))
            else:
                out.append(read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


def expand_command_only_static(command: list[str], container: Obj) -> list[str]:
    # Every env var counts, with its literal value ("" for valueFrom), as upstream's
    # EnvVarsToMap does.
    env = {e.get("name", ""): e.get("value") or "" for e in container.get("env") or []}
    return [expand(arg, env) for arg in command]


async def probe_exec(
    exec_sync: ExecSync, container_id: str, command: list[str], timeout: float
) -> ProbeOutcome:
    """Run `command` in the container and judge it by its exit code."""
    try:
        exit_code, output = await asyncio.wait_for(
            exec_sync(container_id, command, timeout), timeout
        )
    except TimeoutError:
        return ProbeOutcome(
            ProbeResult.FAILURE, f"command {_go_quote(' '.join(command))} timed out"
        )
    except Exception as exc:  # any runtime error: the probe could not run
        return ProbeOutcome(ProbeResult.UNKNOWN, "", error=str(exc) or type(exc).__name__)
    text = output[:MAX_READ_LENGTH].decode("utf-8", errors="replace")
    if exit_code == 0:
        return ProbeOutcome(ProbeResult.SUCCESS, text)
    return ProbeOutcome(ProbeResult.FAILURE, text)


def _go_quote(text: str) -> str:
    """Go's %q for the printable strings commands are made of."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'
