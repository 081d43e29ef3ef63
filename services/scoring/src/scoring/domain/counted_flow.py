"""What one counted waste flow contributes to a cell's figures: kept per event, so that a
later correction or void can take exactly that contribution back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.members import member, value_of
from scoring.domain.periods import Period, PeriodKind
from zw_shared.contracts.waste import (
    FlowStage,
    WasteCategory,
    WasteFlowCorrected,
    WasteFlowRecorded,
)


@dataclass(frozen=True)
class CountedFlow:
    category: WasteCategory
    stage: FlowStage
    kg: float
    occurred_at: datetime
    reported_at: datetime  # when waste-intake accepted the report (the envelope's time)

    @classmethod
    def of(cls, flow: WasteFlowRecorded | WasteFlowCorrected, reported_at: datetime) -> CountedFlow:
        return cls(flow.category, flow.stage, flow.quantity_kg, flow.occurred_at, reported_at)

    def month(self, zone: ZoneInfo) -> Period:
        """The month the flow belongs to: when it occurred, by the city's calendar (a late
        report updates the month it belongs to)."""
        return Period.containing(PeriodKind.MONTH, self.occurred_at.astimezone(zone).date())

    def report_day(self, zone: ZoneInfo) -> date:
        return self.reported_at.astimezone(zone).date()

    def on_time(self, within: timedelta) -> bool:
        return self.reported_at - self.occurred_at <= within

    def to_state(self) -> dict[str, Any]:
        return {
            "category": value_of(self.category),
            "stage": value_of(self.stage),
            "kg": self.kg,
            "occurred_at": self.occurred_at.isoformat(),
            "reported_at": self.reported_at.isoformat(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CountedFlow:
        return cls(
            member(WasteCategory, state["category"]),
            member(FlowStage, state["stage"]),
            float(state["kg"]),
            datetime.fromisoformat(state["occurred_at"]),
            datetime.fromisoformat(state["reported_at"]),
        )
