"""Contracts of waste-intake: waste-flow events as facilities report them (DOMAIN.md 2)."""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from zw_shared.contracts.registry import EventPayload, register


class FlowStage(StrEnum):
    GENERATED = "generated"
    COLLECTED = "collected"
    HANDED_OVER = "handed_over"
    RECEIVED = "received"
    RECYCLED = "recycled"
    COMPOSTED_OR_DIGESTED = "composted_or_digested"
    INCINERATED_WITH_ENERGY_RECOVERY = "incinerated_with_energy_recovery"
    LANDFILLED = "landfilled"
    STORED = "stored"


class WasteCategory(StrEnum):
    """Shanghai's four household streams, then the other solid-waste categories."""

    HOUSEHOLD_RECYCLABLE = "household_recyclable"  # 可回收物
    HOUSEHOLD_HAZARDOUS = "household_hazardous"  # 有害垃圾
    HOUSEHOLD_WET = "household_wet"  # 湿垃圾
    HOUSEHOLD_DRY = "household_dry"  # 干垃圾
    GENERAL_INDUSTRIAL = "general_industrial"
    CONSTRUCTION = "construction"
    HAZARDOUS = "hazardous"  # carries a 名录 code
    MEDICAL = "medical"  # HW01
    AGRICULTURAL = "agricultural"


class QuantityUnit(StrEnum):
    KG = "kg"
    T = "t"


KG_PER_UNIT = {QuantityUnit.KG: 1.0, QuantityUnit.T: 1000.0}


class WasteFlowRecorded(EventPayload):
    """A facility reported one waste flow. Published by waste-intake, keyed by ``cell_id``.

    v1 carried only ``quantity_kg``; v2 keeps the quantity as reported (value and unit),
    flags estimates and names the hazardous code and the counterparty of a handover.
    """

    event_type: ClassVar[str] = "waste.flow.recorded"
    version: ClassVar[int] = 2

    event_id: str = Field(min_length=1, max_length=128, description="the facility's own id")
    facility_id: str = Field(min_length=1)
    cell_id: str = Field(min_length=1)
    stage: FlowStage
    category: WasteCategory
    quantity_kg: float = Field(gt=0, description="normalised to kilograms")
    reported_quantity: float = Field(gt=0)
    reported_unit: QuantityUnit
    is_estimate: bool = False
    hazardous_code: str | None = None
    counterparty_facility_id: str | None = None
    occurred_at: AwareDatetime

    @field_validator("quantity_kg", "reported_quantity")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("quantity must be a finite number")
        return value

    @property
    def dedup_key(self) -> str:
        """Event ids are the facility's own: unique per facility, not globally."""
        return f"{self.facility_id}/{self.event_id}"


def upcast_waste_flow_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    data.setdefault("reported_quantity", data["quantity_kg"])
    data.setdefault("reported_unit", QuantityUnit.KG.value)
    data.setdefault("is_estimate", False)
    return data


register(WasteFlowRecorded, {1: upcast_waste_flow_v1_v2})


# --- Corrections and voids. A correction or a void is a new event
# on the same topic and key (cell_id) as the flow it references; the original stays.


class WasteFlowCorrected(EventPayload):
    """A facility corrected an earlier flow: this content replaces that of
    ``corrects_event_id`` (the facility's original event id, or an earlier correction's
    chain root). ``event_id`` is the correction's own id, unique per facility."""

    event_type: ClassVar[str] = "waste.flow.corrected"
    version: ClassVar[int] = 1

    event_id: str = Field(min_length=1, max_length=128)
    corrects_event_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=500)
    facility_id: str = Field(min_length=1)
    cell_id: str = Field(min_length=1)
    stage: FlowStage
    category: WasteCategory
    quantity_kg: float = Field(gt=0)
    reported_quantity: float = Field(gt=0)
    reported_unit: QuantityUnit
    is_estimate: bool = False
    hazardous_code: str | None = None
    counterparty_facility_id: str | None = None
    occurred_at: AwareDatetime

    @field_validator("quantity_kg", "reported_quantity")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("quantity must be a finite number")
        return value

    @property
    def dedup_key(self) -> str:
        return f"{self.facility_id}/{self.event_id}"

    @property
    def corrects_key(self) -> str:
        return f"{self.facility_id}/{self.corrects_event_id}"


