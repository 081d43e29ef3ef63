"""A waste flow as a facility reports it, and the rules it must pass before it is recorded.

Field-level checks (types, enums, a finite positive quantity, a timezone on the time) live on
the model; rules that need a clock, limits or other fields live in :func:`check_report`.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from waste_intake.domain.catalogue import Catalogue
from waste_intake.domain.errors import FieldError
from waste_intake.domain.hazardous_codes import MEDICAL_CATEGORY, category_of
from zw_shared.contracts.waste import (
    KG_PER_UNIT,
    FlowStage,
    QuantityUnit,
    WasteCategory,
    WasteFlowRecorded,
)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
# Above this, a quantity in the largest unit is no finite number of kg.
LARGEST_QUANTITY = sys.float_info.max / max(KG_PER_UNIT.values())
CODED_CATEGORIES = frozenset({WasteCategory.HAZARDOUS, WasteCategory.MEDICAL})


class FlowReport(BaseModel):
    """One waste flow as the facility reports it (the body of a POST, a batch item or a
    CSV row). The facility is not part of it: it is the one the request is made for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(
        min_length=1, max_length=64, pattern=ID_PATTERN, description="the facility's own id"
    )
    cell_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="defaults to the facility's registered cell; if given, must be that cell",
    )
    stage: FlowStage
    category: WasteCategory
    quantity: float = Field(gt=0, description="in `unit`; normalised to kg on the event")
    unit: QuantityUnit
    is_estimate: bool = False
    hazardous_code: str | None = Field(default=None, description="名录 code NNN-NNN-NN")
    counterparty_facility_id: str | None = Field(
        default=None, min_length=1, max_length=63, pattern=ID_PATTERN
    )
    occurred_at: AwareDatetime

    @field_validator("quantity")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("quantity must be a finite number")
        if value > LARGEST_QUANTITY:
            raise ValueError("quantity is too large: in kg it is no finite number")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _representable_in_utc(cls, value: datetime) -> datetime:
        try:
            value.astimezone(UTC)  # the event carries it in UTC
        except OverflowError:
            raise ValueError("occurred_at in UTC is outside years 1 to 9999") from None
        return value

    @property
    def quantity_kg(self) -> float:
        return self.quantity * KG_PER_UNIT[self.unit]


@dataclass(frozen=True)
class Limits:
    max_quantity_kg: float
    max_future_skew: timedelta
    max_age: timedelta
    catalogue: Catalogue = field(default_factory=Catalogue)


def check_report(
    facility_id: str, report: FlowReport, limits: Limits, now: datetime
) -> list[FieldError]:
    """Every rule the report breaks (empty when it may be recorded)."""
    return [
        *_check_quantity(report, limits),
        *_check_time(report, limits, now),
        *_check_code(report, limits.catalogue),
        *_check_counterparty(facility_id, report),
    ]


def _check_quantity(report: FlowReport, limits: Limits) -> list[FieldError]:
    if report.quantity_kg <= limits.max_quantity_kg:
        return []
    reason = (
        f"{report.quantity} {report.unit} is {report.quantity_kg:g} kg, more than the "
        f"{limits.max_quantity_kg:g} kg one event may carry"
    )
    return [FieldError("quantity", reason, "quantity_too_large")]


def _check_time(report: FlowReport, limits: Limits, now: datetime) -> list[FieldError]:
    if report.occurred_at > now + limits.max_future_skew:
        reason = f"occurred_at {report.occurred_at.isoformat()} is in the future"
        return [FieldError("occurred_at", reason, "future_date")]
    if report.occurred_at < now - limits.max_age:
        reason = f"occurred_at is more than {limits.max_age.days} days ago"
        return [FieldError("occurred_at", reason, "too_old")]
    return []


def _check_code(report: FlowReport, catalogue: Catalogue) -> list[FieldError]:
    code = report.hazardous_code
    if code is None:
        if report.category is WasteCategory.HAZARDOUS:
            reason = "hazardous waste needs its 名录 code (NNN-NNN-NN)"
            return [FieldError("hazardous_code", reason, "hazardous_code_missing")]
        return []
    if report.category not in CODED_CATEGORIES:
        reason = f"only hazardous or medical waste carries a 名录 code, not {report.category}"
        return [FieldError("hazardous_code", reason, "hazardous_code_unexpected")]
    problem = catalogue.problem(code, report.occurred_at.date())
    if problem is not None:
        return [FieldError("hazardous_code", problem, "hazardous_code_invalid")]
    if report.category is WasteCategory.MEDICAL and category_of(code) != MEDICAL_CATEGORY:
        reason = f"medical waste is HW01; {code} is HW{category_of(code):02d}"
        return [FieldError("hazardous_code", reason, "hazardous_code_invalid")]
    return []


def _check_counterparty(facility_id: str, report: FlowReport) -> list[FieldError]:
    counterparty = report.counterparty_facility_id
    if report.stage is FlowStage.HANDED_OVER and counterparty is None:
        reason = "a handover names the facility that takes the waste"
        return [FieldError("counterparty_facility_id", reason, "counterparty_missing")]
    if counterparty == facility_id:
        reason = "a facility cannot hand waste over to itself"
        return [FieldError("counterparty_facility_id", reason, "counterparty_is_self")]
    return []


def to_recorded(facility_id: str, cell_id: str, report: FlowReport) -> WasteFlowRecorded:
    return WasteFlowRecorded(
        event_id=report.event_id,
        facility_id=facility_id,
        cell_id=cell_id,
        stage=report.stage,
        category=report.category,
        quantity_kg=report.quantity_kg,
        reported_quantity=report.quantity,
        reported_unit=report.unit,
        is_estimate=report.is_estimate,
        hazardous_code=report.hazardous_code,
        counterparty_facility_id=report.counterparty_facility_id,
        # One instant, one spelling: the same report always gives the same event.
        occurred_at=report.occurred_at.astimezone(UTC),
    )
