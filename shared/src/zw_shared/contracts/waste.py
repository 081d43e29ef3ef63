"""Contracts of waste-intake: waste-flow events as facilities report them (DOMAIN.md 2)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field, field_validator

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

__all__ = [
    "KG_PER_UNIT",
    "FlowStage",
    "QuantityUnit",
    "WasteCategory",
    "WasteFlowRecorded",
]