class WasteFlowVoided(EventPayload):
    """A facility withdrew an earlier flow (``voids_event_id``): it no longer counts."""

    event_type: ClassVar[str] = "waste.flow.voided"
    version: ClassVar[int] = 1

    event_id: str = Field(min_length=1, max_length=128)
    voids_event_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=500)
    facility_id: str = Field(min_length=1)
    cell_id: str = Field(min_length=1)

    @property
    def dedup_key(self) -> str:
        return f"{self.facility_id}/{self.event_id}"

    @property
    def voids_key(self) -> str:
        return f"{self.facility_id}/{self.voids_event_id}"


register(WasteFlowCorrected)
register(WasteFlowVoided)


# --- Facility and cell registry (compacted topics, latest wins).


class CellType(StrEnum):
    """The 11 cell types of Shanghai's 无废细胞 assessment rules (DOMAIN.md 3)."""

    GOVERNMENT_OFFICE = "government_office"  # 机关
    FACTORY = "factory"  # 工厂
    INDUSTRIAL_PARK = "industrial_park"  # 工业园区
    ENTERPRISE_GROUP = "enterprise_group"  # 企业集团
    COMMUNITY = "community"  # 社区
    CAMPUS = "campus"  # 校园
    SHOPPING_MALL = "shopping_mall"  # 商场
    RESTAURANT = "restaurant"  # 餐馆
    HOTEL = "hotel"  # 酒店
    SCENIC_AREA = "scenic_area"  # 景区
    HOSPITAL = "hospital"  # 医院


class FacilityType(StrEnum):
    GENERATOR = "generator"
    COLLECTOR = "collector"
    TRANSFER_STATION = "transfer_station"
    RECYCLER = "recycler"
    COMPOSTING_DIGESTION = "composting_digestion"
    INCINERATOR = "incinerator"
    LANDFILL = "landfill"
    HAZARDOUS_WASTE_OPERATOR = "hazardous_waste_operator"


class CellRegistered(EventPayload):
    """A zero-waste cell as registered (created or updated). Keyed by ``cell_id``."""

    event_type: ClassVar[str] = "waste.cell.registered"
    version: ClassVar[int] = 1

    cell_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    cell_type: CellType
    district: str = Field(min_length=1, max_length=100)
    population: int = Field(gt=0, description="residents or headcount, for per-person indicators")


class Licence(BaseModel):
    """A permit of a facility; a hazardous-waste operating licence lists the 名录 codes it
    covers. Not an event of its own: part of :class:`FacilityRegistered`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    licence_no: str = Field(min_length=1, max_length=64)
    hazardous_codes: tuple[str, ...] = ()
    valid_until: date | None = None


class FacilityRegistered(EventPayload):
    """A waste facility as registered (created or updated). Keyed by ``facility_id``."""

    event_type: ClassVar[str] = "waste.facility.registered"
    version: ClassVar[int] = 1

    facility_id: str = Field(min_length=1, max_length=63)
    name: str = Field(min_length=1, max_length=200)
    facility_type: FacilityType
    district: str = Field(min_length=1, max_length=100)
    province: str = Field(pattern=r"^\d{2}$", description="GB/T 2260 province code, e.g. 31")
    cell_id: str = Field(min_length=1, max_length=64)
    licences: tuple[Licence, ...] = ()


class FacilityCredentialIssued(EventPayload):
    """A facility's API key was issued (replacing any earlier one). Only its SHA-256 is
    kept: the key is 256 random bits, so a fast hash is as safe as a slow one. Keyed by
    ``facility_id`` on a compacted topic that only waste-intake reads."""

    event_type: ClassVar[str] = "waste.facility.credential-issued"
    version: ClassVar[int] = 1

    facility_id: str = Field(min_length=1, max_length=63)
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    issued_at: AwareDatetime


register(CellRegistered)
register(FacilityRegistered)
register(FacilityCredentialIssued)

__all__ = [
    "KG_PER_UNIT",
    "CellRegistered",
    "CellType",
    "FacilityCredentialIssued",
    "FacilityRegistered",
    "FacilityType",
    "FlowStage",
    "Licence",
    "QuantityUnit",
    "WasteCategory",
    "WasteFlowCorrected",
    "WasteFlowRecorded",
    "WasteFlowVoided",
]
