"""Prometheus exporter of consumer lag and dead letters, read from the broker on each scrape.

Run: ``zw-lag-exporter`` (env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, LAG_EXPORTER_HOST,
LAG_EXPORTER_PORT (default 9308), LAG_GROUP_PATTERN (regular expression of the consumer groups
reported, default every group), LAG_EXACT_LIMIT, LAG_READ_TIMEOUT_S). Every path answers the
metrics (``/metrics``); a scrape that cannot reach the broker answers
``zw_lag_exporter_kafka_up 0`` and nothing else.

Metrics (see :mod:`zw_shared.adapters.kafka_offsets` for how lag is counted):
- ``zw_consumer_lag{group,topic,partition}``: records the group has not read yet;
- ``zw_consumer_committed_offset{group,topic,partition}``;
- ``zw_topic_stable_end_offset{topic,partition}``: last stable offset of each partition a
  group reads;
- ``zw_dead_letter_records{topic}``: records on each dead-letter topic of the registry;
- ``zw_lag_exporter_kafka_up``, ``zw_lag_exporter_scrape_seconds``.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Iterator

from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import Field

from zw_shared.adapters.kafka_offsets import OffsetReader, PartitionLag
from zw_shared.settings import KafkaSettings
from zw_shared.topics import HAZARDOUS_DEAD_LETTERS, SCORING_DEAD_LETTERS, WASTE_DEAD_LETTERS

log = logging.getLogger("zw_shared.lag_exporter")
DEAD_LETTER_TOPICS = (WASTE_DEAD_LETTERS, HAZARDOUS_DEAD_LETTERS, SCORING_DEAD_LETTERS)
PARTITION_LABELS = ["group", "topic", "partition"]


class LagExporterSettings(KafkaSettings):
    lag_exporter_host: str = "0.0.0.0"
    lag_exporter_port: int = Field(default=9308, ge=1, le=65535)
    lag_group_pattern: str = ".*"
    # Gaps up to this many offsets are read and their records counted exactly.
    lag_exact_limit: int = Field(default=1000, ge=0, le=1_000_000)
    lag_read_timeout_s: float = Field(default=5.0, gt=0, le=60)


class LagCollector(Collector):
    """Reads the groups' offsets when Prometheus scrapes (one scrape at a time)."""

    def __init__(self, reader: OffsetReader, settings: LagExporterSettings) -> None:
        self.reader = reader
        self.prefix = settings.topic_prefix
        self.groups = re.compile(settings.lag_group_pattern)
        self.dead_letter_topics = [settings.topic(spec.name) for spec in DEAD_LETTER_TOPICS]
        self._lock = threading.Lock()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            began = time.monotonic()
            try:
                lags = self._lags()
                dead_letters = self.reader.records_in(self.dead_letter_topics)
            except (KafkaError, OSError) as exc:
                log.warning("cannot read offsets from the broker: %r", exc)
                yield _gauge("zw_lag_exporter_kafka_up", "1 when the broker answered", 0)
                return
            yield from _lag_families(lags)
            yield _dead_letter_family(dead_letters)
            yield _gauge("zw_lag_exporter_kafka_up", "1 when the broker answered", 1)
            took = time.monotonic() - began
            yield _gauge("zw_lag_exporter_scrape_seconds", "Time to read the offsets", took)

    def _lags(self) -> list[PartitionLag]:
        groups = [g for g in self.reader.groups() if self.groups.fullmatch(g)]
        committed = {
            group: {tp: o for tp, o in offsets.items() if tp.topic.startswith(self.prefix)}
            for group, offsets in self.reader.committed(groups).items()
        }
        partitions = {tp for offsets in committed.values() for tp in offsets}
        return self.reader.lags(committed, self.reader.stable_ends(partitions))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _lag_families(lags: list[PartitionLag]) -> Iterator[GaugeMetricFamily]:
    lag = GaugeMetricFamily(
        "zw_consumer_lag", "Records the consumer group has not read yet", labels=PARTITION_LABELS
    )
    committed = GaugeMetricFamily(
        "zw_consumer_committed_offset", "Offset committed by the group", labels=PARTITION_LABELS
    )
    ends = GaugeMetricFamily(
        "zw_topic_stable_end_offset",
        "Last stable offset (the end a read_committed consumer reads to)",
        labels=["topic", "partition"],
    )
    seen: set[tuple[str, int]] = set()
    for row in lags:
        labels = [row.group, row.topic, str(row.partition)]
        lag.add_metric(labels, row.lag)
        committed.add_metric(labels, row.committed)
        if (row.topic, row.partition) not in seen:
            seen.add((row.topic, row.partition))
            ends.add_metric([row.topic, str(row.partition)], row.stable_end)
    yield from (lag, committed, ends)


def _dead_letter_family(counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "zw_dead_letter_records",
        "Records on a dead-letter topic (read since the exporter started, from the topic's "
        "beginning)",
        labels=["topic"],
    )
    for topic, count in sorted(counts.items()):
        family.add_metric([topic], count)
    return family


def _connect(settings: LagExporterSettings, wait_s: float = 60.0) -> OffsetReader:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return OffsetReader(
                settings.kafka_bootstrap_servers,
                "zw-lag-exporter",
                settings.lag_exact_limit,
                settings.lag_read_timeout_s,
            )
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("broker not reachable yet (%r); retrying", exc)
            time.sleep(1)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = LagExporterSettings()
    reader = _connect(settings)
    registry = CollectorRegistry()
    registry.register(LagCollector(reader, settings))
    server, _ = start_http_server(
        settings.lag_exporter_port, settings.lag_exporter_host, registry=registry
    )
    log.info("serving on %s:%d", settings.lag_exporter_host, settings.lag_exporter_port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.shutdown()
    reader.close()
