"""The inter-provincial transfer application: steps, parties, deadlines, the white list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hazardous_builders import MONDAY, RECEIVER, destination, details, licence, origin, shipper

from hazardous_transfer.domain import application_commands as cmd
from hazardous_transfer.domain.application import Application, ApplicationStatus, evolve, start
from hazardous_transfer.domain.application_deadlines import check_deadlines, pending_deadline
from hazardous_transfer.domain.errors import (
    AlreadyDone,
    InvalidCommand,
    LicenceDoesNotCover,
    OutOfOrder,
    UnknownProvince,
    WrongParty,
)
from hazardous_transfer.domain.policy import TransferPolicy, WhiteList, WhiteListEntry
from zw_shared.contracts.hazardous import ApplicationEvent, ApplicationOverdue, ApplicationStep

policy = TransferPolicy()


def fold(state: Application, events: Sequence[ApplicationEvent]) -> Application:
    for event in events:
        state = evolve(state, event)
    return state


def applied(white_listed: bool = False, **overrides: object) -> Application:
    return start(cmd.apply("APP-1", details(**overrides), shipper(), policy), white_listed)


def consulted() -> Application:
    state = applied()
    state = fold(state, cmd.accept(state, origin()))
    return fold(state, cmd.consult(state, origin()))


def test_an_application_goes_through_every_step_to_an_approval() -> None:
    state = consulted()
    state = fold(state, cmd.answer(state, destination(), agreed=True))
    state = fold(state, cmd.approve(state, origin(), policy))
    assert state.status is ApplicationStatus.APPROVED
    assert state.approval is not None
    assert state.approval.quantity_ceiling_kg == 20_000
    assert not state.approval.white_listed
    assert state.version == 5


def test_an_approval_is_valid_twelve_months_from_the_decision() -> None:
    state = consulted()
    state = fold(state, cmd.answer(state, destination(), agreed=True))
    approval = cmd.approve(state, origin(), policy)[0]
    assert approval.valid_from == date(2026, 3, 2)  # type: ignore[union-attr]
    assert approval.valid_until == date(2027, 3, 1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "until"),
    [
        ({"requested_until": date(2026, 9, 30)}, date(2026, 9, 30)),
        ({"receiver_licence": licence(valid_until=date(2026, 12, 31))}, date(2026, 12, 31)),
    ],
)
def test_an_approval_never_outlasts_the_requested_period_or_the_licence(
    overrides: dict[str, object], until: date
) -> None:
    state = applied(**overrides)
    state = fold(state, cmd.accept(state, origin()))
    state = fold(state, cmd.consult(state, origin()))
    state = fold(state, cmd.answer(state, destination(), agreed=True))
    assert cmd.approve(state, origin(), policy)[0].valid_until == until  # type: ignore[union-attr]


def test_a_destination_refusal_can_only_end_in_a_refusal() -> None:
    state = consulted()
    state = fold(state, cmd.answer(state, destination(), agreed=False, reasons=("no capacity",)))
    with pytest.raises(OutOfOrder, match="can only be refused"):
        cmd.approve(state, origin(), policy)
    state = fold(state, cmd.refuse(state, origin(), ("destination refused: no capacity",)))
    assert state.status is ApplicationStatus.REFUSED


def test_a_destination_refusal_must_give_reasons() -> None:
    with pytest.raises(InvalidCommand, match="reasons"):
        cmd.answer(consulted(), destination(), agreed=False)


def test_only_the_destination_province_answers_a_consultation() -> None:
    with pytest.raises(WrongParty, match="official of province 31"):
        cmd.answer(consulted(), origin(), agreed=True)


def test_only_the_origin_province_accepts() -> None:
    with pytest.raises(WrongParty, match="official of province 32"):
        cmd.accept(applied(), destination())


def test_only_the_named_shipper_applies() -> None:
    with pytest.raises(WrongParty, match="shipper 'shipper-js-1'"):
        cmd.apply("APP-2", details(shipper_id="someone-else"), shipper(), policy)


def test_approval_before_consultation_is_out_of_order_unless_white_listed() -> None:
    state = applied()
    state = fold(state, cmd.accept(state, origin()))
    with pytest.raises(OutOfOrder, match="consulted first"):
        cmd.approve(state, origin(), policy)


WHITE = WhiteList(
    (WhiteListEntry(receiver_id=RECEIVER, waste_code="900-041-49", annual_quantity_kg=50_000),)
)


def test_a_white_listed_application_skips_the_consultation() -> None:
    white_policy = replace(policy, white_list=WHITE)
    state = applied(white_listed=True)
    state = fold(state, cmd.accept(state, origin()))
    state = fold(state, cmd.approve(state, origin(), white_policy, white_listed_kg=30_000))
    assert state.approval is not None
    assert state.approval.white_listed


def test_the_white_list_quota_of_the_year_used_up_needs_a_consultation() -> None:
    white_policy = replace(policy, white_list=WHITE)
    state = applied(white_listed=True)
    state = fold(state, cmd.accept(state, origin()))
    with pytest.raises(OutOfOrder, match="30001 kg approved under the white list already"):
        cmd.approve(state, origin(), white_policy, white_listed_kg=30_001)


def test_the_white_list_covers_receiver_code_and_annual_quantity() -> None:
    white = WHITE
    assert white.covers(RECEIVER, "900-041-49", 50_000)
    assert white.covers(RECEIVER, "900-041-49", 20_000, already_kg=30_000)
    assert not white.covers(RECEIVER, "900-041-49", 20_000, already_kg=30_001)
    assert not white.covers(RECEIVER, "900-041-49", 50_001)
    assert not white.covers(RECEIVER, "900-249-08", 10)
    assert not white.covers("other-receiver", "900-041-49", 10)


def test_corrections_are_asked_all_at_once() -> None:
    state = applied()
    state = fold(state, cmd.request_corrections(state, origin(), ("licence copy", "MSDS"), policy))
    assert state.status is ApplicationStatus.CORRECTIONS_REQUESTED
    state = fold(state, cmd.resubmit(state, shipper(), details(waste_name="废油桶"), policy))
    with pytest.raises(AlreadyDone, match="all at once"):
        cmd.request_corrections(state, origin(), ("one more thing",), policy)
    state = fold(state, cmd.accept(state, origin()))
    assert state.status is ApplicationStatus.ACCEPTED
    assert state.details.waste_name == "废油桶"


def test_a_resubmission_cannot_change_the_provinces() -> None:
    state = applied()
    state = fold(state, cmd.request_corrections(state, origin(), ("licence copy",), policy))
    with pytest.raises(InvalidCommand, match="destination_province"):
        cmd.resubmit(state, shipper(), details(destination_province="33"), policy)


def test_a_redelivered_command_changes_nothing() -> None:
    state = applied()
    accept = origin()
    state = fold(state, cmd.accept(state, accept))
    assert cmd.accept(state, accept) == []
    with pytest.raises(OutOfOrder, match="is accepted, not applied"):
        cmd.accept(state, origin())  # a second, different acceptance


@pytest.mark.parametrize(
    ("overrides", "error", "reason"),
    [
        ({"destination_province": "32"}, InvalidCommand, "same province"),
        ({"destination_province": "44"}, UnknownProvince, "'44'"),
        ({"requested_until": date(2026, 2, 1)}, InvalidCommand, "requested_until"),
        (
            {
                "waste_code": "900-249-08",
                "waste_category": "HW08",
                "receiver_licence": licence(covers=("HW49",)),
            },
            LicenceDoesNotCover,
            "does not cover",
        ),
        (
            {"receiver_licence": licence(valid_until=date(2026, 2, 1))},
            LicenceDoesNotCover,
            "expires",
        ),
    ],
)
def test_an_application_that_breaks_a_rule_is_refused(
    overrides: dict[str, object], error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        cmd.apply("APP-3", details(**overrides), shipper(), policy)


def test_silence_at_the_completeness_check_counts_as_acceptance_with_an_overdue() -> None:
    state = applied()  # Mon 2 Mar: limit ends at the end of Mon 9 Mar, Beijing time
    assert check_deadlines(state, datetime(2026, 3, 9, 15, 59, tzinfo=UTC), policy) == []
    events = check_deadlines(state, datetime(2026, 3, 9, 16, 0, tzinfo=UTC), policy)
    assert [e.event_type for e in events] == [
        "hazardous.application.overdue",
        "hazardous.application.accepted",
    ]
    state = fold(state, events)
    assert state.status is ApplicationStatus.ACCEPTED
    assert state.deemed_accepted


def test_asking_for_corrections_after_the_deadline_is_refused() -> None:
    late = origin(MONDAY + timedelta(days=8))
    with pytest.raises(OutOfOrder, match="counts as accepted"):
        cmd.request_corrections(applied(), late, ("licence copy",), policy)


@pytest.mark.parametrize(
    ("days_late", "steps"),
    [
        (1, [ApplicationStep.DESTINATION_ANSWER]),
        (30, [ApplicationStep.DESTINATION_ANSWER]),
    ],
)
def test_a_late_destination_answer_is_overdue_once(
    days_late: int, steps: list[ApplicationStep]
) -> None:
    state = consulted()  # consulted Mon 2 Mar: 10 working days end with Mon 16 Mar
    step, deadline = pending_deadline(state, policy) or (None, None)
    assert step is ApplicationStep.DESTINATION_ANSWER
    assert deadline == datetime(2026, 3, 16, 16, 0, tzinfo=UTC)
    events = check_deadlines(state, deadline + timedelta(days=days_late), policy)
    assert [e.step for e in events if isinstance(e, ApplicationOverdue)] == steps
    assert check_deadlines(fold(state, events), deadline + timedelta(days=60), policy) == []


def test_deadlines_of_a_deemed_acceptance_run_on_into_the_review() -> None:
    events = check_deadlines(applied(), MONDAY + timedelta(days=40), policy)
    overdue = [e.step for e in events if isinstance(e, ApplicationOverdue)]
    assert overdue == [ApplicationStep.COMPLETENESS_CHECK, ApplicationStep.REVIEW]


def test_a_decided_application_has_no_deadline() -> None:
    state = consulted()
    state = fold(state, cmd.answer(state, destination(), agreed=True))
    state = fold(state, cmd.approve(state, origin(), policy))
    assert pending_deadline(state, policy) is None


def test_an_origin_that_does_not_decide_within_five_working_days_is_overdue() -> None:
    state = consulted()
    state = fold(state, cmd.answer(state, destination(), agreed=True))  # Mon 2 Mar
    step, deadline = pending_deadline(state, policy) or (None, None)
    assert step is ApplicationStep.DECISION
    assert deadline == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # end of Mon 9 Mar, Beijing
    (overdue,) = check_deadlines(state, deadline, policy)
    assert isinstance(overdue, ApplicationOverdue)
    assert overdue.step is ApplicationStep.DECISION


def test_a_consultation_sent_before_the_spring_festival_waits_for_the_holiday_to_end() -> None:
    # consulted Thu 12 Feb 2026: Fri 13 (1), Sat 14 make-up (2), festival 15-23,
    # Tue 24 .. Fri 27 (3-6), Sat 28 make-up (7), Mon 2 .. Wed 4 Mar (8-10).
    before_festival = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)
    applying = cmd.apply("APP-9", details(requested_from=date(2026, 2, 1)),
                         shipper(before_festival), policy)  # fmt: skip
    state = start(applying, white_listed=False)
    state = fold(state, cmd.accept(state, origin(before_festival)))
    state = fold(state, cmd.consult(state, origin(before_festival)))
    _, deadline = pending_deadline(state, policy) or (None, None)
    assert deadline == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


def test_an_act_dated_before_the_previous_step_is_out_of_order() -> None:
    state = applied()  # Mon 2 Mar
    with pytest.raises(OutOfOrder, match="cannot precede the last step"):
        cmd.accept(state, origin(MONDAY - timedelta(hours=1)))
