"""Transfer manifests (联单): numbering, ordered signatures, the approval's quantity,
licences, discrepancies, corrections and time limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hazardous_builders import (
    CARRIER_A,
    CARRIER_B,
    MONDAY,
    RECEIVER,
    SHIPPER,
    carrier,
    draft_command,
    ledger,
    licence,
    observed,
    receiver,
    shipper,
    truck,
    waste,
)

from hazardous_transfer.domain import manifest_commands as mc
from hazardous_transfer.domain import manifest_receipt as mr
from hazardous_transfer.domain.approval_ledger import ApprovalLedger, record
from hazardous_transfer.domain.errors import (
    AlreadyDone,
    ApprovalExpired,
    InvalidCommand,
    LicenceDoesNotCover,
    NewApplicationRequired,
    OutOfOrder,
    QuantityExceedsApproval,
    SerialExhausted,
    WasteCodeNotInEdition,
    WrongParty,
)
from hazardous_transfer.domain.manifest import Manifest, ManifestStatus, evolve, start
from hazardous_transfer.domain.manifest_deadlines import check_deadlines
from hazardous_transfer.domain.manifest_numbers import ManifestNumber, next_number
from hazardous_transfer.domain.policy import TransferPolicy
from hazardous_transfer.domain.waste_codes import Catalogue
from zw_shared.contracts.hazardous import (
    DiscrepancyKind,
    DiscrepancyRaised,
    ManifestEvent,
    ManifestStep,
    WasteForm,
)

policy = TransferPolicy()


@dataclass
class Run:
    """A manifest and its approval's ledger, kept in step as the events are recorded."""

    manifest: Manifest
    ledger: ApprovalLedger | None

    def record(self, events: Sequence[ManifestEvent]) -> Run:
        for event in events:
            before, self.manifest = self.manifest, evolve(self.manifest, event)
            if self.ledger is not None:
                self.ledger = record(self.ledger, before, self.manifest)
        return self


def drafted(at: datetime = MONDAY, **overrides: object) -> Run:
    """Across provinces under the approval of :func:`ledger`, unless ``approval_id=None``."""
    led = ledger() if overrides.get("approval_id", "yes") is not None else None
    events = mc.draft(draft_command(**overrides), shipper(at), number(year=at.year), led, policy)
    run = Run(start(events[0]), led)  # type: ignore[arg-type]
    run.ledger = record(led, None, run.manifest) if led is not None else None
    return run.record(events[1:])


def number(serial: int = 0, year: int = 2026) -> ManifestNumber:
    return next_number(serial, year, "32", "05")


def delivered(at: datetime = MONDAY, **overrides: object) -> Run:
    run = drafted(at, **overrides)
    run.record(mc.pick_up(run.manifest, carrier(CARRIER_A, at), truck(), run.ledger))
    run.record(mc.hand_over(run.manifest, carrier(CARRIER_B, at), truck("沪A99999")))
    return run.record(mc.deliver(run.manifest, carrier(CARRIER_B, at)))


def test_a_manifest_runs_from_draft_through_a_relay_to_processing() -> None:
    run = delivered()
    run.record(mr.receive(run.manifest, receiver(), observed(), run.ledger, policy))
    run.record(mc.process(run.manifest, receiver()))
    m = run.manifest
    assert m.status is ManifestStatus.PROCESSED
    assert [leg.carrier_id for leg in m.legs] == [CARRIER_A, CARRIER_B]
    assert [entry.actor for entry in m.log] == [SHIPPER, CARRIER_A, CARRIER_B, CARRIER_B,
                                                RECEIVER, RECEIVER]  # fmt: skip
    assert m.discrepancy is None
    assert run.ledger is not None
    assert run.ledger.remaining_kg == 4000


def test_manifest_numbers_are_year_province_prefecture_and_a_gap_free_serial() -> None:
    assert str(number()) == "20263205000001"
    assert str(number(41)) == "20263205000042"
    assert ManifestNumber.parse("20263205000042") == number(41)
    with pytest.raises(SerialExhausted, match="every serial"):
        number(999_999)
    with pytest.raises(InvalidCommand, match="14 digits"):
        ManifestNumber.parse("2026320500004")


def test_a_number_of_another_prefecture_is_refused() -> None:
    wrong = next_number(0, 2026, "32", "01")
    with pytest.raises(InvalidCommand, match="not of 2026 and the origin"):
        mc.draft(draft_command(), shipper(), wrong, ledger(), policy)


def test_delivery_before_the_relay_carrier_signed_is_out_of_order() -> None:
    run = drafted()
    run.record(mc.pick_up(run.manifest, carrier(CARRIER_A), truck(), run.ledger))
    with pytest.raises(OutOfOrder, match="'carrier-sh-2' has not signed"):
        mc.deliver(run.manifest, carrier(CARRIER_B))


