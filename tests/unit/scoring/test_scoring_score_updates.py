"""The scores the worker publishes after a change: the month, its quarter and its year."""

from __future__ import annotations

from datetime import date

from scoring.adapters.indicator_config import load_indicator_system
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period
from scoring.handlers import month_key
from scoring.score_updates import (
    profile_of,
    score_key,
    score_updated,
    scores_after_change,
    scores_of_cell,
)
from zw_shared.contracts.waste import CellRegistered, FlowStage, WasteCategory

SYSTEM = load_indicator_system()
CELL = CellRegistered(
    cell_id="cell-1", name="Cell", cell_type="hotel", district="Huangpu", population=10
)


def stored_months(*keys: str) -> dict[str, object]:
    months: dict[str, object] = {}
    for key in keys:
        flows = PeriodFlows(
            "cell-1",
            Period.parse(key),
            mass={(WasteCategory.HOUSEHOLD_WET, FlowStage.GENERATED): Mass(100, 1)},
            facts={Fact.FLOW_EVENTS: 1},
        )
        months[month_key("cell-1", flows.period)] = flows.to_state()
    return months


def test_a_registered_cell_is_measured_against_its_types_baseline() -> None:
    profile = profile_of(CELL, SYSTEM)

    assert (profile.cell_type, profile.baseline_kg_per_person_day) == ("hotel", 2.0)


def test_a_month_change_rescores_the_month_its_quarter_and_its_year() -> None:
    months = stored_months("2026-10", "2026-11", "2026-03")
    profile = profile_of(CELL, SYSTEM)

    scores = scores_after_change(
        SYSTEM, profile, Period.parse("2026-11"), months, date(2026, 11, 24)
    )

    assert [(s.period, s.flow_events) for s in scores] == [
        ("2026-11", 1),
        ("2026-Q4", 2),
        ("2026", 3),
    ]


def test_a_cell_registered_late_is_scored_for_every_period_it_has_data_in() -> None:
    months = stored_months("2026-10", "2026-11", "2025-12")

    scores = scores_of_cell(
        SYSTEM,
        profile_of(CELL, SYSTEM),
        ["2025-12", "2026-10", "2026-11"],
        months,
        date(2026, 11, 24),
    )

    assert sorted(s.period for s in scores) == sorted(
        ["2025", "2025-12", "2025-Q4", "2026", "2026-10", "2026-11", "2026-Q4"]
    )


def test_a_published_score_is_keyed_by_cell_period_and_system_version_as_of_the_period() -> None:
    months = stored_months("2026-10")
    (month, *_) = scores_after_change(
        SYSTEM, profile_of(CELL, SYSTEM), Period.parse("2026-10"), months, date(2026, 11, 24)
    )

    assert score_key(month) == "cell-1/2026-10/shanghai-cells-v1"
    assert score_updated(month, date(2026, 11, 24)).as_of == "2026-10-31"


def test_a_quarter_and_a_year_are_made_of_their_months() -> None:
    assert [m.key for m in Period.parse("2026-Q2").months()] == ["2026-04", "2026-05", "2026-06"]
    assert len(Period.parse("2026").months()) == 12
    assert Period.parse("2026-02").months() == (Period.parse("2026-02"),)
