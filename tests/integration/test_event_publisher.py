"""The shared publisher against a real broker: acknowledged writes are readable exactly once,
concurrent writes share transactions, and a write refused while the broker is down is never
seen by a read_committed consumer."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from zw_shared.adapters.publisher import BrokerUnavailable, EventPublisher
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.kafka import KafkaBroker
from zw_shared.topics import WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration


async def started_publisher(
    bootstrap: str, timeout_s: float = 5.0, lanes: int = 1
) -> EventPublisher:
    publisher = EventPublisher(
        bootstrap, timeout_s, "test", f"test-{uuid.uuid4().hex}", lanes=lanes
    )
    await publisher.start()
    for _ in range(150):
        if await publisher.is_ready(1.0):
            return publisher
        await asyncio.sleep(0.1)
    raise AssertionError("publisher did not connect within 15 s")


async def read_committed(bootstrap: str, topic: str, expect: int) -> list[ConsumerRecord]:
    """Everything a read_committed consumer sees on the topic, read up to its end."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        for _ in range(40):
            batches = await consumer.getmany(timeout_ms=250)
            records += [r for batch in batches.values() for r in batch]
            if len(records) >= expect:
                break
        batches = await consumer.getmany(timeout_ms=1000)  # anything beyond what we expect
        records += [r for batch in batches.values() for r in batch]
    finally:
        await consumer.stop()
    return records


@pytest.fixture
async def topic(kafka_bootstrap: str, topic_prefix: str) -> str:
    admin = connect_admin(kafka_bootstrap)
    ensure_topics(admin, topic_prefix, specs=[WASTE_FLOW_EVENTS])
    admin.close()
    return WASTE_FLOW_EVENTS.full_name(topic_prefix)


async def test_an_acknowledged_write_is_read_back_once_with_its_key_and_headers(
    kafka_bootstrap: str, topic: str
) -> None:
    publisher = await started_publisher(kafka_bootstrap)
    published = await publisher.publish_raw(topic, "cell-1", b"v", headers=[("h", b"1")])
    await publisher.stop()

    records = await read_committed(kafka_bootstrap, topic, expect=1)

    assert [(r.key, r.value, r.offset) for r in records] == [(b"cell-1", b"v", published.offset)]
    assert records[0].headers == (("h", b"1"),)


@pytest.mark.parametrize("lanes", [1, 3])
async def test_concurrent_writes_are_all_acknowledged_and_share_transactions(
    kafka_bootstrap: str, topic: str, lanes: int
) -> None:
    publisher = await started_publisher(kafka_bootstrap, lanes=lanes)
    values = [f"e{i}".encode() for i in range(300)]

    await asyncio.gather(
        *(publisher.publish_raw(topic, f"c{i % 7}", v) for i, v in enumerate(values))
    )
    await publisher.stop()

    records = await read_committed(kafka_bootstrap, topic, expect=len(values))
    assert sorted(r.value for r in records) == sorted(values)
    assert publisher.transactions_committed < len(values) / 5


async def test_a_write_refused_while_the_broker_is_down_is_never_seen_and_writes_resume() -> None:
    broker = KafkaBroker()
    broker.start()
    try:
        admin = connect_admin(broker.bootstrap_servers)
        ensure_topics(admin, "", specs=[WASTE_FLOW_EVENTS])
        admin.close()
        topic = WASTE_FLOW_EVENTS.name
        publisher = await started_publisher(broker.bootstrap_servers, timeout_s=2.0)
        await publisher.publish_raw(topic, "c", b"before")

        await asyncio.to_thread(broker.pause_broker)
        with pytest.raises(BrokerUnavailable):
            await publisher.publish_raw(topic, "c", b"refused")
        await asyncio.to_thread(broker.resume_broker)

        for _ in range(300):  # the publisher reconnects by itself
            try:
                await publisher.publish_raw(topic, "c", b"after")
                break
            except BrokerUnavailable:
                await asyncio.sleep(0.1)
        await publisher.stop()

        records = await read_committed(broker.bootstrap_servers, topic, expect=2)
        assert [r.value for r in records] == [b"before", b"after"]
    finally:
        broker.stop()
