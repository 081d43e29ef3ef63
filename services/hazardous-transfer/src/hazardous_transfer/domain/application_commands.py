"""Commands on transfer applications. Each checks the rules against the current state and
returns the events to record (none when the command id was already handled: redelivery is
harmless); a refused command raises a :class:`DomainError` and changes nothing."""

from __future__ import annotations

from datetime import date

from hazardous_transfer.domain.acts import Act, Role
from hazardous_transfer.domain.application import Application
from hazardous_transfer.domain.application import ApplicationStatus as S
from hazardous_transfer.domain.errors import (
    AlreadyDone,
    InvalidCommand,
    LicenceDoesNotCover,
    OutOfOrder,
)
from hazardous_transfer.domain.policy import TransferPolicy, licence_covers
from hazardous_transfer.domain.validity import approval_validity
from hazardous_transfer.domain.working_days import CHINA_TZ
from zw_shared.contracts.hazardous import (
    ApplicationAccepted,
    ApplicationDetails,
    ApplicationEvent,
    ApplicationResubmitted,
    ApplicationStep,
    ConsultationSent,
    CorrectionsRequested,
    DestinationAnswered,
    TransferApplied,
    TransferApproved,
    TransferRefused,
)


def local_date(act: Act) -> date:
    return act.at.astimezone(CHINA_TZ).date()


def check_details(details: ApplicationDetails, policy: TransferPolicy, on: date) -> None:
    policy.provinces.check_prefecture(details.origin_province, details.origin_prefecture)
    policy.provinces.province(details.destination_province)
    if details.origin_province == details.destination_province:
        raise InvalidCommand("origin and destination are the same province: no approval needed")
    if details.requested_until < details.requested_from:
        raise InvalidCommand("requested_until is before requested_from")
    policy.catalogue.check(details.waste_code, on, details.waste_category)
    licence = details.receiver_licence
    if not licence_covers(licence, details.waste_code):
        raise LicenceDoesNotCover(
            f"receiver licence {licence.licence_no} does not cover {details.waste_code}"
        )
    if licence.valid_until < details.requested_from:
        raise LicenceDoesNotCover(
            f"receiver licence {licence.licence_no} expires on {licence.valid_until}, "
            "before the requested period starts"
        )


