"""Contracts of hazardous-transfer: inter-provincial transfer applications and electronic
transfer manifests (联单), DOMAIN.md section 5. Every state change is one event, named in
the past tense, keyed by application id or manifest number on ``hazardous.transfer-events``.

Every event names the origin and destination provinces, so that a province node can keep
the records that concern its province and nothing else, and the command that caused it
(``command_id``), so that a redelivered command changes nothing.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from zw_shared.contracts.registry import EventPayload, register

PROVINCE = r"^\d{2}$"
WASTE_CODE = r"^\d{3}-\d{3}-\d{2}$"
MANIFEST_NO = r"^\d{14}$"


class ApplicationStep(StrEnum):
    COMPLETENESS_CHECK = "completeness_check"  # 受理: 5 working days, silence = accepted
    REVIEW = "review"  # 初审, then 商请函: 5 working days
    DESTINATION_ANSWER = "destination_answer"  # 复函: 10 working days
    DECISION = "decision"  # 5 working days


class ManifestStep(StrEnum):
    RECEIPT_CONFIRMATION = "receipt_confirmation"  # 5 working days from delivery
    PAPER_BACKFILL = "paper_backfill"  # 10 working days from the paper manifest


class DiscrepancyKind(StrEnum):
    QUANTITY = "quantity"
    CODE = "code"
    FORM = "form"
    PACKAGING = "packaging"
    REJECTION = "rejection"


class WasteForm(StrEnum):
    SOLID = "solid"
    SEMI_SOLID = "semi_solid"
    LIQUID = "liquid"
    GAS = "gas"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReceiverLicence(_Value):
    """The receiver's hazardous-waste business licence (经营许可证)."""

    licence_no: str = Field(min_length=1)
    covers: tuple[str, ...] = Field(
        min_length=1, description="waste codes or whole categories (HWnn) the licence covers"
    )
    valid_until: date


class ApplicationDetails(_Value):
    shipper_id: str = Field(min_length=1)
    receiver_id: str = Field(min_length=1)
    origin_province: str = Field(pattern=PROVINCE)
    origin_prefecture: str = Field(pattern=PROVINCE)
    destination_province: str = Field(pattern=PROVINCE)
    waste_code: str = Field(pattern=WASTE_CODE, examples=["900-041-49"])
    waste_category: str = Field(pattern=r"^HW\d{2}$", examples=["HW49"])
    waste_name: str = Field(min_length=1)
    quantity_kg: float = Field(gt=0, description="the total to move over the period")
    method: str = Field(min_length=1, description="utilisation or disposal method, e.g. R4, D10")
    requested_from: date
    requested_until: date
    receiver_licence: ReceiverLicence

    @field_validator("quantity_kg")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("quantity must be a finite number")
        return value


class _TransferEvent(EventPayload):
    command_id: str = Field(min_length=1, max_length=128)
    occurred_at: AwareDatetime
    actor: str = Field(min_length=1, description="the party or province official who acted")
    origin_province: str = Field(pattern=PROVINCE)
    destination_province: str = Field(pattern=PROVINCE)


class _ApplicationEvent(_TransferEvent):
    application_id: str = Field(min_length=1, max_length=64)


class TransferApplied(_ApplicationEvent):
    event_type: ClassVar[str] = "hazardous.application.applied"
    version: ClassVar[int] = 1
    details: ApplicationDetails


class CorrectionsRequested(_ApplicationEvent):
    """The origin province names every correction at once (一次性告知)."""

    event_type: ClassVar[str] = "hazardous.application.corrections-requested"
    version: ClassVar[int] = 1
    items: tuple[str, ...] = Field(min_length=1)


class ApplicationResubmitted(_ApplicationEvent):
    event_type: ClassVar[str] = "hazardous.application.resubmitted"
    version: ClassVar[int] = 1
    details: ApplicationDetails


class ApplicationAccepted(_ApplicationEvent):
    event_type: ClassVar[str] = "hazardous.application.accepted"
    version: ClassVar[int] = 1
    deemed: bool = Field(description="accepted by the origin's silence past the deadline")


class ConsultationSent(_ApplicationEvent):
    """The origin's 商请函 to the destination province."""

    event_type: ClassVar[str] = "hazardous.application.consulted"
    version: ClassVar[int] = 1


class DestinationAnswered(_ApplicationEvent):
    """The destination's 复函: agree, or refuse with reasons."""

    event_type: ClassVar[str] = "hazardous.application.answered"
    version: ClassVar[int] = 1
    agreed: bool
    reasons: tuple[str, ...] = ()


class TransferApproved(_ApplicationEvent):
    event_type: ClassVar[str] = "hazardous.application.approved"
    version: ClassVar[int] = 1
    approval_id: str = Field(min_length=1)
    waste_code: str = Field(pattern=WASTE_CODE)
    waste_category: str
    quantity_ceiling_kg: float = Field(gt=0)
    shipper_id: str
    receiver_id: str
    method: str
    valid_from: date
    valid_until: date
    receiver_licence: ReceiverLicence
    white_listed: bool = Field(description="consultation skipped under the white list")


class TransferRefused(_ApplicationEvent):
    event_type: ClassVar[str] = "hazardous.application.refused"
    version: ClassVar[int] = 1
    reasons: tuple[str, ...] = Field(min_length=1)


class ApplicationOverdue(_ApplicationEvent):
    event_type: ClassVar[str] = "hazardous.application.overdue"
    version: ClassVar[int] = 1
    step: ApplicationStep
    deadline: AwareDatetime


class _ManifestEvent(_TransferEvent):
    manifest_no: str = Field(pattern=MANIFEST_NO)


