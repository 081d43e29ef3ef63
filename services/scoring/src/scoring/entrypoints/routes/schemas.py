"""Response bodies of the scores API (explanations included)."""

from __future__ import annotations

from dataclasses import asdict

from pydantic import BaseModel

from scoring.domain.indicators.scoring import CellScore


class IndicatorExplanation(BaseModel):
    id: str
    name: str
    category: str
    unit: str
    value: float | None
    target: float
    floor: float
    weight: float
    points: float
    status: str
    counts: dict[str, float]
    advice: str | None


class VetoExplanation(BaseModel):
    id: str
    name: str
    count: float
    at_least: float
    triggered: bool


class Score(BaseModel):
    cell_id: str
    cell_type: str
    district: str
    period: str
    system_id: str
    system_version: int
    as_of: str
    score: float | None
    band: str
    qualified: bool
    points: float
    max_points: float
    flow_events: int
    indicators: list[IndicatorExplanation]
    vetoes: list[VetoExplanation]

    @classmethod
    def of(cls, score: CellScore, as_of: str) -> Score:
        fields = asdict(score)
        fields["vetoes"] = [{**asdict(v), "triggered": v.triggered} for v in score.vetoes]
        return cls.model_validate({**fields, "as_of": as_of})


class ScoreSummary(BaseModel):
    period: str
    score: float | None
    band: str
    qualified: bool
    flow_events: int


class History(BaseModel):
    cell_id: str
    system_id: str
    system_version: int
    scores: list[ScoreSummary]


class RankingRow(BaseModel):
    rank: int
    cell_id: str
    name: str
    district: str
    cell_type: str
    score: float | None
    band: str
    qualified: bool


class Ranking(BaseModel):
    period: str
    system_id: str
    system_version: int
    district: str | None
    cell_type: str | None
    rows: list[RankingRow]
