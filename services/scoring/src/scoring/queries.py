"""Read side of the scores: a cell's score for a period (month, quarter or year, merged
from its months), its history, and rankings, computed from the views with the indicator
system. Scores are computed on read ``as of`` today in the city's calendar, so a running
period counts only the days so far."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from scoring.adapters.compacted_view import Latest
from scoring.adapters.month_flows_store import MonthFlowsStore
from scoring.domain.cells import CellProfile, CellType
from scoring.domain.indicators.scoring import CellScore, score_cell
from scoring.domain.indicators.system import IndicatorSystem
from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period, PeriodKind
from scoring.score_updates import profile_of
from zw_shared.contracts.waste import CellRegistered


class UnknownCell(LookupError):
    pass


@dataclass(frozen=True)
class Ranked:
    rank: int
    name: str
    score: CellScore


class ScoreBoard:
    def __init__(
        self,
        system: IndicatorSystem,
        cells: Latest[CellRegistered],
        months: MonthFlowsStore,
        today: Callable[[], date],
    ) -> None:
        self.system = system
        self._cells = cells
        self._months = months
        self.today = today

    def score(self, cell_id: str, period: Period) -> CellScore:
        profile = self._profile(cell_id)
        return score_cell(self.system, profile, self._flows(cell_id, period), self.today())

    def history(self, cell_id: str, kind: PeriodKind) -> list[CellScore]:
        profile = self._profile(cell_id)
        periods = sorted(
            {Period.containing(kind, m.first_day) for m in self._months.months(cell_id)}
        )
        today = self.today()
        return [score_cell(self.system, profile, self._flows(cell_id, p), today) for p in periods]

    def ranking(
        self, period: Period, district: str | None = None, cell_type: CellType | None = None
    ) -> list[Ranked]:
        cells = [
            cell
            for cell in self._cells.items.values()
            if (district is None or cell.district == district)
            and (cell_type is None or cell.cell_type == cell_type)
        ]
        scored = [(cell.name, self.score(cell.cell_id, period)) for cell in cells]
        scored.sort(key=lambda item: _rank_key(item[1]))
        return [Ranked(rank, name, score) for rank, (name, score) in enumerate(scored, start=1)]

    def flows(self, cell_id: str, period: Period) -> PeriodFlows:
        """A cell's flows in a period, merged from its months (empty when it has none)."""
        return self._flows(cell_id, period)

    def _profile(self, cell_id: str) -> CellProfile:
        cell = self._cells.get(cell_id)
        if cell is None:
            raise UnknownCell(f"cell {cell_id!r} is not in the cell registry")
        return profile_of(cell, self.system)

    def _flows(self, cell_id: str, period: Period) -> PeriodFlows:
        months = self._months.months(cell_id)
        inside = [
            m for p, m in months.items() if period.first_day <= p.first_day <= period.last_day
        ]
        return PeriodFlows.merged(cell_id, period, inside)


def _rank_key(score: CellScore) -> tuple[bool, float, str]:
    """Qualified cells first, by score (highest first); then the disqualified."""
    return (not score.qualified, -(score.score or 0.0), score.cell_id)
