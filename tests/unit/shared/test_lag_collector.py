"""The lag exporter's collector over a fake offset reader: which groups and topics it
reports, how lag is derived from a gap, and what a scrape shows when the broker is away."""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry, generate_latest

from zw_shared.adapters.kafka_offsets import PartitionLag, lag_from_gap
from zw_shared.lag_exporter import LagCollector, LagExporterSettings

TP = TopicPartition


class FakeReader:
    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.asked_for: dict[str, Any] = {}

    def groups(self) -> list[str]:
        if self.down:
            raise KafkaConnectionError("no broker")
        return ["p.scoring", "p.hazardous", "other"]

    def committed(self, groups: list[str]) -> dict[str, dict[TopicPartition, int]]:
        self.asked_for["groups"] = groups
        offsets = {TP("p.waste.flow-events.v1", 0): 7, TP("q.waste.flow-events.v1", 0): 1}
        return {group: offsets for group in groups}

    def stable_ends(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
        self.asked_for["partitions"] = partitions
        return dict.fromkeys(partitions, 20)

    def lags(self, committed: dict[str, dict[TopicPartition, int]],
             ends: dict[TopicPartition, int]) -> list[PartitionLag]:  # fmt: skip
        return [
            PartitionLag(group, tp.topic, tp.partition, offset, ends[tp], 6)
            for group, offsets in committed.items()
            for tp, offset in offsets.items()
        ]

    def records_in(self, topics: list[str]) -> dict[str, int]:
        return {topic: 2 for topic in topics}


def scrape(reader: FakeReader, **settings: Any) -> str:
    config = LagExporterSettings(topic_prefix="p.", lag_group_pattern="p\\..*", **settings)
    registry = CollectorRegistry()
    registry.register(LagCollector(reader, config))  # type: ignore[arg-type]
    return generate_latest(registry).decode()


def test_only_matching_groups_and_topics_under_the_prefix_are_reported() -> None:
    reader = FakeReader()

    page = scrape(reader)

    assert reader.asked_for["groups"] == ["p.scoring", "p.hazardous"]
    assert reader.asked_for["partitions"] == {TP("p.waste.flow-events.v1", 0)}
    assert (
        'zw_consumer_lag{group="p.scoring",partition="0",topic="p.waste.flow-events.v1"} 6.0'
        in page
    )
    assert 'zw_dead_letter_records{topic="p.scoring.dead-letters.v1"} 2.0' in page
    assert "zw_lag_exporter_kafka_up 1.0" in page


def test_a_scrape_without_the_broker_says_so_and_reports_no_lag() -> None:
    page = scrape(FakeReader(down=True))

    assert "zw_lag_exporter_kafka_up 0.0" in page
    assert "zw_consumer_lag" not in page


def test_lag_is_the_counted_records_else_the_offset_gap_and_never_negative() -> None:
    assert lag_from_gap(13, counted=6) == 6
    assert lag_from_gap(13, counted=None) == 13
    assert lag_from_gap(0, counted=None) == 0
    assert lag_from_gap(-1, counted=None) == 0
