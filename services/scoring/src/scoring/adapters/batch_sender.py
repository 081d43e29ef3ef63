"""Sends many records at once through the worker's Kafka producer: one record batch per
topic partition, built in place, instead of one ``send`` per record.

A batch of events makes thousands of records (table changelog records, totals, months,
scores); ``producer.send`` costs tens of microseconds a record in Python (metadata wait,
partitioner, accumulator), appending to a batch builder a few. A record without a partition
goes where the producer's own partitioner sends its key (murmur2, as Kafka's Java clients),
so keys land where a plain ``send`` would put them; each key's partition is remembered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer

# topic, partition (None: where the producer's partitioner puts the key), key, value
Record = tuple[str, int | None, bytes | None, bytes | None]


# told of each record batch the broker acknowledged: topic, partition, its last offset
OnAcked = Callable[[str, int, int], None]


class BatchSender:
    def __init__(
        self,
        producer: Callable[[], AIOKafkaProducer],
        max_keys: int = 200_000,
        on_acked: OnAcked | None = None,
    ) -> None:
        self._producer = producer
        self._partitions: dict[tuple[str, bytes | None], int] = {}  # (topic, key) -> partition
        self._max_keys = max_keys
        self.on_acked = on_acked

    async def send_all(self, records: Iterable[Record]) -> list[Awaitable[Any]]:
        """Queues every record; returns the broker's acknowledgements to wait for (one per
        record batch). A record too large for any batch raises, as ``send`` would."""
        producer = self._producer()
        builders: dict[tuple[str, int], Any] = {}
        acks: list[Awaitable[Any]] = []
        known: set[str] = set()  # topics whose metadata this call made sure of
        for topic, partition, key, value in records:
            if topic not in known:
                await producer.client._wait_on_metadata(topic)
                known.add(topic)
            if partition is None:
                partition = self._partition(producer, topic, key)
            builder = builders.get((topic, partition))
            if builder is None:
                builder = builders[(topic, partition)] = producer.create_batch()
            if builder.append(key=key, value=value, timestamp=None) is None:  # full
                acks.append(await self._send(producer, builder, topic, partition))
                builder = builders[(topic, partition)] = producer.create_batch()
                if builder.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"a record of {len(value or b'')} bytes fits no batch")
        for (topic, partition), builder in builders.items():
            if builder.record_count():
                acks.append(await self._send(producer, builder, topic, partition))
        return acks

    async def _send(
        self, producer: AIOKafkaProducer, builder: Any, topic: str, partition: int
    ) -> Awaitable[Any]:
        count = builder.record_count()
        sent: asyncio.Future[Any] = await producer.send_batch(builder, topic, partition=partition)
        on_acked = self.on_acked
        if on_acked is not None:

            def acked(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    on_acked(topic, partition, done.result().offset + count - 1)

            sent.add_done_callback(acked)
        return sent

    async def partitioner(self, topic: str) -> Callable[[bytes], int]:
        """Where the producer puts a key on ``topic``."""
        producer = self._producer()
        await producer.client._wait_on_metadata(topic)
        return lambda key: self._partition(producer, topic, key)

    def _partition(self, producer: AIOKafkaProducer, topic: str, key: bytes | None) -> int:
        found = self._partitions.get((topic, key))
        if found is None:
            found = int(producer._partition(topic, None, None, None, key, None))
            if key is not None:  # a record without a key goes anywhere
                if len(self._partitions) >= self._max_keys:
                    self._partitions.clear()
                self._partitions[(topic, key)] = found
        return found
