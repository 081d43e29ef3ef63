"""Scoring a cell for a period under the default indicator system. Every expected value is
worked out by hand in the test, from the formulas and scales of shanghai-cells-v1.yaml."""

from __future__ import annotations

from datetime import date

import pytest

from scoring.adapters.indicator_config import load_indicator_system
from scoring.domain.cells import CellProfile, CellType
from scoring.domain.indicators.scoring import CellScore, IndicatorResult, score_cell
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period
from zw_shared.contracts.waste import FlowStage, WasteCategory

SYSTEM = load_indicator_system()
NOVEMBER = Period.parse("2026-11")  # 30 days
END_OF_NOVEMBER = date(2026, 11, 30)
W, D, R = (
    WasteCategory.HOUSEHOLD_WET,
    WasteCategory.HOUSEHOLD_DRY,
    WasteCategory.HOUSEHOLD_RECYCLABLE,
)
GEN = FlowStage.GENERATED


def a_profile(cell_type: CellType = CellType.COMMUNITY, **changes: object) -> CellProfile:
    fields: dict[str, object] = {
        "cell_id": "cell-1",
        "cell_type": cell_type,
        "district": "Jing'an",
        "population": 1000,
        "baseline_kg_per_person_day": 1.0,
    }
    return CellProfile(**{**fields, **changes})  # type: ignore[arg-type]


def a_month(facts: dict[Fact, float] | None = None, report_days: int = 24) -> PeriodFlows:
    """A community's November: 28,500 kg of household waste generated (wet 9,000, dry
    16,500, recyclables 3,000); 3,000 kg recycled and 6,000 kg composted; of the dry waste
    disposed of, 1,500 kg landfilled and 13,500 kg incinerated."""
    return PeriodFlows(
        "cell-1",
        NOVEMBER,
        mass={
            (W, GEN): Mass(9_000, 9),
            (D, GEN): Mass(16_500, 6),
            (R, GEN): Mass(3_000, 3),
            (R, FlowStage.RECYCLED): Mass(3_000, 1),
            (W, FlowStage.COMPOSTED_OR_DIGESTED): Mass(6_000, 1),
            (D, FlowStage.LANDFILLED): Mass(1_500, 1),
            (D, FlowStage.INCINERATED_WITH_ENERGY_RECOVERY): Mass(13_500, 1),
        },
        facts={
            Fact.FLOW_EVENTS: 20,
            Fact.REPORTS_ON_TIME: 19,
            Fact.SURVEYS: 2,
            Fact.SURVEY_SCORE_TOTAL: 170,
            **(facts or {}),
        },
        report_days={date(2026, 11, day): 1 for day in range(1, report_days + 1)},
    )


def indicator(score: CellScore, indicator_id: str) -> IndicatorResult:
    return next(r for r in score.indicators if r.id == indicator_id)


def test_waste_per_person_day_five_percent_below_baseline_earns_half_its_points() -> None:
    score = score_cell(SYSTEM, a_profile(), a_month(), END_OF_NOVEMBER)
    result = indicator(score, "waste_per_person_day_reduction")

    # 28,500 kg / (1,000 people x 30 days) = 0.95 kg; (1.0 - 0.95) / 1.0 = 0.05 of 0.10
    assert result.counts["kg_per_person_day"] == pytest.approx(0.95)
    assert result.value == pytest.approx(0.05)
    assert result.points == pytest.approx(10.0)
    assert result.status == "partial"


def test_recycling_rate_counts_recycled_and_composted_against_generated() -> None:
    result = indicator(
        score_cell(SYSTEM, a_profile(), a_month(), END_OF_NOVEMBER), "recycling_rate"
    )

    # (3,000 + 6,000) / 28,500 = 6/19; points 20 * (6/19 - 0.15) / 0.30 = 20 * 21/38
    assert result.value == pytest.approx(6 / 19)
    assert result.points == pytest.approx(20 * 21 / 38)
    assert (result.counts["numerator_kg"], result.counts["denominator_events"]) == (9_000, 18)
    assert "from 0.3158 to 0.45" in str(result.advice)


def test_wet_waste_separation_above_target_earns_full_points() -> None:
    score = score_cell(SYSTEM, a_profile(), a_month(), END_OF_NOVEMBER)
    result = indicator(score, "wet_waste_separation_rate")

    # 9,000 / (9,000 + 16,500) = 6/17 = 0.353 >= 0.35
    assert result.value == pytest.approx(6 / 17)
    assert (result.points, result.status, result.advice) == (15, "met", None)


def test_the_same_separation_rate_falls_short_of_a_restaurants_target() -> None:
    score = score_cell(SYSTEM, a_profile(CellType.RESTAURANT), a_month(), END_OF_NOVEMBER)
    result = indicator(score, "wet_waste_separation_rate")

    # restaurant scale: floor 0.30, target 0.60; 15 * (6/17 - 0.30) / 0.30
    assert result.points == pytest.approx(15 * (6 / 17 - 0.30) / 0.30)


def test_landfilling_a_tenth_of_residual_waste_earns_half_the_landfill_points() -> None:
    score = score_cell(SYSTEM, a_profile(), a_month(), END_OF_NOVEMBER)
    result = indicator(score, "residual_landfill_share")

    # 1,500 / (1,500 + 13,500) = 0.10; lower is better: 15 * (0.10 - 0.20) / (0 - 0.20)
    assert result.value == pytest.approx(0.10)
    assert result.points == pytest.approx(7.5)
    assert str(result.advice).startswith("lower")


