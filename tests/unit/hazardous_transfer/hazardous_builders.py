"""Small builders for hazardous-transfer unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from typing import Any

from hazardous_transfer.domain.acts import Act, Role
from hazardous_transfer.domain.approval_ledger import ApprovalLedger
from hazardous_transfer.domain.discrepancy import Observation
from hazardous_transfer.domain.manifest_commands import DraftManifest, Transport
from hazardous_transfer.domain.manifest_receipt import Receipt
from zw_shared.contracts.hazardous import (
    ApplicationDetails,
    ReceiverLicence,
    TransferApproved,
    WasteDeclaration,
    WasteForm,
)

_ids = count(1)

SHIPPER, RECEIVER = "shipper-js-1", "receiver-sh-1"
# Mon 2 Mar 2026, 10:00 Beijing time: an ordinary working week after the Spring Festival.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def licence(**overrides: Any) -> ReceiverLicence:
    fields: dict[str, Any] = {
        "licence_no": "SH-HW-0001",
        "covers": ("HW49", "900-249-08"),
        "valid_until": date(2028, 12, 31),
    }
    return ReceiverLicence(**(fields | overrides))


def details(**overrides: Any) -> ApplicationDetails:
    fields: dict[str, Any] = {
        "shipper_id": SHIPPER,
        "receiver_id": RECEIVER,
        "origin_province": "32",
        "origin_prefecture": "05",
        "destination_province": "31",
        "waste_code": "900-041-49",
        "waste_category": "HW49",
        "waste_name": "废包装桶",
        "quantity_kg": 20_000.0,
        "method": "R4",
        "requested_from": date(2026, 3, 1),
        "requested_until": date(2027, 6, 30),
        "receiver_licence": licence(),
    }
    return ApplicationDetails(**(fields | overrides))


def act(role: Role, actor_id: str, at: datetime = MONDAY, province: str | None = None) -> Act:
    return Act(
        command_id=f"cmd-{next(_ids)}", actor_id=actor_id, role=role, at=at, province=province
    )


def shipper(at: datetime = MONDAY) -> Act:
    return act(Role.SHIPPER, SHIPPER, at)


def official(province: str, at: datetime = MONDAY) -> Act:
    return act(Role.OFFICIAL, f"official-{province}", at, province)


def origin(at: datetime = MONDAY) -> Act:
    return official("32", at)


def destination(at: datetime = MONDAY) -> Act:
    return official("31", at)


CARRIER_A, CARRIER_B = "carrier-js-1", "carrier-sh-2"


def waste(**overrides: Any) -> WasteDeclaration:
    fields: dict[str, Any] = {
        "waste_code": "900-041-49",
        "waste_name": "废包装桶",
        "quantity_kg": 1000.0,
        "form": WasteForm.SOLID,
        "packaging": "steel drums",
        "hazard_characteristics": ("T", "In"),
    }
    return WasteDeclaration(**(fields | overrides))


def approval(**overrides: Any) -> TransferApproved:
    fields: dict[str, Any] = {
        "command_id": "approve-1",
        "occurred_at": MONDAY,
        "actor": "official-32",
        "origin_province": "32",
        "destination_province": "31",
        "application_id": "APP-1",
        "approval_id": "APP-1-approval",
        "waste_code": "900-041-49",
        "waste_category": "HW49",
        "quantity_ceiling_kg": 5000.0,
        "shipper_id": SHIPPER,
        "receiver_id": RECEIVER,
        "method": "R4",
        "valid_from": date(2026, 3, 2),
        "valid_until": date(2027, 3, 1),
        "receiver_licence": licence(),
        "white_listed": False,
    }
    return TransferApproved(**(fields | overrides))


def ledger(**overrides: Any) -> ApprovalLedger:
    return ApprovalLedger(approval=approval(**overrides))


def draft_command(**overrides: Any) -> DraftManifest:
    fields: dict[str, Any] = {
        "shipper_id": SHIPPER,
        "receiver_id": RECEIVER,
        "carriers": (CARRIER_A, CARRIER_B),
        "origin_province": "32",
        "origin_prefecture": "05",
        "destination_province": "31",
        "waste": waste(),
        "method": "R4",
        "approval_id": "APP-1-approval",
    }
    return DraftManifest(**(fields | overrides))


def carrier(carrier_id: str, at: datetime = MONDAY) -> Act:
    return act(Role.CARRIER, carrier_id, at)


def receiver(at: datetime = MONDAY) -> Act:
    return act(Role.RECEIVER, RECEIVER, at)


def truck(plate: str = "苏E12345") -> Transport:
    return Transport(vehicle=plate, transport_permit="苏交运危 320500001", route="G2 via Kunshan")


def observed(accepted: float = 1000.0, refused: float = 0.0, **overrides: Any) -> Receipt:
    fields: dict[str, Any] = {
        "accepted_kg": accepted,
        "refused_kg": refused,
        "code": "900-041-49",
        "form": WasteForm.SOLID,
        "packaging": "steel drums",
    }
    return Receipt(observation=Observation(**(fields | overrides)), method="R4")
