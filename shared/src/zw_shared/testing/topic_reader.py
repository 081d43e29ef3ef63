"""Reads every committed record of a topic, for tests that check what reached the log."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from kafka import KafkaAdminClient
from kafka.errors import KafkaError


async def read_committed(
    bootstrap: str, topic: str, timeout_s: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every committed record on ``topic`` now, from the beginning to the end offsets."""
    return await asyncio.wait_for(_read_committed(bootstrap, topic), timeout=timeout_s)


async def _read_committed(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        partitions = await _partitions_of(bootstrap, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # read_committed: the end is the last stable offset; markers make offsets sparse
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                records.extend(batch.get(tp, []))
        return records
    finally:
        await consumer.stop()


async def _partitions_of(bootstrap: str, topic: str) -> list[TopicPartition]:
    """The topic's partitions, once the broker names them (right after a broker restart it
    may not yet): an absent topic fails the test rather than reading as empty."""
    while True:
        count = await asyncio.to_thread(_partition_count, bootstrap, topic)
        if count:
            return [TopicPartition(topic, p) for p in range(count)]
        await asyncio.sleep(0.2)


def _partition_count(bootstrap: str, topic: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        (described,) = admin.describe_topics([topic])
    except KafkaError:
        return 0
    finally:
        admin.close()
    return len(described["partitions"])
