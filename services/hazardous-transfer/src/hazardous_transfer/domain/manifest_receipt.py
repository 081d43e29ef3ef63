"""The receiver's confirmation, and corrections after signing: the shipper's of its
declaration, the receiver's of its receipt (each a new version, the earlier ones kept). A
confirmation compares what arrived with what was declared and raises a discrepancy,
addressed to the shipper and the destination province, when they differ."""

from __future__ import annotations

from dataclasses import dataclass

from hazardous_transfer.domain.acts import Act, Role
from hazardous_transfer.domain.approval_ledger import ApprovalLedger
from hazardous_transfer.domain.discrepancy import Observation, find_discrepancies
from hazardous_transfer.domain.errors import AlreadyDone, InvalidCommand, OutOfOrder
from hazardous_transfer.domain.manifest import Manifest, ManifestStatus
from hazardous_transfer.domain.manifest_commands import act_date, check_licence, common
from hazardous_transfer.domain.policy import TransferPolicy
from zw_shared.contracts.hazardous import (
    DiscrepancyRaised,
    ManifestCorrected,
    ManifestEvent,
    ManifestReceiptCorrected,
    ManifestReceived,
    WasteDeclaration,
)


@dataclass(frozen=True)
class Receipt:
    observation: Observation
    method: str


def receive(
    state: Manifest,
    act: Act,
    receipt: Receipt,
    ledger: ApprovalLedger | None,
    policy: TransferPolicy,
) -> list[ManifestEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.RECEIVER, state.receiver_id, "the receipt signature")
    if state.receipt is not None:
        raise AlreadyDone(f"manifest {state.manifest_no} was already received")
    if state.status is not ManifestStatus.DELIVERED:
        raise OutOfOrder(f"manifest {state.manifest_no} is {state.status}, not delivered")
    seen = receipt.observation
    _check_receipt(state, act, receipt, ledger)
    received = ManifestReceived(
        **common(act, state),
        receiver_id=act.actor_id,
        accepted_kg=seen.accepted_kg,
        refused_kg=seen.refused_kg,
        method=receipt.method,
        observed_code=seen.code,
        observed_form=seen.form,
        observed_packaging=seen.packaging,
    )
    return [received, *_discrepancy(state, act, state.waste, seen, policy)]


def correct_receipt(
    state: Manifest,
    act: Act,
    receipt: Receipt,
    reason: str,
    ledger: ApprovalLedger | None,
    policy: TransferPolicy,
) -> list[ManifestEvent]:
    """The receiver's new version of its receipt, until the manifest is processed."""
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.RECEIVER, state.receiver_id, "correcting the receipt")
    if state.receipt is None:
        raise OutOfOrder(f"manifest {state.manifest_no} was not received yet")
    if state.status is ManifestStatus.PROCESSED:
        raise OutOfOrder(f"manifest {state.manifest_no} is processed: it can no longer change")
    if not reason.strip():
        raise InvalidCommand("give the reason for the correction")
    seen = receipt.observation
    if (seen, receipt.method) == (_observation(state.receipt), state.receipt.method):
        raise InvalidCommand("the correction changes nothing")
    _check_receipt(state, act, receipt, ledger)
    corrected = ManifestReceiptCorrected(
        **common(act, state),
        receipt_version=state.receipt_version + 1,
        receiver_id=act.actor_id,
        accepted_kg=seen.accepted_kg,
        refused_kg=seen.refused_kg,
        method=receipt.method,
        observed_code=seen.code,
        observed_form=seen.form,
        observed_packaging=seen.packaging,
        reason=reason,
    )
    return [corrected, *_discrepancy(state, act, state.waste, seen, policy)]


def _check_receipt(
    state: Manifest, act: Act, receipt: Receipt, ledger: ApprovalLedger | None
) -> None:
    seen = receipt.observation
    if seen.received_kg <= 0:
        raise InvalidCommand("record the accepted and refused quantities (both are zero)")
    if not receipt.method.strip():
        raise InvalidCommand("record the treatment method")
    if seen.accepted_kg > 0:
        check_licence(state.receiver_licence, seen.code, act_date(act))
    if ledger is not None:
        ledger.check_quantity(state.charged_kg, seen.accepted_kg, "accepting")


def _discrepancy(
    state: Manifest, act: Act, declared: WasteDeclaration, seen: Observation, p: TransferPolicy
) -> list[ManifestEvent]:
    found = find_discrepancies(declared, seen, p.quantity_tolerance)
    kinds = tuple(kind for kind, _ in found)
    if not found or (state.discrepancy is not None and state.discrepancy.kinds == kinds):
        return []
    raised = DiscrepancyRaised(
        **common(act, state),
        kinds=kinds,
        shipped_kg=declared.quantity_kg,
        received_kg=seen.received_kg,
        details=tuple(detail for _, detail in found),
        notify=(state.shipper_id, state.destination_province),
    )
    return [raised]


def correct(
    state: Manifest,
    act: Act,
    waste: WasteDeclaration,
    reason: str,
    ledger: ApprovalLedger | None,
    policy: TransferPolicy,
) -> list[ManifestEvent]:
    """A new version of the shipper's declaration; the earlier versions stay."""
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.SHIPPER, state.shipper_id, "correcting the declaration")
    if state.status is ManifestStatus.PROCESSED:
        raise OutOfOrder(f"manifest {state.manifest_no} is processed: it can no longer change")
    if waste == state.waste:
        raise InvalidCommand("the correction changes nothing")
    if not reason.strip():
        raise InvalidCommand("give the reason for the correction")
    _check_correction(state, act, waste, ledger, policy)
    corrected = ManifestCorrected(
        **common(act, state),
        manifest_version=state.manifest_version + 1,
        waste=waste,
        reason=reason,
    )
    if state.receipt is None:
        return [corrected]
    seen = _observation(state.receipt)
    return [corrected, *_discrepancy(state, act, waste, seen, policy)]


def _check_correction(
    state: Manifest,
    act: Act,
    waste: WasteDeclaration,
    ledger: ApprovalLedger | None,
    policy: TransferPolicy,
) -> None:
    policy.catalogue.check(waste.waste_code, state.paper_issued_on or act_date(act))
    check_licence(state.receiver_licence, waste.waste_code, act_date(act))
    if ledger is not None:
        ledger.check_covers(state.shipper_id, state.receiver_id, state.method, waste)
        if state.receipt is None:
            ledger.check_quantity(state.charged_kg, waste.quantity_kg, "shipping")


def _observation(receipt: ManifestReceived) -> Observation:
    return Observation(
        accepted_kg=receipt.accepted_kg,
        refused_kg=receipt.refused_kg,
        code=receipt.observed_code,
        form=receipt.observed_form,
        packaging=receipt.observed_packaging,
    )
