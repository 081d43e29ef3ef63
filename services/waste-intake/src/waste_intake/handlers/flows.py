"""Recording, correcting and voiding waste flows, idempotent on the event id.

A repeat of an event id with the same content is a duplicate (answered with the original's
location, not published again); with different content it is a conflict. A repeat is
recognised before the rules run, so a repeat stays a duplicate even once, say, its date has
aged past the limit. Concurrent requests for one id are serialised by a per-id lock, so only
one of them publishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from waste_intake import metrics
from waste_intake.domain.amendments import (
    CorrectionReport,
    VoidReport,
    amendment_problem,
    to_corrected,
    to_voided,
)
from waste_intake.domain.errors import FieldError
from waste_intake.domain.flows import FlowReport, Limits, check_report, to_recorded
from waste_intake.domain.ledger import FlowEvent, Ledger, Seen, fingerprint
from waste_intake.domain.registry import Registry, check_against_registry, resolve_cell
from waste_intake.handlers.locks import KeyedLocks
from waste_intake.handlers.outcomes import Accepted, Conflict, Outcome, Rejected
from waste_intake.handlers.publishing import Publisher, flow_envelope, publish
from zw_shared.adapters.publisher import BrokerUnavailable
from zw_shared.contracts.waste import FacilityRegistered

UNKNOWN_TYPE = "unregistered"


@dataclass(frozen=True)
class FlowContext:
    publisher: Publisher
    flow_topic: str
    limits: Limits
    clock: Callable[[], datetime]
    registry: Registry
    ledger: Ledger
    views_ready: Callable[[], bool]


class FlowHandler:
    def __init__(self, ctx: FlowContext) -> None:
        self._ctx = ctx
        self._locks = KeyedLocks()

    async def record(self, facility_id: str, report: FlowReport) -> Outcome:
        self._ensure_ready()
        facility = self._ctx.registry.facilities.get(facility_id)
        if facility is None:
            return _rejected(report.event_id, [_unknown_facility(facility_id)], None)
        flow = to_recorded(facility_id, resolve_cell(facility, report), report)
        if not self._seen(flow):
            errors = self._check(facility, report)
            if errors:
                return _rejected(report.event_id, errors, facility)
        return await self._commit(flow, flow.occurred_at, facility)

    async def correct(
        self, facility_id: str, target_event_id: str, report: CorrectionReport
    ) -> Outcome:
        self._ensure_ready()
        facility = self._ctx.registry.facilities.get(facility_id)
        if facility is None:
            return _rejected(report.event_id, [_unknown_facility(facility_id)], None)
        history = self._ctx.ledger.history(f"{facility_id}/{target_event_id}")
        problem = amendment_problem(history, target_event_id)
        if history is None or (problem and not self._seen_id(facility_id, report.event_id)):
            return _rejected(report.event_id, [problem] if problem else [], facility)
        flow = to_recorded(facility_id, resolve_cell(facility, report), report)
        corrected = to_corrected(history.original, flow, report.reason)
        if not self._seen(corrected):
            errors = self._check(facility, report)
            if flow.cell_id != history.original.cell_id:
                errors.append(FieldError("cell_id", "a correction keeps the cell", "cell_mismatch"))
            if errors:
                return _rejected(report.event_id, errors, facility)
        return await self._commit(corrected, corrected.occurred_at, facility)

    async def void(self, facility_id: str, target_event_id: str, report: VoidReport) -> Outcome:
        self._ensure_ready()
        facility = self._ctx.registry.facilities.get(facility_id)
        if facility is None:
            return _rejected(report.event_id, [_unknown_facility(facility_id)], None)
        history = self._ctx.ledger.history(f"{facility_id}/{target_event_id}")
        problem = amendment_problem(history, target_event_id)
        if history is None or (problem and not self._seen_id(facility_id, report.event_id)):
            return _rejected(report.event_id, [problem] if problem else [], facility)
        voided = to_voided(history.original, report)
        return await self._commit(voided, history.original.occurred_at, facility)

    def _ensure_ready(self) -> None:
        """Until the views have read their topics, the registry and the seen ids are
        incomplete: answering from them could refuse a registered facility or republish."""
        if not self._ctx.views_ready():
            raise BrokerUnavailable("still reading the registry and flow topics")

    def _seen(self, event: FlowEvent) -> bool:
        return self._ctx.ledger.lookup(event.dedup_key) is not None

    def _seen_id(self, facility_id: str, event_id: str) -> bool:
        return self._ctx.ledger.lookup(f"{facility_id}/{event_id}") is not None

    def _check(self, facility: FacilityRegistered, report: FlowReport) -> list[FieldError]:
        ctx = self._ctx
        errors = check_report(facility.facility_id, report, ctx.limits, ctx.clock())
        return errors + check_against_registry(facility, report, ctx.registry)

    async def _commit(
        self, event: FlowEvent, occurred_at: datetime, facility: FacilityRegistered
    ) -> Outcome:
        envelope = flow_envelope(event, occurred_at)
        kind = facility.facility_type.value
        async with self._locks.hold(event.dedup_key):
            seen = self._ctx.ledger.lookup(event.dedup_key)
            if seen is not None:
                return _repeat(event, seen, envelope.id, kind)
            ctx = self._ctx
            location = await publish(ctx.publisher, ctx.flow_topic, event.cell_id, envelope)
            ctx.ledger.apply(event, location)
        metrics.count("accepted", kind)
        return Accepted(event.event_id, envelope.id, location)


def _repeat(event: FlowEvent, seen: Seen, cloudevent_id: str, kind: str) -> Outcome:
    if seen.fingerprint == fingerprint(event):
        metrics.count("duplicate", kind)
        return Accepted(event.event_id, cloudevent_id, seen.location, duplicate=True)
    metrics.count("conflict", kind)
    reason = f"event id {event.event_id!r} was already used for different content"
    return Conflict(event.event_id, reason)


def _unknown_facility(facility_id: str) -> FieldError:
    reason = f"facility {facility_id!r} is not registered"
    return FieldError("facility_id", reason, "unknown_facility")


def _rejected(
    event_id: str | None, errors: list[FieldError], facility: FacilityRegistered | None
) -> Rejected:
    kind = facility.facility_type.value if facility else UNKNOWN_TYPE
    for error in errors:
        metrics.count("rejected", kind, error.code)
    return Rejected(event_id, errors)
