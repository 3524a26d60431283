"""Container lifecycle hooks (postStart, preStop): exec in the container or HTTP GET to it,
as Kubernetes' kubelet/lifecycle handlers do.

Invariants: a hook never raises; it returns an error message (Kubernetes' wording) or None.
Exec hooks run through the runtime's ExecSync with the remaining grace period as timeout;
HTTP hooks go to the pod IP unless `host` is set, and count any status below 400 as success.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from steersman.kubelet.runtime.interface import Runtime, RuntimeApiError

Obj = dict[str, Any]


def _port(container: Obj, port: Any) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    return None


async def run_hook(
    runtime: Runtime,
    handler: Obj,
    *,
    container: Obj,
    container_id: str,
    pod_ip: str,
    timeout: float,
) -> str | None:
    if handler.get("exec"):
        command = list(handler["exec"].get("command") or [])
        try:
            result = await runtime.exec_sync(container_id, command, timeout=max(timeout, 1))
        except RuntimeApiError as exc:
            return str(exc)
        if result.exit_code != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            return f"command '{' '.join(command)}' exited with {result.exit_code}: {output}"
        return None
    if handler.get("httpGet"):
        get = handler["httpGet"]
        port = _port(container, get.get("port"))
        if port is None:
            return f"failed to find networking container port {get.get('port')!r}"
        host = get.get("host") or pod_ip or "127.0.0.1"
        scheme = (get.get("scheme") or "HTTP").lower()
        path = get.get("path") or "/"
        if not path.startswith("/"):
            path = "/" + path
        url = f"{scheme}://{host}:{port}{path}"
        headers = {h["name"]: h["value"] for h in get.get("httpHeaders") or []}
        timeouts = aiohttp.ClientTimeout(total=max(timeout, 1))
        try:
            async with (
                aiohttp.ClientSession(timeout=timeouts) as session,
                session.get(url, headers=headers, ssl=False) as resp,
            ):
                code = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return f"Get {url!r}: {exc}"
        if code >= 400:
            return (
                f"HTTP lifecycle hook ({path}) for Container {container['name']!r} failed - "
                f"error: Get {url!r}: status {code}"
            )
        return None
    if handler.get("sleep"):
        await asyncio.sleep(min(float(handler["sleep"].get("seconds", 0)), max(timeout, 0)))
        return None
    return "unknown lifecycle handler"