def test_receipt_before_delivery_and_processing_before_receipt_are_out_of_order() -> None:
    run = drafted()
    with pytest.raises(OutOfOrder, match="not delivered"):
        mr.receive(run.manifest, receiver(), observed(), run.ledger, policy)
    with pytest.raises(OutOfOrder, match="not received"):
        mc.process(delivered().manifest, receiver())


def test_only_the_first_carrier_signs_the_pickup() -> None:
    run = drafted()
    with pytest.raises(WrongParty, match="carrier 'carrier-js-1'"):
        mc.pick_up(run.manifest, carrier(CARRIER_B), truck(), run.ledger)
    with pytest.raises(WrongParty, match="not receiver"):
        mc.pick_up(run.manifest, receiver(), truck(), run.ledger)


def test_a_second_signature_of_the_same_step_is_refused_but_a_redelivery_is_harmless() -> None:
    run = drafted()
    pickup = carrier(CARRIER_A)
    run.record(mc.pick_up(run.manifest, pickup, truck(), run.ledger))
    assert mc.pick_up(run.manifest, pickup, truck(), run.ledger) == []
    with pytest.raises(AlreadyDone, match="already picked up"):
        mc.pick_up(run.manifest, carrier(CARRIER_A), truck(), run.ledger)
    with pytest.raises(AlreadyDone, match="already signed"):
        mc.hand_over(run.manifest, carrier(CARRIER_A), truck())


def test_a_second_receipt_is_refused() -> None:
    run = delivered()
    run.record(mr.receive(run.manifest, receiver(), observed(), run.ledger, policy))
    with pytest.raises(AlreadyDone, match="already received"):
        mr.receive(run.manifest, receiver(), observed(), run.ledger, policy)


def test_the_carrier_must_fill_in_vehicle_permit_and_route() -> None:
    with pytest.raises(InvalidCommand, match="route"):
        mc.pick_up(drafted().manifest, carrier(CARRIER_A), replace(truck(), route=" "), None)


def test_shipping_more_than_is_left_of_the_approval_is_refused() -> None:
    used = ledger().charge(None, 4500)  # another manifest under it
    with pytest.raises(QuantityExceedsApproval, match="500 kg of 5000 kg"):
        mc.draft(draft_command(), shipper(), number(1), used, policy)


def test_receiving_more_than_is_left_of_the_approval_is_refused() -> None:
    run = delivered()
    assert run.ledger is not None
    run.ledger = run.ledger.charge(None, 3500)  # another manifest under it
    with pytest.raises(QuantityExceedsApproval, match="accepting 1600 kg"):
        mr.receive(run.manifest, receiver(), observed(1600), run.ledger, policy)


def test_a_receiver_whose_licence_does_not_cover_the_code_cannot_accept_it() -> None:
    run = delivered()
    with pytest.raises(LicenceDoesNotCover, match="does not cover 900-210-08"):
        mr.receive(run.manifest, receiver(), observed(code="900-210-08"), run.ledger, policy)


def test_an_expired_approval_cannot_carry_a_new_manifest_or_a_pickup() -> None:
    after = MONDAY + timedelta(days=400)
    with pytest.raises(ApprovalExpired, match="expired on 2027-03-01"):
        drafted(at=after)
    run = drafted()
    with pytest.raises(ApprovalExpired):
        mc.pick_up(run.manifest, carrier(CARRIER_A, after), truck(), run.ledger)


def test_a_code_not_in_the_edition_in_force_is_refused() -> None:
    strict = replace(policy, catalogue=Catalogue().with_tables({"2025": frozenset({"900-249-08"})}))
    with pytest.raises(WasteCodeNotInEdition, match="not in the 2025 edition"):
        mc.draft(draft_command(), shipper(), number(), ledger(), strict)


@pytest.mark.parametrize(
    ("overrides", "what"),
    [
        ({"receiver_id": "receiver-zj-9"}, "receiver"),
        ({"method": "D10"}, "method"),
        ({"waste": waste(waste_code="900-039-49")}, "waste code"),
    ],
)
def test_a_change_of_receiver_method_or_waste_needs_a_new_application(
    overrides: dict[str, object], what: str
) -> None:
    with pytest.raises(NewApplicationRequired, match=f"{what} .* new application"):
        mc.draft(draft_command(**overrides), shipper(), number(), ledger(), policy)


def test_a_transfer_across_provinces_needs_an_approval() -> None:
    with pytest.raises(InvalidCommand, match="needs its approval"):
        mc.draft(draft_command(approval_id=None), shipper(), number(), None, policy)


def test_a_transfer_within_a_province_runs_on_the_receivers_licence() -> None:
    run = drafted(destination_province="32", approval_id=None, receiver_licence=licence())
    assert run.manifest.receiver_licence.licence_no == "SH-HW-0001"


def _received(receipt: mr.Receipt) -> Run:
    run = delivered()
    return run.record(mr.receive(run.manifest, receiver(), receipt, run.ledger, policy))


