"""Commands on manifests: drafting and the ordered signatures. Each returns the events to
record (none for a command id already handled) or raises a :class:`DomainError`, leaving the
state unchanged. Across provinces a manifest runs under an approval, whose ledger the caller
passes in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from hazardous_transfer.domain.acts import SYSTEM, Act, Role
from hazardous_transfer.domain.approval_ledger import ApprovalLedger
from hazardous_transfer.domain.errors import (
    AlreadyDone,
    InvalidCommand,
    LicenceDoesNotCover,
    OutOfOrder,
)
from hazardous_transfer.domain.manifest import Manifest, ManifestStatus
from hazardous_transfer.domain.manifest_numbers import ManifestNumber
from hazardous_transfer.domain.policy import TransferPolicy, licence_covers
from hazardous_transfer.domain.working_days import CHINA_TZ
from zw_shared.contracts.hazardous import (
    ManifestDelivered,
    ManifestDrafted,
    ManifestEvent,
    ManifestHandedOver,
    ManifestOverdue,
    ManifestPickedUp,
    ManifestProcessed,
    ManifestStep,
    ReceiverLicence,
    WasteDeclaration,
)


@dataclass(frozen=True)
class DraftManifest:
    shipper_id: str
    receiver_id: str
    carriers: tuple[str, ...]
    origin_province: str
    origin_prefecture: str
    destination_province: str
    waste: WasteDeclaration
    method: str
    approval_id: str | None = None
    receiver_licence: ReceiverLicence | None = None  # within a province; else the approval's
    paper_issued_on: date | None = None


@dataclass(frozen=True)
class Transport:
    vehicle: str
    transport_permit: str
    route: str


def act_date(act: Act) -> date:
    return act.at.astimezone(CHINA_TZ).date()


def check_licence(licence: ReceiverLicence, code: str, on: date) -> None:
    if not licence_covers(licence, code):
        raise LicenceDoesNotCover(f"receiver licence {licence.licence_no} does not cover {code}")
    if on > licence.valid_until:
        raise LicenceDoesNotCover(
            f"receiver licence {licence.licence_no} expired on {licence.valid_until}"
        )


def common(act: Act, state: Manifest) -> dict[str, object]:
    """The fields every event of this act carries; an act dated before the manifest's last
    signature is out of order (signatures entered afterwards keep their real times)."""
    what, last_at = _last_signature(state)
    if act.at < last_at:
        raise OutOfOrder(
            f"an act dated {act.at.isoformat()} cannot follow {what} of {last_at.isoformat()}"
        )
    return {
        "command_id": act.command_id,
        "occurred_at": act.at,
        "actor": act.actor_id,
        "manifest_no": state.manifest_no,
        "origin_province": state.origin_province,
        "destination_province": state.destination_province,
    }


def _last_signature(state: Manifest) -> tuple[str, datetime]:
    """The last act of a party (the system's overdue notes do not count). A paper manifest
    was drafted on the day its paper was issued, whenever it was entered."""
    last = [entry for entry in state.log if entry.actor != SYSTEM][-1]
    if last.event_type == ManifestDrafted.event_type and state.paper_issued_on is not None:
        return "the paper manifest", datetime.combine(state.paper_issued_on, time.min, CHINA_TZ)
    return last.event_type, last.at


def draft(
    cmd: DraftManifest,
    act: Act,
    number: ManifestNumber,
    ledger: ApprovalLedger | None,
    policy: TransferPolicy,
) -> list[ManifestEvent]:
    act.must_be_party(Role.SHIPPER, cmd.shipper_id, "drafting a manifest")
    on = cmd.paper_issued_on or act_date(act)
    if on > act_date(act):
        raise InvalidCommand("paper_issued_on is in the future")
    _check_draft(cmd, on, number, policy)
    licence = _licence(cmd, ledger, on)
    drafted = ManifestDrafted(
        command_id=act.command_id,
        occurred_at=act.at,
        actor=act.actor_id,
        manifest_no=str(number),
        **{k: v for k, v in vars(cmd).items() if k != "receiver_licence"},
        receiver_licence=licence,
    )
    return [drafted, *_late_backfill(drafted, act, policy)]


def _check_draft(cmd: DraftManifest, on: date, number: ManifestNumber, p: TransferPolicy) -> None:
    p.provinces.check_prefecture(cmd.origin_province, cmd.origin_prefecture)
    p.provinces.province(cmd.destination_province)
    if (number.year, number.province, number.prefecture) != (
        on.year, cmd.origin_province, cmd.origin_prefecture
    ):  # fmt: skip
        raise InvalidCommand(f"manifest number {number} is not of {on.year} and the origin")
    if not cmd.carriers or any(not c.strip() for c in cmd.carriers):
        raise InvalidCommand("name at least one carrier, in relay order")
    p.catalogue.check(cmd.waste.waste_code, on)


def _licence(cmd: DraftManifest, ledger: ApprovalLedger | None, on: date) -> ReceiverLicence:
    if cmd.origin_province != cmd.destination_province:
        if ledger is None or ledger.approval.approval_id != cmd.approval_id:
            raise InvalidCommand("a transfer across provinces needs its approval (approval_id)")
        ledger.check_in_force(on)
        ledger.check_covers(cmd.shipper_id, cmd.receiver_id, cmd.method, cmd.waste)
        ledger.check_quantity(0.0, cmd.waste.quantity_kg, "shipping")
        licence = ledger.approval.receiver_licence
    elif cmd.receiver_licence is None:
        raise InvalidCommand("name the receiver's licence (receiver_licence)")
    else:
        licence = cmd.receiver_licence
    check_licence(licence, cmd.waste.waste_code, on)
    return licence


def _late_backfill(drafted: ManifestDrafted, act: Act, p: TransferPolicy) -> list[ManifestEvent]:
    if drafted.paper_issued_on is None:
        return []
    limit = p.manifest_limits[ManifestStep.PAPER_BACKFILL]
    deadline = p.working_days.deadline_from_day(drafted.paper_issued_on, limit)
    if act.at < deadline:
        return []
    overdue = ManifestOverdue(
        **(drafted.model_dump(include={"manifest_no", "origin_province", "destination_province"})),
        command_id=f"{drafted.manifest_no}:overdue:{ManifestStep.PAPER_BACKFILL.value}",
        occurred_at=act.at,
        actor=SYSTEM,
        step=ManifestStep.PAPER_BACKFILL,
        deadline=deadline,
    )
    return [overdue]


def pick_up(
    state: Manifest, act: Act, transport: Transport, ledger: ApprovalLedger | None
) -> list[ManifestEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.CARRIER, state.carriers[0], "the pickup signature")
    if state.legs:
        raise AlreadyDone(f"manifest {state.manifest_no} was already picked up")
    if ledger is not None:
        ledger.check_in_force(act_date(act))
    _check_transport(transport)
    return [ManifestPickedUp(**common(act, state), carrier_id=act.actor_id, **vars(transport))]


def hand_over(state: Manifest, act: Act, transport: Transport) -> list[ManifestEvent]:
    if act.command_id in state.commands:
        return []
    if state.status is not ManifestStatus.IN_TRANSIT:
        raise OutOfOrder(f"a relay handover needs a manifest in transit, not {state.status}")
    if act.role is Role.CARRIER and act.actor_id == state.current_carrier:
        raise AlreadyDone(f"carrier {act.actor_id!r} already signed this manifest")
    if len(state.legs) == len(state.carriers):
        raise OutOfOrder("every carrier named on the manifest has signed: deliver it")
    act.must_be_party(Role.CARRIER, state.carriers[len(state.legs)], "the next relay signature")
    _check_transport(transport)
    event = ManifestHandedOver(
        **common(act, state),
        from_carrier_id=state.legs[-1].carrier_id,
        to_carrier_id=act.actor_id,
        **vars(transport),
    )
    return [event]


def _check_transport(transport: Transport) -> None:
    empty = [name for name, value in vars(transport).items() if not value.strip()]
    if empty:
        raise InvalidCommand(f"the carrier must fill in {', '.join(empty)}")


def deliver(state: Manifest, act: Act) -> list[ManifestEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.CARRIER, state.carriers[-1], "the delivery signature")
    if state.delivered_at is not None:
        raise AlreadyDone(f"manifest {state.manifest_no} was already delivered")
    if len(state.legs) < len(state.carriers):
        pending = state.carriers[len(state.legs)]
        raise OutOfOrder(f"carrier {pending!r} has not signed its leg yet")
    return [ManifestDelivered(**common(act, state), carrier_id=act.actor_id)]


def process(state: Manifest, act: Act) -> list[ManifestEvent]:
    if act.command_id in state.commands:
        return []
    act.must_be_party(Role.RECEIVER, state.receiver_id, "the processing record")
    if state.status is ManifestStatus.PROCESSED:
        raise AlreadyDone(f"manifest {state.manifest_no} was already processed")
    if state.receipt is None:
        raise OutOfOrder(f"manifest {state.manifest_no} is {state.status}, not received")
    if state.receipt.accepted_kg == 0:
        raise OutOfOrder("the whole load was refused: there is nothing to process")
    method = state.receipt.method
    return [ManifestProcessed(**common(act, state), receiver_id=act.actor_id, method=method)]
