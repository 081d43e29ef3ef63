"""The node's records in faust tables (memory store, changelogged in Kafka: a restarted
worker recovers them from the changelog topics before it answers /readyz)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from hazardous_transfer.service.records import Records
from hazardous_transfer.service.staging import Overlay

TABLE_NAMES = ("applications", "manifests", "ledgers", "counters")


@dataclass
class Tables:
    by_name: dict[str, Any]
    app: faust.App
    _warm: bool = False

    async def warm_up(self) -> None:
        """Loads the producer's metadata of every changelog topic once: with
        ``use_partitioner`` the producer picks the partition itself, and fails on a topic
        it has not seen yet."""
        if self._warm:
            return
        faust_producer: Any = self.app.producer  # faust's aiokafka driver; not in ProducerT
        producer = faust_producer._ensure_producer()
        for table in self.by_name.values():
            name = table.changelog_topic.get_topic_name()
            # tracked, or the next metadata refresh (of tracked topics only) forgets it
            await producer.client.add_topic(name)
            await producer.partitions_for(name)
        self._warm = True

    def records(self) -> Records:
        """Reads and writes straight to the tables."""
        return Records(*(self.by_name[name] for name in TABLE_NAMES))

    def staged(self) -> tuple[Records, list[Overlay]]:
        """Records whose writes wait for ``commit`` of every overlay."""
        overlays = [Overlay(self.by_name[name]) for name in TABLE_NAMES]
        return Records(*overlays), overlays


def create_tables(app: faust.App) -> Tables:
    # use_partitioner: a table key goes to the changelog partition its hash picks, so the
    # tables can be written outside a stream too (the deadline timer).
    tables = {
        name: app.Table(
            name,
            default=None,
            key_type=str,  # values: JSON objects (the app's default value serializer)
            use_partitioner=True,
            help=f"hazardous-transfer {name}",
        )
        for name in TABLE_NAMES
    }
    return Tables(tables, app)