def test_a_weight_within_the_tolerance_raises_no_discrepancy() -> None:
    assert _received(observed(1049)).manifest.discrepancy is None


def test_a_weight_beyond_the_tolerance_goes_to_the_shipper_and_destination_province() -> None:
    d = _received(observed(1060)).manifest.discrepancy
    assert d is not None
    assert d.kinds == (DiscrepancyKind.QUANTITY,)
    assert d.notify == (SHIPPER, "31")


def test_a_different_code_form_packaging_or_a_refusal_each_is_a_discrepancy() -> None:
    receipt = observed(600, 400, code="900-039-49", form=WasteForm.LIQUID, packaging="IBC")
    d = _received(receipt).manifest.discrepancy
    assert d is not None
    assert set(d.kinds) == {DiscrepancyKind.CODE, DiscrepancyKind.FORM,
                            DiscrepancyKind.PACKAGING, DiscrepancyKind.REJECTION}  # fmt: skip


def test_a_fully_refused_load_cannot_be_processed() -> None:
    run = _received(observed(0, 1000))
    with pytest.raises(OutOfOrder, match="nothing to process"):
        mc.process(run.manifest, receiver())


def test_a_correction_after_signing_is_a_new_version_and_the_history_stays() -> None:
    run = _received(observed(1060))
    events = mr.correct(
        run.manifest, shipper(), waste(quantity_kg=1060.0), "weighbridge", run.ledger, policy
    )
    run.record(events)
    assert [v.manifest_version for v in run.manifest.versions] == [1, 2]
    assert run.manifest.versions[0].waste.quantity_kg == 1000
    assert run.manifest.waste.quantity_kg == 1060
    assert not any(isinstance(e, DiscrepancyRaised) for e in events)


def test_a_correction_that_changes_nothing_or_comes_after_processing_is_refused() -> None:
    run = delivered()
    with pytest.raises(InvalidCommand, match="changes nothing"):
        mr.correct(run.manifest, shipper(), waste(), "typo", run.ledger, policy)
    run.record(mr.receive(run.manifest, receiver(), observed(), run.ledger, policy))
    run.record(mc.process(run.manifest, receiver()))
    with pytest.raises(OutOfOrder, match="processed"):
        mr.correct(run.manifest, shipper(), waste(quantity_kg=1.0), "typo", run.ledger, policy)


def test_a_receiver_silent_for_five_working_days_after_delivery_is_overdue_once() -> None:
    # delivered Fri 13 Feb 2026 (Beijing): Sat 14 make-up, festival, Tue 24 .. Fri 27 = 5 days
    friday = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    run = delivered(friday, destination_province="32", approval_id=None, receiver_licence=licence())
    deadline = datetime(2026, 2, 27, 16, 0, tzinfo=UTC)
    assert check_deadlines(run.manifest, deadline - timedelta(seconds=1), policy) == []
    events = check_deadlines(run.manifest, deadline, policy)
    assert [(e.step, e.deadline) for e in events] == [(ManifestStep.RECEIPT_CONFIRMATION, deadline)]  # type: ignore[union-attr]
    run.record(events)
    assert check_deadlines(run.manifest, deadline + timedelta(days=9), policy) == []


@pytest.mark.parametrize(
    ("entered", "late"), [(date(2026, 3, 16), False), (date(2026, 3, 17), True)]
)
def test_a_paper_manifest_must_be_back_filled_within_ten_working_days(
    entered: date, late: bool
) -> None:
    at = datetime.combine(entered, datetime.min.time(), tzinfo=UTC) + timedelta(hours=2)
    run = drafted(at, paper_issued_on=date(2026, 3, 2))
    overdue = [s for s in run.manifest.overdue_steps if s is ManifestStep.PAPER_BACKFILL]
    assert bool(overdue) is late
    assert run.manifest.paper_issued_on == date(2026, 3, 2)


def test_a_signature_dated_before_the_previous_one_is_out_of_order() -> None:
    run = drafted()
    with pytest.raises(OutOfOrder, match=r"cannot follow hazardous\.manifest\.drafted"):
        mc.pick_up(run.manifest, carrier(CARRIER_A, MONDAY - timedelta(minutes=5)), truck(), None)


def test_a_paper_manifest_entered_late_takes_its_signatures_with_their_paper_times() -> None:
    entered = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # late: an overdue note is logged
    run = drafted(entered, paper_issued_on=date(2026, 3, 2))
    signed_on_paper = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    run.record(mc.pick_up(run.manifest, carrier(CARRIER_A, signed_on_paper), truck(), None))
    assert run.manifest.legs[0].signed_at == signed_on_paper
    issued_later = drafted(entered, paper_issued_on=date(2026, 3, 3)).manifest
    with pytest.raises(OutOfOrder, match="cannot follow the paper manifest"):
        mc.pick_up(issued_later, carrier(CARRIER_A, signed_on_paper), truck(), None)
