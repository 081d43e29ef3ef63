"""The API's reads from its node's worker (the records in the worker's tables), over one
pool of keep-alive connections. aiohttp, not httpx: at 50 concurrent reads httpx's pool
scans every connection on every request and took most of the API's CPU.

A node may run several workers: one active, the others standbys that answer 421
(:mod:`hazardous_transfer.adapters.one_active`). The client asks the worker that answered
last first, and the others in turn when it answers 421 or not at all; when every worker is
a standby (the node is between active workers) it answers 503 with ``Retry-After``, as a
worker restoring its records does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

# A standby worker's answer to a record read (entrypoints/worker_pages.py): 421 Misdirected
# Request, "not the server for this request", which is what a standby is.
STANDBY_STATUS = 421
NO_ACTIVE = {"detail": "the node has no active worker right now (one is taking over); retry"}


class WorkerUnreachable(RuntimeError):
    """The worker did not answer (not running, or not in time)."""


@dataclass(frozen=True)
class WorkerAnswer:
    status: int
    body: bytes
    retry_after: str | None = None  # the worker's Retry-After (it is restoring its records)


def worker_urls(setting: str) -> list[str]:
    """``WORKER_URL``: one URL, or several separated by commas (the node's workers)."""
    urls = [url.strip().rstrip("/") for url in setting.split(",") if url.strip()]
    if not urls:
        raise ValueError("WORKER_URL names no worker")
    return urls


class WorkerClient:
    def __init__(self, base_url: str, timeout_s: float, max_connections: int = 200) -> None:
        """``base_url``: the worker's URL, or the node's workers' URLs separated by commas."""
        self._urls = worker_urls(base_url)
        self._first = 0  # the worker that answered last
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
        standbys, unreachable = 0, []
        count = len(self._urls)
        for n in range(self._first, self._first + count):
            url = self._urls[n % count]
            try:
                answer = await self._get(self._session, url + path, query)
            except WorkerUnreachable as exc:
                unreachable.append(f"{url}: {exc}")
                continue
            if answer.status == STANDBY_STATUS:
                standbys += 1
                continue
            self._first = n % count
            return answer
        if standbys:  # the others are down: a standby is about to take over
            return WorkerAnswer(503, json.dumps(NO_ACTIVE).encode(), "1")
        raise WorkerUnreachable("; ".join(unreachable))

    @staticmethod
    async def _get(session: aiohttp.ClientSession, url: str, query: dict[str, str]) -> WorkerAnswer:
        try:
            async with session.get(url, params=query) as response:
                body = await response.read()
                return WorkerAnswer(response.status, body, response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise WorkerUnreachable(repr(exc)) from None
