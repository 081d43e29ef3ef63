"""What the simulator sends to waste-intake and scoring, one value per request body."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from zw_shared.contracts.waste import KG_PER_UNIT, QuantityUnit

# The city's clock: every act of the simulated day is dated in Shanghai time.
CST = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class Cell:
    cell_id: str
    name: str
    cell_type: str
    district: str
    population: int

    def body(self) -> dict[str, Any]:
        return {
            "cell_id": self.cell_id,
            "name": self.name,
            "cell_type": self.cell_type,
            "district": self.district,
            "population": self.population,
        }


@dataclass(frozen=True)
class Facility:
    facility_id: str
    name: str
    facility_type: str
    cell_id: str
    district: str
    licensed_codes: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        licences = [
            {"licence_no": f"SH-HW-{self.facility_id}", "hazardous_codes": list(codes)}
            for codes in [self.licensed_codes]
            if codes
        ]
        return {
            "facility_id": self.facility_id,
            "name": self.name,
            "facility_type": self.facility_type,
            "district": self.district,
            "province": "31",
            "cell_id": self.cell_id,
            "licences": licences,
        }


@dataclass(frozen=True)
class FlowReport:
    """One waste flow as its facility reports it."""

    facility_id: str
    event_id: str
    stage: str
    category: str
    quantity: float
    unit: str
    occurred_at: datetime
    counterparty: str | None = None
    hazardous_code: str | None = None

    @property
    def kg(self) -> float:
        """The quantity in kg, computed as the intake API normalises it."""
        return self.quantity * KG_PER_UNIT[QuantityUnit(self.unit)]

    def body(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "stage": self.stage,
            "category": self.category,
            "quantity": self.quantity,
            "unit": self.unit,
            "is_estimate": self.stage == "generated",
            "hazardous_code": self.hazardous_code,
            "counterparty_facility_id": self.counterparty,
            "occurred_at": self.occurred_at.isoformat(),
        }

    def corrected(self, event_id: str, quantity: float) -> FlowReport:
        return replace(self, event_id=event_id, quantity=quantity)


@dataclass(frozen=True)
class Correction:
    """A facility's new content for one of its flows (``report.event_id``: the correction's
    own id)."""

    target_event_id: str
    report: FlowReport
    reason: str

    def body(self) -> dict[str, Any]:
        return {**self.report.body(), "reason": self.reason}


@dataclass(frozen=True)
class Void:
    facility_id: str
    target_event_id: str
    event_id: str
    reason: str

    def body(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "reason": self.reason}


@dataclass(frozen=True)
class Assessment:
    """An inspection or a satisfaction survey of a cell (scoring's assessments API)."""

    cell_id: str
    assessment_id: str
    kind: str
    occurred_at: datetime
    passed: bool | None = None
    serious_violation: bool = False
    falsified_report: bool = False
    satisfaction_score: float | None = None

    @property
    def vetoes(self) -> tuple[str, ...]:
        """The veto items this assessment triggers in its cell's month."""
        found = [
            ("serious_violation", self.serious_violation),
            ("falsified_report", self.falsified_report),
        ]
        return tuple(name for name, flag in found if flag)

    def body(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "kind": self.kind,
            "occurred_at": self.occurred_at.isoformat(),
            "assessor": "district inspection team",
            "passed": self.passed,
            "serious_violation": self.serious_violation,
            "falsified_report": self.falsified_report,
            "satisfaction_score": self.satisfaction_score,
        }
