"""The API's reads from its node's worker (the records in the worker's tables), over one
pool of keep-alive connections. aiohttp, not httpx: at 50 concurrent reads httpx's pool
scans every connection on every request and took most of the API's CPU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp


class WorkerUnreachable(RuntimeError):
    """The worker did not answer (not running, or not in time)."""


@dataclass(frozen=True)
class WorkerAnswer:
    status: int
    body: bytes
    retry_after: str | None = None  # the worker's Retry-After (it is restoring its records)


class WorkerClient:
    def __init__(self, base_url: str, timeout_s: float, max_connections: int = 200) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Inside the running event loop (aiohttp binds its session to it)."""
        connector = aiohttp.TCPConnector(limit=self._max_connections)
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, path: str, params: dict[str, Any] | None = None) -> WorkerAnswer:
        if self._session is None:
            raise WorkerUnreachable("the API has not started its worker client")
        query = {k: str(v) for k, v in (params or {}).items()}
        try:
            async with self._session.get(self._base_url + path, params=query) as response:
                body = await response.read()
                return WorkerAnswer(response.status, body, response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise WorkerUnreachable(repr(exc)) from None