class WasteDeclaration(_Value):
    """What the shipper declares on the manifest."""

    waste_code: str = Field(pattern=WASTE_CODE)
    waste_name: str = Field(min_length=1)
    quantity_kg: float = Field(gt=0)
    form: WasteForm
    packaging: str = Field(min_length=1)
    hazard_characteristics: tuple[str, ...] = Field(default=(), examples=[("T", "I")])
    emergency_measures: str = ""


class ManifestDrafted(_ManifestEvent):
    event_type: ClassVar[str] = "hazardous.manifest.drafted"
    version: ClassVar[int] = 1
    shipper_id: str
    receiver_id: str
    carriers: tuple[str, ...] = Field(min_length=1, description="in relay order")
    origin_prefecture: str = Field(pattern=PROVINCE)
    approval_id: str | None = Field(default=None, description="required across provinces")
    waste: WasteDeclaration
    method: str
    receiver_licence: ReceiverLicence
    paper_issued_on: date | None = Field(
        default=None, description="set when back-filled from a paper manifest"
    )


class ManifestPickedUp(_ManifestEvent):
    event_type: ClassVar[str] = "hazardous.manifest.picked-up"
    version: ClassVar[int] = 1
    carrier_id: str
    vehicle: str = Field(min_length=1)
    transport_permit: str = Field(min_length=1)
    route: str = Field(min_length=1)


class ManifestHandedOver(_ManifestEvent):
    event_type: ClassVar[str] = "hazardous.manifest.handed-over"
    version: ClassVar[int] = 1
    from_carrier_id: str
    to_carrier_id: str
    vehicle: str = Field(min_length=1)
    transport_permit: str = Field(min_length=1)
    route: str = Field(min_length=1)


class ManifestDelivered(_ManifestEvent):
    """The last carrier handed the load to the receiver: the receiver's clock starts."""

    event_type: ClassVar[str] = "hazardous.manifest.delivered"
    version: ClassVar[int] = 1
    carrier_id: str


class ManifestReceived(_ManifestEvent):
    event_type: ClassVar[str] = "hazardous.manifest.received"
    version: ClassVar[int] = 1
    receiver_id: str
    accepted_kg: float = Field(ge=0)
    refused_kg: float = Field(ge=0)
    method: str = Field(min_length=1)
    observed_code: str = Field(pattern=WASTE_CODE)
    observed_form: WasteForm
    observed_packaging: str = Field(min_length=1)


class DiscrepancyRaised(_ManifestEvent):
    """Sent to the shipper and the destination province."""

    event_type: ClassVar[str] = "hazardous.manifest.discrepancy-raised"
    version: ClassVar[int] = 1
    kinds: tuple[DiscrepancyKind, ...] = Field(min_length=1)
    shipped_kg: float
    received_kg: float
    details: tuple[str, ...]
    notify: tuple[str, ...] = Field(description="shipper id and destination province code")


class ManifestProcessed(_ManifestEvent):
    event_type: ClassVar[str] = "hazardous.manifest.processed"
    version: ClassVar[int] = 1
    receiver_id: str
    method: str


class ManifestCorrected(_ManifestEvent):
    """A correction after signing: a new version; the earlier ones stay in the history."""

    event_type: ClassVar[str] = "hazardous.manifest.corrected"
    version: ClassVar[int] = 1
    manifest_version: int = Field(ge=2)
    waste: WasteDeclaration
    reason: str = Field(min_length=1)


class ManifestReceiptCorrected(_ManifestEvent):
    """The receiver's correction of its receipt after signing: a new version of the receipt
    (what it accepted and refused, the method, what it saw); the earlier ones stay in the
    history."""

    event_type: ClassVar[str] = "hazardous.manifest.receipt-corrected"
    version: ClassVar[int] = 1
    receipt_version: int = Field(ge=2)
    receiver_id: str
    accepted_kg: float = Field(ge=0)
    refused_kg: float = Field(ge=0)
    method: str = Field(min_length=1)
    observed_code: str = Field(pattern=WASTE_CODE)
    observed_form: WasteForm
    observed_packaging: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class ManifestOverdue(_ManifestEvent):
    event_type: ClassVar[str] = "hazardous.manifest.overdue"
    version: ClassVar[int] = 1
    step: ManifestStep
    deadline: AwareDatetime


APPLICATION_EVENTS = (
    TransferApplied,
    CorrectionsRequested,
    ApplicationResubmitted,
    ApplicationAccepted,
    ConsultationSent,
    DestinationAnswered,
    TransferApproved,
    TransferRefused,
    ApplicationOverdue,
)
MANIFEST_EVENTS = (
    ManifestDrafted,
    ManifestPickedUp,
    ManifestHandedOver,
    ManifestDelivered,
    ManifestReceived,
    DiscrepancyRaised,
    ManifestProcessed,
    ManifestCorrected,
    ManifestOverdue,
    ManifestReceiptCorrected,
)
for _model in (*APPLICATION_EVENTS, *MANIFEST_EVENTS):
    register(_model)

ApplicationEvent = (
    TransferApplied
    | CorrectionsRequested
    | ApplicationResubmitted
    | ApplicationAccepted
    | ConsultationSent
    | DestinationAnswered
    | TransferApproved
    | TransferRefused
    | ApplicationOverdue
)
ManifestEvent = (
    ManifestDrafted
    | ManifestPickedUp
    | ManifestHandedOver
    | ManifestDelivered
    | ManifestReceived
    | DiscrepancyRaised
    | ManifestProcessed
    | ManifestCorrected
    | ManifestOverdue
    | ManifestReceiptCorrected
)


def event_key(event: _TransferEvent) -> str:
    """A transfer event's identity: one command causes at most one event of each type.
    Also the CloudEvents id it travels under, so consumers deduplicate on it."""
    return f"{event.command_id}/{event.event_type}"
