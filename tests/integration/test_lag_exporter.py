"""The lag exporter against a real broker, run as deployed (``zw-lag-exporter`` process): a
group's lag is the exact number of records it has not read, transaction markers left out,
and the dead-letter topics' records are counted."""

from __future__ import annotations

import asyncio
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from zw_shared.adapters.publisher import EventPublisher
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import SCORING_DEAD_LETTERS, WASTE_DEAD_LETTERS, WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def exporter(
    kafka_bootstrap: str, provisioned_prefix: str, request: pytest.FixtureRequest
) -> Iterator[int]:
    port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": provisioned_prefix,
        "LAG_EXPORTER_HOST": "127.0.0.1",
        "LAG_EXPORTER_PORT": str(port),
        "LAG_GROUP_PATTERN": f"{provisioned_prefix}.*",
        "LAG_EXACT_LIMIT": str(getattr(request, "param", 1000)),
    }
    url = f"http://127.0.0.1:{port}/metrics"
    with ServiceProcess(["zw-lag-exporter"], env, url, name="zw-lag-exporter"):
        yield port


async def publish_one_by_one(bootstrap: str, topic: str, key: str, count: int) -> int:
    """``count`` records, each in its own transaction (a commit marker after each);
    returns their partition."""
    publisher = EventPublisher(bootstrap, 15.0, "lag-test")
    await publisher.start()
    try:
        deadline = time.monotonic() + 30
        while not await publisher.is_ready(1.0):
            assert time.monotonic() < deadline, "the publisher did not connect within 30 s"
            await asyncio.sleep(0.1)
        published = [await publisher.publish_raw(topic, key, b"{}") for _ in range(count)]
    finally:
        await publisher.stop()
    return published[0].partition


async def read_and_commit(
    bootstrap: str, group: str, tp: TopicPartition, total: int, count: int
) -> None:
    """The group reads all ``total`` records (so every transaction is complete: the last
    stable offset is the partition's end) and commits "``count``-th record + 1", as faust
    commits "last record read + 1"."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        records: list[ConsumerRecord[bytes, bytes]] = []
        while len(records) < total:
            batch = await consumer.getmany(tp, timeout_ms=10_000, max_records=total - len(records))
            assert batch, "no records within 10 s"
            records += batch[tp]
        await consumer.commit({tp: records[count - 1].offset + 1})
    finally:
        await consumer.stop()


async def group_with_six_unread(bootstrap: str, prefix: str) -> tuple[str, str, int]:
    topic = f"{prefix}{WASTE_FLOW_EVENTS.name}"
    partition = await publish_one_by_one(bootstrap, topic, "cell-lag", 10)
    group = f"{prefix}reader-{uuid.uuid4().hex[:6]}"
    await read_and_commit(bootstrap, group, TopicPartition(topic, partition), 10, 4)
    return group, topic, partition


def lag_sample(group: str, topic: str, partition: int) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"group": group, "topic": topic, "partition": str(partition)}
    return ("zw_consumer_lag", tuple(sorted(labels.items())))


async def test_a_group_that_read_four_of_ten_records_lags_by_exactly_six(
    kafka_bootstrap: str, provisioned_prefix: str, exporter: int
) -> None:
    group, topic, partition = await group_with_six_unread(kafka_bootstrap, provisioned_prefix)

    samples = scrape(exporter)

    assert samples[lag_sample(group, topic, partition)] == 6
    assert samples[("zw_lag_exporter_kafka_up", ())] == 1


@pytest.mark.parametrize("exporter", [3], indirect=True)
async def test_a_gap_larger_than_the_exact_limit_is_reported_in_offsets_markers_included(
    kafka_bootstrap: str, provisioned_prefix: str, exporter: int
) -> None:
    group, topic, partition = await group_with_six_unread(kafka_bootstrap, provisioned_prefix)

    samples = scrape(exporter)

    # Records at even offsets, each followed by its commit marker; committed: the 4th
    # record's marker. The gap: that marker and the 6 unread records with theirs.
    assert samples[lag_sample(group, topic, partition)] == 13


async def test_dead_letters_are_counted_per_dead_letter_topic(
    kafka_bootstrap: str, provisioned_prefix: str, exporter: int
) -> None:
    waste = f"{provisioned_prefix}{WASTE_DEAD_LETTERS.name}"
    scoring = f"{provisioned_prefix}{SCORING_DEAD_LETTERS.name}"
    before = scrape(exporter)
    await publish_one_by_one(kafka_bootstrap, waste, "t/0/1", 3)
    await publish_one_by_one(kafka_bootstrap, scoring, "t/0/2", 2)

    def count(samples: Samples, topic: str) -> float:
        return samples[("zw_dead_letter_records", (("topic", topic),))]

    # A commit's markers are written just after it is acknowledged: until then the last
    # record is not yet readable. Bounded wait for the counts.
    deadline = time.monotonic() + 15
    while (counts := (count(after := scrape(exporter), waste), count(after, scoring))) != (3, 2):
        assert time.monotonic() < deadline, f"counts {counts}, expected (3, 2)"
        await asyncio.sleep(0.2)
    assert (count(before, waste), count(before, scoring)) == (0, 0)
    hazardous = f"{provisioned_prefix}hazardous.dead-letters.v1"
    assert count(after, hazardous) == 0
