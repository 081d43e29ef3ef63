"""The receiver corrects its receipt after signing: a new version, the earlier ones kept, the
approval charged with what is now accepted, a discrepancy when the new receipt differs from
the declaration; refused for anyone but the receiver, before receipt or after processing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hazardous_builders import (
    CARRIER_A,
    CARRIER_B,
    carrier,
    draft_command,
    ledger,
    observed,
    receiver,
    shipper,
    truck,
)

from hazardous_transfer.domain import manifest_commands as mc
from hazardous_transfer.domain import manifest_receipt as mr
from hazardous_transfer.domain.approval_ledger import ApprovalLedger, record
from hazardous_transfer.domain.errors import (
    InvalidCommand,
    OutOfOrder,
    QuantityExceedsApproval,
    WrongParty,
)
from hazardous_transfer.domain.manifest import Manifest, evolve, start
from hazardous_transfer.domain.manifest_numbers import next_number
from hazardous_transfer.domain.policy import TransferPolicy
from zw_shared.contracts.hazardous import (
    DiscrepancyKind,
    DiscrepancyRaised,
    ManifestDrafted,
    ManifestEvent,
    ManifestReceiptCorrected,
)

policy = TransferPolicy()


@dataclass
class Run:
    manifest: Manifest
    ledger: ApprovalLedger

    def record(self, events: Sequence[ManifestEvent]) -> Run:
        for event in events:
            before, self.manifest = self.manifest, evolve(self.manifest, event)
            self.ledger = record(self.ledger, before, self.manifest)
        return self


def received(accepted: float = 1000.0) -> Run:
    led = ledger()
    events = mc.draft(draft_command(), shipper(), next_number(0, 2026, "32", "05"), led, policy)
    assert isinstance(events[0], ManifestDrafted)
    run = Run(start(events[0]), led)
    run.ledger = record(led, None, run.manifest)
    run.record(mc.pick_up(run.manifest, carrier(CARRIER_A), truck(), run.ledger))
    run.record(mc.hand_over(run.manifest, carrier(CARRIER_B), truck("沪A99999")))
    run.record(mc.deliver(run.manifest, carrier(CARRIER_B)))
    return run.record(mr.receive(run.manifest, receiver(), observed(accepted), run.ledger, policy))


def test_a_receipt_correction_is_a_new_version_and_the_earlier_receipt_stays() -> None:
    run = received(1000)
    events = mr.correct_receipt(run.manifest, receiver(), observed(1010), "re-weighed",
                                run.ledger, policy)  # fmt: skip
    run.record(events)
    (corrected,) = events  # within the tolerance: no discrepancy
    assert isinstance(corrected, ManifestReceiptCorrected)
    assert (corrected.receipt_version, corrected.reason) == (2, "re-weighed")
    m = run.manifest
    assert m.receipt is not None
    assert (m.receipt.accepted_kg, m.receipt_version) == (1010, 2)
    assert [r.accepted_kg for r in m.receipt_history] == [1000]
    assert m.log[-1].event_type == ManifestReceiptCorrected.event_type
    assert run.ledger.remaining_kg == 5000 - 1010


def test_a_corrected_receipt_beyond_the_tolerance_raises_a_discrepancy() -> None:
    run = received(1000)
    events = mr.correct_receipt(run.manifest, receiver(), observed(900, 100), "one drum leaked",
                                run.ledger, policy)  # fmt: skip
    run.record(events)
    raised = [e for e in events if isinstance(e, DiscrepancyRaised)]
    assert [set(e.kinds) for e in raised] == [{DiscrepancyKind.REJECTION}]
    assert run.manifest.discrepancy == raised[0]


def test_only_the_receiver_corrects_a_receipt_and_only_between_receipt_and_processing() -> None:
    run = received()
    with pytest.raises(WrongParty):
        mr.correct_receipt(run.manifest, shipper(), observed(990), "x", run.ledger, policy)
    with pytest.raises(InvalidCommand, match="changes nothing"):
        mr.correct_receipt(run.manifest, receiver(), observed(), "x", run.ledger, policy)
    with pytest.raises(InvalidCommand, match="reason"):
        mr.correct_receipt(run.manifest, receiver(), observed(990), " ", run.ledger, policy)
    with pytest.raises(QuantityExceedsApproval):
        mr.correct_receipt(run.manifest, receiver(), observed(6000), "x", run.ledger, policy)
    run.record(mc.process(run.manifest, receiver()))
    with pytest.raises(OutOfOrder, match="processed"):
        mr.correct_receipt(run.manifest, receiver(), observed(990), "x", run.ledger, policy)


def test_a_receipt_cannot_be_corrected_before_it_was_signed() -> None:
    run = received()
    before_receipt = run.manifest.model_copy(update={"receipt": None})
    with pytest.raises(OutOfOrder, match="not received"):
        mr.correct_receipt(before_receipt, receiver(), observed(990), "x", run.ledger, policy)


def test_a_repeated_correction_command_records_nothing_more() -> None:
    run = received()
    act = receiver()
    run.record(mr.correct_receipt(run.manifest, act, observed(990), "x", run.ledger, policy))
    assert mr.correct_receipt(run.manifest, act, observed(980), "x", run.ledger, policy) == []
