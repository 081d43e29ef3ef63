"""Scores the worker publishes after a cell's month changed: the month, its quarter and its
year, merged from the month flows in the worker's table, scored under the configured
indicator system ``as of`` the local day of the event that caused the change (event time,
not the wall clock, so that a replay of the log scores the same)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from scoring.domain.cells import CellProfile
from scoring.domain.indicators.scoring import CellScore, score_cell
from scoring.domain.indicators.system import IndicatorSystem
from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period, PeriodKind
from scoring.handlers import month_key
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


def scores_after_change(
    system: IndicatorSystem,
    profile: CellProfile,
    month: Period,
    months: Mapping[str, Any],
    as_of: date,
) -> list[CellScore]:
    periods = [Period.containing(kind, month.first_day) for kind in PeriodKind]
    return [_score(system, profile, period, months, as_of) for period in periods]


def scores_of_cell(
    system: IndicatorSystem,
    profile: CellProfile,
    month_keys: Iterable[str],
    months: Mapping[str, Any],
    as_of: date,
) -> list[CellScore]:
    """Every month, quarter and year a cell has data in (after it was registered)."""
    periods = sorted(
        {
            Period.containing(kind, Period.parse(key).first_day)
            for key in month_keys
            for kind in PeriodKind
        }
    )
    return [_score(system, profile, period, months, as_of) for period in periods]


def _score(
    system: IndicatorSystem,
    profile: CellProfile,
    period: Period,
    months: Mapping[str, Any],
    as_of: date,
) -> CellScore:
    parts = [months.get(month_key(profile.cell_id, m)) for m in period.months()]
    flows = PeriodFlows.merged(
        profile.cell_id, period, [PeriodFlows.from_state(p) for p in parts if p]
    )
    return score_cell(system, profile, flows, min(as_of, period.last_day))


def score_updated(score: CellScore, as_of: date) -> CellScoreUpdated:
    fields = asdict(score)
    fields["vetoes"] = [{**asdict(v), "triggered": v.triggered} for v in score.vetoes]
    period_end = Period.parse(score.period).last_day
    return CellScoreUpdated.model_validate({**fields, "as_of": min(as_of, period_end).isoformat()})


def score_key(score: CellScore) -> str:
    return f"{score.cell_id}/{score.period}/{score.system_id}-v{score.system_version}"
