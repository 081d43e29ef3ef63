"""The topics of the three-broker scale test: their replication, every committed record
or the latest payload per key, a copy of one prefix's topics to another, the scoring outputs
compared, and a record no service can read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.consumer.fetcher import ConsumerRecord

from zw_shared.contracts import unwrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.topics import CELL_MONTH_FLOWS, CELL_SCORES, CELL_TOTALS, TOPICS

OUTPUTS = (CELL_TOTALS, CELL_MONTH_FLOWS, CELL_SCORES)


def leader_of_first_partition(bootstrap: str, topic: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        (described,) = admin.describe_topics([topic])
        first = next(p for p in described["partitions"] if p["partition_index"] == 0)
        return int(first["leader_id"])
    finally:
        admin.close()


def assert_replicated(bootstrap: str, prefix: str, wait_s: float = 30.0) -> None:
    """Every registry topic under ``prefix`` has 3 replicas and min.insync.replicas=2 (its
    metadata may reach the broker that answers a little after its creation)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        names = [spec.full_name(prefix) for spec in TOPICS]
        wanted = {spec.full_name(prefix): spec.partitions for spec in TOPICS}
        deadline = time.monotonic() + wait_s
        while not _complete(described := admin.describe_topics(names), wanted):
            assert time.monotonic() < deadline, f"topics incomplete: {described}"
            time.sleep(0.5)
        for topic in described:
            assert {len(p["replica_nodes"]) for p in topic["partitions"]} == {3}, topic["name"]
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        )
        for name, entries in configs["topic"].items():
            assert entries["min.insync.replicas"]["value"] == "2", name
    finally:
        admin.close()


def _complete(described: list[dict[str, Any]], partitions: dict[str, int]) -> bool:
    return all(
        t["error_code"] == 0 and len(t["partitions"]) == partitions[t["name"]] for t in described
    )


def read_all(bootstrap: str, topics: Iterable[str], timeout_s: float = 60.0) -> list[Any]:
    """Every committed record on ``topics``, from the beginning to the end offsets now."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        group_id=None,
    )
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return _read_to(consumer, consumer.end_offsets(partitions), timeout_s)
    finally:
        consumer.close()


def _read_to(consumer: KafkaConsumer, ends: dict[Any, int], timeout_s: float) -> list[Any]:
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    # Transaction markers take offsets too: a position past the end offset is the end.
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        assert time.monotonic() < deadline, f"could not read to the end offsets {ends}"
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    return records


def latest_payloads(bootstrap: str, topic: str) -> dict[str, dict[str, Any]]:
    """The latest payload per key of a compacted topic, as JSON-able dictionaries (without
    ``as_of``, the day a running period was scored up to: the runs compared may straddle
    midnight in Shanghai)."""
    latest: dict[str, dict[str, Any]] = {}
    for record in read_all(bootstrap, [topic]):
        payload = unwrap(CloudEvent.from_bytes(record.value)).model_dump(mode="json")
        payload.pop("as_of", None)
        latest[record.key.decode()] = payload
    return latest


def copy_topics(bootstrap: str, pairs: dict[str, str]) -> int:
    """Copies every committed record of each source topic to the same partition of its
    target (key, value and headers as they were); returns how many were copied."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    copied = 0
    try:
        for source, target in pairs.items():
            for record in read_all(bootstrap, [source]):
                producer.send(
                    target,
                    value=record.value,
                    key=record.key,
                    headers=list(record.headers or []),
                    partition=record.partition,
                )
                copied += 1
        producer.flush(60)
    finally:
        producer.close()
    return copied


def counted_totals(bootstrap: str, prefix: str) -> dict[str, tuple[int, float]]:
    latest = latest_payloads(bootstrap, CELL_TOTALS.full_name(prefix))
    return {cell: (t["event_count"], t["total_kg"]) for cell, t in latest.items()}


def outputs(bootstrap: str, prefix: str) -> dict[str, dict[str, Any]]:
    return {spec.name: latest_payloads(bootstrap, spec.full_name(prefix)) for spec in OUTPUTS}


def differences(one: dict[str, Any], two: dict[str, Any]) -> list[str]:
    found = []
    for topic in one:
        for key in sorted(set(one[topic]) | set(two[topic])):
            left, right = one[topic].get(key), two[topic].get(key)
            if left != right:
                found.append(
                    f"{topic} {key}: two workers {json.dumps(left)[:300]} "
                    f"!= one worker {json.dumps(right)[:300]}"
                )
    return found


def send_poison(bootstrap: str, topic: str) -> str:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        meta = producer.send(topic, key=b"cell-0", value=b"not a cloud event").get(30)
    finally:
        producer.close()
    return f"{topic}/{meta.partition}/{meta.offset}"
