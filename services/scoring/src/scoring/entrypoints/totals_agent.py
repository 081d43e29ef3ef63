"""The agents that count waste flows (and inspections and surveys) into per-cell running
totals and monthly flows.

Consumes ``WasteFlowRecorded``, ``WasteFlowCorrected`` and ``WasteFlowVoided`` from the
waste-flow topic (keyed by cell id). Keeps each cell's totals, each cell's months and the
ledger of counted events (by dedup key) in faust tables: memory store, changelog topics
written to the partition of the event being processed, so co-partitioned with the source
topic because it is keyed by cell id. It takes the records in batches (at most
WORKER_BATCH_MAX_EVENTS records, or what arrived within WORKER_BATCH_WITHIN_S), straight
from faust's consumer a fetch at a time rather than through faust's per-event stream
(``zw_shared.adapters.faust_batches``); applies a batch's records in memory (per partition,
in order), writes each touched table key once, then publishes each touched cell's
``CellTotalsUpdated`` and each changed month's ``CellPeriodFlowsUpdated``, once per batch,
to compacted topics (the latest value is what counts), marks the scores of the periods they
are in due (published in the background, see score_publisher), and waits for the broker's
acks (sending again what the broker did not take) before it takes the next batch. It
acknowledges a batch's records only after that, so faust commits their offsets only then
(and flushes the producer, with the changelog records, before any commit). A record it
cannot read or apply goes to the dead-letter topic with the reason in its headers, and the
worker goes on.
A second agent reads ``CellAssessed`` (inspections, surveys) from the assessments topic,
which is keyed by cell id and co-partitioned with the waste-flow topic, into the same months.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import faust

from scoring.adapters import metrics
from scoring.adapters.batch_sender import BatchSender, Record
from scoring.adapters.compacted_view import Latest
from scoring.adapters.dead_letters import Source, dead_letter, message_of, raw_topic
from scoring.adapters.envelopes import envelope_bytes
from scoring.adapters.offsets_store import ChangelogOffsets, offsets_table
from scoring.adapters.records import (
    FlowEvent,
    Unreadable,
    UnreadableRecord,
    read_assessment,
    read_flow_event,
)
from scoring.adapters.table_store import Partition, TableStore
from scoring.batches import Batch, apply_batch
from scoring.domain.indicators.system import IndicatorSystem
from scoring.entrypoints.score_publisher import ScorePublisher
from scoring.handlers import (
    Applied,
    FlowLedger,
    Refused,
    Stores,
    month_key,
    totals_data,
)
from scoring.reconcile import Repair, repairs
from scoring.settings import ScoringSettings
from zw_shared.adapters.faust_app import ReadCommittedApp
from zw_shared.adapters.faust_batches import RecordBatches
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import CellRegistered, WasteFlowCorrected, WasteFlowRecorded
from zw_shared.topics import (
    CELL_ASSESSMENTS,
    CELL_MONTH_FLOWS,
    CELL_SCORES,
    CELL_TOTALS,
    SCORING_DEAD_LETTERS,
    WASTE_FLOW_EVENTS,
)

log = logging.getLogger(__name__)


class ScoringAgents:
    def __init__(
        self,
        app: faust.App,
        settings: ScoringSettings,
        system: IndicatorSystem,
        cells: Latest[CellRegistered],
    ) -> None:
        self._settings = settings
        self.source = raw_topic(app, settings.topic(WASTE_FLOW_EVENTS.name))
        self.assessments = raw_topic(app, settings.topic(CELL_ASSESSMENTS.name))
        self.totals_topic = raw_topic(app, settings.topic(CELL_TOTALS.name))
        self.months_topic = raw_topic(app, settings.topic(CELL_MONTH_FLOWS.name))
        self.dead_letters = raw_topic(app, settings.topic(SCORING_DEAD_LETTERS.name))
        self._app = app
        self._partition = Partition()
        self.sender = BatchSender(lambda: cast(Any, app.producer)._ensure_producer())
        # Several agents change the same cells' totals and months (flows, assessments,
        # manifests). Each applies its changes and queues their records under this lock, so
        # records reach each partition in the order the changes were made: on a compacted
        # topic the last record of a key must be its latest state.
        self.write_lock = asyncio.Lock()

        names = ("cell-totals", "cell-months", "flow-ledger")
        tables = [offsets_table(app, name) for name in names]
        # the changelog records the worker sends itself: their offsets are its tables'
        self.sender.on_acked = ChangelogOffsets(tables).acked
        self._tables = tables
        totals, months, ledger = (TableStore(table, self._partition) for table in tables)
        self.stores = stores = Stores(
            totals=totals,
            months=months,
            ledger=ledger,
            index={},  # derived from the months: rebuilt after each rebalance
        )
        self.scores_topic = settings.topic(CELL_SCORES.name)
        self.ledger = FlowLedger(stores, settings.zone, settings.on_time_within)
        self.scores = ScorePublisher(settings, system, cells, stores, self.ledger.decoded_months)
        # The waste-flow topic's agent keeps the topic subscribed and its partitions
        # assigned with the tables'; its records are counted a fetch at a time instead
        # (zw_shared.adapters.faust_batches: faust's per-event stream took a third of the
        # worker's time).
        app.agent(self.source, name="count-waste-flows")(self.process)
        app.agent(self.assessments, name="count-assessments")(self.process)
        self.flow_batches = RecordBatches(
            app, {self.source.get_topic_name()},
            settings.worker_batch_max_events, settings.worker_batch_within_s,
        )  # fmt: skip
        if isinstance(app, ReadCommittedApp):
            app.serve_in_batches(self.flow_batches)
            app.task(self.count_batches)

    async def process(self, stream: faust.StreamT[bytes]) -> None:
        """The agent of both topics. The waste-flow topic's records come to it only where
        the consumer does not serve them in batches (see :meth:`count_batches`)."""
        settings = self._settings
        # take_events is on faust's Stream, not on its StreamT interface
        batches = cast(Any, stream).take_events(
            settings.worker_batch_max_events, within=settings.worker_batch_within_s
        )
        async for events in batches:
            await self._count(events)  # faust acks them after this

    async def count_batches(self) -> None:
        """Counts the waste-flow records faust's consumer gives :attr:`flow_batches` a fetch
        at a time, acknowledging each batch's records once its output is acknowledged."""
        batches = self.flow_batches
        while True:
            messages = await batches.take()
            if messages:
                await self._count(messages)
                batches.ack(messages)

    async def _count(self, records: Sequence[Source]) -> None:
        async with self.write_lock:
            applied = [
                self._apply_partition(p, group) for p, group in _by_partition(records).items()
            ]
            out: list[Record] = []
            for batch in applied:
                for outcome, count in batch.outcomes.items():
                    metrics.FLOW_EVENTS.labels(outcome).inc(count)
                for record, reason, detail in batch.dead:
                    await dead_letter(self.dead_letters, record, reason, detail)
                out += self._records(batch)
            # acknowledged by the broker, sent again until it is: the tables in memory
            # already hold the batch. Its records are acked (their offsets committed) only
            # after this.
            await self.sender.deliver(out)

    def _apply_partition(self, partition: int, events: list[Source]) -> Batch[Any]:
        # Synchronous: no other agent of this worker changes the tables while the batch
        # holds its changes in memory.
        self._partition.current = partition  # the tables' changelog partition
        try:
            return apply_batch(self.ledger, events, self._read_and_apply)
        finally:
            self._partition.current = None

    def _records(self, batch: Batch[Any]) -> list[Record]:
        """The batch's table changelog records, totals and months, to send. Marks the scores
        of the months it changed due."""
        self.scores.mark_batch(batch)
        totals, months = self.totals_topic.get_topic_name(), self.months_topic.get_topic_name()
        records: list[Record] = [*self._partition.take_pending()]
        records += [(totals, None, key, value) for key, value in self._totals_records(batch)]
        records += [(months, None, key, value) for key, value in self._month_records(batch)]
        return records

    def assigned(self, app: faust.App) -> set[int]:
        """The partitions of the waste-flow topic assigned to this worker now."""
        topic = self.source.get_topic_name()
        return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}

    def gained(self) -> set[int]:
        """The worker's partitions whose tables it read from their changelogs (rather than
        kept through the rebalances) since the last call."""
        fresh: set[int] = set()
        for table in self._tables:
            fresh |= table.data.take_fresh()
        return fresh

    async def owner(self, partitions: set[int]) -> Callable[[str], bool]:
        """Whether a cell is in ``partitions`` (a cell's events are keyed by its id, so its
        partition is where the producer's partitioner puts it)."""
        partition = await self.sender.partitioner(self.source.get_topic_name())
        return lambda cell_id: partition(cell_id.encode()) in partitions

    async def repair(self, owns: Callable[[str], bool]) -> int:
        """Derives the totals and months of the worker's cells from the ledger again, and
        writes and publishes those that differ (see :mod:`scoring.reconcile`); returns how
        many cells it repaired."""
        partition = await self.sender.partitioner(self.source.get_topic_name())
        settings = self._settings
        async with self.write_lock:
            found = repairs(self.stores, owns, settings.zone, settings.on_time_within)
            if not found:
                return 0
            now, repair_id = datetime.now(UTC), f"repair/{uuid.uuid4()}"
            records: list[Record] = []
            for repair in found:
                self._partition.current = partition(repair.cell_id.encode())
                try:
                    records += self._write_repair(repair, repair_id, now)
                finally:
                    self._partition.current = None
            await self.sender.deliver([*self._partition.take_pending(), *records])
        metrics.REPAIRED_CELLS.inc(len(found))
        log.warning(
            "%d cells' totals or months differed from their ledger (a batch cut short by a "
            "crash); repaired: %s", len(found), ", ".join(r.cell_id for r in found[:20]),
        )  # fmt: skip
        return len(found)

    def _write_repair(self, repair: Repair, repair_id: str, now: datetime) -> list[Record]:
        cell_id, source = repair.cell_id, self._settings.event_source
        records: list[Record] = []
        if repair.totals is not None:
            self.stores.totals[cell_id] = repair.totals.to_state()
            value = envelope_bytes(
                CellTotalsUpdated, totals_data(repair.totals), event_id=f"{cell_id}/{repair_id}",
                source=source, time=now, subject=cell_id,
            )  # fmt: skip
            records.append((self.totals_topic.get_topic_name(), None, cell_id.encode(), value))
        for month in repair.months:
            state = month.to_state()
            self.stores.months[month_key(cell_id, month.period)] = state
            value = envelope_bytes(
                CellPeriodFlowsUpdated, state, event_id=f"{repair_id}/{month.period.key}",
                source=source, time=now, subject=cell_id,
            )  # fmt: skip
            key = f"{cell_id}/{month.period.key}".encode()
            records.append((self.months_topic.get_topic_name(), None, key, value))
        return records

    async def send_scores(self, records: list[tuple[bytes, bytes]]) -> list[Awaitable[Any]]:
        """Queues scores for sending; returns the broker's acknowledgements to wait for."""
        topic = self.scores_topic
        return await self.sender.send_all([(topic, None, key, value) for key, value in records])

    def _totals_records(self, batch: Batch[Any]) -> Iterable[tuple[bytes, bytes]]:
        for cell_id, (totals, touch) in batch.totals.items():
            value = envelope_bytes(
                CellTotalsUpdated,
                totals_data(totals),
                event_id=f"{cell_id}/{touch.event_id}",
                source=self._settings.event_source,
                time=touch.at,
                subject=cell_id,
            )
            yield cell_id.encode(), value

    def _month_records(self, batch: Batch[Any]) -> Iterable[tuple[bytes, bytes]]:
        states = batch.changes.month_states  # what the batch wrote to the table
        for key, (month, touch) in batch.months.items():
            value = envelope_bytes(
                CellPeriodFlowsUpdated,
                states.get(key) or month.to_state(),
                event_id=f"{touch.event_id}/{month.period.key}",
                source=self._settings.event_source,
                time=touch.at,
                subject=month.cell_id,
            )
            yield f"{month.cell_id}/{month.period.key}".encode(), value

    def _read_and_apply(self, record: Source) -> tuple[CloudEvent, Applied]:
        message = message_of(record)
        try:
            if message.topic == self.assessments.get_topic_name():
                envelope, assessment = read_assessment(message.key, message.value)
                return envelope, self.ledger.assess(assessment)
            envelope, payload = read_flow_event(message.key, message.value)
            return envelope, self._apply(payload, envelope)
        except Refused as exc:
            raise UnreadableRecord(Unreadable.REFUSED, str(exc)) from exc

    def _apply(self, payload: FlowEvent, envelope: CloudEvent) -> Applied:
        if isinstance(payload, WasteFlowRecorded):
            return self.ledger.record(payload, envelope.time)
        if isinstance(payload, WasteFlowCorrected):
            return self.ledger.correct(payload, envelope.time)
        return self.ledger.void(payload)


def _by_partition(records: Iterable[Source]) -> dict[int, list[Source]]:
    """The records of each partition, in their order (a cell's are all in one partition)."""
    groups: dict[int, list[Source]] = {}
    for record in records:
        groups.setdefault(message_of(record).partition, []).append(record)
    return groups
