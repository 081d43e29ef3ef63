"""Runs the time limits of every open record this node owns, as of a given instant. Closed
records are passed over on their stored status, without being read into models."""

from __future__ import annotations

from datetime import datetime

from hazardous_transfer.domain import application_deadlines, manifest_deadlines
from hazardous_transfer.domain.manifest import ManifestStatus
from hazardous_transfer.service.handler import CommandHandler, Outcome

OPEN_APPLICATIONS = frozenset({"applied", "accepted", "consulted", "answered"})


def overdue(handler: CommandHandler, served: frozenset[str], now: datetime) -> list[Outcome]:
    outcomes: list[Outcome] = []
    open_applications = handler.records.applications_where(
        lambda raw: (
            raw["status"] in OPEN_APPLICATIONS and raw["details"]["origin_province"] in served
        )
    )
    for app in open_applications:
        if app.origin in served and not app.decided:
            events = application_deadlines.check_deadlines(app, now, handler.policy)
            handler.save_application_events(app, events)
            outcomes += [Outcome(app.application_id, events)] if events else []
    delivered = handler.records.manifests_where(
        lambda raw: (
            raw["status"] == ManifestStatus.DELIVERED.value and raw["origin_province"] in served
        )
    )
    for m in delivered:
        if m.origin_province in served and m.status is ManifestStatus.DELIVERED:
            m_events = manifest_deadlines.check_deadlines(m, now, handler.policy)
            ledger = handler.records.ledger(m.approval_id) if m.approval_id else None
            handler.manifests.save_events(m, ledger, m_events)
            outcomes += [Outcome(m.manifest_no, m_events)] if m_events else []
    return outcomes
