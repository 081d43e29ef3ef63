"""Hazardous-transfer manifest events as hazardous-transfer publishes them (shared
contracts), for the scoring tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from zw_shared.contracts.hazardous import (
    DiscrepancyKind,
    DiscrepancyRaised,
    ManifestCorrected,
    ManifestDelivered,
    ManifestDrafted,
    ManifestEvent,
    ManifestOverdue,
    ManifestPickedUp,
    ManifestReceiptCorrected,
    ManifestReceived,
    ManifestStep,
    ReceiverLicence,
    WasteDeclaration,
    WasteForm,
    event_key,
)

SHIPPED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 2 November, 09:00 in Shanghai
SHIPPER = "factory-fac-1"
NUMBER = "20263101000001"


def declaration(kg: float) -> WasteDeclaration:
    return WasteDeclaration(
        waste_code="900-041-49",
        waste_name="contaminated packaging",
        quantity_kg=kg,
        form=WasteForm.SOLID,
        packaging="drums",
    )


def _common(kind: str, number: str, at: datetime) -> dict[str, Any]:
    return {
        "command_id": f"{number}-{kind}",
        "occurred_at": at,
        "actor": "someone",
        "origin_province": "31",
        "destination_province": "32",
        "manifest_no": number,
    }


def drafted(
    kg: float,
    number: str = NUMBER,
    at: datetime = SHIPPED,
    shipper: str = SHIPPER,
    paper_issued_on: date | None = None,
) -> ManifestDrafted:
    return ManifestDrafted(
        **_common("draft", number, at),
        shipper_id=shipper,
        receiver_id="receiver-1",
        carriers=("carrier-1",),
        origin_prefecture="01",
        waste=declaration(kg),
        method="D10",
        receiver_licence=ReceiverLicence(
            licence_no="L-1", covers=("HW49",), valid_until=date(2030, 1, 1)
        ),
        paper_issued_on=paper_issued_on,
    )


def picked_up(number: str = NUMBER, days: int = 0) -> ManifestPickedUp:
    return ManifestPickedUp(
        **_common("pickup", number, SHIPPED + timedelta(days=days, hours=1)),
        carrier_id="carrier-1",
        vehicle="沪A12345",
        transport_permit="P-1",
        route="G2",
    )


def delivered(number: str = NUMBER, days: int = 1) -> ManifestDelivered:
    return ManifestDelivered(
        **_common("deliver", number, SHIPPED + timedelta(days=days)), carrier_id="carrier-1"
    )


def received(
    accepted_kg: float, refused_kg: float = 0, number: str = NUMBER, days: int = 2
) -> ManifestReceived:
    return ManifestReceived(
        **_common("receive", number, SHIPPED + timedelta(days=days)),
        receiver_id="receiver-1",
        accepted_kg=accepted_kg,
        refused_kg=refused_kg,
        method="D10",
        observed_code="900-041-49",
        observed_form=WasteForm.SOLID,
        observed_packaging="drums",
    )


def receipt_corrected(
    accepted_kg: float, refused_kg: float, number: str = NUMBER, days: int = 3
) -> ManifestReceiptCorrected:
    return ManifestReceiptCorrected(
        **_common("correct-receipt", number, SHIPPED + timedelta(days=days)),
        receipt_version=2,
        receiver_id="receiver-1",
        accepted_kg=accepted_kg,
        refused_kg=refused_kg,
        method="D10",
        observed_code="900-041-49",
        observed_form=WasteForm.SOLID,
        observed_packaging="drums",
        reason="weighbridge re-read",
    )


def overdue(number: str = NUMBER, days: int = 9) -> ManifestOverdue:
    at = SHIPPED + timedelta(days=days)
    return ManifestOverdue(
        **_common("overdue", number, at), step=ManifestStep.RECEIPT_CONFIRMATION, deadline=at
    )


def discrepancy(shipped_kg: float, received_kg: float, number: str = NUMBER) -> DiscrepancyRaised:
    return DiscrepancyRaised(
        **_common("receive", number, SHIPPED + timedelta(days=2)),
        kinds=(DiscrepancyKind.QUANTITY,),
        shipped_kg=shipped_kg,
        received_kg=received_kg,
        details=("quantity differs",),
        notify=(SHIPPER, "32"),
    )


def corrected(kg: float, number: str = NUMBER) -> ManifestCorrected:
    return ManifestCorrected(
        **_common("correct", number, SHIPPED + timedelta(days=3)),
        manifest_version=2,
        waste=declaration(kg),
        reason="weighed again",
    )


def key_of(event: ManifestEvent) -> str:
    """The CloudEvents id hazardous-transfer publishes the event under."""
    return event_key(event)
