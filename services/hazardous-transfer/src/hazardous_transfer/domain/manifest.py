"""The state of one transfer manifest (联单), folded from its events.

drafted (shipper) -> in transit (picked up by the first carrier; relay handovers, each
signed by the next carrier) -> delivered (the last carrier hands over: the receiver's
5-working-day clock starts) -> received (accepted and refused quantities, method) ->
processed. A correction makes a new version of the declaration (older ones stay in
``versions``) or of the receipt (older ones stay in ``receipt_history``). ``log`` is the
full history of who did what when.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from zw_shared.contracts.hazardous import (
    DiscrepancyRaised,
    ManifestCorrected,
    ManifestDelivered,
    ManifestDrafted,
    ManifestEvent,
    ManifestHandedOver,
    ManifestOverdue,
    ManifestPickedUp,
    ManifestProcessed,
    ManifestReceiptCorrected,
    ManifestReceived,
    ManifestStep,
    ReceiverLicence,
    WasteDeclaration,
    event_key,
)


class ManifestStatus(StrEnum):
    DRAFTED = "drafted"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RECEIVED = "received"
    PROCESSED = "processed"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Leg(_Frozen):
    carrier_id: str
    vehicle: str
    transport_permit: str
    route: str
    signed_at: datetime


class DeclarationVersion(_Frozen):
    manifest_version: int
    waste: WasteDeclaration
    recorded_at: datetime
    recorded_by: str
    reason: str


class LogEntry(_Frozen):
    event_type: str
    at: datetime
    actor: str


class Manifest(_Frozen):
    manifest_no: str
    shipper_id: str
    receiver_id: str
    carriers: tuple[str, ...]
    approval_id: str | None
    origin_province: str
    origin_prefecture: str
    destination_province: str
    method: str
    receiver_licence: ReceiverLicence
    paper_issued_on: date | None
    status: ManifestStatus
    versions: tuple[DeclarationVersion, ...]
    legs: tuple[Leg, ...] = ()
    delivered_at: datetime | None = None
    receipt: ManifestReceived | None = None  # the receipt in force (its latest version)
    receipt_history: tuple[ManifestReceived, ...] = ()  # earlier versions, oldest first
    discrepancy: DiscrepancyRaised | None = None
    processed_at: datetime | None = None
    overdue_steps: tuple[ManifestStep, ...] = ()
    log: tuple[LogEntry, ...] = ()
    commands: frozenset[str] = frozenset()
    event_keys: frozenset[str] = frozenset()  # of the events folded: a replica skips repeats

    @property
    def waste(self) -> WasteDeclaration:
        return self.versions[-1].waste

    @property
    def manifest_version(self) -> int:
        return self.versions[-1].manifest_version

    @property
    def charged_kg(self) -> float:
        """What the manifest counts against its approval: the declared quantity while on
        the way, the accepted quantity once received (a later correction of the
        declaration no longer changes it)."""
        return self.receipt.accepted_kg if self.receipt is not None else self.waste.quantity_kg

    @property
    def receipt_version(self) -> int:
        return len(self.receipt_history) + 1 if self.receipt is not None else 0

    @property
    def current_carrier(self) -> str | None:
        return self.legs[-1].carrier_id if self.legs else None


def start(event: ManifestDrafted) -> Manifest:
    first = DeclarationVersion(
        manifest_version=1,
        waste=event.waste,
        recorded_at=event.occurred_at,
        recorded_by=event.actor,
        reason="drafted",
    )
    manifest = Manifest(
        **event.model_dump(
            include={
                "manifest_no", "shipper_id", "receiver_id", "carriers", "approval_id",
                "origin_province", "origin_prefecture", "destination_province", "method",
                "paper_issued_on",
            }
        ),
        receiver_licence=event.receiver_licence,
        status=ManifestStatus.DRAFTED,
        versions=(first,),
    )  # fmt: skip
    return _logged(manifest, event)


def evolve(state: Manifest, event: ManifestEvent) -> Manifest:
    return _logged(state.model_copy(update=_changes(state, event)), event)


def _logged(state: Manifest, event: ManifestEvent) -> Manifest:
    entry = LogEntry(event_type=event.event_type, at=event.occurred_at, actor=event.actor)
    return state.model_copy(
        update={
            "log": (*state.log, entry),
            "commands": state.commands | {event.command_id},
            "event_keys": state.event_keys | {event_key(event)},
        }
    )


def _changes(state: Manifest, event: ManifestEvent) -> dict[str, object]:
    s = ManifestStatus
    match event:
        case ManifestPickedUp() | ManifestHandedOver():
            carrier = (
                event.carrier_id if isinstance(event, ManifestPickedUp) else event.to_carrier_id
            )
            leg = Leg(
                carrier_id=carrier,
                vehicle=event.vehicle,
                transport_permit=event.transport_permit,
                route=event.route,
                signed_at=event.occurred_at,
            )
            return {"status": s.IN_TRANSIT, "legs": (*state.legs, leg)}
        case ManifestDelivered():
            return {"status": s.DELIVERED, "delivered_at": event.occurred_at}
        case ManifestReceived():
            return {"status": s.RECEIVED, "receipt": event}
        case DiscrepancyRaised():
            return {"discrepancy": event}
        case ManifestProcessed():
            return {"status": s.PROCESSED, "processed_at": event.occurred_at}
        case ManifestCorrected():
            version = DeclarationVersion(
                manifest_version=event.manifest_version,
                waste=event.waste,
                recorded_at=event.occurred_at,
                recorded_by=event.actor,
                reason=event.reason,
            )
            return {"versions": (*state.versions, version)}
        case ManifestReceiptCorrected():
            return _receipt_corrected(state, event)
        case ManifestOverdue():
            return {"overdue_steps": (*state.overdue_steps, event.step)}
        case ManifestDrafted():
            return {}  # only ever the first event (see ``start``)


def _receipt_corrected(state: Manifest, event: ManifestReceiptCorrected) -> dict[str, object]:
    if state.receipt is None:  # a correction never comes first; a replica may see a gap
        return {}
    fields = ("accepted_kg", "refused_kg", "method", "observed_code", "observed_form",
              "observed_packaging")  # fmt: skip
    current = state.receipt.model_copy(update={f: getattr(event, f) for f in fields})
    return {"receipt": current, "receipt_history": (*state.receipt_history, state.receipt)}
