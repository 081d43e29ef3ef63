"""The running month's scores as Prometheus gauges, computed from the score board when
/metrics is scraped: the same mean score and bands as the city summary."""

from __future__ import annotations

from datetime import date

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from scoring.adapters.compacted_view import Latest
from scoring.adapters.indicator_config import load_indicator_system
from scoring.adapters.month_flows_store import MonthFlowsStore
from scoring.adapters.score_metrics import MonthScores
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period
from scoring.handlers import month_flows_updated
from scoring.queries import ScoreBoard
from zw_shared.contracts.waste import CellRegistered, FlowStage, WasteCategory

DRY, WET = WasteCategory.HOUSEHOLD_DRY, WasteCategory.HOUSEHOLD_WET


def a_board(today: date) -> ScoreBoard:
    cells: Latest[CellRegistered] = Latest()
    for cell_id in ("a", "b"):
        cells.put(cell_id, CellRegistered(cell_id=cell_id, name=cell_id, cell_type="community",
                                          district="Xuhui", population=10))  # fmt: skip
    months = MonthFlowsStore()
    november = PeriodFlows(
        "a",
        Period.parse("2026-11"),
        mass={
            (DRY, FlowStage.GENERATED): Mass(300, 1),
            (WET, FlowStage.GENERATED): Mass(100, 1),
            (WET, FlowStage.COMPOSTED_OR_DIGESTED): Mass(100, 1),
        },
        facts={Fact.FLOW_EVENTS: 3},
    )
    months.put("a/2026-11", month_flows_updated(november))
    return ScoreBoard(load_indicator_system(), cells, months, today=lambda: today)


def scraped(collector: MonthScores) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_the_running_months_mean_score_bands_and_recycling_rate_are_exported() -> None:
    collector = MonthScores()
    collector.watch(a_board(date(2026, 11, 30)))

    samples = scraped(collector)

    bands = {k: v for k, v in samples.items() if k.startswith("scoring_month_cells{")}
    assert sum(bands.values()) == 2  # every registered cell, in one band each
    assert samples['scoring_month_cells{band="not_qualified"}'] == 2
    assert samples["scoring_month_mean_score"] == pytest.approx(9.7917, abs=1e-4)
    assert samples["scoring_month_recycling_rate"] == 0.25  # 100 kg composted / 400 generated


def test_a_new_month_is_scored_from_its_own_flows_only() -> None:
    collector = MonthScores()
    collector.watch(a_board(date(2026, 12, 5)))

    samples = scraped(collector)

    assert samples["scoring_month_mean_score"] == 0
    assert "scoring_month_recycling_rate" not in samples  # nothing generated yet


def test_before_an_api_is_built_the_gauges_are_declared_without_samples() -> None:
    assert scraped(MonthScores()) == {}
