"""An async REST client for the Kubernetes API (the part of client-go's rest client that
steersman's own components need).

Invariants:
- One aiohttp session (connection pool) per client; TLS from the kubeconfig's CA and client
  certificate, or a bearer token.
- Non-2xx answers raise `ApiStatusError` carrying the server's Status body; callers decide
  by `code`/`reason`, never by parsing messages.
- `watch` yields decoded watch events until the server ends the stream or the caller stops.
- Several API server addresses may be given (HA control planes): requests go to one at a
  time; when it cannot be reached the client moves to the next. A request that never
  reached a server (connection refused) is retried on the next one at once; one lost in
  flight is retried only if it is a read (a write may have been applied), else it raises.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import orjson

# What a request can fail with below HTTP (connection refused or reset, a pooled connection
# the server closed, a timeout): callers that must not die on a lost request catch these.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, TimeoutError)


class ApiStatusError(Exception):
    def __init__(self, code: int, status: dict[str, Any]) -> None:
        super().__init__(status.get("message") or f"HTTP {code}")
        self.code = code
        self.status = status
        self.reason = status.get("reason", "")


# What a caller that must not die on a failed request catches: an error answer or a lost one.
REQUEST_ERRORS: tuple[type[BaseException], ...] = (ApiStatusError, *TRANSPORT_ERRORS)


class RestClient:
    def __init__(
        self,
        server: str | Sequence[str],
        *,
        ssl_context: ssl.SSLContext | None = None,
        token: str | None = None,
        user_agent: str = "steersman",
    ) -> None:
        servers = [server] if isinstance(server, str) else list(server)
        if not servers:
            raise ValueError("no API server address")
        self.servers = [s.rstrip("/") for s in servers]
        self._active = 0
        self._ssl = ssl_context
        self._headers = {"User-Agent": user_agent, "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_kubeconfig(
        cls, path: Path, *, user_agent: str = "steersman", servers: Sequence[str] = ()
    ) -> RestClient:
        """A client with the kubeconfig's credentials, for its server or for `servers`."""
        from steersman.pki.kubeconfig import load_kubeconfig

        cfg = load_kubeconfig(path)
        ctx = cfg.ssl_context()
        return cls(
            list(servers) or cfg.server, ssl_context=ctx, token=cfg.token, user_agent=user_agent
        )

    @property
    def server(self) -> str:
        """The API server requests go to now."""
        return self.servers[self._active]

    def _fail_over(self, failed: str) -> None:
        if self.server == failed:
            self._active = (self._active + 1) % len(self.servers)

    def _may_retry(self, exc: BaseException, method: str, attempt: int) -> bool:
        """After a failure on `attempt` (0-based): whether to try the next server now."""
        if attempt + 1 >= len(self.servers):
            return False
        never_sent = isinstance(exc, aiohttp.ClientConnectorError)
        return never_sent or method == "GET"

    def _session_get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=self._ssl if self._ssl is not None else False, limit=256
            )
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": content_type} if data is not None else None
        attempt = 0
        while True:
            server = self.server
            try:
                async with self._session_get().request(
                    method, server + path, params=params, data=data, headers=headers
                ) as resp:
                    raw = await resp.read()
            except TRANSPORT_ERRORS as exc:
                if len(self.servers) == 1:
                    raise
                self._fail_over(server)
                if not self._may_retry(exc, method, attempt):
                    raise
                attempt += 1
                continue
            parsed = orjson.loads(raw) if raw else None
            if resp.status >= 300:
                status = (
                    parsed
                    if isinstance(parsed, dict)
                    else {"message": raw.decode(errors="replace"), "code": resp.status}
                )
                raise ApiStatusError(resp.status, status)
            return parsed

    async def get(self, path: str, **params: str) -> Any:
        return await self.request("GET", path, params=params or None)

    async def create(self, path: str, body: Any) -> Any:
        return await self.request("POST", path, body=body)

    async def update(self, path: str, body: Any) -> Any:
        return await self.request("PUT", path, body=body)

    async def patch(
        self, path: str, body: Any, *, patch_type: str = "application/merge-patch+json"
    ) -> Any:
        return await self.request("PATCH", path, body=body, content_type=patch_type)

    async def delete(self, path: str, body: Any = None, **params: str) -> Any:
        return await self.request("DELETE", path, params=params or None, body=body)

    async def watch(self, path: str, **params: str) -> AsyncIterator[dict[str, Any]]:
        params = dict(params, watch="true")
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        attempt = 0
        while True:
            server = self.server
            try:
                response = await self._session_get().get(
                    server + path, params=params, timeout=timeout
                )
                break
            except TRANSPORT_ERRORS as exc:
                if len(self.servers) == 1:
                    raise
                self._fail_over(server)
                if not self._may_retry(exc, "GET", attempt):
                    raise
                attempt += 1
        try:
            async with response as resp:
                if resp.status >= 300:
                    raw = await resp.read()
                    raise ApiStatusError(
                        resp.status, orjson.loads(raw) if raw else {"code": resp.status}
                    )
                async for line in resp.content:
                    if line.strip():
                        yield orjson.loads(line)
        except TRANSPORT_ERRORS:
            if len(self.servers) > 1:
                self._fail_over(server)  # the stream broke: the next request goes elsewhere
            raise
