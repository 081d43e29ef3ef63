"""Scores a cell for a period under an indicator system, with the explanation an official
needs: every indicator's value, target, floor, points and the counts behind it, what would
raise it, and the veto items that disqualify the cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from scoring.domain.cells import CellProfile
from scoring.domain.indicators.formulas import Counts, measure
from scoring.domain.indicators.system import Indicator, IndicatorSystem, Scale
from scoring.domain.period_flows import Fact, PeriodFlows

Status = Literal["met", "partial", "not_met", "no_data", "excluded"]
DISQUALIFIED = "disqualified"


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    name: str
    category: str
    unit: str
    value: float | None
    target: float
    floor: float
    weight: float
    points: float
    status: Status
    counts: Counts
    advice: str | None  # what would raise it; None when it is met


@dataclass(frozen=True)
class VetoResult:
    id: str
    name: str
    count: float
    at_least: float

    @property
    def triggered(self) -> bool:
        return self.count >= self.at_least


@dataclass(frozen=True)
class CellScore:
    cell_id: str
    cell_type: str
    district: str
    period: str
    system_id: str
    system_version: int
    score: float | None  # 0-100; None when no indicator could be measured
    band: str
    qualified: bool
    points: float
    max_points: float
    indicators: tuple[IndicatorResult, ...]
    vetoes: tuple[VetoResult, ...]
    flow_events: int


def score_cell(
    system: IndicatorSystem, profile: CellProfile, flows: PeriodFlows, as_of: date
) -> CellScore:
    if flows.cell_id != profile.cell_id:
        raise ValueError(
            f"flows of {flows.cell_id!r} scored with the profile of {profile.cell_id!r}"
        )
    plan = system.plan_for(profile.cell_type)
    results = tuple(
        _evaluate(indicator, scale, flows, profile, as_of) for indicator, scale in plan.indicators
    )
    vetoes = tuple(
        VetoResult(v.id, v.name, sum(flows.fact(f) for f in v.facts), v.at_least)
        for v in plan.veto_items
    )
    counted = [r for r in results if r.status != "excluded"]
    points = sum(r.points for r in counted)
    max_points = sum(r.weight for r in counted)
    score = 100.0 * points / max_points if max_points > 0 else None
    qualified = not any(v.triggered for v in vetoes)
    return CellScore(
        cell_id=profile.cell_id,
        cell_type=profile.cell_type.value,
        district=profile.district,
        period=flows.period.key,
        system_id=system.id,
        system_version=system.version,
        score=score,
        band=_band(system, score, qualified),
        qualified=qualified,
        points=points,
        max_points=max_points,
        indicators=results,
        vetoes=vetoes,
        flow_events=int(flows.fact(Fact.FLOW_EVENTS)),
    )


def _band(system: IndicatorSystem, score: float | None, qualified: bool) -> str:
    if not qualified:
        return DISQUALIFIED
    return "no_data" if score is None else system.band_of(score)


def _evaluate(
    indicator: Indicator, scale: Scale, flows: PeriodFlows, profile: CellProfile, as_of: date
) -> IndicatorResult:
    value, counts = measure(indicator.formula, flows, profile, as_of)
    points = 0.0 if value is None else scale.weight * _fraction(value, scale)
    status = _status(indicator, value, points, scale)
    return IndicatorResult(
        id=indicator.id,
        name=indicator.name,
        category=indicator.category.value,
        unit=indicator.unit,
        value=value,
        target=scale.target,
        floor=scale.floor,
        weight=scale.weight,
        points=points,
        status=status,
        counts=counts,
        advice=_advice(indicator, value, points, scale, status),
    )


def _fraction(value: float, scale: Scale) -> float:
    """0 at the floor, 1 at the target, linear between, clipped (works either direction)."""
    return min(1.0, max(0.0, (value - scale.floor) / (scale.target - scale.floor)))


def _status(indicator: Indicator, value: float | None, points: float, scale: Scale) -> Status:
    if value is None:
        return "excluded" if indicator.when_no_data == "excluded" else "no_data"
    if points >= scale.weight:
        return "met"
    return "partial" if points > 0 else "not_met"


def _advice(
    indicator: Indicator, value: float | None, points: float, scale: Scale, status: Status
) -> str | None:
    if status in ("met", "excluded"):
        return None
    gain = scale.weight - points
    if value is None:
        return f"report the flows behind {indicator.name} to earn up to {gain:.4g} points"
    direction = "raise" if scale.higher_is_better else "lower"
    return (
        f"{direction} {indicator.name} from {value:.4g} to {scale.target:.4g} "
        f"to gain {gain:.4g} points"
    )
