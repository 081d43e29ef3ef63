"""The state of one inter-provincial transfer application, folded from its events.

applied -> (corrections requested -> resubmitted ->) accepted -> consulted -> answered
-> approved | refused. A white-listed application goes from accepted to the decision
without consultation. ``evolve`` never refuses: events are facts; commands are checked in
:mod:`hazardous_transfer.domain.application_commands`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from zw_shared.contracts.hazardous import (
    ApplicationAccepted,
    ApplicationDetails,
    ApplicationEvent,
    ApplicationOverdue,
    ApplicationResubmitted,
    ApplicationStep,
    ConsultationSent,
    CorrectionsRequested,
    DestinationAnswered,
    TransferApplied,
    TransferApproved,
    TransferRefused,
    event_key,
)


class ApplicationStatus(StrEnum):
    APPLIED = "applied"
    CORRECTIONS_REQUESTED = "corrections_requested"
    ACCEPTED = "accepted"
    CONSULTED = "consulted"
    ANSWERED = "answered"
    APPROVED = "approved"
    REFUSED = "refused"


class Application(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: str
    details: ApplicationDetails
    status: ApplicationStatus
    white_listed: bool  # matched a white-list entry when applied; the quota is checked at approval
    submitted_at: datetime  # the latest (re)submission: the completeness clock starts here
    corrections: tuple[str, ...] = ()
    accepted_at: datetime | None = None
    deemed_accepted: bool = False
    consulted_at: datetime | None = None
    answered_at: datetime | None = None
    destination_agreed: bool | None = None
    destination_reasons: tuple[str, ...] = ()
    decided_at: datetime | None = None
    approval: TransferApproved | None = None
    refusal_reasons: tuple[str, ...] = ()
    overdue_steps: tuple[ApplicationStep, ...] = ()
    commands: frozenset[str] = frozenset()
    event_keys: frozenset[str] = frozenset()  # of the events folded: a replica skips repeats
    version: int = 1  # events folded

    @property
    def origin(self) -> str:
        return self.details.origin_province

    @property
    def destination(self) -> str:
        return self.details.destination_province

    @property
    def decided(self) -> bool:
        return self.status in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)


def start(event: TransferApplied, white_listed: bool) -> Application:
    return Application(
        application_id=event.application_id,
        details=event.details,
        status=ApplicationStatus.APPLIED,
        white_listed=white_listed,
        submitted_at=event.occurred_at,
        commands=frozenset({event.command_id}),
        event_keys=frozenset({event_key(event)}),
    )


def evolve(state: Application, event: ApplicationEvent) -> Application:
    changes = _changes(state, event)
    changes["commands"] = state.commands | {event.command_id}
    changes["event_keys"] = state.event_keys | {event_key(event)}
    changes["version"] = state.version + 1
    return state.model_copy(update=changes)


def _changes(state: Application, event: ApplicationEvent) -> dict[str, object]:
    s = ApplicationStatus
    match event:
        case CorrectionsRequested():
            return {"status": s.CORRECTIONS_REQUESTED, "corrections": event.items}
        case ApplicationResubmitted():
            return {
                "status": s.APPLIED,
                "details": event.details,
                "submitted_at": event.occurred_at,
            }
        case ApplicationAccepted():
            return {
                "status": s.ACCEPTED,
                "accepted_at": event.occurred_at,
                "deemed_accepted": event.deemed,
            }
        case ConsultationSent():
            return {"status": s.CONSULTED, "consulted_at": event.occurred_at}
        case DestinationAnswered():
            return {
                "status": s.ANSWERED,
                "answered_at": event.occurred_at,
                "destination_agreed": event.agreed,
                "destination_reasons": event.reasons,
            }
        case TransferApproved():
            return {"status": s.APPROVED, "decided_at": event.occurred_at, "approval": event}
        case TransferRefused():
            return {
                "status": s.REFUSED,
                "decided_at": event.occurred_at,
                "refusal_reasons": event.reasons,
            }
        case ApplicationOverdue():
            return {"overdue_steps": (*state.overdue_steps, event.step)}
        case TransferApplied():
            return {}  # only ever the first event (see ``start``)
