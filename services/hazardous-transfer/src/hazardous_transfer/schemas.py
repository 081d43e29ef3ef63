"""Bodies of the commands, as the API accepts them and as they travel in a command's
``payload``: the API validates them (422 naming the field) and the owner node reads them."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zw_shared.contracts.hazardous import (
    ApplicationDetails,
    ReceiverLicence,
    WasteDeclaration,
    WasteForm,
)


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def example(value: dict[str, Any]) -> ConfigDict:
    """A body's model config with one example for the OpenAPI document."""
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [value]})


WASTE = {
    "waste_code": "900-041-49",
    "waste_name": "废包装桶",
    "quantity_kg": 1000,
    "form": "solid",
    "packaging": "steel drums",
    "hazard_characteristics": ["T", "In"],
    "emergency_measures": "contain spills with absorbent; call 12369",
}
DETAILS = {
    "shipper_id": "shipper-js-1",
    "receiver_id": "receiver-sh-1",
    "origin_province": "32",
    "origin_prefecture": "05",
    "destination_province": "31",
    "waste_code": "900-041-49",
    "waste_category": "HW49",
    "waste_name": "废包装桶",
    "quantity_kg": 20000,
    "method": "R4",
    "requested_from": "2026-12-01",
    "requested_until": "2027-11-30",
    "receiver_licence": {
        "licence_no": "沪环危许 0001",
        "covers": ["HW49", "900-249-08"],
        "valid_until": "2028-12-31",
    },
}


class Empty(Body):
    pass


class ApplyBody(Body):
    model_config = example({"details": DETAILS})

    details: ApplicationDetails


class CorrectionsBody(Body):
    items: tuple[str, ...] = Field(min_length=1, examples=[("licence copy", "MSDS")])


class AnswerBody(Body):
    model_config = example({"agreed": False, "reasons": ["no capacity left this year"]})

    agreed: bool
    reasons: tuple[str, ...] = ()


class RefuseBody(Body):
    model_config = example({"reasons": ["the destination province refused"]})

    reasons: tuple[str, ...] = Field(min_length=1)


class DraftBody(Body):
    model_config = example(
        {
            "shipper_id": "shipper-js-1",
            "receiver_id": "receiver-sh-1",
            "carriers": ["carrier-js-1", "carrier-sh-2"],
            "origin_province": "32",
            "origin_prefecture": "05",
            "destination_province": "31",
            "waste": WASTE,
            "method": "R4",
            "approval_id": "TA0123456789ABCDEF-approval",
        }
    )

    shipper_id: str = Field(min_length=1)
    receiver_id: str = Field(min_length=1)
    carriers: tuple[str, ...] = Field(min_length=1, description="in relay order")
    origin_province: str = Field(pattern=r"^\d{2}$")
    origin_prefecture: str = Field(pattern=r"^\d{2}$")
    destination_province: str = Field(pattern=r"^\d{2}$")
    waste: WasteDeclaration
    method: str = Field(min_length=1)
    approval_id: str | None = None
    receiver_licence: ReceiverLicence | None = Field(
        default=None, description="within a province only (else the approval's)"
    )
    paper_issued_on: date | None = None


class TransportBody(Body):
    model_config = example(
        {"vehicle": "苏E12345", "transport_permit": "苏交运危 320500001", "route": "G2 via Kunshan"}
    )

    vehicle: str = Field(min_length=1, examples=["苏E12345"])
    transport_permit: str = Field(min_length=1)
    route: str = Field(min_length=1)


class ReceiptBody(Body):
    model_config = example(
        {
            "accepted_kg": 950,
            "refused_kg": 30,
            "method": "R4",
            "observed_code": "900-041-49",
            "observed_form": "solid",
            "observed_packaging": "steel drums",
        }
    )

    accepted_kg: float = Field(ge=0)
    refused_kg: float = Field(ge=0)
    method: str = Field(min_length=1)
    observed_code: str = Field(pattern=r"^\d{3}-\d{3}-\d{2}$")
    observed_form: WasteForm
    observed_packaging: str = Field(min_length=1)


class ReceiptCorrectionBody(ReceiptBody):
    model_config = example(
        {
            "accepted_kg": 940,
            "refused_kg": 40,
            "method": "R4",
            "observed_code": "900-041-49",
            "observed_form": "solid",
            "observed_packaging": "steel drums",
            "reason": "re-weighed: one drum refused",
        }
    )

    reason: str = Field(min_length=1)


class CorrectionBody(Body):
    model_config = example({"waste": WASTE | {"quantity_kg": 980}, "reason": "weighbridge"})

    waste: WasteDeclaration
    reason: str = Field(min_length=1)
