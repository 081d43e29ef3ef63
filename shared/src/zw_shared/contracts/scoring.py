"""Contracts of scoring: the latest score of a cell, published to a compacted topic."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from zw_shared.contracts.registry import EventPayload, register
from zw_shared.contracts.waste import FlowStage, WasteCategory


class CellTotalsUpdated(EventPayload):
    """The running totals of one zero-waste cell after an event was counted.
    Keyed by ``cell_id`` on a compacted topic: the latest record is the cell's state."""

    event_type: ClassVar[str] = "scoring.cell-totals.updated"
    version: ClassVar[int] = 1

    cell_id: str
    total_kg: float = Field(ge=0)
    kg_by_category: dict[str, float]
    kg_by_stage: dict[str, float]
    event_count: int = Field(ge=0)
    last_event_at: AwareDatetime | None = None


register(CellTotalsUpdated)


# --- A cell's flows in one month, the input of its scores.


class MonthMass(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category: WasteCategory
    stage: FlowStage
    kg: float
    events: int = Field(ge=1)


class CellPeriodFlowsUpdated(EventPayload):
    """What a cell's flows add up to in one period (the worker publishes months; quarters
    and years are merged from them): kg and events per category and stage, counted facts
    (``flow_events``, ``reports_on_time``...) and reports per local day. Keyed by
    ``cell_id/period`` on a compacted topic: the latest record is the period's state."""

    event_type: ClassVar[str] = "scoring.cell-period-flows.updated"
    version: ClassVar[int] = 1

    cell_id: str = Field(min_length=1)
    period: str = Field(pattern=r"^\d{4}(-\d{2}|-Q[1-4])?$", description="2026-11, 2026-Q4, 2026")
    mass: tuple[MonthMass, ...]
    facts: dict[str, float]
    report_days: dict[str, int] = Field(description="local day (ISO date) -> reports made")


register(CellPeriodFlowsUpdated)


# --- Inspections and satisfaction surveys of a cell, entered by officials.


class CellAssessed(EventPayload):
    """An official inspected a cell, or a satisfaction survey of it was completed. Keyed by
    ``cell_id`` on the assessments topic; ``assessment_id`` is unique (the dedup key)."""

    event_type: ClassVar[str] = "scoring.cell.assessed"
    version: ClassVar[int] = 1

    assessment_id: str = Field(min_length=1, max_length=128)
    cell_id: str = Field(min_length=1, max_length=64)
    kind: Literal["inspection", "survey"]
    occurred_at: AwareDatetime
    assessor: str = Field(min_length=1, max_length=200)
    passed: bool | None = Field(default=None, description="inspections only")
    serious_violation: bool = Field(default=False, description="inspections only: a veto")
    falsified_report: bool = Field(default=False, description="inspections only: a veto")
    satisfaction_score: float | None = Field(
        default=None, ge=0, le=100, description="surveys only: mean score, 0-100"
    )
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> CellAssessed:
        if self.kind == "inspection":
            if self.passed is None:
                raise ValueError("an inspection needs `passed`")
            if self.satisfaction_score is not None:
                raise ValueError("`satisfaction_score` belongs to surveys, not inspections")
        else:
            if self.satisfaction_score is None:
                raise ValueError("a survey needs `satisfaction_score`")
            if self.passed is not None or self.serious_violation or self.falsified_report:
                raise ValueError("`passed` and the violations belong to inspections")
        return self


register(CellAssessed)


# --- A cell's latest score for a period, with its explanation.


class IndicatorScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    category: str
    unit: str
    value: float | None
    target: float
    floor: float
    weight: float
    points: float
    status: Literal["met", "partial", "not_met", "no_data", "excluded"]
    counts: dict[str, float]
    advice: str | None


class VetoScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    count: float
    at_least: float
    triggered: bool


class CellScoreUpdated(EventPayload):
    """A cell's score for one period (month, quarter, year) under one indicator system
    version, with every indicator's value, target, points and counts. Keyed by
    ``cell_id/period/system_id-vN`` on a compacted topic: a new system version writes new
    keys and leaves the old version's scores as they were."""

    event_type: ClassVar[str] = "scoring.cell-score.updated"
    version: ClassVar[int] = 1

    cell_id: str
    cell_type: str
    district: str
    period: str
    as_of: str = Field(description="ISO date the running period was scored up to")
    system_id: str
    system_version: int = Field(ge=1)
    score: float | None = Field(ge=0, le=100)
    band: str
    qualified: bool
    points: float
    max_points: float
    flow_events: int
    indicators: tuple[IndicatorScore, ...]
    vetoes: tuple[VetoScore, ...]


register(CellScoreUpdated)


# --- What one hazardous-waste manifest adds to its shipper's cell month (scoring-internal).


class CellManifestFactsChanged(EventPayload):
    """The facts one hazardous-waste transfer manifest now contributes to the month of its
    shipper's zero-waste cell (``manifests_total``, ``manifests_closed_on_time``,
    ``manifest_kg_due``...), replacing what it contributed before. The scoring worker folds
    ``hazardous.transfer-events`` (keyed by manifest number) into these and re-keys them by
    ``cell_id``, so that the cell's month is updated in the partition that owns it.
    ``sequence`` counts the manifest's events folded so far: a record with a sequence not
    above the last one applied is stale or a repeat, and changes nothing."""

    event_type: ClassVar[str] = "scoring.cell-manifest-facts.changed"
    version: ClassVar[int] = 1

    cell_id: str = Field(min_length=1)
    manifest_no: str = Field(pattern=r"^\d{14}$")
    shipper_id: str = Field(min_length=1)
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="the month shipped, 2026-11")
    facts: dict[str, float]
    sequence: int = Field(ge=1)


register(CellManifestFactsChanged)
