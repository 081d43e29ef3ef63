"""The city-level summary of a period: rates over summed kilograms, cells by band, districts.
Every expected figure is worked out by hand in the test."""

from __future__ import annotations

import pytest

from scoring.domain.city_summary import ScoredCell, summarize_city
from scoring.domain.indicators.scoring import CellScore
from scoring.domain.period_flows import Mass, MassKey, PeriodFlows
from scoring.domain.periods import Period
from zw_shared.contracts.waste import FlowStage, WasteCategory

BANDS = ["excellent", "good", "qualified", "not_qualified"]
WET, DRY = WasteCategory.HOUSEHOLD_WET, WasteCategory.HOUSEHOLD_DRY
GEN, RECYCLED, COMPOSTED = FlowStage.GENERATED, FlowStage.RECYCLED, FlowStage.COMPOSTED_OR_DIGESTED
LANDFILLED, INCINERATED = FlowStage.LANDFILLED, FlowStage.INCINERATED_WITH_ENERGY_RECOVERY


def a_cell(
    cell_id: str,
    kg: dict[MassKey, float] | None = None,
    score: float | None = 80.0,
    band: str = "good",
    qualified: bool = True,
    district: str = "Xuhui",
    period: str = "2026-11",
) -> ScoredCell:
    mass = {key: Mass(amount, 1) for key, amount in (kg or {}).items()}
    flows = PeriodFlows(cell_id, Period.parse(period), mass=mass)
    cell_score = CellScore(
        cell_id=cell_id,
        cell_type="community",
        district=district,
        period=period,
        system_id="shanghai-cells",
        system_version=1,
        score=score,
        band=band,
        qualified=qualified,
        points=0.0,
        max_points=0.0,
        indicators=(),
        vetoes=(),
        flow_events=len(mass),
    )
    return ScoredCell(cell_score, flows)


def test_city_rates_are_ratios_of_summed_kilograms_not_means_of_the_cells_rates() -> None:
    # a: 1,000 kg generated (wet 400, dry 600); 100 recycled + 300 composted; dry: 60
    # landfilled, 540 incinerated. b: 200 kg dry generated, all 200 landfilled.
    a = a_cell(
        "a",
        {
            (WET, GEN): 400,
            (DRY, GEN): 600,
            (DRY, RECYCLED): 100,
            (WET, COMPOSTED): 300,
            (DRY, LANDFILLED): 60,
            (DRY, INCINERATED): 540,
        },
    )
    b = a_cell("b", {(DRY, GEN): 200, (DRY, LANDFILLED): 200})

    summary = summarize_city("2026-11", [a, b], BANDS)

    assert summary.generated_kg == 1_200
    assert summary.recycling_rate == pytest.approx(400 / 1_200)  # the mean of 0.4 and 0 is 0.2
    assert summary.landfill_rate == pytest.approx(260 / 1_200)
    assert summary.residual_landfill_share == pytest.approx(260 / 800)
    assert summary.generated_kg_by_category["household_dry"] == 800
    assert summary.generated_kg_by_category["household_wet"] == 400
    assert summary.kg_by_stage["landfilled"] == 260
    assert summary.flow_events == 8


def test_every_category_and_stage_is_listed_zero_included() -> None:
    summary = summarize_city("2026-11", [a_cell("a", {(WET, GEN): 5})], BANDS)

    assert summary.generated_kg_by_category["medical"] == 0
    assert len(summary.generated_kg_by_category) == len(WasteCategory)
    assert summary.kg_by_stage["stored"] == 0
    assert len(summary.kg_by_stage) == len(FlowStage)


def test_cells_are_counted_in_every_band_best_first_then_no_data_and_disqualified() -> None:
    cells = [
        a_cell("a", score=95, band="excellent"),
        a_cell("b", score=80, band="good"),
        a_cell("c", score=82, band="good"),
        a_cell("d", score=None, band="no_data"),
        a_cell("e", score=99, band="disqualified", qualified=False),
    ]

    summary = summarize_city("2026-11", cells, BANDS)

    assert list(summary.cells_by_band.items()) == [
        ("excellent", 1),
        ("good", 2),
        ("qualified", 0),
        ("not_qualified", 0),
        ("no_data", 1),
        ("disqualified", 1),
    ]
    assert summary.cells == 5


def test_the_mean_score_leaves_out_disqualified_and_unscored_cells() -> None:
    cells = [
        a_cell("a", score=90, band="excellent"),
        a_cell("b", score=60, band="qualified"),
        a_cell("c", score=None, band="no_data"),
        a_cell("d", score=10, band="disqualified", qualified=False),
    ]

    assert summarize_city("2026-11", cells, BANDS).mean_score == pytest.approx(75)


def test_districts_are_summarized_apart_and_in_name_order() -> None:
    cells = [
        a_cell("a", {(DRY, GEN): 100, (DRY, RECYCLED): 50}, score=70, district="Xuhui"),
        a_cell("b", {(DRY, GEN): 300}, score=90, district="Huangpu"),
        a_cell("c", {(DRY, GEN): 100}, score=80, district="Xuhui"),
    ]

    districts = summarize_city("2026-11", cells, BANDS).districts

    assert [d.district for d in districts] == ["Huangpu", "Xuhui"]
    xuhui = districts[1]
    assert (xuhui.cells, xuhui.generated_kg) == (2, 200)
    assert xuhui.mean_score == pytest.approx(75)
    assert xuhui.recycling_rate == pytest.approx(0.25)
    assert districts[0].recycling_rate == 0


def test_cells_without_flows_leave_the_rates_unknown_rather_than_zero() -> None:
    summary = summarize_city("2026-11", [a_cell("a", score=None, band="no_data")], BANDS)

    assert (summary.recycling_rate, summary.landfill_rate) == (None, None)
    assert summary.residual_landfill_share is None
    assert (summary.cells, summary.cells_with_flows, summary.mean_score) == (1, 0, None)


def test_no_cell_at_all_is_an_empty_summary() -> None:
    summary = summarize_city("2026-Q4", [], BANDS)

    assert (summary.cells, summary.generated_kg, summary.districts) == (0, 0, ())
    assert sum(summary.cells_by_band.values()) == 0


def test_a_cell_scored_for_another_period_is_refused() -> None:
    with pytest.raises(ValueError, match="not scored for 2026-11"):
        summarize_city("2026-11", [a_cell("a", period="2026-10")], BANDS)
