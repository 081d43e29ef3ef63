"""Reading a topic from its beginning up to the end offsets of the moment (for replay), and
the offsets a consumer group has committed on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.client import AIOKafkaClient


async def partitions_of(bootstrap: str, topic: str) -> list[TopicPartition]:
    found = await partitions_where(bootstrap, lambda name: name == topic)
    if not found:
        raise LookupError(f"topic {topic!r} does not exist")
    return found


async def partitions_where(bootstrap: str, wanted: Callable[[str], bool]) -> list[TopicPartition]:
    """Every partition of the topics whose name ``wanted`` picks, by name and partition."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="scoring-replay")
    try:
        await client.bootstrap()
        cluster = await client.fetch_all_metadata()
    finally:
        await client.close()
    return [
        TopicPartition(topic, p)
        for topic in sorted(cluster.topics())
        if wanted(topic)
        for p in sorted(cluster.partitions_for_topic(topic) or ())
    ]


async def end_offsets(
    bootstrap: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    async with _reader(bootstrap) as consumer:
        return dict(await consumer.end_offsets(partitions))


async def read_to(
    bootstrap: str, ends: dict[TopicPartition, int], poll_ms: int = 500
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record before ``ends``, each partition in its order."""
    async with _reader(bootstrap) as consumer:
        pending = {tp for tp, end in ends.items() if end > 0}
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=poll_ms)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}


async def data_ends(
    bootstrap: str, ends: dict[TopicPartition, int], window: int = 64
) -> dict[TopicPartition, int]:
    """Per partition, one past the last record a consumer can see before ``ends``.

    A transactional producer leaves commit markers after its records; they take offsets but
    are never delivered, so a consumer that commits "last record + 1" (as faust does) stops
    short of the end offset. This is the offset such a consumer commits once it has read
    everything; 0 for a partition with no records."""
    found: dict[TopicPartition, int] = {}
    async with _reader(bootstrap) as consumer:
        consumer.assign(list(ends))
        beginnings = await consumer.beginning_offsets(list(ends))
        for tp, end in ends.items():
            found[tp] = 0
            start, size = end, window
            while start > beginnings[tp] and found[tp] == 0:
                start = max(beginnings[tp], end - size)
                consumer.seek(tp, start)
                while await consumer.position(tp) < end:
                    batches = await consumer.getmany(tp, timeout_ms=500)
                    for record in batches.get(tp, []):
                        if record.offset < end:
                            found[tp] = max(found[tp], record.offset + 1)
                size *= 4
    return found


async def wait_for_group(
    bootstrap: str, group: str, ends: dict[TopicPartition, int], timeout_s: float
) -> bool:
    """True once ``group`` has committed offsets at or past ``ends`` (within the timeout).

    Pass :func:`data_ends`, not raw end offsets, for topics written by transactions."""
    async with _reader(bootstrap, group) as consumer:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            committed = {tp: await consumer.committed(tp) for tp in ends}
            if all((committed[tp] or 0) >= end for tp, end in ends.items()):
                return True
            await asyncio.sleep(0.5)
    return False


@asynccontextmanager
async def _reader(bootstrap: str, group: str | None = None) -> AsyncIterator[AIOKafkaConsumer]:
    """A started read_committed consumer that never commits (not even for ``group``, whose
    committed offsets it only reads)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()
