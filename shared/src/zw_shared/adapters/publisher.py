"""Publishing events to Kafka with the broker's acknowledgement.

The producer is idempotent with ``acks=all``: a call returns only after every in-sync replica
has the record. A batch that cannot be delivered within ``publish_timeout_s`` expires inside
the producer (``request_timeout_ms``) and is never sent later, so a caller that answered
503 did not leave a record behind, bar the one case no client can rule out: the broker
appended the batch and its acknowledgement was lost. Consumers are idempotent on event ids,
and clients retry with the same id, so that case is counted once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from zw_shared.contracts.envelope import CloudEvent

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge the write in time; nothing was published."""


@dataclass(frozen=True)
class Published:
    topic: str
    partition: int
    offset: int


class EventPublisher:
    def __init__(self, bootstrap_servers: str, publish_timeout_s: float, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout_s = publish_timeout_s
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._starting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connects in the background: the service starts (and answers /healthz) while the
        broker is away, and answers 503 on writes until the producer is connected."""
        self._starting = asyncio.create_task(self._connect_forever(), name="producer-connect")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while self._producer is None:
            producer = self._new_producer()
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                log.warning("broker not reachable yet (%s); retrying in %.1fs", exc, delay)
                await producer.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                self._producer = producer

    def _new_producer(self) -> AIOKafkaProducer:
        timeout_ms = int(self._timeout_s * 1000)
        return AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=timeout_ms,
            linger_ms=1,
            retry_backoff_ms=100,
        )

    async def stop(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, key: str, event: CloudEvent) -> Published:
        return await self.publish_raw(topic, key, event.to_bytes())

    async def publish_raw(
        self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> Published:
        if self._producer is None:
            raise BrokerUnavailable("not connected to the Kafka broker")
        try:
            # The producer's own timeout expires the batch; this outer bound only guards
            # against a metadata wait that never ends.
            meta = await asyncio.wait_for(
                self._producer.send_and_wait(topic, value, key=key.encode(), headers=headers),
                timeout=self._timeout_s * 2,
            )
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailable(f"broker did not acknowledge the write: {exc!r}") from exc
        return Published(meta.topic, meta.partition, meta.offset)

    async def is_ready(self, timeout_s: float) -> bool:
        """True when the broker answers a metadata request now."""
        if self._producer is None:
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout_s)
        except (KafkaError, TimeoutError, OSError):
            return False
        return True
