"""The agents that count hazardous-waste transfer manifests into their shipper's cell months
(indicator ``hazardous_manifest_compliance``, veto ``hazardous_manifest_overdue_or_refused``).

Runs inside the scoring worker (``scoring-worker``; wired in :mod:`scoring.bootstrap`).

1. ``fold-manifests`` reads ``hazardous.transfer-events`` (keyed by manifest number), folds
   each manifest event once into the manifest's record (table ``hazardous-manifests``,
   co-partitioned with that topic), finds the shipper's cell in waste-intake's facility
   registry (``waste.facilities``, read to its end before the first event) and sends the
   manifest's facts, keyed by cell id, to ``scoring.cell-manifest-facts``.
2. ``count-manifest-facts`` reads that topic (co-partitioned with the waste-flow topic) and
   replaces the manifest's facts in the cell's month, in the same tables as the waste-flow
   agent, then publishes the month and marks the cell's scores due.

A record neither can read or apply goes to the dead-letter topic, and the agent goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import faust

from scoring.adapters import metrics
from scoring.adapters.batch_sender import Record
from scoring.adapters.compacted_view import CompactedView, Latest
from scoring.adapters.dead_letters import dead_letter, position, raw_topic
from scoring.adapters.hazardous_records import read_manifest_facts, read_transfer_event
from scoring.adapters.offsets_store import offsets_table
from scoring.adapters.records import Unreadable, UnreadableRecord
from scoring.entrypoints.totals_agent import ScoringAgents
from scoring.handlers import Applied, Refused, month_flows_updated
from scoring.manifest_handlers import (
    CellOf,
    Folded,
    ManifestFolder,
    count_contribution,
    manifest_facts_changed,
)
from scoring.settings import ScoringSettings
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import wrap
from zw_shared.contracts.waste import FacilityRegistered
from zw_shared.topics import HAZARDOUS_EVENTS, SCORING_MANIFEST_FACTS

log = logging.getLogger(__name__)


class HazardousAgents:
    def __init__(
        self,
        app: faust.App,
        settings: ScoringSettings,
        scoring: ScoringAgents,
        facilities: CompactedView[FacilityRegistered],
        registered: Latest[FacilityRegistered],
    ) -> None:
        self._settings = settings
        self._scoring = scoring
        self._facilities = facilities
        self.source = raw_topic(app, settings.topic(HAZARDOUS_EVENTS.name))
        self.facts_topic = raw_topic(app, settings.topic(SCORING_MANIFEST_FACTS.name))
        records = offsets_table(app, "hazardous-manifests")
        self.folder = ManifestFolder(records, _cell_of(registered), settings.zone)
        app.agent(self.source, name="fold-manifests")(self.fold)
        app.agent(self.facts_topic, name="count-manifest-facts")(self.count)

    async def fold(self, stream: faust.StreamT[bytes]) -> None:
        await self._registry_read()
        async for event in stream.events():
            await self._guarded(event, self._fold)

    async def count(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await self._guarded(event, self._count)

    async def _fold(self, message: Any) -> None:
        envelope, manifest_event = read_transfer_event(message.key, message.value)
        if manifest_event is None:
            metrics.MANIFEST_EVENTS.labels("ignored").inc()
            return
        outcome, contribution = self.folder.fold(manifest_event, envelope.id)
        # when the event's record was written, as its producer stamped it (else: now)
        written_at = message.timestamp or time.time()
        if contribution is None and await self._shipper_may_be_new(
            manifest_event.manifest_no, written_at
        ):
            # folding is idempotent: the event again, now that the registry is read to now
            refolded, contribution = self.folder.fold(manifest_event, envelope.id)
            outcome = Folded.FOLDED if contribution is not None else refolded
        metrics.MANIFEST_EVENTS.labels(outcome.value).inc()
        if contribution is None:
            log.info("manifest %s: shipper not a registered facility", manifest_event.manifest_no)
            return
        # A duplicate sends its facts again: a repeat is harmless downstream (its sequence
        # is not new), and it repairs a send lost when a worker died before its commit.
        change = wrap(
            manifest_facts_changed(contribution),
            event_id=f"{envelope.id}/{contribution.sequence}",
            source=self._settings.event_source,
            time=envelope.time,
            subject=contribution.cell_id,
        )
        await self.facts_topic.send(key=contribution.cell_id.encode(), value=change.to_bytes())

    async def _count(self, message: Any) -> None:
        envelope, change = read_manifest_facts(message.key, message.value)
        scoring = self._scoring
        async with scoring.write_lock:  # see ScoringAgents.write_lock
            try:
                applied = count_contribution(scoring.ledger, change)
            except (Refused, ValueError) as exc:
                raise UnreadableRecord(Unreadable.REFUSED, str(exc)) from exc
            metrics.MANIFEST_FACT_CHANGES.labels(applied.outcome.value).inc()
            # acknowledged by the broker (sent again until it is), under the lock: see
            # BatchSender.deliver
            await self._publish_months(applied, envelope)

    async def _publish_months(self, applied: Applied, envelope: CloudEvent) -> None:
        """Sends the changed months' records; returns once the broker took them."""
        scoring = self._scoring
        topic = scoring.months_topic.get_topic_name()
        records: list[Record] = []
        for month in applied.months:
            update = wrap(
                month_flows_updated(month),
                event_id=f"{envelope.id}/{month.period.key}",
                source=self._settings.event_source,
                time=envelope.time,
                subject=month.cell_id,
            )
            key = f"{month.cell_id}/{month.period.key}"
            records.append((topic, None, key.encode(), update.to_bytes()))
            scoring.scores.mark_month(month, envelope.id, envelope.time)
        await scoring.sender.deliver(records)

    async def _shipper_may_be_new(self, manifest_no: str, written_at: float) -> bool:
        """A manifest whose shipper the registry does not know: the facility may have been
        registered just before the manifest's event was written, after the registry last
        read. Reads the registry up to then; True if it did and may know the shipper since."""
        if self.folder.record(manifest_no).shipper_id is None:
            return False
        timeout = self._settings.registry_read_timeout_s
        return await self._facilities.read_to(written_at, timeout)

    async def _registry_read(self) -> None:
        """Waits until the facility registry was read to its end, so that the first
        manifests find their shipper's cell."""
        await self._facilities.wait_caught_up()

    async def _guarded(
        self, event: faust.EventT[bytes], handle: Callable[[Any], Awaitable[None]]
    ) -> None:
        try:
            await handle(event.message)
        except UnreadableRecord as exc:
            await dead_letter(self._scoring.dead_letters, event, exc.reason, exc.detail)
        except Exception as exc:  # the agent must not die on one record
            log.exception("failed to process %s", position(event))
            await dead_letter(
                self._scoring.dead_letters, event, Unreadable.PROCESSING_ERROR, repr(exc)
            )


def _cell_of(registered: Latest[FacilityRegistered]) -> CellOf:
    def cell_of(facility_id: str) -> str | None:
        facility = registered.get(facility_id)
        return None if facility is None else facility.cell_id

    return cell_of
