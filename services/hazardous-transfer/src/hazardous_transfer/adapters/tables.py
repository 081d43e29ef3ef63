"""The node's records in faust tables (memory store, changelogged in Kafka: a restarted
worker recovers them from the changelog topics before it answers /readyz).

A command is answered only once its table changes are on the broker (:meth:`Tables.durable`):
faust sends a table's changelog records in the background, so a worker killed right after
answering could otherwise restart without a record it had reported as recorded."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import FutureMessage

from hazardous_transfer.adapters import metrics
from hazardous_transfer.service.records import Records
from hazardous_transfer.service.staging import Overlay
from zw_shared.adapters.faust_offsets import OffsetsMemoryStore as BaseOffsetsMemoryStore
from zw_shared.adapters.faust_offsets import new_store
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.topics import Cleanup, TopicSpec

log = logging.getLogger(__name__)
TABLE_NAMES = ("applications", "manifests", "ledgers", "counters")


class OffsetsMemoryStore(BaseOffsetsMemoryStore):
    """The tables' store: faust's memory store that knows its changelog offsets (see
    :mod:`zw_shared.adapters.faust_offsets`), for the partitions the worker holds (active
    or standby). Without them, each time a standby of the node joined or left the group,
    the active worker stopped deciding commands while it re-read every record of the node,
    and a standby taking over re-read what it had copied.

    At each rebalance, before faust's recovery reads anything: a partition the worker no
    longer holds is forgotten (its keys and offset); and a worker that WAS active for a
    partition and is not any more forgets everything (it wrote as the active worker, and a
    change whose changelog record never reached the broker would survive in its copy; its
    writes go where the producer's partitioner puts them, so their partitions are not
    known here), so it reads the changelogs from the start as a standby."""

    restored_total = metrics.TABLE_RECORDS_RESTORED

    def keep(self, active: set[int], standby: set[int]) -> None:
        if self._active - active:
            topic = self.table.changelog_topic.get_topic_name()
            log.warning("%s: no longer the active worker; reading its changelog afresh", topic)
            self.drop_all()
        else:
            self.drop_partitions(self.partitions_to_drop(active, standby))


class AckedTable(faust.Table[str, Any]):
    """A table that keeps, per key, the future of the last changelog record it sent until
    :meth:`Tables.take_unacked` takes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unacked: dict[Any, FutureMessage] = {}

    def _new_store_by_url(self, url: Any) -> Any:
        """An :class:`OffsetsMemoryStore` (the app's store is ``memory://``)."""
        return new_store(OffsetsMemoryStore, self, url)

    def send_changelog(self, *args: Any, **kwargs: Any) -> FutureMessage:
        future: FutureMessage = super().send_changelog(*args, **kwargs)
        # args: partition, key, ...; the last record of a key carries its whole value
        self.unacked[kwargs.get("key", args[1] if len(args) > 1 else None)] = future
        return future

    def resend(self, key: Any) -> None:
        """The key's current value (or its deletion) to the changelog again."""
        if key in self.data:
            self.on_key_set(key, self.data[key])
        else:
            self.on_key_del(key)


# A table change on its way to the changelog: the table, the key, its record's future.
Change = tuple[AckedTable, Any, FutureMessage]


async def _refused(changes: list[Change]) -> list[tuple[AckedTable, Any]]:
    """The changes whose records the broker did not take (each awaited in turn: cheaper
    than gathering hundreds of futures, and the wait is the slowest one's anyway)."""
    refused: list[tuple[AckedTable, Any]] = []
    for table, key, sent in changes:
        try:
            await sent
        except Exception:  # any failure: the record is not on the broker
            refused.append((table, key))
    return refused


@dataclass
class Tables:
    by_name: dict[str, Any]
    app: faust.App
    _warm: bool = False
    retry_delay_s: float = field(default=0.2)

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

    def take_unacked(self) -> list[Change]:
        """The table changes sent since the last call, whose acknowledgements are pending."""
        changes: list[Change] = []
        for table in self.by_name.values():
            if isinstance(table, AckedTable):  # plain mappings (unit tests) send nothing
                changes += [(table, key, sent) for key, sent in table.unacked.items()]
                table.unacked = {}
        return changes

    async def settle(self, changes: list[Change]) -> None:
        """Returns once the broker acknowledged every one of ``changes``; a change whose
        record the broker did not take is sent again (the key's current value), until it
        is taken (the broker may be away: the commands waiting meanwhile are answered after
        it, or time out and are retried)."""
        delay = self.retry_delay_s
        while failed := await _refused(changes):
            log.warning("%d table changes not on the broker; sending them again", len(failed))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            for table, key in failed:
                table.resend(key)
            changes = [(t, k, t.unacked.pop(k)) for t, k in failed if k in t.unacked]

    async def durable(self) -> None:
        """Returns once the broker acknowledged every table change made so far."""
        await self.settle(self.take_unacked())

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
        name: app.tables.add(
            AckedTable(
                app,
                name=name,
                default=None,
                key_type=str,  # values: JSON objects (the app's default value serializer)
                use_partitioner=True,
                # a standby applies each changelog record as it comes (faust's default
                # holds up to 1,000 back): its copy is as fresh as it can be at a takeover
                standby_buffer_size=1,
                beacon=app.tables.beacon,
                help=f"hazardous-transfer {name}",
            )
        )
        for name in TABLE_NAMES
    }
    return Tables(tables, app)


def declare_changelogs(app: faust.App, bootstrap: str, replication_factor: int) -> list[str]:
    """Creates the tables' changelog topics (compacted, kept forever, with
    ``min.insync.replicas`` 2 on 3 replicas) unless they exist, and returns once the broker
    lists every partition of each. Called before the worker joins its group: faust creates
    them itself as it starts, and the group leader's consumer, whose metadata may not list a
    topic created a moment before, then assigned its partitions to nobody (faust logs
    "Ignoring missing topic") until its next metadata refresh, minutes later. A standby never
    copied such a table, and took a node over without its manifest-number counters."""
    tables: Any = app.tables
    specs = [
        TopicSpec(
            name=table.changelog_topic.get_topic_name(),
            owner="hazardous-transfer",
            partitions=table.partitions or app.conf.topic_partitions,
            cleanup=Cleanup.COMPACT,
            retention_ms=-1,
            key="table key",
            event_types=(),
            description=f"changelog of the worker's {table.name} table",
        )
        for table in tables.values()
    ]
    admin = connect_admin(bootstrap)
    try:
        ensure_topics(admin, "", replication_factor, specs)
    finally:
        admin.close()
    return [spec.name for spec in specs]
