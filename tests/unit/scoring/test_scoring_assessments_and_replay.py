"""Inspections and surveys in a cell's month, and the replay comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.totals import CellTotals
from scoring.handlers import FlowLedger, Outcome, Stores, month_flows_updated, totals_updated
from scoring.replay import differences
from zw_shared.contracts.scoring import CellAssessed
from zw_shared.contracts.waste import WasteFlowRecorded

SHANGHAI = ZoneInfo("Asia/Shanghai")


def an_assessment(**overrides: Any) -> CellAssessed:
    fields: dict[str, Any] = {
        "assessment_id": "a-1",
        "cell_id": "cell-1",
        "kind": "inspection",
        "assessor": "district team",
        "occurred_at": datetime(2026, 11, 30, 20, 0, tzinfo=UTC),  # 1 December in Shanghai
        "passed": True,
    }
    return CellAssessed(**{**fields, **overrides})


def a_ledger() -> tuple[FlowLedger, Stores]:
    stores = Stores(totals={}, months={}, ledger={}, index={})
    return FlowLedger(stores, SHANGHAI, timedelta(hours=72)), stores


def test_an_inspection_counts_in_the_local_month_it_took_place_in() -> None:
    ledger, _ = a_ledger()
    applied = ledger.assess(an_assessment(passed=False, serious_violation=True))

    (month,) = applied.months
    assert (applied.outcome, month.period.key) == (Outcome.ASSESSED, "2026-12")
    assert month.facts == {Fact.INSPECTIONS_TOTAL: 1, Fact.SERIOUS_VIOLATIONS: 1}


def test_a_survey_adds_its_score_and_a_repeated_assessment_changes_nothing() -> None:
    ledger, stores = a_ledger()
    ledger.assess(an_assessment(kind="survey", passed=None, satisfaction_score=82.5))
    again = ledger.assess(an_assessment(kind="survey", passed=None, satisfaction_score=82.5))

    month = PeriodFlows.from_state(stores.months["cell-1|2026-12"])
    assert again.outcome is Outcome.DUPLICATE
    assert month.facts == {Fact.SURVEYS: 1, Fact.SURVEY_SCORE_TOTAL: 82.5}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"passed": None}, "an inspection needs `passed`"),
        ({"kind": "survey", "passed": None}, "a survey needs `satisfaction_score`"),
        ({"kind": "survey", "satisfaction_score": 70}, "belong to inspections"),
        ({"satisfaction_score": 70}, "belongs to surveys"),
        ({"kind": "survey", "passed": None, "satisfaction_score": 101}, "less than or equal"),
    ],
)
def test_an_assessment_must_fit_its_kind(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        an_assessment(**fields)


def test_replay_equal_to_the_stream_has_no_differences() -> None:
    ledger, stores = a_ledger()
    flow = WasteFlowRecorded(
        event_id="e",
        facility_id="f",
        cell_id="cell-1",
        stage="generated",
        category="household_dry",
        quantity_kg=5,
        reported_quantity=5,
        reported_unit="kg",
        occurred_at=datetime(2026, 11, 3, tzinfo=UTC),
    )
    ledger.record(flow, flow.occurred_at)
    totals = {"cell-1": totals_updated(CellTotals.from_state(stores.totals["cell-1"]))}
    month = month_flows_updated(PeriodFlows.from_state(stores.months["cell-1|2026-11"]))

    assert differences(stores, totals, {"cell-1/2026-11": month}) == []
    assert differences(stores, totals, {}) == ["month cell-1/2026-11: replayed but never published"]
    changed = month.model_copy(update={"facts": {"flow_events": 2.0}})
    (found,) = differences(stores, totals, {"cell-1/2026-11": changed})
    assert found.startswith("month cell-1/2026-11: replay")
