"""Time limits of an application's steps, in working days, and what happens when one passes:
an overdue event, once per step; at the completeness check, silence also counts as
acceptance (a deemed acceptance at the deadline)."""

from __future__ import annotations

from datetime import datetime

from hazardous_transfer.domain.acts import SYSTEM
from hazardous_transfer.domain.application import Application, evolve
from hazardous_transfer.domain.application import ApplicationStatus as S
from hazardous_transfer.domain.policy import TransferPolicy
from zw_shared.contracts.hazardous import (
    ApplicationAccepted,
    ApplicationEvent,
    ApplicationOverdue,
    ApplicationStep,
)

_PENDING = {
    S.APPLIED: (ApplicationStep.COMPLETENESS_CHECK, "submitted_at"),
    S.ACCEPTED: (ApplicationStep.REVIEW, "accepted_at"),
    S.CONSULTED: (ApplicationStep.DESTINATION_ANSWER, "consulted_at"),
    S.ANSWERED: (ApplicationStep.DECISION, "answered_at"),
}


def pending_deadline(
    state: Application, policy: TransferPolicy
) -> tuple[ApplicationStep, datetime] | None:
    """The step the application waits for and the instant its time limit ends."""
    if state.status not in _PENDING:
        return None
    step, started_field = _PENDING[state.status]
    started: datetime = getattr(state, started_field)
    return step, policy.working_days.deadline(started, policy.application_limits[step])


def check_deadlines(
    state: Application, now: datetime, policy: TransferPolicy
) -> list[ApplicationEvent]:
    """The events a passed time limit causes, as of ``now``. Calling it again (or later for
    the same step) adds nothing: each step is overdue once."""
    events: list[ApplicationEvent] = []
    while step_events := _passed(state, now, policy):
        for event in step_events:
            state = evolve(state, event)
        events += step_events
    return events


def _passed(state: Application, now: datetime, policy: TransferPolicy) -> list[ApplicationEvent]:
    pending = pending_deadline(state, policy)
    if pending is None or now < pending[1]:
        return []
    step, deadline = pending
    events: list[ApplicationEvent] = []
    if step not in state.overdue_steps:
        events.append(_overdue(state, step, deadline))
    if step is ApplicationStep.COMPLETENESS_CHECK:
        events.append(_deemed_accepted(state, deadline))
    return events


def _ids(state: Application, what: str, at: datetime) -> dict[str, object]:
    return {
        "command_id": f"{state.application_id}:{what}",
        "occurred_at": at,
        "actor": SYSTEM,
        "application_id": state.application_id,
        "origin_province": state.origin,
        "destination_province": state.destination,
    }


def _overdue(state: Application, step: ApplicationStep, deadline: datetime) -> ApplicationOverdue:
    return ApplicationOverdue(
        **_ids(state, f"overdue:{step.value}", deadline), step=step, deadline=deadline
    )


def _deemed_accepted(state: Application, deadline: datetime) -> ApplicationAccepted:
    return ApplicationAccepted(**_ids(state, "deemed-accepted", deadline), deemed=True)
