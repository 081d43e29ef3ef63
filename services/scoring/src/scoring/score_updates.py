"""Scores the worker publishes after a cell's month changed: the month, its quarter and its
year, merged from the month flows in the worker's table, scored under the configured
indicator system ``as of`` the local day of the event that caused the change (event time,
not the wall clock, so that a replay of the log scores the same)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from scoring.domain.cells import CellProfile
from scoring.domain.indicators.scoring import CellScore, score_cell
from scoring.domain.indicators.system import IndicatorSystem
from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period, PeriodKind
from zw_shared.contracts.scoring import CellScoreUpdated
from zw_shared.contracts.waste import CellRegistered


def profile_of(cell: CellRegistered, system: IndicatorSystem) -> CellProfile:
    """A registered cell, measured against its type's baseline in the system."""
    return CellProfile(
        cell_id=cell.cell_id,
        cell_type=cell.cell_type,
        district=cell.district,
        population=cell.population,
        baseline_kg_per_person_day=system.baseline_for(cell.cell_type),
        name=cell.name,
    )


MonthOf = Callable[[str, Period], PeriodFlows | None]


def score_of(
    system: IndicatorSystem, profile: CellProfile, period: Period, month_of: MonthOf, as_of: date
) -> CellScore:
    """A cell's score for a month, quarter or year, merged from its months (``month_of``:
    a cell's flows in a month, None if it has none)."""
    parts = [month_of(profile.cell_id, m) for m in period.months()]
    flows = PeriodFlows.merged(profile.cell_id, period, [p for p in parts if p is not None])
    return score_cell(system, profile, flows, min(as_of, period.last_day))


def periods_of(month: Period) -> list[Period]:
    """The month, its quarter and its year: what a change of the month rescores."""
    return [Period.containing(kind, month.first_day) for kind in PeriodKind]


def score_updated(score: CellScore, as_of: date) -> CellScoreUpdated:
    return CellScoreUpdated.model_validate(score_data(score, as_of))


def score_data(score: CellScore, as_of: date) -> dict[str, Any]:
    """The JSON-safe payload of :class:`CellScoreUpdated`, built field by field
    (dataclasses.asdict deep-copies every nested value: it was the worker's largest cost)."""
    period_end = Period.parse(score.period).last_day
    return {
        "cell_id": score.cell_id,
        "cell_type": score.cell_type,
        "district": score.district,
        "period": score.period,
        "as_of": min(as_of, period_end).isoformat(),
        "system_id": score.system_id,
        "system_version": score.system_version,
        "score": score.score,
        "band": score.band,
        "qualified": score.qualified,
        "points": score.points,
        "max_points": score.max_points,
        "flow_events": score.flow_events,
        "indicators": [vars(result) for result in score.indicators],
        "vetoes": [{**vars(veto), "triggered": veto.triggered} for veto in score.vetoes],
    }


def score_key(score: CellScore) -> str:
    return f"{score.cell_id}/{score.period}/{score.system_id}-v{score.system_version}"
