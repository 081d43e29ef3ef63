"""The rules' parameters: time limits, validity, tolerances, the white list, the calendar,
the 名录 editions and the provinces served. Built once from the settings (bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from hazardous_transfer.domain.provinces import ProvinceRegistry
from hazardous_transfer.domain.waste_codes import Catalogue, category_of
from hazardous_transfer.domain.working_days import WorkingDays
from zw_shared.contracts.hazardous import ApplicationStep, ManifestStep, ReceiverLicence


class WhiteListEntry(BaseModel):
    """长三角 white list: this receiver may take this code up to this much a year without
    per-batch consultation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    receiver_id: str = Field(min_length=1)
    waste_code: str = Field(pattern=r"^\d{3}-\d{3}-\d{2}$")
    annual_quantity_kg: float = Field(gt=0)


@dataclass(frozen=True)
class WhiteList:
    entries: tuple[WhiteListEntry, ...] = ()

    def covers(
        self, receiver_id: str, waste_code: str, quantity_kg: float, already_kg: float = 0.0
    ) -> bool:
        """``already_kg``: approved under the white list for this receiver and code this
        year, before this application."""
        return any(
            e.receiver_id == receiver_id
            and e.waste_code == waste_code
            and already_kg + quantity_kg <= e.annual_quantity_kg
            for e in self.entries
        )


DEFAULT_APPLICATION_LIMITS = {
    ApplicationStep.COMPLETENESS_CHECK: 5,
    ApplicationStep.REVIEW: 5,
    ApplicationStep.DESTINATION_ANSWER: 10,
    ApplicationStep.DECISION: 5,
}
DEFAULT_MANIFEST_LIMITS = {ManifestStep.RECEIPT_CONFIRMATION: 5, ManifestStep.PAPER_BACKFILL: 10}


@dataclass(frozen=True)
class TransferPolicy:
    provinces: ProvinceRegistry = field(default_factory=ProvinceRegistry.yangtze_river_delta)
    catalogue: Catalogue = field(default_factory=Catalogue)
    working_days: WorkingDays = field(default_factory=WorkingDays)
    white_list: WhiteList = field(default_factory=WhiteList)
    application_limits: dict[ApplicationStep, int] = field(
        default_factory=lambda: dict(DEFAULT_APPLICATION_LIMITS)
    )
    manifest_limits: dict[ManifestStep, int] = field(
        default_factory=lambda: dict(DEFAULT_MANIFEST_LIMITS)
    )
    approval_validity_months: int = 12
    # Relative difference between shipped and received weight above which a discrepancy is
    # raised. No statutory figure exists; the US flags more than 10 % for bulk loads.
    quantity_tolerance: float = 0.05


def licence_covers(licence: ReceiverLicence, waste_code: str) -> bool:
    return waste_code in licence.covers or category_of(waste_code) in licence.covers