def test_reporting_timeliness_and_completeness() -> None:
    score = score_cell(SYSTEM, a_profile(), a_month(), END_OF_NOVEMBER)

    # 19 of 20 on time = 0.95: met; 24 of 30 days = 0.8: 5 * (0.8 - 0.3) / 0.6
    assert indicator(score, "reporting_timeliness").points == pytest.approx(5)
    assert indicator(score, "reporting_completeness").value == pytest.approx(0.8)
    assert indicator(score, "reporting_completeness").points == pytest.approx(5 * 5 / 6)


def test_completeness_of_a_running_month_counts_the_days_so_far() -> None:
    score = score_cell(SYSTEM, a_profile(), a_month(report_days=9), date(2026, 11, 10))

    assert indicator(score, "reporting_completeness").value == pytest.approx(0.9)


def test_the_community_score_is_its_points_over_the_weights_it_was_measured_on() -> None:
    score = score_cell(SYSTEM, a_profile(), a_month(), END_OF_NOVEMBER)

    # per-person 10 + recycling 20*21/38 + wet 15 + landfill 7.5 + timeliness 5
    # + completeness 25/6 + satisfaction (mean 85: 5 * 25/30) 25/6; inspections excluded
    points = 10 + 20 * 21 / 38 + 15 + 7.5 + 5 + 25 / 6 + 25 / 6
    assert score.points == pytest.approx(points)
    assert score.max_points == 85
    assert score.score == pytest.approx(100 * points / 85)  # 66.9
    assert (score.band, score.qualified) == ("qualified", True)
    assert indicator(score, "inspection_pass_rate").status == "excluded"
    assert (score.system_id, score.system_version, score.period) == ("shanghai-cells", 1, "2026-11")
    assert score.flow_events == 20


def test_a_serious_violation_disqualifies_whatever_the_points() -> None:
    flows = a_month({Fact.SERIOUS_VIOLATIONS: 1})
    score = score_cell(SYSTEM, a_profile(), flows, END_OF_NOVEMBER)

    assert (score.qualified, score.band) == (False, "disqualified")
    assert score.score == pytest.approx(100 * (10 + 20 * 21 / 38 + 15 + 7.5 + 5 + 25 / 3) / 85)
    assert [v.id for v in score.vetoes if v.triggered] == ["serious_violation"]


def test_a_refused_manifest_disqualifies_a_factory_but_is_not_a_community_veto() -> None:
    flows = a_month({Fact.MANIFESTS_REFUSED: 1, Fact.MANIFESTS_TOTAL: 1})

    factory = score_cell(SYSTEM, a_profile(CellType.FACTORY), flows, END_OF_NOVEMBER)
    community = score_cell(SYSTEM, a_profile(), flows, END_OF_NOVEMBER)

    assert (factory.qualified, community.qualified) == (False, True)


def test_a_factory_without_shipments_is_not_scored_on_manifests() -> None:
    score = score_cell(SYSTEM, a_profile(CellType.FACTORY), a_month(), END_OF_NOVEMBER)

    assert indicator(score, "hazardous_manifest_compliance").status == "excluded"
    # factory: no wet-waste indicator; per-person 20, recycling 20, landfill 15,
    # timeliness 5, completeness 5, satisfaction 5 measured
    assert score.max_points == 70


def test_nine_tenths_of_the_hazardous_kg_closed_on_time_earn_half_the_manifest_points() -> None:
    flows = a_month({Fact.MANIFEST_KG_DUE: 2_000, Fact.MANIFEST_KG_CLOSED_ON_TIME: 1_800})
    score = score_cell(SYSTEM, a_profile(CellType.HOSPITAL), flows, END_OF_NOVEMBER)
    result = indicator(score, "hazardous_manifest_compliance")

    # 1,800 / 2,000 kg = 0.9, between floor 0.8 and target 1.0: 10 * 0.5
    assert (result.value, result.points) == (pytest.approx(0.9), pytest.approx(5))


def test_a_month_without_reports_scores_zero_and_says_what_to_report() -> None:
    score = score_cell(SYSTEM, a_profile(), PeriodFlows("cell-1", NOVEMBER), END_OF_NOVEMBER)
    result = indicator(score, "waste_per_person_day_reduction")

    assert (result.value, result.points, result.status) == (None, 0, "no_data")
    assert str(result.advice).startswith("report")
    assert (score.score, score.band) == (0, "not_qualified")


def test_a_cell_generating_more_than_its_baseline_earns_no_reduction_points() -> None:
    score = score_cell(
        SYSTEM, a_profile(baseline_kg_per_person_day=0.5), a_month(), END_OF_NOVEMBER
    )
    result = indicator(score, "waste_per_person_day_reduction")

    # 0.95 kg against 0.5: (0.5 - 0.95) / 0.5 = -0.9
    assert (result.value, result.points, result.status) == (pytest.approx(-0.9), 0, "not_met")


def test_flows_of_another_cell_are_refused() -> None:
    with pytest.raises(ValueError, match="cell-2"):
        score_cell(SYSTEM, a_profile(cell_id="cell-2"), a_month(), END_OF_NOVEMBER)
