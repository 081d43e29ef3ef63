"""The agents that count waste flows (and inspections and surveys) into per-cell running
totals and monthly flows.

Consumes ``WasteFlowRecorded``, ``WasteFlowCorrected`` and ``WasteFlowVoided`` from the
waste-flow topic (keyed by cell id). Keeps each cell's totals, each cell's months and the
ledger of counted events (by dedup key) in faust tables: memory store, changelog topics
written to the partition of the event being processed, so co-partitioned with the source
topic because it is keyed by cell id. After each change it publishes ``CellTotalsUpdated``
and ``CellPeriodFlowsUpdated`` (the month) to compacted topics. A record it cannot read or
apply goes to the dead-letter topic with the reason in its headers, and the agent goes on.
A second agent reads ``CellAssessed`` (inspections, surveys) from the assessments topic,
which is keyed by cell id and co-partitioned with the waste-flow topic, into the same months.
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from scoring.adapters import metrics
from scoring.adapters.compacted_view import Latest
from scoring.adapters.records import (
    FlowEvent,
    Unreadable,
    UnreadableRecord,
    read_assessment,
    read_flow_event,
)
from scoring.domain.indicators.system import IndicatorSystem
from scoring.entrypoints.score_publisher import ScorePublisher
from scoring.handlers import (
    Applied,
    FlowLedger,
    Refused,
    Stores,
    month_flows_updated,
    totals_updated,
)
from scoring.settings import ScoringSettings
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import wrap
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
        self.source = _raw_topic(app, settings.topic(WASTE_FLOW_EVENTS.name))
        self.assessments = _raw_topic(app, settings.topic(CELL_ASSESSMENTS.name))
        self.totals_topic = _raw_topic(app, settings.topic(CELL_TOTALS.name))
        self.months_topic = _raw_topic(app, settings.topic(CELL_MONTH_FLOWS.name))
        self.dead_letters = _raw_topic(app, settings.topic(SCORING_DEAD_LETTERS.name))
        stores = Stores(
            totals=app.Table("cell-totals", default=None, key_type=str),
            months=app.Table("cell-months", default=None, key_type=str),
            ledger=app.Table("flow-ledger", default=None, key_type=str),
            index=app.Table("cell-month-index", default=None, key_type=str),
        )
        self.scores = ScorePublisher(
            _raw_topic(app, settings.topic(CELL_SCORES.name)), settings, system, cells, stores
        )
        self.ledger = FlowLedger(stores, settings.zone, settings.on_time_within)
        app.agent(self.source, name="count-waste-flows")(self.process)
        app.agent(self.assessments, name="count-assessments")(self.process)

    async def process(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                await self._handle(event)
            except UnreadableRecord as exc:
                await self._dead_letter(event, exc.reason, exc.detail)
            except Exception as exc:  # the agent must not die on one record
                log.exception("failed to process %s", _position(event))
                await self._dead_letter(event, Unreadable.PROCESSING_ERROR, repr(exc))

    async def _handle(self, event: faust.EventT[bytes]) -> None:
        envelope, applied = self._read_and_apply(event.message)
        metrics.FLOW_EVENTS.labels(applied.outcome.value).inc()
        # A duplicate republishes the totals: harmless on a compacted topic, and it repairs
        # a publication lost when a worker died between its table write and its send.
        await self._publish_totals(applied, envelope)
        for month in applied.months:
            await self._publish(
                f"{month.cell_id}/{month.period.key}",
                self.months_topic,
                wrap(
                    month_flows_updated(month),
                    event_id=f"{envelope.id}/{month.period.key}",
                    source=self._settings.event_source,
                    time=envelope.time,
                    subject=month.cell_id,
                ),
            )
            await self.scores.after_change(month, envelope.id, envelope.time)

    def _read_and_apply(self, message: Any) -> tuple[CloudEvent, Applied]:
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

    async def _publish_totals(self, applied: Applied, envelope: CloudEvent) -> None:
        totals = applied.totals
        update = wrap(
            totals_updated(totals),
            event_id=f"{totals.cell_id}/{envelope.id}",
            source=self._settings.event_source,
            time=envelope.time,
            subject=totals.cell_id,
        )
        await self._publish(totals.cell_id, self.totals_topic, update)

    async def _publish(self, key: str, topic: faust.TopicT, update: CloudEvent) -> None:
        # faust flushes the producer before it commits the source offset (worker_app), so
        # the offset is committed only after the broker acknowledged this record.
        await topic.send(key=key.encode(), value=update.to_bytes())

    async def _dead_letter(self, event: faust.EventT[Any], reason: Unreadable, detail: str) -> None:
        message = event.message
        log.warning("dead-lettering %s: %s: %s", _position(event), reason.value, detail)
        metrics.DEAD_LETTERS.labels(reason.value).inc()
        headers = [
            ("dlq.reason", reason.value.encode()),
            ("dlq.detail", detail.encode()),
            ("dlq.topic", message.topic.encode()),
            ("dlq.partition", str(message.partition).encode()),
            ("dlq.offset", str(message.offset).encode()),
            ("dlq.key", message.key if isinstance(message.key, bytes) else b""),
        ]
        await self.dead_letters.send(
            key=_position(event).encode(), value=_raw(message.value), headers=headers
        )


def _raw_topic(app: faust.App, name: str) -> faust.TopicT:
    """A topic of undecoded bytes: the agent decodes records itself, so that a record it
    cannot read is dead-lettered with the reason rather than dropped by faust."""
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def _position(event: faust.EventT[Any]) -> str:
    message = event.message
    return f"{message.topic}/{message.partition}/{message.offset}"


def _raw(value: object) -> bytes:
    return value if isinstance(value, bytes) else b""
