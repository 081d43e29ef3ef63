"""The read side of scores: merging months into quarters, histories and rankings."""

from __future__ import annotations

from datetime import date

import pytest

from scoring.adapters.compacted_view import Latest
from scoring.adapters.indicator_config import load_indicator_system
from scoring.adapters.month_flows_store import MonthFlowsStore
from scoring.domain.cells import CellType
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period, PeriodKind
from scoring.handlers import month_flows_updated
from scoring.queries import ScoreBoard, UnknownCell
from zw_shared.contracts.waste import CellRegistered, FlowStage, WasteCategory

DRY, GEN = WasteCategory.HOUSEHOLD_DRY, FlowStage.GENERATED


def a_board(*cells: CellRegistered, months: list[PeriodFlows]) -> ScoreBoard:
    registry: Latest[CellRegistered] = Latest()
    for cell in cells:
        registry.put(cell.cell_id, cell)
    store = MonthFlowsStore()
    for flows in months:
        store.put(f"{flows.cell_id}/{flows.period.key}", month_flows_updated(flows))
    return ScoreBoard(load_indicator_system(), registry, store, today=lambda: date(2026, 12, 31))


def a_cell(cell_id: str, district: str = "Xuhui", cell_type: str = "community") -> CellRegistered:
    return CellRegistered(
        cell_id=cell_id,
        name=cell_id.title(),
        cell_type=cell_type,
        district=district,
        population=10,
    )


def a_month(cell_id: str, key: str, dry_kg: float, **facts: float) -> PeriodFlows:
    return PeriodFlows(
        cell_id,
        Period.parse(key),
        mass={(DRY, GEN): Mass(dry_kg, 1)},
        facts={Fact.FLOW_EVENTS: 1, Fact.REPORTS_ON_TIME: 1}
        | {Fact(name): amount for name, amount in facts.items()},
    )


def test_a_quarter_merges_the_cells_months() -> None:
    board = a_board(a_cell("a"), months=[a_month("a", "2026-10", 100), a_month("a", "2026-11", 50)])

    score = board.score("a", Period.parse("2026-Q4"))

    assert score.flow_events == 2
    per_person = next(r for r in score.indicators if r.id == "waste_per_person_day_reduction")
    assert per_person.counts["generated_kg"] == 150


def test_history_has_one_score_per_period_with_flows() -> None:
    board = a_board(a_cell("a"), months=[a_month("a", "2026-11", 50), a_month("a", "2026-10", 100)])

    assert [s.period for s in board.history("a", PeriodKind.MONTH)] == ["2026-10", "2026-11"]
    assert [s.period for s in board.history("a", PeriodKind.QUARTER)] == ["2026-Q4"]


def test_rankings_put_higher_scores_first_and_the_disqualified_last() -> None:
    # 10 people x 30 days against a baseline of 1.0 kg: 300 kg is no reduction, 240 is 20 %
    board = a_board(
        a_cell("high"),
        a_cell("low"),
        a_cell("vetoed"),
        months=[
            a_month("low", "2026-11", 300),
            a_month("high", "2026-11", 240),
            a_month("vetoed", "2026-11", 240, serious_violations=1),
        ],
    )

    ranked = board.ranking(Period.parse("2026-11"))

    assert [(r.rank, r.score.cell_id) for r in ranked] == [(1, "high"), (2, "low"), (3, "vetoed")]
    assert ranked[2].score.band == "disqualified"


def test_rankings_filter_by_district_and_cell_type() -> None:
    board = a_board(
        a_cell("a", district="Xuhui"),
        a_cell("b", district="Minhang"),
        a_cell("c", district="Xuhui", cell_type="hotel"),
        months=[],
    )

    xuhui = board.ranking(Period.parse("2026-11"), district="Xuhui")
    hotels = board.ranking(Period.parse("2026-11"), cell_type=CellType.HOTEL)

    assert sorted(r.score.cell_id for r in xuhui) == ["a", "c"]
    assert [r.score.cell_id for r in hotels] == ["c"]


def test_an_unregistered_cell_cannot_be_scored() -> None:
    board = a_board(months=[a_month("ghost", "2026-11", 1)])

    with pytest.raises(UnknownCell, match="ghost"):
        board.score("ghost", Period.parse("2026-11"))