def _common(act: Act, state: Application | None = None, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {"command_id": act.command_id, "occurred_at": act.at}
    base["actor"] = act.actor_id
    if state is not None:
        _not_before_last_step(act, state)
        base |= {
            "application_id": state.application_id,
            "origin_province": state.origin,
            "destination_province": state.destination,
        }
    return base | kw


def _not_before_last_step(act: Act, state: Application) -> None:
    steps = (state.submitted_at, state.accepted_at, state.consulted_at, state.answered_at)
    last = max(t for t in steps if t is not None)
    if act.at < last:
        raise OutOfOrder(f"an act dated {act.at.isoformat()} cannot precede the last step, "
                         f"of {last.isoformat()}")  # fmt: skip


def _expect(state: Application, what: str, *allowed: S) -> None:
    if state.status not in allowed:
        wanted = " or ".join(s.value for s in allowed)
        raise OutOfOrder(f"cannot {what}: the application is {state.status.value}, not {wanted}")


def apply(
    application_id: str, details: ApplicationDetails, act: Act, policy: TransferPolicy
) -> TransferApplied:
    act.must_be_party(Role.SHIPPER, details.shipper_id, "applying")
    check_details(details, policy, local_date(act))
    return TransferApplied(
        **_common(act, application_id=application_id),
        origin_province=details.origin_province,
        destination_province=details.destination_province,
        details=details,
    )


def request_corrections(
    state: Application, act: Act, items: tuple[str, ...], policy: TransferPolicy
) -> list[ApplicationEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_official_of(state.origin, "asking for corrections")
    if state.corrections:
        raise AlreadyDone("corrections are asked for all at once, and they were already asked")
    _expect(state, "ask for corrections", S.APPLIED)
    limit = policy.application_limits[ApplicationStep.COMPLETENESS_CHECK]
    deadline = policy.working_days.deadline(state.submitted_at, limit)
    if act.at >= deadline:
        raise OutOfOrder(
            f"the completeness check ended at {deadline.isoformat()}: by the origin's "
            "silence the application counts as accepted"
        )
    if not items or any(not item.strip() for item in items):
        raise InvalidCommand("name every correction needed (items must not be empty)")
    return [CorrectionsRequested(**_common(act, state), items=items)]


def resubmit(
    state: Application, act: Act, details: ApplicationDetails, policy: TransferPolicy
) -> list[ApplicationEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.SHIPPER, state.details.shipper_id, "resubmitting")
    _expect(state, "resubmit", S.CORRECTIONS_REQUESTED)
    _same_parties(state.details, details)
    check_details(details, policy, local_date(act))
    return [ApplicationResubmitted(**_common(act, state), details=details)]


def _same_parties(before: ApplicationDetails, after: ApplicationDetails) -> None:
    for name in ("shipper_id", "origin_province", "destination_province"):
        if getattr(before, name) != getattr(after, name):
            raise InvalidCommand(f"a resubmission cannot change {name}: file a new application")


def accept(state: Application, act: Act) -> list[ApplicationEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_official_of(state.origin, "accepting")
    _expect(state, "accept", S.APPLIED)
    return [ApplicationAccepted(**_common(act, state), deemed=False)]


def consult(state: Application, act: Act) -> list[ApplicationEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_official_of(state.origin, "consulting the destination")
    _expect(state, "consult the destination", S.ACCEPTED)
    return [ConsultationSent(**_common(act, state))]


def answer(
    state: Application, act: Act, agreed: bool, reasons: tuple[str, ...] = ()
) -> list[ApplicationEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_official_of(state.destination, "answering the consultation")
    _expect(state, "answer", S.CONSULTED)
    if not agreed and not reasons:
        raise InvalidCommand("a refusal must give its reasons")
    return [DestinationAnswered(**_common(act, state), agreed=agreed, reasons=reasons)]


def approve(
    state: Application, act: Act, policy: TransferPolicy, white_listed_kg: float = 0.0
) -> list[ApplicationEvent]:
    """``white_listed_kg``: approved this year under the white list for the same receiver
    and code; without consultation, this application must fit in what is left of it."""
    if act.command_id in state.commands:
        return []
    act.must_be_official_of(state.origin, "approving")
    if state.status is S.ANSWERED and state.destination_agreed is False:
        raise OutOfOrder("the destination province refused: the application can only be refused")
    d = state.details
    if state.status is S.ACCEPTED and not policy.white_list.covers(
        d.receiver_id, d.waste_code, d.quantity_kg, white_listed_kg
    ):
        raise OutOfOrder(
            "the destination province must be consulted first: receiver and code are not "
            f"white-listed, or not for {d.quantity_kg:g} kg more this year "
            f"({white_listed_kg:g} kg approved under the white list already)"
        )
    _expect(state, "approve", S.ANSWERED, S.ACCEPTED)
    valid_from, valid_until = approval_validity(local_date(act), d, policy.approval_validity_months)
    approved = TransferApproved(
        **_common(act, state),
        approval_id=f"{state.application_id}-approval",
        waste_code=d.waste_code,
        waste_category=d.waste_category,
        quantity_ceiling_kg=d.quantity_kg,
        shipper_id=d.shipper_id,
        receiver_id=d.receiver_id,
        method=d.method,
        valid_from=valid_from,
        valid_until=valid_until,
        receiver_licence=d.receiver_licence,
        white_listed=state.status is S.ACCEPTED,
    )
    return [approved]


def refuse(state: Application, act: Act, reasons: tuple[str, ...]) -> list[ApplicationEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_official_of(state.origin, "refusing")
    _expect(state, "refuse", S.ACCEPTED, S.ANSWERED)
    if not reasons:
        raise InvalidCommand("a refusal must give its reasons")
    return [TransferRefused(**_common(act, state), reasons=reasons)]
