"""Sends many records at once through the worker's Kafka producer: one record batch per
topic partition, built in place, instead of one ``send`` per record.

A batch of events makes thousands of records (table changelog records, totals, months,
scores); ``producer.send`` costs tens of microseconds a record in Python (metadata wait,
partitioner, accumulator), appending to a batch builder a few. A record without a partition
goes where the producer's own partitioner sends its key (murmur2, as Kafka's Java clients),
so keys land where a plain ``send`` would put them; each key's partition is remembered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import ProducerClosed

from scoring.adapters import metrics

# topic, partition (None: where the producer's partitioner puts the key), key, value
Record = tuple[str, int | None, bytes | None, bytes | None]


# told of each record batch the broker acknowledged: topic, partition, its last offset
OnAcked = Callable[[str, int, int], None]
# a record batch's acknowledgement, and its records (partitions resolved)
Sent = tuple["asyncio.Future[Any]", list[Record]]

MAX_RETRY_DELAY_S = 5.0
log = logging.getLogger(__name__)


class BatchSender:
    def __init__(
        self,
        producer: Callable[[], AIOKafkaProducer],
        max_keys: int = 200_000,
        on_acked: OnAcked | None = None,
        retry_delay_s: float = 0.5,
    ) -> None:
        self._producer = producer
        self._partitions: dict[tuple[str, bytes | None], int] = {}  # (topic, key) -> partition
        self._max_keys = max_keys
        self.on_acked = on_acked
        self.retry_delay_s = retry_delay_s

    async def send_all(self, records: Iterable[Record]) -> list[Awaitable[Any]]:
        """Queues every record; returns the broker's acknowledgements to wait for (one per
        record batch). A record too large for any batch raises, as ``send`` would."""
        return [sent for sent, _ in await self._queue(records)]

    async def deliver(self, records: Iterable[Record]) -> None:
        """Sends every record and returns once the broker acknowledged them all. A record
        batch the broker did not take (refused, or not answered within the producer's
        request timeout: the broker away) is sent again, its records in their order and to
        the same partition, until it is taken; only a closed producer (the worker stopping)
        ends the attempts, with ProducerClosed.

        The caller must keep others from writing the same keys until this returns (a
        batch sent again goes after whatever was written meanwhile): the agents deliver
        under their write lock."""
        pending = await self._queue(records)
        delay = self.retry_delay_s
        while pending:
            await asyncio.wait([sent for sent, _ in pending])
            failed = [(sent, batch) for sent, batch in pending if _failure(sent) is not None]
            if not failed:
                return
            errors = {type(_failure(sent)).__name__ for sent, _ in failed}
            count = sum(len(batch) for _, batch in failed)
            metrics.RECORDS_SENT_AGAIN.inc(count)
            log.warning(
                "the broker did not take %d record batches (%d records: %s); sending them "
                "again in %.1f s", len(failed), count, ", ".join(sorted(errors)), delay,
            )  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY_S)
            pending = await self._queue(record for _, batch in failed for record in batch)

    async def _queue(self, records: Iterable[Record]) -> list[Sent]:
        """Queues every record, one record batch per topic partition (more when one fills);
        returns each batch's acknowledgement with the records in it, partitions resolved."""
        producer = self._producer()
        builders: dict[tuple[str, int], tuple[Any, list[Record]]] = {}
        queued: list[Sent] = []
        known: set[str] = set()  # topics whose metadata this call made sure of
        for topic, partition, key, value in records:
            if topic not in known:
                await producer.client._wait_on_metadata(topic)
                known.add(topic)
            if partition is None:
                partition = self._partition(producer, topic, key)
            open_batch = builders.get((topic, partition))
            if open_batch is None:
                open_batch = builders[(topic, partition)] = (producer.create_batch(), [])
            builder, batch = open_batch
            if builder.append(key=key, value=value, timestamp=None) is None:  # full
                queued.append(await self._send(producer, open_batch, topic, partition))
                open_batch = builders[(topic, partition)] = (producer.create_batch(), [])
                builder, batch = open_batch
                if builder.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"a record of {len(value or b'')} bytes fits no batch")
            batch.append((topic, partition, key, value))
        for (topic, partition), open_batch in builders.items():
            if open_batch[1]:
                queued.append(await self._send(producer, open_batch, topic, partition))
        return queued

    async def _send(
        self,
        producer: AIOKafkaProducer,
        open_batch: tuple[Any, list[Record]],
        topic: str,
        partition: int,
    ) -> Sent:
        builder, batch = open_batch
        count = len(batch)
        sent: asyncio.Future[Any] = await producer.send_batch(builder, topic, partition=partition)
        on_acked = self.on_acked
        if on_acked is not None:

            def acked(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    on_acked(topic, partition, done.result().offset + count - 1)

            sent.add_done_callback(acked)
        return sent, batch

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


def _failure(sent: asyncio.Future[Any]) -> BaseException | None:
    """Why the broker did not take a record batch (None: it did). A closed producer raises:
    the worker is stopping, and nothing will take the batch."""
    error = asyncio.CancelledError() if sent.cancelled() else sent.exception()
    if isinstance(error, ProducerClosed):
        raise error
    return error
