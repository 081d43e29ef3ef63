"""The scoring worker's BatchSender delivers through a broker outage: record batches the
broker does not take within the producer's request timeout (it is stopped) are sent again,
in order and to the same partitions, until it takes them (the worker's tables already hold
what the records carry: a lost record would be lost for good at the next restore).

Uses a broker of its own: stopping it leaves the session broker to the other tests."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka import AIOKafkaProducer
from faults_support import read_topic
from kafka.admin import KafkaAdminClient, NewTopic
from prometheus_client import REGISTRY

from scoring.adapters.batch_sender import BatchSender, Record
from zw_shared.testing.kafka import KafkaBroker

pytestmark = pytest.mark.e2e

PARTITIONS = 3
KEYS = 60
REQUEST_TIMEOUT_MS = 1_500  # a batch not acknowledged within this fails, and is sent again


@pytest.fixture(scope="module")
def own_broker() -> Iterator[KafkaBroker]:
    broker = KafkaBroker().start()
    yield broker
    broker.stop()


@pytest.fixture
def topic(own_broker: KafkaBroker) -> str:
    name = f"resend-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=own_broker.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        admin.close()
    return name


@pytest.fixture
async def producer(own_broker: KafkaBroker) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        bootstrap_servers=own_broker.bootstrap_servers,
        acks="all",
        request_timeout_ms=REQUEST_TIMEOUT_MS,
        retry_backoff_ms=200,
    )
    await producer.start()
    yield producer
    await producer.stop()


def sent_again() -> float:
    return REGISTRY.get_sample_value("scoring_records_sent_again_total") or 0.0


def round_of(topic: str, n: int) -> list[Record]:
    """One record per key, its value naming the round; every key of a partition in order."""
    return [(topic, None, f"cell-{k}".encode(), f"{n}/{k}".encode()) for k in range(KEYS)]


async def test_batches_the_broker_did_not_take_are_sent_again_until_taken(
    own_broker: KafkaBroker, topic: str, producer: AIOKafkaProducer
) -> None:
    acked: dict[int, int] = {}
    sender = BatchSender(lambda: producer, retry_delay_s=0.2)
    sender.on_acked = lambda _topic, partition, offset: acked.__setitem__(partition, offset)
    await sender.deliver(round_of(topic, 1))
    before = sent_again()

    await asyncio.to_thread(own_broker.pause_broker)
    delivering = asyncio.ensure_future(sender.deliver(round_of(topic, 2)))
    for _ in range(600):  # 60 s
        if sent_again() >= before + KEYS:
            break
        await asyncio.sleep(0.1)
    assert sent_again() >= before + KEYS, "no batch failed while the broker was stopped"
    assert not delivering.done(), "deliver returned while the broker was stopped"
    await asyncio.to_thread(own_broker.resume_broker)
    await asyncio.wait_for(delivering, 120)

    records = await read_topic(own_broker.bootstrap_servers, topic)
    by_partition: dict[int, list[str]] = defaultdict(list)
    for record in records:
        assert record.value is not None
        by_partition[record.partition].append(record.value.decode())
    latest = {r.key: r.value for r in records}
    assert latest == {f"cell-{k}".encode(): f"2/{k}".encode() for k in range(KEYS)}
    for partition, values in by_partition.items():
        second = [v for v in values if v.startswith("2/")]
        # each partition's round-2 records, in the order they were given, however often sent
        keys = [int(v.split("/")[1]) for v in second]
        first_sent = sorted(set(keys), key=keys.index)
        assert first_sent == sorted(set(keys)), f"partition {partition} out of order: {keys}"
        assert values.index(second[0]) > max(
            i for i, v in enumerate(values) if v.startswith("1/")
        ), f"partition {partition}: a round-2 record before round 1's last"
        # the offsets the sender reported: the last record of each partition
        assert acked[partition] == max(r.offset for r in records if r.partition == partition)
