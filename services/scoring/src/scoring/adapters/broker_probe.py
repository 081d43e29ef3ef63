"""Does the Kafka broker answer now? A metadata request on a client of its own, used by the
readiness endpoints of the worker and the API."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


class BrokerProbe:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._client: AIOKafkaClient | None = None

    async def answers(self, timeout_s: float) -> bool:
        try:
            client = await asyncio.wait_for(self._connected(), timeout_s)
            await asyncio.wait_for(client.fetch_all_metadata(), timeout_s)
        except (KafkaError, TimeoutError, OSError) as exc:
            log.info("broker does not answer: %r", exc)
            return False
        return True

    async def _connected(self) -> AIOKafkaClient:
        if self._client is None:
            client = AIOKafkaClient(bootstrap_servers=self._bootstrap, client_id=self._client_id)
            try:
                await client.bootstrap()
            except BaseException:
                await client.close()
                raise
            self._client = client
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
